/**
 * `multiverse build-sif --slug S [--output-dir DIR] [--method docker-daemon|def-file] [--force]`: an Apptainer
 * SIF named <slug>-<version>.sif, built from the model's local Docker image or from its Singularity.def, and
 * recorded in the catalog with its sha256 so the Slurm executor finds it (MULTIVERSE_SIF_DIR, default <state>/sif).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { Errors, EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import type { ModelResource } from "../../domain/resources.js";
import { processRunner, type CommandRunner } from "../../executors/slurm/command-runner.js";
import { json, type Io } from "../output.js";
import { modelCatalog } from "./models.js";

export type SifMethod = "docker-daemon" | "def-file";

export interface SifBuildPlan {
  output: string;
  source: string;
  argv: string[];
}

/** Pure: what to run, or a clear error when the model cannot be built this way. */
export function sifBuildPlan(model: ModelResource, options: { binary: string; outputDir: string; method: SifMethod; force: boolean }): SifBuildPlan {
  if (model.spec.build?.unavailable) throw Errors.badModel(`model ${model.spec.slug} cannot be built here: ${model.spec.build.unavailable}`);
  let source: string;
  if (options.method === "def-file") {
    const defFile = model.spec.build?.defFile;
    if (!defFile) throw Errors.badModel(`model ${model.spec.slug} has no build.def_file (a Singularity.def) for --method def-file; use --method docker-daemon`);
    source = isAbsolute(defFile) ? defFile : resolve(model.spec.directory ?? ".", defFile);
    if (!existsSync(source)) throw Errors.fileNotFound(`the definition file ${source} of model ${model.spec.slug} does not exist`, { location: { file: source } });
  } else {
    source = `docker-daemon://${model.spec.runtime.image}`;
  }
  const output = join(resolve(options.outputDir), `${model.spec.slug}-${model.spec.version}.sif`);
  if (existsSync(output) && !options.force) throw Errors.usage(`${output} exists; pass --force to build it again`);
  return { output, source, argv: [options.binary, "build", ...(options.force ? ["--force"] : []), output, source] };
}

export interface BuildSifOptions {
  slug: string;
  stateRoot: string;
  outputDir?: string;
  method?: SifMethod;
  force?: boolean;
  json?: boolean;
}

async function findBinary(runner: CommandRunner): Promise<string> {
  for (const binary of ["apptainer", "singularity"]) {
    if ((await runner.run(binary, ["--version"])).code === 0) return binary;
  }
  throw Errors.usage("neither apptainer nor singularity is on PATH: install Apptainer (https://apptainer.org/docs/admin/main/installation.html) or build the SIF on a machine that has it, then copy it to the SIF directory");
}

export async function buildSifCommand(options: BuildSifOptions, io: Io, runner: CommandRunner = processRunner): Promise<number> {
  const model = modelCatalog(options.stateRoot).get(options.slug);
  if (!model) throw Errors.unknownModel(`model "${options.slug}" is not a built-in or registered model`);
  const method = options.method ?? (model.spec.build?.defFile ? "def-file" : "docker-daemon");
  const binary = await findBinary(runner);
  const outputDir = options.outputDir ?? join(options.stateRoot, "sif");
  mkdirSync(outputDir, { recursive: true });
  const plan = sifBuildPlan(model, { binary, outputDir, method, force: options.force ?? false });
  io.err(`building ${plan.output} from ${plan.source}`);
  const built = await runner.run(plan.argv[0]!, plan.argv.slice(1), { timeoutMs: 60 * 60_000 });
  if (built.code !== 0) {
    io.err(built.stderr.trim());
    io.err(`${binary} build failed (exit ${built.code})${method === "docker-daemon" ? `; is ${model.spec.runtime.image} in the local Docker engine? (multiverse models build ${model.spec.slug})` : ""}`);
    return EXIT_RUN_FAILED;
  }
  const sifDigest = `sha256:${createHash("sha256").update(readFileSync(plan.output)).digest("hex")}`;
  const record = { slug: model.spec.slug, version: model.spec.version, path: plan.output, sifDigest, source: plan.source, builtAt: new Date().toISOString() };
  const catalogDir = join(options.stateRoot, "catalog", "sif");
  mkdirSync(catalogDir, { recursive: true });
  writeFileSync(join(catalogDir, `${model.spec.slug}-${model.spec.version}.json`), `${JSON.stringify(record, null, 2)}\n`);
  if (options.json) io.out(json(record));
  else io.out(`built ${plan.output} (${sifDigest})`);
  return EXIT_OK;
}
