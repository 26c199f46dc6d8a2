/**
 * A promoted run's artifacts as its bundle declares them: the entries of artifact_manifest.json (path, role, size,
 * sha256), the manifest's own sha256, and whether that matches the sidecar written at promotion. Nothing is hashed
 * but the manifest (cheap); a full check of every file is `multiverse verify`'s job. Read asynchronously.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MANIFEST_FILE, MANIFEST_SHA_FILE, parseManifest, parseManifestShaLine, type ArtifactEntry } from "../artifacts/manifest.js";
import { sha256Hex } from "../identity/hash.js";

export interface BundleArtifacts {
  artifacts: ArtifactEntry[] | null;
  manifestSha256: string | null;
  /** True when the sidecar records the manifest's digest, false when it records another, null when it is missing. */
  manifestMatchesSidecar: boolean | null;
  /** Why the artifacts could not be listed (missing or damaged manifest); empty when they were. */
  problems: string[];
}

export async function readBundleArtifacts(bundleDir: string): Promise<BundleArtifacts> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(bundleDir, MANIFEST_FILE));
  } catch (error) {
    return { artifacts: null, manifestSha256: null, manifestMatchesSidecar: null, problems: [`${join(bundleDir, MANIFEST_FILE)}: ${(error as Error).message}`] };
  }
  const manifestSha256 = sha256Hex(bytes);
  const { manifest, problems } = parseManifest(bytes.toString("utf8"));
  let manifestMatchesSidecar: boolean | null = null;
  try {
    const recorded = parseManifestShaLine(await readFile(join(bundleDir, MANIFEST_SHA_FILE), "utf8"));
    manifestMatchesSidecar = recorded === manifestSha256;
    if (!recorded) problems.push(`${MANIFEST_SHA_FILE} is not one sha256sum line for ${MANIFEST_FILE}`);
    else if (recorded !== manifestSha256) problems.push(`${MANIFEST_FILE} does not match the digest in ${MANIFEST_SHA_FILE}`);
  } catch {
    problems.push(`${MANIFEST_SHA_FILE} is missing`);
  }
  return { artifacts: manifest ? manifest.artifacts : null, manifestSha256, manifestMatchesSidecar, problems };
}
