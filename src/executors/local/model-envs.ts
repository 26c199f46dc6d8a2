/**
 * A model's own Python environment for the local executor: a venv per model version, created from the
 * model's pinned requirements (container/requirements.txt) by `multiverse models setup <slug>`.
 * Its identity (the local executor's "image digest") hashes the requirements, the interpreter version and
 * every file of the model directory.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
export function setupModelEnv(options: { envsRoot: string; slug: string; version: string; modelDirectory: string; python?: string; progress?: SetupProgress }): EnvRecord {
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
  options.progress?.(`creating ${dir}`);
  run(python, ["-m", "venv", "--clear", dir]);
  const venvPython = join(dir, "bin", "python3");
  options.progress?.(`installing ${requirementsFile}`);
  run(venvPython, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsFile]);
  const version = execFileSync(venvPython, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).trim();
  const record: EnvRecord = { slug: options.slug, version: options.version, python: version, requirementsSha256, createdAt: new Date().toISOString() };
  writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) {
    throw Errors.badModel(`${command} ${args.join(" ")} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().split("\n").slice(-5).join(" | ")}`);
  }
}
