/**
 * Disk and time of the local executor's model environments: creates them one by one in an envs root (as
 * `multiverse models setup` does) and prints the wall time of each and the disk of the whole root, counting
 * hardlinked files once (`du -s` over the root, the uv cache included), beside what each environment holds alone.
 * Downloads gigabytes from PyPI: run it by name, not with every benchmark.
 *
 *   node dist/bench/model-envs.js --envs DIR [--installer uv|pip] [--requirements-from GIT_REV] [--measure-only] [model...]
 *
 * --requirements-from takes each model's requirements.txt from a git revision (compare installers on the same pins);
 * --measure-only only reports the disk of an existing root (environments made elsewhere, e.g. by scripts/setup.sh).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findUv, setupModelEnv, UV_CACHE } from "../src/executors/local/model-envs.js";
import { repoRoot } from "../src/util/paths.js";

const DEFAULT_MODELS = ["pca", "mofa", "multivi", "totalvi", "mowgli"];

interface Options {
  envs: string;
  installer: "uv" | "pip";
  requirementsFrom?: string;
  measureOnly: boolean;
  models: string[];
}

function parse(argv: string[]): Options {
  const options: Options = { envs: "", installer: "uv", measureOnly: false, models: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--envs") options.envs = argv[++i] ?? "";
    else if (arg === "--installer") options.installer = argv[++i] === "pip" ? "pip" : "uv";
    else if (arg === "--requirements-from") options.requirementsFrom = argv[++i];
    else if (arg === "--measure-only") options.measureOnly = true;
    else if (arg) options.models.push(arg);
  }
  if (!options.envs) {
    console.error("usage: model-envs.js --envs DIR [--installer uv|pip] [--requirements-from GIT_REV] [--measure-only] [model...]");
    process.exit(2);
  }
  if (options.models.length === 0) options.models = DEFAULT_MODELS;
  return options;
}

/** Kilobytes under the paths, each file counted once however many links it has (du's own rule within one call). */
function diskKb(paths: string[]): number {
  const existing = paths.filter((path) => existsSync(path));
  if (existing.length === 0) return 0;
  return Number(execFileSync("du", ["-sck", ...existing], { encoding: "utf8" }).trim().split("\n").pop()?.split("\t")[0] ?? 0);
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const gb = (kb: number) => `${(kb / 1024 / 1024).toFixed(2)} GB`;

function modelDirectory(model: string, revision: string | undefined, scratch: string): string {
  const own = join(repoRoot(), "store", "models", model);
  if (!revision) return own;
  const dir = join(scratch, model);
  mkdirSync(join(dir, "container"), { recursive: true });
  const requirements = execFileSync("git", ["-C", repoRoot(), "show", `${revision}:store/models/${model}/container/requirements.txt`], { encoding: "utf8" });
  writeFileSync(join(dir, "container", "requirements.txt"), requirements);
  return dir;
}

function main(): void {
  const options = parse(process.argv.slice(2));
  const uv = options.installer === "uv" ? findUv() : null;
  if (options.installer === "uv" && !uv && !options.measureOnly) {
    console.error("uv is not installed: run scripts/setup-uv.sh");
    process.exit(2);
  }
  const scratch = mkdtempSync(join(tmpdir(), "mv-bench-envs-"));
  const rows: string[][] = [];
  try {
    for (const model of options.models) {
      let [seconds, numba] = ["-", "-"];
      if (!options.measureOnly) {
        const started = now();
        let compiling: number | null = null;
        const progress = (line: string) => {
          if (line.startsWith("compiling umap-learn")) compiling = now();
        };
        const record = setupModelEnv({ envsRoot: options.envs, slug: model, version: "1.0.0", modelDirectory: modelDirectory(model, options.requirementsFrom, scratch), uv, progress });
        const ended = now();
        seconds = (ended - started).toFixed(0);
        numba = compiling === null ? "-" : (ended - compiling).toFixed(0);
        console.error(`${model}: ${seconds} s, of which numba ${numba} s (${record.installer ?? "pip"})`);
      }
      rows.push([model, seconds, numba, gb(diskKb([join(options.envs, `${model}-1.0.0`)]))]);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const envDirs = readdirSync(options.envs).filter((name) => options.models.some((m) => name === `${m}-1.0.0`)).map((name) => join(options.envs, name));
  const alone = envDirs.reduce((sum, dir) => sum + diskKb([dir]), 0);
  console.log(`model environments in ${options.envs} (${options.measureOnly ? "measured" : `made with ${uv ? "uv" : "pip"}${options.requirementsFrom ? `, requirements of ${options.requirementsFrom}` : ""}`})`);
  console.log(["MODEL", "SECONDS", "OF_WHICH_NUMBA_CACHE", "ALONE"].join("\t"));
  for (const row of rows) console.log(row.join("\t"));
  console.log(`sum of the environments alone: ${gb(alone)}`);
  console.log(`uv cache (${UV_CACHE}): ${gb(diskKb([join(options.envs, UV_CACHE)]))}`);
  console.log(`whole root, hardlinks counted once: ${gb(diskKb([options.envs]))}`);
}

main();
