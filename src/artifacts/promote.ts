/**
 * The promotion saga: copy the validated outputs into a staging directory (re-hashing every byte), write the
 * manifest and its checksum, fsync, make it read-only, and rename it into the artifact store in one step.
 * Every step is idempotent, so that promote() after a crash at any point converges to one verified bundle.
 */
import { createHash } from "node:crypto";
import { chmodSync, closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, cpSync } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import type { RunSpec } from "../domain/resources.js";
import { sha256Hex } from "../identity/hash.js";
import { fsyncDir } from "../journal/journal.js";
import type { ValidatedArtifact } from "../validation/index.js";
import { assertInside, type StoreLayout } from "./layout.js";
import { buildManifest, MANIFEST_FILE, MANIFEST_SHA_FILE } from "./manifest.js";
import { verifyBundle } from "./verify.js";

export interface PromotionRequest {
  layout: StoreLayout;
  runId: string;
  attemptId: string;
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
}

export interface PromotionResult {
  artifactDir: string;
  manifestSha256: string;
  reused: boolean;
}

export class PromotionError extends Error {
  readonly code = "promotion_failed";
  constructor(message: string) {
    super(message);
    this.name = "PromotionError";
  }
}

export async function promote(request: PromotionRequest): Promise<PromotionResult> {
  const { layout, attemptId } = request;
  const workspace = layout.workspaceDir(attemptId);
  const staging = layout.stagingDir(attemptId);
  const target = request.artifactDir ?? layout.artifactDir(attemptId, request.jobName);

  if (existsSync(target)) {
    const existing = await verifyBundle(target);
    if (existing.ok && existing.manifest?.physical_run_id === attemptId) {
      return { artifactDir: target, manifestSha256: sha256Hex(readFileSync(join(target, MANIFEST_FILE))), reused: true };
    }
    // Never delete evidence: a damaged bundle, or an older bundle of another run under the same job name, moves aside.
    moveAside(target, layout.quarantineDir(`${attemptId}-replaced`));
  }

  const staged = existsSync(staging) ? await verifyBundle(staging) : undefined;
  if (!staged?.ok || staged.manifest?.physical_run_id !== attemptId) {
    if (existsSync(staging)) {
      makeWritable(staging);
      rmSync(staging, { recursive: true, force: true });
    }
    mkdirSync(staging, { recursive: true });
    const entries = [];
    for (const artifact of request.artifacts) {
      const source = assertInside(workspace, artifact.path);
      const stat = lstatSync(source);
      if (!stat.isFile()) throw new PromotionError(`${artifact.path} is not a regular file; refusing to promote it`);
      const destination = join(staging, artifact.path);
      mkdirSync(dirname(destination), { recursive: true });
      const copied = await copyHashing(source, destination);
      if (copied.sha256 !== artifact.sha256 || copied.size !== artifact.sizeBytes) {
        throw new PromotionError(`${artifact.path} changed after validation (sha256 ${copied.sha256.slice(0, 12)} != validated ${artifact.sha256.slice(0, 12)}); not promoted`);
      }
      entries.push({ path: artifact.path, role: artifact.role, size_bytes: copied.size, sha256: copied.sha256 });
    }
    const manifest = buildManifest({
      runId: request.runId,
      attemptId,
      attempt: request.attempt ?? Number(/-a(\d+)$/.exec(attemptId)?.[1] ?? 1),
      spec: request.spec,
      artifacts: entries,
      validation: request.validation,
      transitions: request.transitions,
      ownerToken: request.ownerToken,
      producedAt: (request.clock ?? (() => new Date()))(),
    });
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    writeDurably(join(staging, MANIFEST_FILE), manifestText);
    writeDurably(join(staging, MANIFEST_SHA_FILE), `${sha256Hex(manifestText)}  ${MANIFEST_FILE}\n`);
    fsyncTree(staging);
  }

  makeReadOnly(staging);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(staging, target);
  fsyncDir(dirname(target));
  fsyncDir(dirname(staging));
  return { artifactDir: target, manifestSha256: sha256Hex(readFileSync(join(target, MANIFEST_FILE))), reused: false };
}

/** Simple layout: failed runs are copied (the workspace stays) to <out>/_failed/<job-name>/, replacing an older copy. */
export async function copyFailedEvidence(layout: StoreLayout, _runId: string, jobName: string, attemptId: string): Promise<string | null> {
  const destination = layout.failedDir(jobName);
  const workspace = layout.workspaceDir(attemptId);
  if (!destination || !existsSync(workspace)) return null;
  if (existsSync(destination)) {
    makeWritable(destination);
    rmSync(destination, { recursive: true, force: true });
  }
  mkdirSync(dirname(destination), { recursive: true });
  cpSync(workspace, destination, { recursive: true, verbatimSymlinks: true });
  return destination;
}

async function copyHashing(source: string, destination: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(createReadStream(source, { highWaterMark: 1024 * 1024 }), tap, createWriteStream(destination, { mode: 0o644 }));
  const fd = openSync(destination, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest("hex"), size };
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, "w", 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function walkDirs(root: string): string[] {
  const dirs = [root];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (lstatSync(path).isDirectory()) dirs.push(...walkDirs(path));
  }
  return dirs;
}

function fsyncTree(root: string): void {
  for (const dir of walkDirs(root).reverse()) fsyncDir(dir);
}

function makeReadOnly(root: string): void {
  for (const dir of walkDirs(root)) {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isFile()) chmodSync(path, 0o444);
    }
  }
  for (const dir of walkDirs(root).reverse()) chmodSync(dir, 0o555);
}

export function makeWritable(root: string): void {
  if (!existsSync(root)) return;
  for (const dir of walkDirs(root)) chmodSync(dir, 0o755);
}

function moveAside(path: string, quarantine: string): void {
  makeWritable(path);
  mkdirSync(dirname(quarantine), { recursive: true });
  renameSync(path, quarantine);
}
