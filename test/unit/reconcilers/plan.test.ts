import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { API_VERSION, type BenchmarkResource, type DatasetResource, type ImageIdentity, type ModelResource } from "../../../src/domain/resources.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { planBenchmark, type PlanCatalog } from "../../../reconcilers/plan.js";
import { loadManifestText } from "../../../src/manifest/load-manifest.js";
import { withCatalogSchema } from "../../../src/catalog/models.js";

function dataset(name: string, modalities: string[], fingerprint = `sha256:${name}`): DatasetResource {
  return { apiVersion: API_VERSION, kind: "Dataset", metadata: { name }, spec: { path: `/data/${name}.h5mu`, fingerprint, modalities, nObs: 100, batchKey: "batch" } };
}

function model(slug: string, extra: Partial<ModelResource["spec"]> = {}): ModelResource {
  return {
    apiVersion: API_VERSION,
    kind: "Model",
    metadata: { name: slug },
    spec: {
      slug,
      version: "1.0.0",
      contractVersion: "1",
      supportedOmics: ["rna"],
      runtime: { image: `multiverse-${slug}:1.0.0` },
      hyperparametersSchema: {
        type: "object",
        additionalProperties: false,
        properties: { n_components: { type: "integer", minimum: 2, maximum: 200, default: 20 } },
      },
      ...extra,
    },
  };
}

function benchmark(jobs: BenchmarkResource["spec"]["jobs"], extra: Partial<BenchmarkResource["spec"]> = {}): BenchmarkResource {
  return { apiVersion: API_VERSION, kind: "Benchmark", metadata: { name: "bench" }, spec: { experimentName: "bench", jobs, ...extra } };
}

const localImage = (ref: string): ImageIdentity => ({ reference: ref, kind: "unverified_local", digest: `sha256:${ref.length}` });

function catalog(): PlanCatalog {
  return {
    datasets: new Map([
      ["rna", dataset("rna", ["rna"])],
      ["multi", dataset("multi", ["rna", "atac"])],
      ["adt", dataset("adt", ["adt"])],
    ]),
    models: new Map([
      ["pca", model("pca")],
      ["multivi", model("multivi", { supportedOmics: ["rna", "atac"], requiredModalities: ["rna", "atac"] })],
    ]),
    images: new Map([
      ["multiverse-pca:1.0.0", localImage("multiverse-pca:1.0.0")],
      ["multiverse-multivi:1.0.0", localImage("multiverse-multivi:1.0.0")],
    ]),
  };
}

