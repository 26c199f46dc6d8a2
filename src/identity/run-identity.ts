/**
 * Identity from content (ARCHITECTURE.md invariant 4): the logical run id is a hash of exactly what changes
 * the scientific result. Not timestamps, not file order, not manifest file names, not job names.
 */
import { CONTRACT_VERSION, type ImageIdentity } from "../domain/resources.js";
import { hashCanonical } from "./hash.js";

export const IDENTITY_VERSION = 1;

export interface IdentityInput {
  datasetFingerprint: string;
  modelSlug: string;
  modelVersion: string;
  image: Pick<ImageIdentity, "digest" | "kind">;
  /** Hyperparameters with the schema's defaults applied. */
  params: Record<string, unknown>;
  seed: number;
  preprocessing: Record<string, unknown>;
  contractVersion?: string;
}

export function identityDocument(input: IdentityInput): Record<string, unknown> {
  return {
    identityVersion: IDENTITY_VERSION,
    contractVersion: input.contractVersion ?? CONTRACT_VERSION,
    dataset: input.datasetFingerprint,
    model: { slug: input.modelSlug, version: input.modelVersion },
    image: { kind: input.image.kind, digest: input.image.digest },
    params: input.params,
    seed: input.seed,
    preprocessing: input.preprocessing,
  };
}

/** 24 hex characters (96 bits) of the identity document's sha256. */
export function logicalRunId(input: IdentityInput): string {
  return hashCanonical(identityDocument(input)).slice(0, 24);
}

export function paramsHash(params: Record<string, unknown>): string {
  return hashCanonical(params).slice(0, 16);
}

/** Human-readable, DNS-safe run name; the id suffix makes it unique. */
export function runName(jobName: string, seed: number, runId: string): string {
  const base = jobName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "job";
  return `${base}-s${seed}-${runId.slice(0, 8)}`;
}

/**
 * Attempt ids are per try of a logical run and per state root (owner), so that two output directories
 * running the same logical run never share a container name.
 */
export function attemptId(runId: string, ownerId: string, attempt: number): string {
  return `${runId.slice(0, 12)}-${ownerId.slice(0, 6)}-a${attempt}`;
}

/** Which identity inputs differ between two runs: the answer to "why did this not hit the cache?". */
export function explainIdentityDifference(previous: IdentityInput, current: IdentityInput): string[] {
  const a = identityDocument(previous);
  const b = identityDocument(current);
  const changed: string[] = [];
  for (const key of Object.keys(b)) {
    if (hashCanonical(a[key] ?? null) !== hashCanonical(b[key] ?? null)) changed.push(key);
  }
  return changed;
}
