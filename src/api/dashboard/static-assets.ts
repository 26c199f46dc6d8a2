/**
 * The dashboard's page assets, read once at start: index.html and style.css from the source tree
 * (src/api/dashboard/web/, found from the compiled code through the repository root) and the browser modules as
 * tsc compiled them next to this module (dist/src/api/dashboard/web/*.js). No bundler: the page imports plain ES
 * modules. Only these files are served, by name; nothing is looked up on disk per request.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../../util/paths.js";

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The page may load only its own assets and talk only to its own API (links to MLflow are plain navigation). */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Asset names the dashboard serves: lower-case words, one extension we know (pure). */
export function isAssetName(name: string): boolean {
  return /^[a-z][a-z0-9-]*\.(html|css|js|svg)$/.test(name);
}

function readDir(dir: string, extensions: readonly string[], into: Map<string, StaticAsset>): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (!isAssetName(name) || !extensions.includes(extname(name))) continue;
    const body = readFileSync(join(dir, name));
    into.set(name, { body, contentType: TYPES[extname(name)]!, etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"` });
  }
}

export function sourceAssetDir(): string {
  return join(repoRoot(), "src", "api", "dashboard", "web");
}

export function compiledAssetDir(): string {
  return fileURLToPath(new URL("./web/", import.meta.url));
}

/** Every asset by name; throws when the page or its entry module is missing (a build that did not compile the page). */
export function loadDashboardAssets(sourceDir = sourceAssetDir(), compiledDir = compiledAssetDir()): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  readDir(sourceDir, [".html", ".css", ".svg"], assets);
  readDir(compiledDir, [".js"], assets);
  for (const required of ["index.html", "main.js"]) {
    if (!assets.has(required)) throw new Error(`the dashboard asset ${required} is missing (looked in ${sourceDir} and ${compiledDir}; run npm run build)`);
  }
  return assets;
}
