/**
 * `multiverse export run|benchmark NAME --to DIR|FILE.tar`: every promoted bundle of the run (or the benchmark) is
 * verified, copied with each file's sha256 checked on the way out, described in ro-crate-metadata.json, and only
 * then marked EXPORTED (marker file for gc, BUNDLE_EXPORTED in the journal).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { FILES_SHA_FILE, MANIFEST_FILE, MANIFEST_SHA_FILE, parseManifestShaLine } from "../artifacts/manifest.js";
import { verifyBundle } from "../artifacts/verify.js";
import { Errors } from "../domain/errors.js";
import { openCaughtUpIndex } from "../index/run-index.js";
import { Journal } from "../journal/journal.js";
import { JournalWriter } from "../journal/journal-writer.js";
import { acquireStateLock } from "../state/state-root.js";
import { directorySink, tarSink, type ExportSink } from "./export-sink.js";
import { buildRoCrate, RO_CRATE_METADATA_FILE, type ExportedBundle } from "./ro-crate.js";
import { exportedMarkerPath, layoutOfStateRoot } from "./state-layout.js";

export interface ExportResult {
  to: string;
  format: "directory" | "tar";
  bundles: { runId: string; attemptId: string; dir: string; files: number; bytes: number }[];
}

interface Selected {
  runId: string;
  name: string;
  artifactDir: string;
}

/** A recorded bundle path, or the bundle of that name under this root's artifacts when the root was relocated. */
function currentBundleDir(artifactsRoot: string, recorded: string): string {
  return existsSync(recorded) ? recorded : join(artifactsRoot, basename(recorded));
}

function selectRuns(stateRoot: string, kind: string, name: string): Selected[] {
  const artifactsRoot = layoutOfStateRoot(stateRoot).artifactsRoot();
  const index = openCaughtUpIndex(stateRoot);
  try {
    if (kind === "run") {
      const row = index.getRun(name);
      if (row.phase !== "ARTIFACT_SUCCESS" || !row.artifactDir) throw Errors.usage(`run ${row.name} is ${row.phase}${row.artifactDir ? "" : " without a bundle"}: only ARTIFACT_SUCCESS runs with a bundle can be exported`);
      return [{ runId: row.runId, name: row.name, artifactDir: currentBundleDir(artifactsRoot, row.artifactDir) }];
    }
    const rows = index.listRuns({ benchmark: name });
    if (rows.length === 0) throw Errors.notFound(`benchmark ${name} has no runs in ${stateRoot}`);
    const done = rows.filter((r) => r.phase === "ARTIFACT_SUCCESS" && r.artifactDir);
    if (done.length === 0) throw Errors.usage(`benchmark ${name} has no ARTIFACT_SUCCESS run with a bundle to export (${rows.length} runs)`);
    return done.map((r) => ({ runId: r.runId, name: r.name, artifactDir: currentBundleDir(artifactsRoot, r.artifactDir ?? "") }));
  } finally {
    index.close();
  }
}

async function exportBundle(sink: ExportSink, run: Selected): Promise<ExportedBundle & { bytes: number; manifestSha256: string }> {
  const verification = await verifyBundle(run.artifactDir);
  if (!verification.ok || !verification.manifest) {
    throw Errors.checksumMismatch(`bundle of run ${run.name} (${run.artifactDir}) does not verify: nothing was exported`, { details: verification.problems });
  }
  const manifest = verification.manifest;
  const dir = `bundles/${basename(run.artifactDir)}/`;
  const manifestSha256 = parseManifestShaLine(readFileSync(join(run.artifactDir, MANIFEST_SHA_FILE), "utf8")) ?? "";
  const expected: [string, string | undefined][] = [
    [MANIFEST_FILE, manifestSha256],
    [MANIFEST_SHA_FILE, undefined],
    // The files sidecar (sha256sum -c over every file) where the bundle has one; verifyBundle checked it.
    ...(existsSync(join(run.artifactDir, FILES_SHA_FILE)) ? [[FILES_SHA_FILE, undefined] as [string, undefined]] : []),
    ...manifest.artifacts.map((a): [string, string] => [a.path, a.sha256]),
  ];
  const files: ExportedBundle["files"] = [];
  let bytes = 0;
  for (const [path, sha] of expected) {
    const copied = sink.copy(join(run.artifactDir, path), `${dir}${path}`, sha);
    files.push({ path, size: copied.size, sha256: copied.sha256 });
    bytes += copied.size;
  }
  return { dir, manifest, files, bytes, manifestSha256 };
}

export async function exportRuns(stateRoot: string, kind: string, name: string, to: string, now: () => Date = () => new Date()): Promise<ExportResult> {
  if (kind !== "run" && kind !== "benchmark") throw Errors.usage(`expected "run" or "benchmark", got "${kind}"`);
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${stateRoot} holds no multiverse journal`);
  const target = resolve(to);
  if (existsSync(target)) throw Errors.usage(`--to ${target} already exists: export into a new directory or a new .tar file`);
  if (!existsSync(dirname(target))) throw Errors.fileNotFound(`--to ${target}: its parent directory ${dirname(target)} does not exist`);
  const format = target.endsWith(".tar") ? "tar" : "directory";
  const layout = layoutOfStateRoot(stateRoot);
  const lock = acquireStateLock(stateRoot, `multiverse export ${kind} ${name}`);
  try {
    const runs = selectRuns(stateRoot, kind, name);
    const sink = format === "tar" ? tarSink(target) : directorySink(target);
    const exported: Awaited<ReturnType<typeof exportBundle>>[] = [];
    try {
      for (const run of runs) exported.push(await exportBundle(sink, run));
      const crate = buildRoCrate({
        name: `multiverse ${kind} ${name}`,
        description: `${exported.length} verified artifact bundle(s) of ${kind} ${name}, exported by multiverse`,
        datePublished: now().toISOString(),
        bundles: exported,
      });
      sink.writeText(RO_CRATE_METADATA_FILE, `${JSON.stringify(crate, null, 2)}\n`);
      sink.commit();
    } catch (error) {
      sink.abort();
      throw error;
    }
    const journal = Journal.open(stateRoot);
    const index = openCaughtUpIndex(stateRoot);
    try {
      const writer = new JournalWriter(journal, index);
      for (const [i, bundle] of exported.entries()) {
        const run = runs[i];
        if (!run) continue;
        const marker = exportedMarkerPath(layout, run.artifactDir);
        mkdirSync(dirname(marker), { recursive: true });
        const tmp = `${marker}.${process.pid}.tmp`;
        writeFileSync(tmp, `${JSON.stringify({ runId: run.runId, attemptId: bundle.manifest.physical_run_id, manifestSha256: bundle.manifestSha256, to: target, at: now().toISOString() }, null, 2)}\n`);
        renameSync(tmp, marker);
        writer.append([{ type: "BUNDLE_EXPORTED", runId: run.runId, attemptId: bundle.manifest.physical_run_id, artifactDir: run.artifactDir, manifestSha256: bundle.manifestSha256, to: target }]);
      }
    } finally {
      index.close();
      journal.close();
    }
    return {
      to: target,
      format,
      bundles: exported.map((b, i) => ({ runId: runs[i]?.runId ?? "", attemptId: b.manifest.physical_run_id, dir: b.dir, files: b.files.length, bytes: b.bytes })),
    };
  } finally {
    lock.release();
  }
}
