/**
 * The promotion saga: copy the validated outputs into a staging directory (re-hashing every byte), write the
 * manifest and its checksum, fsync, make it read-only, and rename it into the artifact store in one step.
 * Every step is idempotent, so that promote() again after a crash at any point converges to one verified bundle.
 * Evidence is never deleted: a damaged or replaced bundle is moved to quarantine, the workspace stays unless the
 * caller asks otherwise once the bundle is in place.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { EXIT_RUN_FAILED, isMultiverseError, MultiverseError } from "../domain/errors.js";
import type { RunSpec } from "../domain/resources.js";
import type { ValidatedArtifact, ValidationResult } from "../validation/index.js";
import { sha256Hex } from "../identity/hash.js";
import { fsyncPath, fsyncTree, makeReadOnly, makeWritable, openRegularFile, placeHashing, writeDurably } from "./durable.js";
import { assertInside, isSafeRelativePath, type StoreLayout } from "./layout.js";
import { buildManifest, FILES_SHA_FILE, filesShaText, MANIFEST_FILE, MANIFEST_SHA_FILE, manifestShaLine, RESERVED_NAMES, serializeManifest, type ArtifactEntry } from "./manifest.js";
import { verifyBundle, type BundleVerification } from "./verify.js";

export type { ValidatedArtifact } from "../validation/index.js";
export { copyFailedEvidence } from "./failed-evidence.js";
export { makeWritable } from "./durable.js";

export interface PromotionRequest {
  layout: StoreLayout;
  runId: string;
  attemptId: string;
  /** Attempt number for the manifest; defaults to the `-a<N>` suffix of the attempt id, else 1. */
  attempt?: number;
  jobName: string;
  spec: RunSpec;
  artifacts: ValidatedArtifact[];
  validation: { level: string; warnings: string[]; latentShape?: [number, number] };
  transitions: { from: string; to: string; event: string; ts: string }[];
  ownerToken: string;
  clock?: () => Date;
  /** Defaults to layout.artifactDir(attemptId, jobName). */
  artifactDir?: string;
  /** Remove the workspace once this attempt's bundle is in place (default false: it stays as evidence). */
  removeWorkspace?: boolean;
  /**
   * Keep no second copy of the outputs: files are hard-linked into the bundle where the filesystem allows (else
   * copied, sparse files staying sparse), and once the bundle is in place the workspace's promoted files are
   * removed, so the bundle is their only copy. orchestrator.log is always copied and stays: the host keeps
   * appending to it. Default false: every file is copied and the workspace stays as it was.
   */
  releaseWorkspace?: boolean;
}

/** The host appends to it after promotion: never linked into a bundle, never released from the workspace. */
const HOST_APPENDED = "orchestrator.log";

export interface PromotionResult {
  artifactDir: string;
  /** sha256 hex of artifact_manifest.json. */
  manifestSha256: string;
  /** True when a verified bundle of this logical run was already in place and nothing was written. */
  reused: boolean;
}

/**
 * The request fields a validation already determined, so that promotion takes the validation's result instead
 * of reading the workspace (and embeddings.h5) again: every file is re-hashed while it is staged anyway.
 */
export function fromValidation(result: ValidationResult, level: string): Pick<PromotionRequest, "artifacts" | "validation"> {
  const warnings = result.problems.filter((p) => p.severity === "warning").map((p) => `${p.artifact}: ${p.code}: ${p.message}`);
  return { artifacts: result.artifacts, validation: result.latentShape ? { level, warnings, latentShape: result.latentShape } : { level, warnings } };
}

/** A promotion that cannot complete; `code` is the run's failure reason. */
export class PromotionError extends MultiverseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("promotion_failed", message, { exitCode: EXIT_RUN_FAILED, ...options });
    this.name = "PromotionError";
  }
}

export async function promote(request: PromotionRequest): Promise<PromotionResult> {
  const { layout, attemptId } = request;
  const staging = layout.stagingDir(attemptId);
  const target = request.artifactDir ?? layout.artifactDir(request.attemptId, request.jobName);
  mkdirSync(layout.root, { recursive: true });
  assertInside(layout.root, target);

  // Step 1: a bundle already in place.
  const existing = await settleExistingBundle(request, target);
  if (existing) return existing;

  // Steps 2-4: a complete staged bundle of this attempt is kept (its bytes were checked when it was staged);
  // anything else in staging is our own partial copy and is rebuilt from the workspace.
  if (!(await isOwnBundle(request, staging)).ok) {
    discardStaging(staging);
    await stage(request, staging);
  }

  // Step 5: lock, rename into place, lock the top (see makeReadOnly), make the rename durable. A failure before
  // the rename (EPERM, EACCES, EXDEV...) discards the staged copy: the workspace still holds the outputs.
  try {
    makeReadOnly(staging, { keepTopWritable: true });
    mkdirSync(dirname(target), { recursive: true });
    const raced = await renameIntoPlace(request, staging, target);
    if (raced) {
      discardStaging(staging);
      return raced;
    }
  } catch (error) {
    discardStaging(staging);
    if (error instanceof PromotionError) throw error;
    throw new PromotionError(`cannot move ${staging} to ${target}: ${(error as Error).message}`, { cause: error });
  }
  makeReadOnly(target);
  fsyncPath(target);
  fsyncPath(dirname(target));
  fsyncPath(dirname(staging));

  // Step 6.
  finishWorkspace(request, target);
  return { artifactDir: target, manifestSha256: manifestSha(target), reused: false };
}

