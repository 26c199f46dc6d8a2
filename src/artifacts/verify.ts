/**
 * Verifying a bundle: the manifest matches its sha256 sidecar, and the files on disk match the manifest exactly
 * (every listed file present with its size and sha256, nothing unlisted, no symlinks). Verification reports
 * problems; it never throws and never reads through a link.
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { sha256File } from "../identity/file-hash.js";
import { sha256Hex } from "../identity/hash.js";
import { FAILED_DIR_NAME, type StoreLayout } from "./layout.js";
import { FILES_SHA_FILE, filesShaText, MANIFEST_FILE, MANIFEST_SHA_FILE, parseManifest, parseManifestShaLine, peekManifest, RESERVED_NAMES, type ArtifactManifest } from "./manifest.js";

export interface BundleVerification {
  ok: boolean;
  problems: string[];
  manifest?: ArtifactManifest;
}

type EntryKind = "file" | "symlink" | "other";

function describe(kind: EntryKind): string {
  return kind === "symlink" ? "a symlink" : "not a regular file";
}

/** Files, symlinks and special files of a tree by "/"-separated relative path; directories are entered, links not. */
function listEntries(root: string): Map<string, { kind: EntryKind; size: number }> {
  const entries = new Map<string, { kind: EntryKind; size: number }>();
  const visit = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const stat = lstatSync(join(dir, name));
      const path = prefix + name;
      if (stat.isDirectory()) visit(join(dir, name), `${path}/`);
      else entries.set(path, { kind: stat.isFile() ? "file" : stat.isSymbolicLink() ? "symlink" : "other", size: stat.size });
    }
  };
  visit(root, "");
  return entries;
}

async function verifyOrThrow(dir: string): Promise<BundleVerification> {
  const top = lstatSync(dir, { throwIfNoEntry: false });
  if (!top) return { ok: false, problems: [`bundle ${dir} does not exist`] };
  if (!top.isDirectory()) return { ok: false, problems: [`bundle ${dir} is ${top.isSymbolicLink() ? "a symlink" : "not a directory"}`] };

  const entries = listEntries(dir);
  for (const name of [MANIFEST_FILE, MANIFEST_SHA_FILE]) {
    const entry = entries.get(name);
    if (!entry) return { ok: false, problems: [`${name} is missing`] };
    if (entry.kind !== "file") return { ok: false, problems: [`${name} is ${describe(entry.kind)}`] };
  }

  const problems: string[] = [];
  const manifestBytes = readFileSync(join(dir, MANIFEST_FILE));
  const recorded = parseManifestShaLine(readFileSync(join(dir, MANIFEST_SHA_FILE), "utf8"));
  if (recorded === undefined) problems.push(`${MANIFEST_SHA_FILE} is not one sha256sum line for ${MANIFEST_FILE}`);
  else if (recorded !== sha256Hex(manifestBytes)) problems.push(`${MANIFEST_FILE} does not match ${MANIFEST_SHA_FILE} (the manifest was changed)`);

  const parsed = parseManifest(manifestBytes.toString("utf8"));
  if (!parsed.manifest) return { ok: false, problems: [...problems, ...parsed.problems] };
  const { manifest } = parsed;

  // Bundles made before the files sidecar existed have none; one that is there must say what the manifest says
  // (checked when the manifest itself is intact: a changed manifest is already reported).
  const filesSidecar = problems.length === 0 ? entries.get(FILES_SHA_FILE) : undefined;
  if (filesSidecar && filesSidecar.kind !== "file") problems.push(`${FILES_SHA_FILE} is ${describe(filesSidecar.kind)}`);
  else if (filesSidecar && readFileSync(join(dir, FILES_SHA_FILE), "utf8") !== filesShaText(manifest, manifestBytes.toString("utf8"))) {
    problems.push(`${FILES_SHA_FILE} does not list the manifest's files and checksums (it was changed)`);
  }

  const listed = new Set(manifest.artifacts.map((a) => a.path));
  for (const [path, entry] of entries) {
    if (RESERVED_NAMES.includes(path)) continue;
    if (!listed.has(path)) problems.push(`${path} is not listed in the manifest${entry.kind === "file" ? "" : ` (and is ${describe(entry.kind)})`}`);
    else if (entry.kind !== "file") problems.push(`${path} is ${describe(entry.kind)}`);
  }
  for (const artifact of manifest.artifacts) {
    const entry = entries.get(artifact.path);
    if (!entry) problems.push(`${artifact.path} is missing`);
    else if (entry.kind !== "file") continue; // reported above
    else if (entry.size !== artifact.size_bytes) problems.push(`${artifact.path}: size ${entry.size} differs from the manifest's ${artifact.size_bytes} (the file was changed)`);
    else if ((await sha256File(join(dir, artifact.path))) !== artifact.sha256) problems.push(`${artifact.path}: sha256 differs from the manifest (the file was changed)`);
  }
  return { ok: problems.length === 0, problems, manifest };
}

export async function verifyBundle(dir: string): Promise<BundleVerification> {
  try {
    return await verifyOrThrow(dir);
  } catch (error) {
    return { ok: false, problems: [`bundle ${dir} cannot be read: ${(error as Error).message}`] };
  }
}

/**
 * The bundle that lets skip_completed reuse a logical run: it must verify and belong to `runId`. In the simple
 * layout that is the job's directory; in the store layout bundles are named by attempt, so every bundle whose
 * manifest names this run is a candidate, newest first. Only manifests are read until a candidate is chosen,
 * so scanning does not hash unrelated bundles.
 */
export async function findVerifiedBundle(layout: StoreLayout, runId: string, jobName: string): Promise<{ dir: string; manifest: ArtifactManifest } | null> {
  const candidates: string[] = [];
  if (layout.kind === "simple") candidates.push(layout.artifactDir(runId, jobName));
  else {
    const others = listBundles(layout)
      .map((dir) => ({ dir, manifest: peekManifest(dir) }))
      .filter((c) => c.manifest?.logical_run_id === runId)
      .sort((a, b) => (b.manifest?.produced_at ?? "").localeCompare(a.manifest?.produced_at ?? ""));
    candidates.push(...others.map((c) => c.dir));
  }
  for (const dir of candidates) {
    const verification = await verifyBundle(dir);
    if (verification.ok && verification.manifest?.logical_run_id === runId) return { dir, manifest: verification.manifest };
  }
  return null;
}

function childDirs(parent: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent).sort();
  } catch {
    return [];
  }
  return names.map((name) => join(parent, name)).filter((path) => lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true);
}

/**
 * Every bundle directory present, damaged ones included (for rebuild-index and gc). In the simple layout the
 * output directory is shared with the user, so only directories holding a manifest or its sidecar count.
 */
export function listBundles(layout: StoreLayout): string[] {
  const dirs = childDirs(layout.artifactsRoot());
  if (layout.kind === "store") return dirs;
  return dirs.filter((dir) => {
    const name = basename(dir);
    if (name.startsWith(".") || name === FAILED_DIR_NAME) return false;
    return [MANIFEST_FILE, MANIFEST_SHA_FILE].some((file) => lstatSync(join(dir, file), { throwIfNoEntry: false }) !== undefined);
  });
}
