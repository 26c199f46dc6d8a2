/** artifact_manifest.json: the bundle's self-description, and its sha256sum-format sidecar. */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { RunSpec } from "../domain/resources.js";
import { sha256Hex } from "../identity/hash.js";
import { repoRoot } from "../util/paths.js";
import { isSafeRelativePath } from "./layout.js";

export const MANIFEST_FILE = "artifact_manifest.json";
export const MANIFEST_SHA_FILE = "artifact_manifest.sha256";
export const MANIFEST_SCHEMA_VERSION = "1";
/** Every file of the bundle but itself, in sha256sum format: `sha256sum -c artifact_files.sha256` checks them all. */
export const FILES_SHA_FILE = "artifact_files.sha256";
/** Names the bundle keeps for itself; no artifact may take them. */
export const RESERVED_NAMES: readonly string[] = [MANIFEST_FILE, MANIFEST_SHA_FILE, FILES_SHA_FILE];

export interface ArtifactEntry {
  path: string;
  role: string;
  size_bytes: number;
  sha256: string;
}

export interface ManifestTransition {
  from: string;
  to: string;
  event: string;
  ts: string;
}

export interface ArtifactManifest {
  schema_version: typeof MANIFEST_SCHEMA_VERSION;
  logical_run_id: string;
  /** The attempt id that produced the files. */
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
  /** `problems` holds the validator's warnings: errors never reach a promoted bundle. */
  validation: { level: string; problems: string[] };
  latent_shape: [number, number] | null;
  transitions: ManifestTransition[];
  /** Sorted by path. */
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
  transitions: ManifestTransition[];
  ownerToken: string;
  producedAt: Date;
}): ArtifactManifest {
  const { spec } = input;
  return {
    schema_version: MANIFEST_SCHEMA_VERSION,
    logical_run_id: input.runId,
    physical_run_id: input.attemptId,
    attempt: input.attempt,
    experiment_name: spec.experimentName,
    benchmark: spec.benchmark,
    job_name: spec.jobName,
    dataset: { slug: spec.dataset, fingerprint: spec.datasetFingerprint, path: spec.datasetPath, n_obs: spec.nObs },
    model: { slug: spec.model, version: spec.modelVersion },
    image: {
      reference: spec.image.reference,
      kind: spec.image.kind,
      digest: spec.image.digest,
      ...(spec.image.kind === "registry" ? { registry_digest: spec.image.digest } : {}),
      ...(spec.image.sifDigest ? { sif_digest: spec.image.sifDigest } : {}),
    },
    params: spec.params,
    params_hash: spec.paramsHash,
    seed: spec.seed,
    preprocessing: spec.preprocessing,
    contract_version: spec.contractVersion,
    produced_at: input.producedAt.toISOString(),
    produced_by: { tool: "multiverse", version: multiverseVersion(), host: hostname() },
    owner_token: input.ownerToken,
    validation: { level: input.validation.level, problems: [...input.validation.warnings] },
    latent_shape: input.validation.latentShape ?? null,
    transitions: input.transitions.map((t) => ({ from: t.from, to: t.to, event: t.event, ts: t.ts })),
    artifacts: [...input.artifacts].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

export function serializeManifest(manifest: ArtifactManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The sidecar line, in the format `sha256sum -c` reads. */
export function manifestShaLine(manifestBytes: string | Buffer): string {
  return `${sha256Hex(manifestBytes)}  ${MANIFEST_FILE}\n`;
}

/** One sha256sum line; names with a backslash or a newline are escaped the way GNU sha256sum does. */
function sha256sumLine(sha256: string, name: string): string {
  if (!/[\\\n\r]/.test(name)) return `${sha256}  ${name}\n`;
  return `\\${sha256}  ${name.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r")}\n`;
}

/** The files sidecar of a manifest: its artifacts, the manifest and the manifest's sidecar, sorted by name. */
export function filesShaText(manifest: ArtifactManifest, manifestText: string): string {
  const lines = [
    ...manifest.artifacts.map((a) => ({ name: a.path, sha256: a.sha256 })),
    { name: MANIFEST_FILE, sha256: sha256Hex(manifestText) },
    { name: MANIFEST_SHA_FILE, sha256: sha256Hex(manifestShaLine(manifestText)) },
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return lines.map((l) => sha256sumLine(l.sha256, l.name)).join("");
}

/** The hex digest recorded in a sidecar, or undefined when it is not one sha256sum line for the manifest. */
export function parseManifestShaLine(text: string): string | undefined {
  return /^([0-9a-f]{64}) [ *]artifact_manifest\.json\n?$/.exec(text)?.[1];
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parse a manifest and check the fields that verification and reuse rely on. Returns the problems instead of
 * throwing, so that a damaged bundle is reported, not crashed on.
 */
export function parseManifest(text: string): { manifest?: ArtifactManifest; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problems: [`${MANIFEST_FILE} is not valid JSON: ${(error as Error).message}`] };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { problems: [`${MANIFEST_FILE} is not a JSON object`] };
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  if (record.schema_version !== MANIFEST_SCHEMA_VERSION) problems.push(`${MANIFEST_FILE}: schema_version ${JSON.stringify(record.schema_version)} is not "${MANIFEST_SCHEMA_VERSION}"`);
  for (const field of ["logical_run_id", "physical_run_id", "job_name"]) {
    if (typeof record[field] !== "string" || record[field] === "") problems.push(`${MANIFEST_FILE}: ${field} is missing`);
  }
  if (!Array.isArray(record.artifacts)) {
    problems.push(`${MANIFEST_FILE}: artifacts is not a list`);
    return { problems };
  }
  const seen = new Set<string>();
  record.artifacts.forEach((entry: unknown, i: number) => {
    const where = `${MANIFEST_FILE}: artifacts[${i}]`;
    if (!entry || typeof entry !== "object") {
      problems.push(`${where} is not an object`);
      return;
    }
    const { path, size_bytes: size, sha256 } = entry as Record<string, unknown>;
    if (typeof path !== "string" || !isSafeRelativePath(path)) problems.push(`${where}: path ${JSON.stringify(path)} is not a safe relative path`);
    else if (RESERVED_NAMES.includes(path)) problems.push(`${where}: ${path} cannot be listed as an artifact`);
    else if (seen.has(path)) problems.push(`${where}: ${path} is listed twice`);
    else seen.add(path);
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) problems.push(`${where}: size_bytes is not a non-negative integer`);
    if (typeof sha256 !== "string" || !HEX64.test(sha256)) problems.push(`${where}: sha256 is not 64 hex digits`);
  });
  return problems.length === 0 ? { manifest: value as ArtifactManifest, problems } : { problems };
}

/** Read only the identity of a bundle (no hashing): for choosing candidates before verifying them. */
export function peekManifest(dir: string): ArtifactManifest | undefined {
  try {
    return parseManifest(readFileSync(join(dir, MANIFEST_FILE), "utf8")).manifest;
  } catch {
    return undefined;
  }
}
