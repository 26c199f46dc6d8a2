/**
 * The source and leader-election flags of `multiverse controller`, checked before anything starts (pure: reads
 * only whether the kubeconfig file exists): `--source files` (the default) takes --watch; `--source kubernetes`
 * takes --namespace or --all-namespaces and --kubeconfig; leader election needs the Kubernetes API and timings
 * that make sense (lease > renew deadline > retry period).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Errors } from "../../domain/errors.js";
import { timingProblem, type ElectionTimings } from "../../leader/lease-decision.js";

export const SOURCES = ["files", "kubernetes"] as const;
export type SourceName = (typeof SOURCES)[number];
export const DEFAULT_LEASE_NAME = "multiverse-controller";

export interface SourceFlags {
  source?: SourceName;
  watch?: string;
  namespace?: string;
  allNamespaces?: boolean;
  kubeconfig?: string;
  leaderElect?: boolean;
  leaderElectLeaseName?: string;
  leaderElectNamespace?: string;
  leaderElectLeaseDuration?: number;
  leaderElectRenewDeadline?: number;
  leaderElectRetryPeriod?: number;
}

export type SourceSettings =
  | { kind: "files"; watch: string }
  | { kind: "kubernetes"; namespace?: string; allNamespaces: boolean; kubeconfig?: string };

export interface LeaderSettings extends ElectionTimings {
  leaseName: string;
  namespace?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function sourceSettings(flags: SourceFlags): { source: SourceSettings; leader?: LeaderSettings } {
  const source = flags.source ?? "files";
  const kubernetesFlags = [flags.namespace !== undefined && "--namespace", flags.allNamespaces && "--all-namespaces", flags.kubeconfig !== undefined && "--kubeconfig"].filter((f): f is string => typeof f === "string");
  let settings: SourceSettings;
  if (source === "files") {
    if (kubernetesFlags.length > 0) throw Errors.usage(`${kubernetesFlags.join(", ")} need --source kubernetes (the file source reads --watch)`);
    if (flags.watch === undefined) throw Errors.usage("--source files needs --watch <dir> (or pass --source kubernetes)");
    settings = { kind: "files", watch: flags.watch };
  } else {
    if (flags.watch !== undefined) throw Errors.usage("--watch is for --source files; --source kubernetes reads the cluster (--namespace NS or --all-namespaces)");
    if (flags.namespace !== undefined && flags.allNamespaces) throw Errors.usage("give --namespace NS or --all-namespaces, not both");
    if (flags.namespace !== undefined && !DNS_LABEL.test(flags.namespace)) throw Errors.usage(`--namespace "${flags.namespace}" is not a namespace name (lowercase letters, digits and "-", at most 63)`);
    let kubeconfig: string | undefined;
    if (flags.kubeconfig !== undefined) {
      kubeconfig = resolve(flags.kubeconfig);
      if (!existsSync(kubeconfig)) throw Errors.fileNotFound("--kubeconfig: no such file", { location: { file: kubeconfig } });
    }
    settings = { kind: "kubernetes", allNamespaces: flags.allNamespaces ?? false, ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}), ...(kubeconfig ? { kubeconfig } : {}) };
  }
  const leaderFlags = [flags.leaderElectLeaseName !== undefined && "--leader-elect-lease-name", flags.leaderElectNamespace !== undefined && "--leader-elect-namespace", flags.leaderElectLeaseDuration !== undefined && "--leader-elect-lease-duration", flags.leaderElectRenewDeadline !== undefined && "--leader-elect-renew-deadline", flags.leaderElectRetryPeriod !== undefined && "--leader-elect-retry-period"].filter((f): f is string => typeof f === "string");
  if (!flags.leaderElect) {
    if (leaderFlags.length > 0) throw Errors.usage(`${leaderFlags.join(", ")} need --leader-elect`);
    return { source: settings };
  }
  if (settings.kind !== "kubernetes") throw Errors.usage("--leader-elect holds a Lease on the Kubernetes API: it needs --source kubernetes");
  const leaseName = flags.leaderElectLeaseName ?? DEFAULT_LEASE_NAME;
  if (!DNS_SUBDOMAIN.test(leaseName)) throw Errors.usage(`--leader-elect-lease-name "${leaseName}" is not an object name (lowercase letters, digits, "-" and ".")`);
  if (flags.leaderElectNamespace !== undefined && !DNS_LABEL.test(flags.leaderElectNamespace)) throw Errors.usage(`--leader-elect-namespace "${flags.leaderElectNamespace}" is not a namespace name`);
  const timings: ElectionTimings = {
    leaseDurationMs: (flags.leaderElectLeaseDuration ?? 15) * 1000,
    renewDeadlineMs: (flags.leaderElectRenewDeadline ?? 10) * 1000,
    retryPeriodMs: (flags.leaderElectRetryPeriod ?? 2) * 1000,
  };
  const problem = timingProblem(timings);
  if (problem) throw Errors.usage(problem);
  return { source: settings, leader: { leaseName, ...timings, ...(flags.leaderElectNamespace !== undefined ? { namespace: flags.leaderElectNamespace } : {}) } };
}
