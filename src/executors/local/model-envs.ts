/**
 * A model's own Python environment for the local executor: a venv per model version, created from the
 * model's pinned requirements (container/requirements.txt) by `multiverse models setup <slug>`.
 * uv (scripts/setup-uv.sh) installs them from one cache under the envs root, hardlinked into every environment,
 * so environments that pin the same wheels (torch) share their files; without uv, pip installs them.
 * Its identity (the local executor's "image digest") hashes the requirements (complete pins: what is installed),
 * the interpreter version and every file of the model directory; the installer is not part of it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import { Errors } from "../../domain/errors.js";
import type { Interpreter } from "./sandbox.js";

export const REQUIREMENTS = join("container", "requirements.txt");

export function envDirFor(envsRoot: string, slug: string, version: string): string {
  return join(envsRoot, `${slug}-${version}`);
}

export function describeInterpreter(python: string): Interpreter {
  const out = execFileSync(python, ["-c", "import os,sys; print(os.path.realpath(sys.executable)); print(sys.prefix); print(sys.base_prefix)"], { encoding: "utf8" });
  const [executable, prefix, basePrefix] = out.trim().split("\n");
  if (!executable || !prefix || !basePrefix) throw new Error(`cannot describe the interpreter ${python}`);
  // Run the prefix's own python3 (a venv's, not the base binary it links to) so that the venv is active.
  const own = join(prefix, "bin", "python3");
  return { executable: existsSync(own) ? own : executable, prefixes: [...new Set([prefix, basePrefix])] };
}

export function interpreterFor(envsRoot: string, slug: string, version: string): Interpreter | null {
  const dir = envDirFor(envsRoot, slug, version);
  const python = join(dir, "bin", "python3");
  if (!existsSync(python)) return null;
  return describeInterpreter(python);
}

function hashTree(root: string): string {
  const hash = createHash("sha256");
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === "__pycache__") continue;
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) visit(path);
      else if (stat.isFile()) hash.update(relative(root, path)).update("\0").update(readFileSync(path)).update("\0");
    }
  };
  visit(root);
  return hash.digest("hex");
}

export interface EnvRecord {
  slug: string;
  version: string;
  python: string;
  requirementsSha256: string;
  createdAt: string;
  /** "uv 0.13.9" or "pip": evidence of how the environment was made, not part of its identity. */
  installer?: string;
}

export const DEFAULT_UV_VENV = "/opt/multiverse/uv-venv";
/** The shared uv cache: inside the envs root, so that it is on the envs' filesystem and hardlinks work. */
export const UV_CACHE = ".uv-cache";

/** uv: $MULTIVERSE_UV, else the venv scripts/setup-uv.sh made ($MULTIVERSE_UV_VENV or the default), else none. */
export function findUv(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): string | null {
  if (env.MULTIVERSE_UV) {
    if (!exists(env.MULTIVERSE_UV)) throw Errors.usage(`MULTIVERSE_UV points to ${env.MULTIVERSE_UV}, which does not exist`);
    return env.MULTIVERSE_UV;
  }
  const fromVenv = join(env.MULTIVERSE_UV_VENV ?? DEFAULT_UV_VENV, "bin", "uv");
  return exists(fromVenv) ? fromVenv : null;
}

/**
 * numba compiles umap-learn's functions on first use (half a minute of CPU); its cache must be writable, and a
 * sandboxed run sees the environment read-only, so the cache is made here and multiverse.worker copies it to /tmp.
 * The Dockerfiles run the same snippet.
 */
export const NUMBA_CACHE = "numba-cache";
const WARM_NUMBA_CACHE = "import numpy, umap; umap.UMAP(n_neighbors=5, n_epochs=10, random_state=0).fit_transform(numpy.random.default_rng(0).normal(size=(64, 4)))";