describe("planBenchmark", () => {
  test("expands jobs x seeds into runs with resolved params, stable ids and names", () => {
    const plan = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0, 1, 2] }]), catalog());
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.runs.length, 3);
    assert.deepEqual(plan.runs[0]!.spec.params, { n_components: 20 }, "schema defaults applied");
    assert.equal(new Set(plan.runs.map((r) => r.runId)).size, 3);
    const again = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0, 1, 2] }]), catalog());
    assert.deepEqual(again.runs.map((r) => r.runId), plan.runs.map((r) => r.runId));
    assert.match(plan.runs[0]!.name, /^j-s0-[0-9a-f]{8}$/);
  });

  test("a default given explicitly is the same logical run; job names and benchmark names do not matter", () => {
    const a = planBenchmark(benchmark([{ name: "a", dataset: "rna", model: "pca", params: {}, seeds: [0] }]), catalog()).runs[0]!;
    const b = planBenchmark(
      { ...benchmark([{ name: "b", dataset: "rna", model: "pca", params: { n_components: 20 }, seeds: [0] }]), metadata: { name: "other" } },
      catalog(),
    ).runs[0]!;
    assert.equal(a.runId, b.runId);
  });

  test("the same logical run requested twice is planned once", () => {
    const plan = planBenchmark(
      benchmark([
        { name: "a", dataset: "rna", model: "pca", params: {}, seeds: [0] },
        { name: "b", dataset: "rna", model: "pca", params: { n_components: 20 }, seeds: [0] },
      ]),
      catalog(),
    );
    assert.equal(plan.runs.length, 1);
  });

  test("a sweep job without its study is refused clearly rather than run as a plain job", () => {
    const plan = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0], mode: "sweep" }]), catalog());
    assert.match(plan.errors[0]!.message, /mode "sweep" needs a study: search_space, direction and n_trials, and optionally optimize_metric/);
    assert.equal(plan.runs.length, 0);
    assert.equal(plan.sweeps.length, 0);
  });

  test("seed override replaces every job's seeds", () => {
    const plan = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0, 1, 2] }]), catalog(), { seedOverride: 9 });
    assert.deepEqual(plan.runs.map((r) => r.spec.seed), [9]);
  });

  test("unknown dataset and model are reported with what is known", () => {
    const plan = planBenchmark(
      benchmark([
        { name: "x", dataset: "nope", model: "pca", params: {}, seeds: [0] },
        { name: "y", dataset: "rna", model: "nope", params: {}, seeds: [0] },
      ]),
      catalog(),
    );
    assert.equal(plan.errors.length, 2);
    assert.equal(plan.errors[0]!.code, "MV_UNKNOWN_DATASET");
    assert.match(plan.errors[0]!.details.join(" "), /adt, multi, rna/);
    assert.equal(plan.errors[1]!.code, "MV_UNKNOWN_MODEL");
  });

  test("a dataset without the model's modalities is refused at plan time with a clear message", () => {
    const plan = planBenchmark(benchmark([{ name: "m", dataset: "rna", model: "multivi", params: {}, seeds: [0] }]), catalog());
    assert.equal(plan.errors[0]!.code, "MV_MODALITIES");
    assert.match(plan.errors[0]!.message, /needs modalities rna \+ atac.*missing: atac/);
    const wrongKind = planBenchmark(benchmark([{ name: "p", dataset: "adt", model: "pca", params: {}, seeds: [0] }]), catalog());
    assert.match(wrongKind.errors[0]!.message, /supports rna/);
    assert.deepEqual(planBenchmark(benchmark([{ name: "m", dataset: "multi", model: "multivi", params: {}, seeds: [0] }]), catalog()).errors, []);
  });

  test("hyperparameters outside the schema are refused naming the field", () => {
    const plan = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: { n_components: 500 }, seeds: [0] }]), catalog());
    assert.ok(plan.errors[0] instanceof MultiverseError);
    assert.match(plan.errors[0]!.message, /n_components/);
    const unknown = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: { n_comps: 5 }, seeds: [0] }]), catalog());
    assert.match(unknown.errors[0]!.message, /n_comps/);
  });

  test("--strict refuses a local image; the image identity is part of the run id", () => {
    const strict = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0] }]), catalog(), { strict: true });
    assert.equal(strict.errors[0]!.code, "MV_UNVERIFIED_IMAGE");
    const registry = catalog();
    (registry.images as Map<string, ImageIdentity>).set("multiverse-pca:1.0.0", { reference: "multiverse-pca:1.0.0", kind: "registry", digest: "sha256:feed" });
    const ok = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0] }]), registry, { strict: true });
    assert.deepEqual(ok.errors, []);
    const local = planBenchmark(benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0] }]), catalog());
    assert.notEqual(ok.runs[0]!.runId, local.runs[0]!.runId);
  });

  test("resources: mem_limit parsed, model defaults used, backend and validators resolved", () => {
    const plan = planBenchmark(
      benchmark([{ name: "j", dataset: "rna", model: "pca", params: {}, seeds: [0], memLimit: "512m", gpu: true }], { validators: "strict" }),
      catalog(),
    );
    const spec = plan.runs[0]!.spec;
    assert.equal(spec.memLimitBytes, 512 * 1024 * 1024);
    assert.equal(spec.gpu, true);
    assert.equal(spec.backend, "docker");
    assert.equal(spec.validators, "strict");
    assert.equal(spec.batchKey, "batch");
  });

  describe("errors point into the manifest (issue 10, item 17)", () => {
    const FILE = "/w/run.yaml";
    const planned = (text: string, edit: (c: PlanCatalog) => void = () => undefined, options: { simple?: boolean; backend?: "docker" | "local" | "slurm" } = {}) => {
      const loaded = loadManifestText(text, FILE, { simple: options.simple });
      const c = catalog();
      for (const m of loaded.models) (c.models as Map<string, ModelResource>).set(m.spec.slug, withCatalogSchema(m, c.models.get(m.spec.slug)));
      edit(c);
      return planBenchmark(loaded.benchmark, c, { file: FILE, origins: loaded.origins, ...(options.backend ? { backend: options.backend } : {}) });
    };
    const where = (e: MultiverseError | undefined) => e && [e.code, e.location.file, e.location.line, e.location.column, e.location.field];

    test("an unknown dataset, an unknown model and a bad hyperparameter each name their line, column and field", () => {
      const plan = planned("globals: {experiment_name: e}\njobs:\n  - {dataset_slug: nope, model_name: pca}\n  - dataset_slug: rna\n    models: [pca, ghost]\n  - dataset_slug: rna\n    model_name: pca\n    model_params:\n      n_components: 500\n");
      assert.deepEqual(plan.errors.map(where), [
        ["MV_UNKNOWN_DATASET", FILE, 3, 20, "jobs[0].dataset_slug"],
        ["MV_UNKNOWN_MODEL", FILE, 5, 19, "jobs[1].models[1]"],
        ["MV_HYPERPARAMETERS", FILE, 9, 21, "jobs[2].model_params.n_components"],
      ]);
    });

    test("image_sif on a backend other than Slurm is refused at plan time at its line (also when --backend decides)", () => {
      const text = "globals: {experiment_name: e}\njobs:\n  - {dataset_slug: rna, model_name: pca, image_sif: ../../../../etc/shadow}\n";
      assert.deepEqual(where(planned(text).errors[0]), ["MV_SCHEMA", FILE, 3, 53, "jobs[0].image_sif"]);
      assert.match(planned(text, () => undefined, { backend: "local" }).errors[0]!.message, /backend "local"/);
    });

    test("a model whose image reference is malformed (a registered model, say) is refused at plan time", () => {
      const plan = planned("globals: {experiment_name: e}\njobs:\n  - {dataset_slug: rna, model_name: pca}\n", (c) => {
        (c.models as Map<string, ModelResource>).set("pca", model("pca", { runtime: { image: "Bad Image!!" } }));
      });
      assert.deepEqual(where(plan.errors[0]), ["MV_BAD_MODEL", FILE, 3, 37, "jobs[0].model_name"]);
      assert.match(plan.errors[0]!.message, /"Bad Image!!" is not a valid image reference/);
    });

    test("simple mode: params are validated against the built-in schema of the same slug (n_components: -5 is refused)", () => {
      const text = "jobs:\n  - name: demo_pca\n    model: {slug: pca, version: '1.0.0', image: multiverse-pca:1.0.0}\n    dataset: {slug: rna, path: /data/rna.h5mu}\n    params: {n_components: -5}\n";
      const plan = planned(text, () => undefined, { simple: true });
      assert.deepEqual(where(plan.errors[0]), ["MV_HYPERPARAMETERS", FILE, 5, 28, "jobs[0].params.n_components"]);
      assert.match(plan.errors[0]!.message, /must be >= 2, got -5/);
      const ok = planned(text.replace("-5", "7"), () => undefined, { simple: true });
      assert.deepEqual(ok.errors, []);
      assert.deepEqual(ok.notices, []);
    });

    test("with no schema known, the plan says plainly that the params go unchecked", () => {
      const text = "jobs:\n  - name: lab\n    model: {slug: lab-model, version: '2', image: lab/model:2}\n    dataset: {slug: rna, path: /data/rna.h5mu}\n    params: {whatever: 1}\n";
      const plan = planned(text, (c) => (c.images as Map<string, ImageIdentity>).set("lab/model:2", localImage("lab/model:2")), { simple: true });
      assert.deepEqual(plan.errors, []);
      assert.equal(plan.notices.length, 1);
      assert.match(plan.notices[0]!, /model "lab-model" has no hyperparameter schema.*whatever.*unchecked/);
    });
  });
});