/** Returns the settled result when a bundle of this run appeared at the target meanwhile. */
async function renameIntoPlace(request: PromotionRequest, staging: string, target: string): Promise<PromotionResult | undefined> {
  try {
    renameSync(staging, target);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  }
  // Something appeared at the target since step 1: settle it and try once more.
  const raced = await settleExistingBundle(request, target);
  if (raced) return raced;
  renameSync(staging, target);
  return undefined;
}

function finishWorkspace(request: PromotionRequest, bundle: string): void {
  if (request.removeWorkspace) removeWorkspace(request);
  else if (request.releaseWorkspace) releasePromotedFiles(request, bundle);
}

/**
 * The bundle in place holds the outputs: remove the workspace's names for them (and the directories left empty),
 * except orchestrator.log. Idempotent, so a crash halfway is finished by the next promote().
 */
function releasePromotedFiles(request: PromotionRequest, bundle: string): void {
  const workspace = request.layout.workspaceDir(request.attemptId);
  const manifest = JSON.parse(readFileSync(join(bundle, MANIFEST_FILE), "utf8")) as { artifacts: { path: string }[] };
  if (!lstatSync(workspace, { throwIfNoEntry: false })?.isDirectory()) return;
  makeWritable(workspace);
  const dirs = new Set<string>();
  for (const { path } of manifest.artifacts) {
    if (path === HOST_APPENDED || !isSafeRelativePath(path)) continue;
    const file = join(workspace, path);
    if (lstatSync(file, { throwIfNoEntry: false })?.isFile()) unlinkSync(file);
    for (let dir = dirname(path); dir !== "."; dir = dirname(dir)) dirs.add(dir);
  }
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    const absolute = join(workspace, dir);
    if (lstatSync(absolute, { throwIfNoEntry: false })?.isDirectory() && readdirSync(absolute).length === 0) rmdirSync(absolute);
  }
  fsyncPath(workspace);
}

function manifestSha(dir: string): string {
  return sha256Hex(readFileSync(join(dir, MANIFEST_FILE)));
}

async function isOwnBundle(request: PromotionRequest, dir: string): Promise<BundleVerification> {
  if (!lstatSync(dir, { throwIfNoEntry: false })) return { ok: false, problems: [`${dir} does not exist`] };
  const verification = await verifyBundle(dir);
  const own = verification.manifest?.physical_run_id === request.attemptId && verification.manifest.logical_run_id === request.runId;
  return own ? verification : { ...verification, ok: false };
}

/**
 * Step 1. A verified bundle of this logical run is the result (whichever attempt produced it). Anything else
 * in the way (a damaged bundle, or in the simple layout the bundle of another run with the same job name) is
 * moved to quarantine, with a note saying why.
 */
async function settleExistingBundle(request: PromotionRequest, target: string): Promise<PromotionResult | undefined> {
  if (!lstatSync(target, { throwIfNoEntry: false })) return undefined;
  const verification = await verifyBundle(target);
  if (verification.ok && verification.manifest?.logical_run_id === request.runId) {
    relock(target);
    const own = verification.manifest.physical_run_id === request.attemptId;
    // Another attempt's bundle does not contain this attempt's outputs: its workspace is the only copy of them.
    if (own) finishWorkspace(request, target);
    return { artifactDir: target, manifestSha256: manifestSha(target), reused: true };
  }
  const why = verification.ok
    ? `replaced: holds logical run ${verification.manifest?.logical_run_id ?? "?"}, promoting ${request.runId}`
    : `failed verification: ${verification.problems.join("; ")}`;
  quarantine(request, target, why);
  return undefined;
}

/** A crash between the rename and the final chmod leaves the top writable: finish the job, quietly. */
function relock(dir: string): void {
  try {
    makeReadOnly(dir);
  } catch {
    // Not our files (another user's store): verification already passed, modes are cosmetic here.
  }
}

function quarantine(request: PromotionRequest, path: string, why: string): string {
  const destination = request.layout.quarantineDir(request.attemptId);
  makeWritable(path);
  mkdirSync(dirname(destination), { recursive: true });
  try {
    renameSync(path, destination);
  } catch (error) {
    throw new PromotionError(`cannot move ${path} aside to ${destination} (${why}): ${(error as Error).message}`, { cause: error });
  }
  writeFileSync(
    `${destination}.reason.json`,
    `${JSON.stringify({ from: path, reason: why, run_id: request.runId, attempt_id: request.attemptId, at: now(request).toISOString() }, null, 2)}\n`,
  );
  fsyncPath(dirname(destination));
  fsyncPath(dirname(path));
  return destination;
}

