/**
 * The trimmed eval_config.json (EVAL_CONTRACT.md, schema_version 1) and the mounts that make its paths real: each
 * dataset read-only at /data/<slug>.h5mu, each ready member's bundle read-only at /bundles/<member_id>/. Pure.
 */
import type { CohortMember } from "./cohort.js";
import type { MetricsPreset } from "./metrics-preset.js";
import { EMBEDDING_FILE, evaluationStatusOf, type Readiness } from "./readiness.js";

export const EVAL_CONFIG_SCHEMA_VERSION = 1;
export const EVAL_CONFIG_FILE = "eval_config.json";

export interface ReadyMemberConfig {
  member_id: string;
  run_id: string;
  attempt_id: string;
  model: string;
  seed: number;
  params: Record<string, unknown>;
  bundle_dir: string;
  embedding_path: string;
  manifest_sha256: string;
  embedding_sha256: string;
}

export interface NotReadyMemberConfig {
  member_id: string;
  run_id: string;
  model: string;
  seed: number;
  /** The host's readiness verdict (not the evaluation status it maps to). */
  status: string;
  reason: string;
}

export interface DatasetConfig {
  slug: string;
  /** null when no member of the dataset is ready: the file is then not mounted (it may not even exist). */
  path: string | null;
  fingerprint: string;
  batch_key: string | null;
  label_key: string | null;
  members: ReadyMemberConfig[];
  not_ready: NotReadyMemberConfig[];
}

export interface EvalConfig {
  schema_version: typeof EVAL_CONFIG_SCHEMA_VERSION;
  launch_id: string;
  metrics: MetricsPreset;
  seed: number;
  datasets: DatasetConfig[];
}

export interface ReadOnlyMount {
  source: string;
  target: string;
}

export interface AssessedMember {
  member: CohortMember;
  readiness: Readiness;
}

export function datasetTarget(slug: string): string {
  return `/data/${slug}.h5mu`;
}

export function bundleTarget(memberId: string): string {
  return `/bundles/${memberId}`;
}

/** The member's attempt that made its bundle: the bundle dir's name in the store layout, else the latest attempt. */
function bundleAttempt(member: CohortMember, bundleDir: string): string {
  const name = bundleDir.split("/").filter(Boolean).at(-1) ?? "";
  return member.attempt_ids.includes(name) ? name : (member.attempt_ids.at(-1) ?? "");
}

export function buildEvalConfig(input: { launchId: string; metrics: MetricsPreset; seed?: number; assessed: readonly AssessedMember[] }): { config: EvalConfig; mounts: ReadOnlyMount[] } {
  const bySlug = new Map<string, DatasetConfig>();
  const mounts: ReadOnlyMount[] = [];
  const datasetSources = new Map<string, string>();
  for (const { member, readiness } of input.assessed) {
    let dataset = bySlug.get(member.dataset);
    if (!dataset) {
      dataset = { slug: member.dataset, path: null, fingerprint: member.dataset_fingerprint, batch_key: member.batch_key, label_key: member.label_key, members: [], not_ready: [] };
      bySlug.set(member.dataset, dataset);
    }
    if (readiness.status === "ready" && readiness.bundleDir && readiness.manifestSha256 && readiness.embeddingSha256) {
      const target = bundleTarget(member.member_id);
      dataset.members.push({
        member_id: member.member_id,
        run_id: member.run_id,
        attempt_id: bundleAttempt(member, readiness.bundleDir),
        model: member.model,
        seed: member.seed,
        params: member.params,
        bundle_dir: target,
        embedding_path: `${target}/${EMBEDDING_FILE}`,
        manifest_sha256: readiness.manifestSha256,
        embedding_sha256: readiness.embeddingSha256,
      });
      mounts.push({ source: readiness.bundleDir, target });
      if (dataset.path === null) {
        dataset.path = datasetTarget(member.dataset);
        datasetSources.set(dataset.path, member.dataset_path);
      }
    } else {
      dataset.not_ready.push({ member_id: member.member_id, run_id: member.run_id, model: member.model, seed: member.seed, status: readiness.status, reason: readiness.reason ?? readiness.status });
    }
  }
  for (const [target, source] of datasetSources) mounts.unshift({ source, target });
  const datasets = [...bySlug.values()].sort((a, b) => a.slug.localeCompare(b.slug));
  for (const d of datasets) {
    d.members.sort((a, b) => a.member_id.localeCompare(b.member_id));
    d.not_ready.sort((a, b) => a.member_id.localeCompare(b.member_id));
  }
  return { config: { schema_version: EVAL_CONFIG_SCHEMA_VERSION, launch_id: input.launchId, metrics: input.metrics, seed: input.seed ?? 0, datasets }, mounts };
}

/** The ready members of a config, by id. */
export function readyMemberIds(config: EvalConfig): string[] {
  return config.datasets.flatMap((d) => d.members.map((m) => m.member_id));
}

/** Not-ready statuses as the contract maps them, for the host's own member files (evaluator crash). */
export function mappedStatus(status: string): string {
  return status === "ready" ? "evaluation_failed" : evaluationStatusOf(status as Exclude<Readiness["status"], "ready">);
}
