/**
 * `multiverse verify <bundle|state-root>`: every file of one bundle, or of every bundle under a state root (store
 * or simple layout), checked against its manifest: size and sha256 of each file, the manifest against its
 * sidecar, artifact_files.sha256 against the manifest, nothing unlisted, no links. Exit 0 when all verify, 1
 * when one does not, 2 when the path is neither a bundle nor a state root.
 */
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { storeLayout, SIMPLE_STATE_DIR_NAME, type StoreLayout } from "../../artifacts/layout.js";
import { FILES_SHA_FILE, MANIFEST_FILE, MANIFEST_SHA_FILE } from "../../artifacts/manifest.js";
import { listBundles, verifyBundle } from "../../artifacts/verify.js";
import { Errors, EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import { json, table, type Io } from "../output.js";

export interface VerifyOptions {
  json?: boolean;
}

interface BundleReport {
  bundle: string;
  ok: boolean;
  files: number;
  problems: string[];
  notes: string[];
}

function isBundle(dir: string): boolean {
  return [MANIFEST_FILE, MANIFEST_SHA_FILE].some((name) => lstatSync(join(dir, name), { throwIfNoEntry: false }) !== undefined);
}

/** The layout of a state root, or undefined when `dir` is not one. */
function layoutOf(dir: string): StoreLayout | undefined {
  if (existsSync(join(dir, "store"))) return storeLayout(dir, "store");
  if (existsSync(join(dir, SIMPLE_STATE_DIR_NAME, "store"))) return storeLayout(dir, "simple");
  return undefined;
}

async function report(bundle: string): Promise<BundleReport> {
  const verification = await verifyBundle(bundle);
  const notes = lstatSync(join(bundle, FILES_SHA_FILE), { throwIfNoEntry: false }) ? [] : [`no ${FILES_SHA_FILE} (a bundle made before it existed); checked against the manifest`];
  return { bundle, ok: verification.ok, files: verification.manifest?.artifacts.length ?? 0, problems: verification.problems, notes };
}

function leftoverStaging(layout: StoreLayout): string[] {
  const staging = join(layout.storeDir, "staging");
  if (!existsSync(staging)) return [];
  return readdirSync(staging).map((name) => `staging directory ${join(staging, name)} was left by an interrupted promotion (the next run of that attempt resumes or discards it)`);
}

export async function verifyCommand(path: string, options: VerifyOptions, io: Io): Promise<number> {
  const dir = resolve(path);
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat) throw Errors.fileNotFound(`${dir} does not exist`, { location: { file: dir } });
  if (!stat.isDirectory()) throw Errors.usage(`${dir} is not a directory: give a bundle directory or a state root`);
  let reports: BundleReport[];
  let notes: string[] = [];
  if (isBundle(dir)) reports = [await report(dir)];
  else {
    const layout = layoutOf(dir);
    if (!layout) throw Errors.usage(`${dir} is neither a bundle (no ${MANIFEST_FILE}) nor a state root (no store/ or ${SIMPLE_STATE_DIR_NAME}/store/)`);
    reports = [];
    for (const bundle of listBundles(layout)) reports.push(await report(bundle));
    notes = leftoverStaging(layout);
  }
  const failed = reports.filter((r) => !r.ok);
  if (options.json) io.out(json({ path: dir, ok: failed.length === 0, bundles: reports, notes }));
  else {
    const lines = [`${reports.length} bundle${reports.length === 1 ? "" : "s"} under ${dir}: ${reports.length - failed.length} verified, ${failed.length} failed`];
    if (reports.length > 0) lines.push(table(["BUNDLE", "RESULT", "FILES", "PROBLEMS"], reports.map((r) => [r.bundle, r.ok ? "OK" : "FAILED", r.files, [...r.problems, ...r.notes].join("; ")])));
    lines.push(...notes);
    io.out(lines.join("\n"));
  }
  return failed.length > 0 ? EXIT_RUN_FAILED : EXIT_OK;
}
