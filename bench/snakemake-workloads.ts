/**
 * The two workloads bench/compare-snakemake runs on every side (multiverse, Snakemake, a bare loop):
 * - `docker`: the contract-test model container (the project's own image honouring the container contract) on a
 *   small synthetic dataset, every side running `docker run` with the flags the Docker executor uses;
 * - `local`: the pca model on pbmc68k-reduced in the local executor's bubblewrap sandbox, with its environment.
 * A workload gives each side the same per-run shell script and multiverse a manifest that runs the same thing.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { bubblewrapCommand } from "../src/executors/local/sandbox.js";
import { interpreterFor } from "../src/executors/local/model-envs.js";
import { threadEnv } from "../src/executors/local/local-executor.js";
import { writeH5mu } from "../src/h5/index.js";
import { repoRoot } from "../src/util/paths.js";

export type EngineName = "docker" | "local";

export interface Workload {
  engine: EngineName;
  describe: string;
  /** The shell commands of one run writing into `workspace` (the job spec written first, as the executor does). */
  script(workspace: string, seed: number): string;
  /** multiverse's manifest for the same runs. */
  manifest(seeds: number[]): string;
  /** What multiverse needs in its state root before the timed run (a model registration); not timed. */
  prepareStateRoot(out: string): void;
}

export function quote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

const root = repoRoot();

function jobSpecCommand(workspace: string, spec: Record<string, unknown>): string {
  return [`mkdir -p ${quote(workspace)}`, `printf '%s\\n' ${quote(JSON.stringify(spec))} > ${quote(join(workspace, "job_spec.json"))}`].join(" && ");
}

function fail(message: string): never {
  console.error(`compare-snakemake: ${message}`);
  process.exit(2);
}

const CONTRACT = { slug: "contract-test", image: process.env.MULTIVERSE_CONTRACT_TEST_IMAGE ?? "multiverse-contract-test:dev", cpus: 0.5, memGb: 1 };

export async function dockerWorkload(work: string): Promise<Workload> {
  const probe = spawnSync("docker", ["image", "inspect", CONTRACT.image], { encoding: "utf8" });
  if (probe.status !== 0) fail(`needs the Docker engine and the image ${CONTRACT.image}: run ./scripts/setup.sh (or scripts/build-images.sh)`);
  const dataset = join(work, "d.h5mu");
  await writeH5mu(dataset, { nObs: 200, modalities: { rna: { nVars: 100 } }, seed: 1 });
  const modelYaml = join(root, "test", "fixtures", "models", CONTRACT.slug, "model.yaml");
  const memBytes = CONTRACT.memGb * 1024 ** 3;
  return {
    engine: "docker",
    describe: `the contract-test container (${CONTRACT.image}) on a 200-cell synthetic dataset, cpus ${CONTRACT.cpus}, memory ${CONTRACT.memGb} GiB`,
    script(workspace, seed) {
      const spec = { seed, dataset_id: null, dataset_name: "d", model_name: CONTRACT.slug, model_version: "0.1.0", hyperparameters: { behavior: "ok" }, contract_version: "1" };
      // The Docker executor's container settings: no network, an init, no new privileges, the cpu and memory limits,
      // the input read-only and the workspace read-write (and its working directory); the log collected afterwards.
      const run = ["docker", "run", "--rm", "--network", "none", "--init", "--security-opt", "no-new-privileges", "--cpus", String(CONTRACT.cpus),
        "--memory", String(memBytes), "--memory-swap", String(memBytes), "-e", "MULTIVERSE_LOG_LEVEL=INFO",
        "-v", `${dataset}:/input/data.h5mu:ro`, "-v", `${workspace}:/output`, "-w", "/output", CONTRACT.image];
      return `${jobSpecCommand(workspace, spec)} && ${run.map(quote).join(" ")} > ${quote(join(workspace, "process.log"))} 2>&1`;
    },
    manifest(seeds) {
      return `globals:\n  experiment_name: bench-snakemake\n  backend: docker\n  validators: basic\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - name: contract\n    dataset_slug: d\n    model_name: ${CONTRACT.slug}\n    mem_limit: ${CONTRACT.memGb}g\n    model_params:\n      behavior: ok\n    seeds: [${seeds.join(", ")}]\n`;
    },
    prepareStateRoot(out) {
      const registered = spawnSync(process.execPath, [join(root, "bin", "multiverse.js"), "register-model", modelYaml, "--state-root", out], { encoding: "utf8" });
      if (registered.status !== 0) throw new Error(`register-model failed: ${registered.stderr}`);
    },
  };
}

const PCA = { slug: "pca", version: "1.0.0", cpus: 1, memGb: 2, params: { n_components: 20, normalize: false } };

export function localWorkload(): Workload {
  const dataset = join(root, "data", "generated", "pbmc68k-reduced.h5mu");
  const envsRoot = process.env.MULTIVERSE_ENVS_DIR ?? join(homedir(), ".multiverse", "envs");
  const interpreter = interpreterFor(envsRoot, PCA.slug, PCA.version);
  if (!existsSync(dataset) || !interpreter) fail("needs data/generated/pbmc68k-reduced.h5mu and the pca environment: run ./scripts/setup-demo.sh");
  const bwrap = spawnSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" }).stdout.trim();
  if (!bwrap) fail("needs bubblewrap (the local executor's sandbox): run ./scripts/setup-demo.sh");
  const modelDirectory = join(root, "store", "models", PCA.slug);
  return {
    engine: "local",
    describe: "pca on pbmc68k-reduced (700 cells) in the local executor's bubblewrap sandbox, 1 cpu",
    script(workspace, seed) {
      const command = bubblewrapCommand({
        interpreter,
        script: ["container/run.py"],
        modelDirectory,
        workerSdkDirectory: join(root, "worker"),
        mounts: [
          { role: "input", source: dataset, target: "/input/data.h5mu", readOnly: true },
          { role: "workspace", source: workspace, target: "/output", readOnly: false },
        ],
        network: false,
        env: { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", ...threadEnv(PCA.cpus), MULTIVERSE_LOG_LEVEL: "INFO" },
      }, bwrap);
      const spec = { seed, dataset_id: null, dataset_name: "pbmc68k-reduced", model_name: PCA.slug, model_version: PCA.version, hyperparameters: PCA.params, batch_key: "batch", label_key: "cell_type", contract_version: "1" };
      const env = Object.entries(command.env).map(([k, v]) => `${k}=${quote(v)}`).join(" ");
      return [
        jobSpecCommand(workspace, spec),
        `cd ${quote(command.cwd)}`,
        `ulimit -d ${PCA.memGb * 1024 * 1024}`,
        `env -i ${env} ${command.argv.map(quote).join(" ")} > ${quote(join(workspace, "process.log"))} 2>&1`,
      ].join(" && ");
    },
    manifest(seeds) {
      const params = Object.entries(PCA.params).map(([k, v]) => `      ${k}: ${v}`).join("\n");
      return `globals:\n  experiment_name: bench-snakemake\n  backend: local\n  validators: basic\ndatasets:\n  pbmc68k-reduced:\n    path: ${dataset}\n    batch_key: batch\n    label_key: cell_type\njobs:\n  - name: pca\n    dataset_slug: pbmc68k-reduced\n    model_name: pca\n    model_params:\n${params}\n    seeds: [${seeds.join(", ")}]\n`;
    },
    prepareStateRoot() {},
  };
}
