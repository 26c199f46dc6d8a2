/** artifact_manifest.json: the bundle's self-description, and its sha256 sidecar. */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { RunSpec } from "../domain/resources.js";
import { repoRoot } from "../util/paths.js";

export const MANIFEST_FILE = "artifact_manifest.json";
export const MANIFEST_SHA_FILE = "artifact_manifest.sha256";

export interface ArtifactEntry {
  path: string;
  role: string;
  size_bytes: number;
  sha256: string;
}

export interface ArtifactManifest {
  schema_version: "1";
  logical_run_id: string;
  physical_run_id: string;
  attempt: number;
  experiment_name: string;
  benchmark: string;
  job_name: string;
  dataset: { slug: string; fingerprint: string; path: string; n_obs: number };
  model: { slug: string; version: string };
  image: { reference: string; kind: string; digest: string; registry_digest?: string; sif_digest?: string };
  params: Record<string, unknown>;
  params_hash: string;
  seed: number;
  preprocessing: Record<string, unknown>;
  contract_version: string;
  produced_at: string;
  produced_by: { tool: "multiverse"; version: string; host: string };
  owner_token: string;
  validation: { level: string; warnings: string[]; latent_shape?: [number, number] };
  transitions: { from: string; to: string; event: string; ts: string }[];
  artifacts: ArtifactEntry[];
}

let toolVersion: string | undefined;
export function multiverseVersion(): string {
  toolVersion ??= (JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")) as { version: string }).version;
  return toolVersion;
}

export function buildManifest(input: {
  runId: string;
  attemptId: string;
  attempt: number;
  spec: RunSpec;
  artifacts: ArtifactEntry[];
  validation: { level: string; warnings: string[]; latentShape?: [number, number] };
  transitions: { from: string; to: string; event: string; ts: string }[];
  ownerToken: string;
  producedAt: Date;
}): ArtifactManifest {
  const { spec } = input;
  const validation: ArtifactManifest["validation"] = { level: input.validation.level, warnings: input.validation.warnings };
  if (input.validation.latentShape) validation.latent_shape = input.validation.latentShape;
  return {
    schema_version: "1",
    logical_run_id: input.runId,
    physical_run_id: input.attemptId,
    attempt: input.attempt,
    experiment_name: spec.experimentName,
    benchmark: spec.benchmark,
    job_name: spec.jobName,
    dataset: { slug: spec.dataset, fingerprint: spec.datasetFingerprint, path: spec.datasetPath, n_obs: spec.nObs },
    model: { slug: spec.model, version: spec.modelVersion },
    image: { reference: spec.image.reference, kind: spec.image.kind, digest: spec.image.digest },
    params: spec.params,
    params_hash: spec.paramsHash,
    seed: spec.seed,
    preprocessing: spec.preprocessing,
    contract_version: spec.contractVersion,
    produced_at: input.producedAt.toISOString(),
    produced_by: { tool: "multiverse", version: multiverseVersion(), host: hostname() },
    owner_token: input.ownerToken,
    validation,
    transitions: input.transitions,
    artifacts: [...input.artifacts].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}
