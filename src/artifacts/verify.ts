/** Verifying a bundle: the manifest matches its sha256 sidecar, and every file matches the manifest exactly. */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { sha256File } from "../catalog/fingerprint.js";
import { sha256Hex } from "../identity/hash.js";
import { MANIFEST_FILE, MANIFEST_SHA_FILE, type ArtifactManifest } from "./manifest.js";

export interface BundleVerification {
  ok: boolean;
  problems: string[];
  manifest?: ArtifactManifest;
}

function listFiles(root: string): { path: string; kind: "file" | "other" }[] {
  const out: { path: string; kind: "file" | "other" }[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const absolute = join(dir, name);
      const stat = lstatSync(absolute);
      const path = relative(root, absolute).split(sep).join("/");
      if (stat.isDirectory() && !stat.isSymbolicLink()) visit(absolute);
      else out.push({ path, kind: stat.isFile() ? "file" : "other" });
    }
  };
  visit(root);
  return out;
}

export async function verifyBundle(dir: string): Promise<BundleVerification> {
  const problems: string[] = [];
  if (!existsSync(dir)) return { ok: false, problems: [`bundle ${dir} does not exist`] };
  const manifestPath = join(dir, MANIFEST_FILE);
  const shaPath = join(dir, MANIFEST_SHA_FILE);
  if (!existsSync(manifestPath)) return { ok: false, problems: [`${MANIFEST_FILE} is missing`] };
  if (!existsSync(shaPath)) return { ok: false, problems: [`${MANIFEST_SHA_FILE} is missing`] };
  const manifestBytes = readFileSync(manifestPath);
  const recorded = /^([0-9a-f]{64}) {2}artifact_manifest\.json\n?$/.exec(readFileSync(shaPath, "utf8"));
  if (!recorded) problems.push(`${MANIFEST_SHA_FILE} is not in sha256sum format`);
  else if (recorded[1] !== sha256Hex(manifestBytes)) problems.push(`${MANIFEST_FILE} does not match ${MANIFEST_SHA_FILE} (the manifest was changed)`);
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString("utf8")) as ArtifactManifest;
  } catch (error) {
    return { ok: false, problems: [...problems, `${MANIFEST_FILE} is not valid JSON: ${(error as Error).message}`] };
  }
  const listed = new Map(manifest.artifacts.map((a) => [a.path, a]));
  for (const file of listFiles(dir)) {
    if (file.path === MANIFEST_FILE || file.path === MANIFEST_SHA_FILE) continue;
    if (file.kind !== "file") problems.push(`${file.path} is not a regular file`);
    else if (!listed.has(file.path)) problems.push(`${file.path} is not listed in the manifest`);
  }
  for (const artifact of manifest.artifacts) {
    const path = join(dir, artifact.path);
    if (!existsSync(path)) {
      problems.push(`${artifact.path} is missing`);
      continue;
    }
    const stat = lstatSync(path);
    if (!stat.isFile()) continue; // reported above
    if (stat.size !== artifact.size_bytes) problems.push(`${artifact.path}: size ${stat.size} differs from the manifest's ${artifact.size_bytes}`);
    else if ((await sha256File(path)) !== artifact.sha256) problems.push(`${artifact.path}: sha256 differs from the manifest (the file was changed)`);
  }
  return { ok: problems.length === 0, problems, manifest };
}
