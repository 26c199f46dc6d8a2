/** globals.slurm and jobs[].slurm, image_sif and image_digest: from the manifest through planning to the sbatch directives. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { API_VERSION, type DatasetResource, type ImageIdentity, type ModelResource } from "../../../src/domain/resources.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { loadManifestText } from "../../../src/manifest/load-manifest.js";
import { mergeSlurmSettings, slurmSettingsFromManifest } from "../../../src/schemas/slurm-settings.js";
import { jobResources, wantsGpu } from "../../../src/executors/slurm/job-resources.js";
import { planBenchmark, type PlanCatalog } from "../../../reconcilers/plan.js";

const GIB = 1024 ** 3;

function manifest(globals: string, job: string) {
  return loadManifestText(`globals:\n  experiment_name: e\n${globals}\njobs:\n  - {name: j, dataset_slug: d, model_name: pca${job}}\n`, "/m/run_manifest.yaml");
}

describe("manifest slurm settings", () => {
  test("globals.slurm and jobs[].slurm become camelCase settings; image_sif is resolved against the manifest", () => {
    const loaded = manifest(
      "  slurm: {partition: gpu, account: lab, qos: long, time_minutes: 90, mem_gb: 16, cpus_per_task: 4, gpus: 1, extra_directives: ['--constraint=a100'], use_tmpdir: true}",
      ", slurm: {partition: short, extra_directives: ['--exclusive']}, image_sif: sif/pca.sif, image_digest: 'sha256:" + "a".repeat(64) + "'",
    );
    assert.deepEqual(loaded.benchmark.spec.slurm, { partition: "gpu", account: "lab", qos: "long", timeMinutes: 90, memGb: 16, cpusPerTask: 4, gpus: 1, extraDirectives: ["--constraint=a100"], useTmpdir: true });
    const [job] = loaded.benchmark.spec.jobs;
    assert.deepEqual(job!.slurm, { partition: "short", extraDirectives: ["--exclusive"] });
    assert.equal(job!.imageSif, "/m/sif/pca.sif");
    assert.equal(job!.imageDigest, `sha256:${"a".repeat(64)}`);
  });

  const bad: [string, string, RegExp][] = [
    ["  slurm: {partition: 'a b'}", "", /globals\.slurm\.partition/],
    ["  slurm: {time_minutes: 0}", "", /time_minutes/],
    ["  slurm: {cpus_per_task: 1.5}", "", /cpus_per_task/],
    ["  slurm: {extra_directives: ['rm -rf /']}", "", /extra_directives/],
    ["  slurm: {nodes: 2}", "", /nodes/],
    ["", ", slurm: {gpus: -1}", /jobs\[0\]\.slurm\.gpus/],
    ["", ", image_digest: 'sha256:abc'", /image_digest/],
    ["", ", image_sif: ''", /image_sif/],
  ];
  for (const [globals, job, field] of bad) {
    test(`refused with the field named: ${(globals + job).trim()}`, () => {
      assert.throws(() => manifest(globals, job), (error: unknown) => error instanceof MultiverseError && field.test(error.format()));
    });
  }

  test("slurmSettingsFromManifest keeps only what is given", () => {
    assert.deepEqual(slurmSettingsFromManifest({}), {});
    assert.deepEqual(slurmSettingsFromManifest({ use_tmpdir: false, gpus: 0 }), { useTmpdir: false, gpus: 0 });
  });

  test("a job's settings over the benchmark's; extra directives of both, the job's last", () => {
    assert.equal(mergeSlurmSettings(undefined, undefined), undefined);
    assert.deepEqual(mergeSlurmSettings({ partition: "a", qos: "q", extraDirectives: ["--x=1"] }, { partition: "b", extraDirectives: ["--x=2"] }), { partition: "b", qos: "q", extraDirectives: ["--x=1", "--x=2"] });
    assert.deepEqual(mergeSlurmSettings({ partition: "a" }, {}), { partition: "a" });
  });
});

describe("job resources", () => {
  test("defaults, then the run's settings", () => {
    assert.deepEqual(jobResources({ partition: "def", account: "acc", extraDirectives: ["--a"] }, { gpu: false, slurm: { partition: "p", extraDirectives: ["--b"] } }), { partition: "p", account: "acc", extraDirectives: ["--a", "--b"] });
    assert.deepEqual(jobResources(undefined, { gpu: false }), {});
  });
  test("the allocation holds the container's limits: the larger memory and CPU count win", () => {
    assert.deepEqual(jobResources(undefined, { gpu: false, cpus: 1.5, memLimitBytes: 2 * GIB }), { cpusPerTask: 2, memGb: 2 });
    assert.deepEqual(jobResources(undefined, { gpu: false, cpus: 2, memLimitBytes: 8 * GIB, slurm: { cpusPerTask: 4, memGb: 4 } }), { cpusPerTask: 4, memGb: 8 });
    assert.equal(jobResources(undefined, { gpu: false, memLimitBytes: GIB }, 0.25).memGb, 1.25, "headroom for a runtime outside the job");
    assert.equal(jobResources(undefined, { gpu: false }, 0.25).memGb, undefined, "no memory request, no headroom");
  });
  test("a GPU job asks for one GPU unless it says how many; Slurm GPUs mean --nv", () => {
    assert.equal(jobResources(undefined, { gpu: true }).gpus, 1);
    assert.equal(jobResources(undefined, { gpu: true, slurm: { gpus: 4 } }).gpus, 4);
    assert.equal(jobResources(undefined, { gpu: false }).gpus, undefined);
    assert.equal(wantsGpu({ gpus: 2 }, false), true);
    assert.equal(wantsGpu({ gpus: 0 }, false), false);
    assert.equal(wantsGpu({}, true), true);
  });
  test("time_minutes is the scheduler's limit; without it, the run's timeout", () => {
    assert.equal(jobResources(undefined, { gpu: false, timeoutSeconds: 90 }).timeMinutes, 1.5);
    assert.equal(jobResources(undefined, { gpu: false, timeoutSeconds: 90, slurm: { timeMinutes: 60 } }).timeMinutes, 60);
    assert.equal(jobResources({ timeMinutes: 30 }, { gpu: false }).timeMinutes, 30);
  });
});

describe("planning on the Slurm path", () => {
  const SOURCE = `sha256:${"b".repeat(64)}`;
  const dataset: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: "d" }, spec: { path: "/data/d.h5mu", fingerprint: "sha256:d", modalities: ["rna"], nObs: 10 } };
  const model: ModelResource = {
    apiVersion: API_VERSION,
    kind: "Model",
    metadata: { name: "pca" },
    spec: { slug: "pca", version: "1.0.0", contractVersion: "1", supportedOmics: ["rna"], runtime: { image: "multiverse-pca:1.0.0" }, hyperparametersSchema: {} },
  };
  const sif = (reference: string): ImageIdentity => ({ reference, kind: "unverified_local", digest: `sha256:${"c".repeat(64)}`, sifDigest: `sha256:${"c".repeat(64)}` });
  const catalog: PlanCatalog = {
    datasets: new Map([["d", dataset]]),
    models: new Map([["pca", model]]),
    images: new Map([
      ["multiverse-pca:1.0.0", sif("/state/sif/pca-1.0.0.sif")],
      ["/scratch/pca.sif", sif("/scratch/pca.sif")],
    ]),
  };

  test("the job's SIF and source digest make the dual digest; the settings reach the run, merged", () => {
    const loaded = manifest(
      `  backend: slurm\n  slurm: {partition: gpu, time_minutes: 10}`,
      `, slurm: {qos: long}, image_sif: /scratch/pca.sif, image_digest: '${SOURCE}'`,
    );
    const plan = planBenchmark(loaded.benchmark, catalog);
    assert.deepEqual(plan.errors, []);
    const [run] = plan.runs;
    assert.deepEqual(run!.spec.image, { reference: "/scratch/pca.sif", kind: "registry", digest: SOURCE, sifDigest: `sha256:${"c".repeat(64)}` });
    assert.deepEqual(run!.spec.slurm, { partition: "gpu", timeMinutes: 10, qos: "long" });
  });

  test("without a source digest the SIF is refused unless degraded runs are accepted", () => {
    const loaded = manifest("  backend: slurm", ", image_sif: /scratch/pca.sif");
    const refused = planBenchmark(loaded.benchmark, catalog);
    assert.match(refused.errors[0]!.message, /no OCI source digest/);
    const accepted = planBenchmark(loaded.benchmark, catalog, { acceptDegraded: true });
    assert.equal(accepted.runs[0]!.spec.image.kind, "unverified_local");
  });

  test("image_sif on another backend is an error naming the field; slurm settings stay off other backends' runs", () => {
    const wrong = planBenchmark(manifest("  backend: docker", ", image_sif: /scratch/pca.sif").benchmark, catalog);
    assert.match(wrong.errors[0]!.format(), /jobs\[0\]\.image_sif[\s\S]*backend "docker"/);
    const docker = planBenchmark(manifest("  backend: docker\n  slurm: {partition: p}", "").benchmark, { ...catalog, images: new Map([["multiverse-pca:1.0.0", { reference: "multiverse-pca:1.0.0", kind: "unverified_local", digest: "sha256:x" }]]) });
    assert.equal(docker.runs[0]!.spec.slurm, undefined);
  });
});