/** Staging is a partial copy we made of a workspace that is still intact: not evidence. */
function discardStaging(staging: string): void {
  if (!lstatSync(staging, { throwIfNoEntry: false })) return;
  makeWritable(staging);
  rmSync(staging, { recursive: true, force: true });
}

function now(request: PromotionRequest): Date {
  return (request.clock ?? (() => new Date()))();
}

function checkArtifactPaths(artifacts: ValidatedArtifact[]): void {
  const seen = new Set<string>();
  for (const { path } of artifacts) {
    if (!isSafeRelativePath(path)) throw new PromotionError(`artifact path ${JSON.stringify(path)} is not a relative path inside the workspace`);
    if (RESERVED_NAMES.includes(path)) throw new PromotionError(`the workspace holds ${path}, a name reserved for the bundle's own manifest`);
    if (seen.has(path)) throw new PromotionError(`artifact ${path} is listed twice`);
    seen.add(path);
  }
}

/** Every directory on the way to `path` must be a real directory, not a link (lstat, component by component). */
function checkNoLinkedParents(workspace: string, path: string): void {
  const segments = path.split("/");
  let current = workspace;
  for (const segment of segments.slice(0, -1)) {
    current = join(current, segment);
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) throw new PromotionError(`${path}: ${current} is ${stat?.isSymbolicLink() ? "a symlink" : "not a directory"}; refusing to promote through it`);
  }
}

function openArtifact(workspace: string, path: string): number {
  checkNoLinkedParents(workspace, path);
  try {
    assertInside(workspace, path);
  } catch (error) {
    if (isMultiverseError(error)) throw new PromotionError(`${path}: ${error.message}; refusing to promote it`, { cause: error });
    throw error;
  }
  try {
    return openRegularFile(join(workspace, path)).fd;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new PromotionError(`${path} is a symlink; only regular files are promoted`, { cause: error });
    if (code === "ENOENT") throw new PromotionError(`${path} disappeared from the workspace after validation`, { cause: error });
    throw new PromotionError(`${path} cannot be read for promotion: ${(error as Error).message}`, { cause: error });
  }
}

/** Steps 3-4: copy and re-hash every validated file, then write and fsync the manifest and its sidecar. */
async function stage(request: PromotionRequest, staging: string): Promise<void> {
  const workspace = request.layout.workspaceDir(request.attemptId);
  checkArtifactPaths(request.artifacts);
  mkdirSync(staging, { recursive: true });
  try {
    const entries: ArtifactEntry[] = [];
    for (const artifact of request.artifacts) {
      const destination = join(staging, artifact.path);
      mkdirSync(dirname(destination), { recursive: true });
      const mayLink = request.releaseWorkspace === true && artifact.path !== HOST_APPENDED;
      const copied = await placeHashing(openArtifact(workspace, artifact.path), join(workspace, artifact.path), destination, { mayLink });
      if (copied.sha256 !== artifact.sha256 || copied.size !== artifact.sizeBytes) {
        throw new PromotionError(
          `${artifact.path} changed after validation (now ${copied.size} bytes, sha256 ${copied.sha256.slice(0, 12)}…; validated ${artifact.sizeBytes} bytes, sha256 ${artifact.sha256.slice(0, 12)}…); not promoted`,
        );
      }
      entries.push({ path: artifact.path, role: artifact.role, size_bytes: copied.size, sha256: copied.sha256 });
    }
    const manifest = buildManifest({
      runId: request.runId,
      attemptId: request.attemptId,
      attempt: request.attempt ?? Number(/-a(\d+)$/.exec(request.attemptId)?.[1] ?? 1),
      spec: request.spec,
      artifacts: entries,
      validation: request.validation,
      transitions: request.transitions,
      ownerToken: request.ownerToken,
      producedAt: now(request),
    });
    const manifestText = serializeManifest(manifest);
    // The manifest first, its sidecar last: a staging directory without the sidecar is never taken as complete.
    writeDurably(join(staging, MANIFEST_FILE), manifestText);
    writeDurably(join(staging, FILES_SHA_FILE), filesShaText(manifest, manifestText));
    writeDurably(join(staging, MANIFEST_SHA_FILE), manifestShaLine(manifestText));
    fsyncTree(staging);
    fsyncPath(dirname(staging));
  } catch (error) {
    // The workspace is intact; a half-made copy of it is not evidence of anything.
    makeWritable(staging);
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof PromotionError) throw error;
    throw new PromotionError(`staging ${request.attemptId} failed: ${(error as Error).message}`, { cause: error });
  }
}

function removeWorkspace(request: PromotionRequest): void {
  const workspace = request.layout.workspaceDir(request.attemptId);
  makeWritable(workspace);
  rmSync(workspace, { recursive: true, force: true });
}
