/**
 * The evaluator's catalog entry, store/evaluators/<name>/evaluator.yaml (EVAL_CONTRACT.md): like a model's, an
 * image for Docker and an entrypoint run in its own environment (<envs>/<name>-evaluator-<version>) locally.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { Errors } from "../domain/errors.js";
import { repoRoot } from "../util/paths.js";

export const EVALUATOR_FILE = "evaluator.yaml";

export interface EvaluatorSpec {
  name: string;
  version: string;
  contractVersion: string;
  image: string;
  entrypoint: string[];
  cpus?: number;
  memGb?: number;
  directory: string;
  /** The local executor's environment slug: <name>-evaluator (its env dir is <envs>/<slug>-<version>). */
  envSlug: string;
}

/** $MULTIVERSE_EVALUATOR_DIR (another evaluator following the same contract), else store/evaluators/scib. */
export function defaultEvaluatorDir(): string {
  return resolve(process.env.MULTIVERSE_EVALUATOR_DIR ?? join(repoRoot(), "store", "evaluators", "scib"));
}

function field<T>(value: unknown, file: string, name: string, check: (v: unknown) => v is T, expected: string): T {
  if (!check(value)) throw Errors.badModel(`${file}: ${name} must be ${expected}`, { location: { file, field: name } });
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(isString);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function loadEvaluator(dir: string = defaultEvaluatorDir()): EvaluatorSpec {
  const file = join(dir, EVALUATOR_FILE);
  if (!existsSync(file)) {
    throw Errors.fileNotFound(`the evaluator is not installed: ${file} does not exist`, { location: { file }, details: ["it is store/evaluators/scib/ in the repository (or set MULTIVERSE_EVALUATOR_DIR)"] });
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw Errors.yamlSyntax(`${file}: ${(error as Error).message.split("\n")[0]}`, { location: { file } });
  }
  const root = field(doc, file, "(document)", isObject, "a mapping");
  const runtime = field(root.runtime, file, "runtime", isObject, "a mapping with image and entrypoint");
  const resources = isObject(root.resources) ? root.resources : {};
  const name = field(root.name, file, "name", isString, "a name");
  const spec: EvaluatorSpec = {
    name,
    version: field(root.version, file, "version", isString, "a version string"),
    contractVersion: field(root.contract_version, file, "contract_version", isString, 'a string ("1")'),
    image: field(runtime.image, file, "runtime.image", isString, "an image reference"),
    entrypoint: field(runtime.entrypoint, file, "runtime.entrypoint", isStringList, "a list of strings"),
    directory: resolve(dir),
    envSlug: `${name}-evaluator`,
  };
  if (spec.contractVersion !== "1") throw Errors.badModel(`${file}: contract_version "${spec.contractVersion}" is not supported (this multiverse speaks "1")`, { location: { file, field: "contract_version" } });
  if (typeof resources.cpus === "number" && resources.cpus > 0) spec.cpus = resources.cpus;
  if (typeof resources.mem_gb === "number" && resources.mem_gb > 0) spec.memGb = resources.mem_gb;
  return spec;
}
