/**
 * A state root for the dashboard's tests, written through the real journal and index: a benchmark with a promoted
 * run (a bundle with umap.png, metrics.json, a listed symlink and an unlisted file), a failed run, a running run
 * with a workspace log, and a sweep trial.
 */
import { writeStateVersion } from "../../../src/state/version-file.js";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { Journal } from "../../../src/journal/journal.js";
import type { NewJournalRecord } from "../../../src/journal/records.js";
import { indexPath, RunIndex } from "../../../src/index/run-index.js";
import { MANIFEST_FILE, MANIFEST_SHA_FILE, manifestShaLine } from "../../../src/artifacts/manifest.js";
import { sha256Hex } from "../../../src/identity/hash.js";
import { exited, launch, move, plan, steppingClock } from "../index/fixtures.js";

export const OK_RUN = "0k".padEnd(24, "a");
export const FAILED_RUN = "fa".padEnd(24, "b");
export const RUNNING_RUN = "ru".padEnd(24, "c");
export const attemptOf = (runId: string) => `${runId.slice(0, 12)}-own1-a1`;

/** A valid PNG of w x h pixels (a colour gradient). */
export function png(width = 4, height = 3): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (kind: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(kind, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: height }, (_, y) => Buffer.from([0, ...Array.from({ length: width }, (_, x) => [x * 60, y * 80, 200]).flat()])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

export interface DashboardFixture {
  root: string;
  journal: Journal;
  index: RunIndex;
  bundle: string;
  umap: Buffer;
  /** Appends through the journal and projects into the index, as a writer in another process would. */
  append(records: NewJournalRecord[]): void;
  close(): void;
}

export function writeDashboardStateRoot(root: string): DashboardFixture {
  const journal = Journal.open(root, { clock: steppingClock() });
  // A state root of this version says so, as every writer of one does (acquireStateLock).
  writeStateVersion(root);
  const index = RunIndex.open(indexPath(root));
  const append = (records: NewJournalRecord[]) => index.apply(journal.append(records));

  const bundle = join(root, "store", "runs", OK_RUN);
  mkdirSync(bundle, { recursive: true });
  const umap = png();
  const metrics = Buffer.from('{"model_metrics": {"n_latent": 8}}\n');
  writeFileSync(join(bundle, "umap.png"), umap);
  writeFileSync(join(bundle, "metrics.json"), metrics);
  writeFileSync(join(bundle, "secret.txt"), "not in the manifest\n");
  symlinkSync("/etc/passwd", join(bundle, "link.png"));
  const manifest = `${JSON.stringify(
    {
      schema_version: "1",
      logical_run_id: OK_RUN,
      physical_run_id: attemptOf(OK_RUN),
      job_name: "pca",
      artifacts: [
        { path: "umap.png", role: "umap", size_bytes: umap.length, sha256: sha256Hex(umap) },
        { path: "metrics.json", role: "metrics", size_bytes: metrics.length, sha256: sha256Hex(metrics) },
        { path: "link.png", role: "other", size_bytes: 1, sha256: "0".repeat(64) },
      ],
    },
    null,
    2,
  )}\n`;
  writeFileSync(join(bundle, MANIFEST_FILE), manifest);
  writeFileSync(join(bundle, MANIFEST_SHA_FILE), manifestShaLine(manifest));

  const workspace = join(root, "workspaces", attemptOf(RUNNING_RUN));
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, "run.log"), "epoch 1\n");

  const a = (runId: string) => ({ attempt: 1, attemptId: attemptOf(runId) });
  append([
    { type: "BENCHMARK_APPLIED", name: "demo", generation: 1, specHash: "h", file: "/w/demo.yaml", line: 3, jobs: 2 },
    plan(OK_RUN, { benchmark: "demo", jobName: "pca", model: "pca", dataset: "pbmc", seed: 0 }),
    plan(FAILED_RUN, { benchmark: "demo", jobName: "mofa", model: "mofa", dataset: "pbmc", seed: 0 }),
    plan(RUNNING_RUN, { benchmark: "demo", jobName: "pca", model: "pca", dataset: "pbmc", seed: 1 }),
  ]);
  append([move(OK_RUN, "PENDING", "ADMITTED", "ADMIT", a(OK_RUN)), launch(OK_RUN, attemptOf(OK_RUN)), move(OK_RUN, "ADMITTED", "RUNNING", "STARTED", a(OK_RUN))]);
  append([exited(OK_RUN, attemptOf(OK_RUN), 0), move(OK_RUN, "RUNNING", "PROMOTING", "EXITED", a(OK_RUN))]);
  append([
    { type: "PROMOTED", runId: OK_RUN, attemptId: attemptOf(OK_RUN), artifactDir: bundle, manifestSha256: sha256Hex(manifest) },
    move(OK_RUN, "PROMOTING", "ARTIFACT_SUCCESS", "PROMOTED", { ...a(OK_RUN), artifactDir: bundle }),
    { type: "TRACKING_PROJECTION", runId: OK_RUN, attemptId: attemptOf(OK_RUN), target: "mlflow", state: "synced", trackingUri: "http://127.0.0.1:5000", experimentName: "demo", experimentId: "7", mlflowRunId: "f00dcafe1234" },
    { type: "SWEEP_TRIAL_ASKED", benchmark: "demo", jobName: "pca", study: "demo-pca", storage: "sqlite:///studies.db", trialNumber: 3, params: { n_components: 5 }, runId: OK_RUN },
  ]);
  append([move(FAILED_RUN, "PENDING", "ADMITTED", "ADMIT", a(FAILED_RUN)), launch(FAILED_RUN, attemptOf(FAILED_RUN)), move(FAILED_RUN, "ADMITTED", "RUNNING", "STARTED", a(FAILED_RUN))]);
  append([exited(FAILED_RUN, attemptOf(FAILED_RUN), 1), move(FAILED_RUN, "RUNNING", "FAILED", "EXITED", { ...a(FAILED_RUN), reason: "nonzero_exit", message: "the model exited with code 1" })]);
  append([
    move(RUNNING_RUN, "PENDING", "ADMITTED", "ADMIT", a(RUNNING_RUN)),
    { ...launch(RUNNING_RUN, attemptOf(RUNNING_RUN)), workspaceDir: workspace } as NewJournalRecord,
    move(RUNNING_RUN, "ADMITTED", "RUNNING", "STARTED", a(RUNNING_RUN)),
  ]);
  return {
    root,
    journal,
    index,
    bundle,
    umap,
    append,
    close: () => {
      index.close();
      journal.close();
    },
  };
}
