/** The repository root (the directory holding package.json), from src/ or from the compiled dist/src/. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "store"))) break;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the multiverse repository root (package.json and store/)");
    dir = parent;
  }
  cached = dir;
  return dir;
}
