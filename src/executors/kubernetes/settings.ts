/**
 * The Kubernetes executor's settings, from flags (`--kube-*`) over environment variables (MULTIVERSE_K8S_*) over
 * defaults. Pure: every value is checked here, and a bad one is a usage error naming the flag or variable.
 */
import { isAbsolute, normalize } from "node:path";
import { Errors } from "../../domain/errors.js";

export const IMAGE_PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

/** A PersistentVolumeClaim whose contents this process sees under `path` (where the controller has it mounted). */
export interface ClaimMount {
  claim: string;
  path: string;
  /** Mounted read-only into every attempt (a datasets claim). */
  readOnly?: boolean;
}

export interface KubernetesSettings {
  namespace: string;
  /** The admin or service-account kubeconfig file; in-cluster or $KUBECONFIG when absent (see kubeconfig.ts). */
  kubeconfig?: string;
  /** The claim that holds the state root (workspaces, and datasets under it); `path` defaults to the state root. */
  stateClaim?: ClaimMount;
  /** Claims that hold datasets outside the state root. */
  datasetClaims: ClaimMount[];
  imagePullPolicy: ImagePullPolicy;
  /** The user the model's container runs as (then runAsNonRoot); the image's own user when absent. */
  runAsUser?: number;
  /** How long a finished Job is kept after its logs were collected (ttlSecondsAfterFinished). */
  ttlAfterLogsSeconds: number;
  /** How many attempts may be in flight at once (the cluster schedules the resources). */
  maxInflight: number;
}

/** What `multiverse run|controller --kube-*` give; each overrides its environment variable. */
export interface KubernetesFlags {
  kubeNamespace?: string;
  kubeconfig?: string;
  kubeStateClaim?: string;
  kubeDatasetClaim?: string[];
  kubeImagePullPolicy?: string;
  kubeRunAsUser?: number;
}

export const DEFAULT_NAMESPACE = "default";
export const DEFAULT_TTL_AFTER_LOGS_SECONDS = 600;
export const DEFAULT_K8S_MAX_INFLIGHT = 500;

const CLAIM_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** "claim" or "claim:/path" (`defaultPath` when no path is given; a path is required when there is no default). */
export function parseClaimMount(text: string, source: string, defaultPath?: string, readOnly = false): ClaimMount {
  const cut = text.indexOf(":");
  const claim = (cut < 0 ? text : text.slice(0, cut)).trim();
  const path = cut < 0 ? defaultPath : text.slice(cut + 1).trim();
  if (!CLAIM_NAME.test(claim) || claim.length > 253) {
    throw Errors.usage(`${source}: "${claim}" is not a PersistentVolumeClaim name (lower-case letters, digits, "-" and ".")`);
  }
  if (path === undefined || path === "") throw Errors.usage(`${source}: give the claim's mount path as ${claim}:/path`);
  if (!isAbsolute(path)) throw Errors.usage(`${source}: the mount path of claim ${claim} must be absolute, got "${path}"`);
  return { claim, path: normalize(path).replace(/(.)\/+$/, "$1"), ...(readOnly ? { readOnly: true } : {}) };
}

function splitList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

export function kubernetesSettings(flags: KubernetesFlags, env: NodeJS.ProcessEnv, stateRoot: string): KubernetesSettings {
  const namespace = flags.kubeNamespace ?? env.MULTIVERSE_K8S_NAMESPACE ?? DEFAULT_NAMESPACE;
  const namespaceSource = flags.kubeNamespace !== undefined ? "--kube-namespace" : "MULTIVERSE_K8S_NAMESPACE";
  if (!NAMESPACE.test(namespace) || namespace.length > 63) throw Errors.usage(`${namespaceSource}: "${namespace}" is not a namespace name (a DNS-1123 label)`);

  const stateText = flags.kubeStateClaim ?? env.MULTIVERSE_K8S_STATE_CLAIM;
  const stateSource = flags.kubeStateClaim !== undefined ? "--kube-state-claim" : "MULTIVERSE_K8S_STATE_CLAIM";
  const stateClaim = stateText ? parseClaimMount(stateText, stateSource, stateRoot) : undefined;

  const datasetSource = flags.kubeDatasetClaim !== undefined ? "--kube-dataset-claim" : "MULTIVERSE_K8S_DATASET_CLAIMS";
  const datasetTexts = flags.kubeDatasetClaim ?? splitList(env.MULTIVERSE_K8S_DATASET_CLAIMS);
  const datasetClaims = datasetTexts.map((text) => parseClaimMount(text, datasetSource, undefined, true));

  const policy = flags.kubeImagePullPolicy ?? env.MULTIVERSE_K8S_IMAGE_PULL_POLICY ?? "IfNotPresent";
  if (!(IMAGE_PULL_POLICIES as readonly string[]).includes(policy)) {
    const source = flags.kubeImagePullPolicy !== undefined ? "--kube-image-pull-policy" : "MULTIVERSE_K8S_IMAGE_PULL_POLICY";
    throw Errors.usage(`${source} must be one of ${IMAGE_PULL_POLICIES.join(", ")}, got "${policy}"`);
  }

  const runAsUser = flags.kubeRunAsUser ?? integerOrUndefined(env.MULTIVERSE_K8S_RUN_AS_USER, "MULTIVERSE_K8S_RUN_AS_USER", 0);
  const ttl = integerOrUndefined(env.MULTIVERSE_K8S_TTL_AFTER_LOGS_SECONDS, "MULTIVERSE_K8S_TTL_AFTER_LOGS_SECONDS", 0) ?? DEFAULT_TTL_AFTER_LOGS_SECONDS;
  const maxInflight = integerOrUndefined(env.MULTIVERSE_K8S_MAX_INFLIGHT, "MULTIVERSE_K8S_MAX_INFLIGHT", 1) ?? DEFAULT_K8S_MAX_INFLIGHT;
  const kubeconfig = flags.kubeconfig ?? env.MULTIVERSE_KUBECONFIG;
  return {
    namespace,
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(stateClaim ? { stateClaim } : {}),
    datasetClaims,
    imagePullPolicy: policy as ImagePullPolicy,
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ttlAfterLogsSeconds: ttl,
    maxInflight,
  };
}

function integerOrUndefined(text: string | undefined, source: string, minimum: number): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < minimum) throw Errors.usage(`${source} must be an integer of at least ${minimum}, got "${text}"`);
  return Number(text);
}
