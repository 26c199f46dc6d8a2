/**
 * Files of a promoted bundle served to the dashboard (the UMAP picture, metrics, logs): only the paths its
 * artifact_manifest.json lists (and the manifest and its sidecar), only regular files that really lie inside the
 * bundle directory (a symlink is never followed). Pictures are shown inline; text is served as text; anything
 * else is a download. Every answer carries a sandbox CSP, so even an HTML or SVG file cannot script our origin.
 */
import { lstat, realpath } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import { Errors } from "../../domain/errors.js";
import { isSafeRelativePath } from "../../artifacts/layout.js";
import { MANIFEST_FILE, MANIFEST_SHA_FILE } from "../../artifacts/manifest.js";

export interface ServePolicy {
  contentType: string;
  /** Shown by the browser (pictures, text) rather than downloaded. */
  inline: boolean;
}

const INLINE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".json": "application/json; charset=utf-8",
  ".jsonl": "text/plain; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".yaml": "text/plain; charset=utf-8",
  ".yml": "text/plain; charset=utf-8",
  ".csv": "text/plain; charset=utf-8",
  ".tsv": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".sha256": "text/plain; charset=utf-8",
};

/** How a bundle file is served, by its extension (pure). */
export function servePolicy(path: string): ServePolicy {
  const type = INLINE_TYPES[extname(path).toLowerCase()];
  return type ? { contentType: type, inline: true } : { contentType: "application/octet-stream", inline: false };
}

/** The headers of a served bundle file (pure). */
export function bundleFileHeaders(path: string, size: number): Record<string, string> {
  const policy = servePolicy(path);
  const name = path.split("/").pop() ?? path;
  return {
    "content-type": policy.contentType,
    "content-length": String(size),
    "content-disposition": `${policy.inline ? "inline" : "attachment"}; filename="${name.replace(/[^\w.-]/g, "_")}"`,
    "content-security-policy": "sandbox; default-src 'none'; img-src 'self'",
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
  };
}

/** Whether the dashboard may ask for this path of a bundle whose manifest lists `listed` (pure). */
export function isServablePath(path: string, listed: readonly string[]): boolean {
  if (!isSafeRelativePath(path)) return false;
  return path === MANIFEST_FILE || path === MANIFEST_SHA_FILE || listed.includes(path);
}

/** The absolute path and size of a servable bundle file; not found (404) for anything else, saying why. */
export async function locateBundleFile(bundleDir: string, path: string, listed: readonly string[]): Promise<{ file: string; size: number }> {
  if (!isServablePath(path, listed)) throw Errors.notFound(`"${path}" is not a file of this run's bundle (its artifact_manifest.json does not list it)`);
  const file = join(bundleDir, path);
  let root: string;
  let real: string;
  try {
    [root, real] = await Promise.all([realpath(bundleDir), realpath(file)]);
  } catch {
    throw Errors.notFound(`${path} is listed in the bundle's manifest but missing on disk (${file}); multiverse verify checks the whole bundle`);
  }
  const status = await lstat(file);
  if (!real.startsWith(root + sep) || !status.isFile()) throw Errors.notFound(`${path} is not a regular file inside the bundle directory; it is not served`);
  return { file, size: status.size };
}