export interface Command {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** The commands that make the venv at `dir` and install the requirements into it. */
export function installCommands(options: { uv: string | null; python: string; dir: string; requirementsFile: string; envsRoot: string }): Command[] {
  const venvPython = join(options.dir, "bin", "python3");
  if (!options.uv) {
    return [
      { command: options.python, args: ["-m", "venv", "--clear", options.dir] },
      { command: venvPython, args: ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", options.requirementsFile] },
    ];
  }
  const env = {
    UV_CACHE_DIR: join(options.envsRoot, UV_CACHE),
    UV_LINK_MODE: "hardlink",
    // the host's interpreter or a clear error, never a Python download
    UV_PYTHON_DOWNLOADS: "never",
    // as pip does: a sandbox that mounts the environment read-only could not write the bytecode at run time
    UV_COMPILE_BYTECODE: "1",
    UV_NO_PROGRESS: "1",
  };
  return [
    { command: options.uv, args: ["venv", "--quiet", "--clear", "--python", options.python, options.dir], env },
    { command: options.uv, args: ["pip", "install", "--quiet", "--python", venvPython, "-r", options.requirementsFile], env },
  ];
}

export function environmentDigest(envsRoot: string, slug: string, version: string, modelDirectory: string): string | null {
  const record = join(envDirFor(envsRoot, slug, version), "multiverse-env.json");
  if (!existsSync(record)) return null;
  const env = JSON.parse(readFileSync(record, "utf8")) as EnvRecord;
  return `sha256:${createHash("sha256").update(`${env.python}\n${env.requirementsSha256}\n${hashTree(modelDirectory)}`).digest("hex")}`;
}

export interface SetupProgress {
  (line: string): void;
}

/** Creates (or refreshes when the requirements changed) the model's venv. Idempotent. */
export function setupModelEnv(options: {
  envsRoot: string;
  slug: string;
  version: string;
  modelDirectory: string;
  python?: string;
  /** uv's path, null for pip; found with findUv() when not given. */
  uv?: string | null;
  progress?: SetupProgress;
}): EnvRecord {
  const requirementsFile = join(options.modelDirectory, REQUIREMENTS);
  if (!existsSync(requirementsFile)) {
    throw Errors.badModel(`model ${options.slug} has no ${REQUIREMENTS}; the local executor needs pinned requirements`, { location: { file: requirementsFile } });
  }
  const requirements = readFileSync(requirementsFile, "utf8");
  const requirementsSha256 = createHash("sha256").update(requirements).digest("hex");
  const dir = envDirFor(options.envsRoot, options.slug, options.version);
  const recordFile = join(dir, "multiverse-env.json");
  if (existsSync(recordFile)) {
    const existing = JSON.parse(readFileSync(recordFile, "utf8")) as EnvRecord;
    if (existing.requirementsSha256 === requirementsSha256) {
      options.progress?.(`environment ${dir} is up to date`);
      return existing;
    }
  }
  const python = options.python ?? "python3";
  const uv = options.uv === undefined ? findUv() : options.uv;
  const installer = uv ? `uv ${execFileSync(uv, ["--version"], { encoding: "utf8" }).trim().split(/\s+/)[1] ?? ""}`.trim() : "pip";
  options.progress?.(`creating ${dir} with ${installer}${uv ? ` (shared cache ${join(options.envsRoot, UV_CACHE)}, hardlinked)` : " (uv not found: scripts/setup-uv.sh installs it)"}`);
  const [venv, install] = installCommands({ uv, python, dir, requirementsFile, envsRoot: options.envsRoot });
  mkdirSync(options.envsRoot, { recursive: true });
  run(venv);
  options.progress?.(`installing ${requirementsFile}`);
  run(install);
  const venvPython = join(dir, "bin", "python3");
  if (/^umap-learn\s*==/im.test(requirements)) {
    options.progress?.("compiling umap-learn's numba functions once (the worker SDK copies this cache into each run)");
    run({ command: venvPython, args: ["-c", WARM_NUMBA_CACHE], env: { NUMBA_CACHE_DIR: join(dir, NUMBA_CACHE) } });
  }
  const version = execFileSync(venvPython, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).trim();
  const record: EnvRecord = { slug: options.slug, version: options.version, python: version, requirementsSha256, createdAt: new Date().toISOString(), installer };
  writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

function run(step: Command | undefined): void {
  if (!step) return;
  const { command, args } = step;
  const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...step.env } });
  if (result.status !== 0) {
    const detail = result.error ? result.error.message : (result.stderr || result.stdout).trim().split("\n").slice(-5).join(" | ");
    throw Errors.badModel(`${command} ${args.join(" ")} failed (exit ${result.status}): ${detail}`);
  }
}
