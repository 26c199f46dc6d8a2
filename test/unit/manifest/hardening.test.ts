/** The careless and hostile manifests of issue 10 (items 5, 6, 9, 10, 17, 19): each refused with file:line:column: field. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MultiverseError } from "../../../src/domain/errors.js";
import { loadManifestFile, loadManifestText } from "../../../src/manifest/load-manifest.js";
import { relocateDatasetError } from "../../../src/manifest/job-origins.js";
import { jobNameProblem } from "../../../src/manifest/manifest-checks.js";
import { Errors } from "../../../src/domain/errors.js";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";

const FILE = "bench/m.yaml";
const run = (job: string, globals = "") => `globals:\n  experiment_name: e\n${globals}jobs:\n  - dataset_slug: d\n    model_name: pca\n${job}`;
const simple = (name: string, model = "{slug: pca, version: '1', image: multiverse-pca:1.0.0}", extra = "") =>
  `jobs:\n  - name: ${name}\n    model: ${model}\n    dataset: {slug: d, path: /x.h5mu}\n${extra}`;
const resource = (kind: string, spec: string, name = "x") => `apiVersion: multiverse.io/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec:\n${spec}`;

function refused(text: string, expected: { line: number; column?: number; field: string; message: RegExp; code?: string }, simpleMode = false): void {
  assert.throws(
    () => loadManifestText(text, FILE, { simple: simpleMode }),
    (e: unknown) => {
      assert.ok(e instanceof MultiverseError, String(e));
      assert.equal(e.exitCode, 2);
      assert.equal(e.code, expected.code ?? "MV_SCHEMA", e.format());
      assert.equal(e.location.file, FILE);
      assert.equal(e.location.line, expected.line, e.format());
      if (expected.column !== undefined) assert.equal(e.location.column, expected.column, e.format());
      assert.ok(e.location.column !== undefined, `a column: ${e.format()}`);
      assert.equal(e.location.field, expected.field, e.format());
      assert.match(e.message, expected.message);
      return true;
    },
  );
}

describe("numbers YAML reads as infinite or NaN are refused in every field (item 19)", () => {
  test("cpus: .inf", () => refused(run("    cpus: .inf\n"), { line: 6, column: 11, field: "jobs[0].cpus", message: /expected a finite number, got \.inf/ }));
  test("host_ram_gb: .inf", () => refused(run("", "  host_ram_gb: .Inf\n"), { line: 3, field: "globals.host_ram_gb", message: /\.inf/ }));
  test("a slurm time of .nan", () => refused(run("    slurm: {time_minutes: .nan}\n"), { line: 6, field: "jobs[0].slurm.time_minutes", message: /\.nan/ }));
  test("a hyperparameter of -.inf", () => refused(run("    model_params: {lr: -.inf}\n"), { line: 6, field: "jobs[0].model_params.lr", message: /-\.inf/ }));
  test("a search-space bound of .inf", () =>
    refused(run("    mode: sweep\n    search_space: {n_components: {type: int, low: 2, high: .inf}}\n    optimize_metric: m\n    direction: maximize\n    n_trials: 2\n"), { line: 7, field: "jobs[0].search_space.n_components.high", message: /\.inf/ }));
  test("a simple manifest's params", () => refused(simple("a", undefined, "    params: {n_components: .nan}\n"), { line: 5, field: "jobs[0].params.n_components", message: /\.nan/ }, true));
  test("a Benchmark resource's cpus", () =>
    refused(resource("Benchmark", "  experimentName: b\n  jobs: [{name: j, dataset: d, model: pca, seeds: [0], cpus: .inf}]\n"), { line: 6, field: "spec.jobs[0].cpus", message: /\.inf/ }));
});

describe("versions this build does not read are refused (item 19)", () => {
  test('schema_version: "99"', () => refused(`schema_version: "99"\n${run("")}`, { line: 1, column: 17, field: "schema_version", message: /schema_version "99" is not supported/ }));
  test("schema_version: 2 in a simple manifest", () => refused(`schema_version: 2\n${simple("a")}`, { line: 1, field: "schema_version", message: /not supported/ }, true));
  test('schema_version "1" and 1 are read', () => {
    assert.equal(loadManifestText(`schema_version: "1"\n${run("")}`, FILE).format, "run_manifest");
    assert.equal(loadManifestText(`schema_version: 1\n${run("")}`, FILE).format, "run_manifest");
  });
  test("an unknown model container contract", () => refused(`globals: {mv_contract_version: "7"}\n${simple("a")}`, { line: 1, field: "globals.mv_contract_version", message: /contract "7" is not supported/ }, true));
  test("a Model resource with an unknown contract", () =>
    refused(`${resource("Model", "  slug: m\n  version: '1'\n  contractVersion: '3'\n  runtime: {image: m:1}\n", "m")}---\n${resource("Benchmark", "  experimentName: b\n  jobs: [{name: j, dataset: d, model: m, seeds: [0]}]\n", "b")}`, {
      line: 7,
      field: "spec.contractVersion",
      message: /contract "3"/,
    }));
});

describe("job names that cannot name a run or a bundle directory are refused at parse time (item 6)", () => {
  for (const [name, message] of [
    ['".."', /must start with a letter or a digit/],
    ['"."', /must start with a letter or a digit/],
    ["_failed", /reserved/],
    [".multiverse", /reserved/],
    ["-rf", /must start with a letter or a digit/],
    ['"a/b"', /letters, digits, "\.", "_" and "-" only/],
    ['"a b"', /letters, digits/],
    ['"caf\u00e9"', /letters, digits/],
    ["a".repeat(300), /at most 100 characters long, got 300/],
  ] as const) {
    test(`simple mode: ${name.length > 20 ? `${name.slice(0, 20)}... (${name.length})` : name}`, () => refused(simple(name), { line: 2, column: 11, field: "jobs[0].name", message }, true));
  }
  test("a run manifest's job name", () => refused(run("    name: ..\n"), { line: 6, field: "jobs[0].name", message: /must start with a letter/ }));
  test("a Benchmark resource's job name", () =>
    refused(resource("Benchmark", "  experimentName: b\n  jobs: [{name: _failed, dataset: d, model: pca, seeds: [0]}]\n"), { line: 6, field: "spec.jobs[0].name", message: /reserved/ }));
  test("a generated name that would be too long names the field it comes from", () => {
    const long = "x".repeat(60);
    refused(`globals: {experiment_name: e}\njobs:\n  - {dataset_slug: ${long}, models: [${"m".repeat(60)}]}\n`, { line: 3, field: "jobs[0].dataset_slug", message: /job name made from dataset_slug and model is not usable: .*at most 100/ });
  });
  test("the rule in one place", () => {
    assert.equal(jobNameProblem("pca-pbmc_v1.2"), undefined);
    assert.equal(jobNameProblem("a".repeat(100)), undefined);
    assert.match(jobNameProblem("a".repeat(101)) ?? "", /at most 100/);
  });
});

describe("image references are parsed with the OCI grammar and refused where they are written (item 10)", () => {
  for (const image of ['"Bad Image!!"', '"UPPER/Case:tag"', '"x:y:z@sha256:zz"', '"?all=1"', '""']) {
    test(`simple mode: ${image}`, () => refused(simple("a", `{slug: pca, version: '1', image: ${image}}`), { line: 3, field: "jobs[0].model.image", message: image === '""' ? /must not be empty/ : /is not a valid image reference/ }, true));
  }
  test("a Model resource", () =>
    refused(`${resource("Model", "  slug: m\n  version: '1'\n  runtime: {image: \"?all=1\"}\n", "m")}---\n${resource("Benchmark", "  experimentName: b\n  jobs: [{name: j, dataset: d, model: m, seeds: [0]}]\n", "b")}`, {
      line: 7,
      field: "spec.runtime.image",
      message: /"\?" cannot appear in a repository name/,
    }));
  test("apply and the controller report the same problem", () => {
    const [problem] = loadResourceDocuments(resource("Model", "  slug: m\n  version: '1'\n  runtime: {image: \"Bad Image!!\"}\n", "m"), "/w/m.yaml").problems;
    assert.deepEqual([problem!.line, problem!.field], [7, "spec.runtime.image"]);
  });
});

describe("paths from manifests (item 9)", () => {
  test("a Model's directory stays inside the manifest's directory", () => {
    const model = (dir: string) => `${resource("Model", `  slug: m\n  version: '1'\n  runtime: {image: m:1}\n  directory: ${dir}\n`, "m")}---\n${resource("Benchmark", "  experimentName: b\n  jobs: [{name: j, dataset: d, model: m, seeds: [0]}]\n", "b")}`;
    refused(model("../../etc"), { line: 8, field: "spec.directory", message: /climbs out of the manifest's directory/ });
    refused(model("/"), { line: 8, field: "spec.directory", message: /absolute path/ });
    assert.equal(loadManifestText(model("models/m"), "/w/b.yaml").models[0]!.spec.directory, "/w/models/m");
  });
  test("control characters in a path are refused", () => {
    refused('globals: {experiment_name: e}\ndatasets:\n  d: {path: "a\\nb.h5mu"}\njobs: [{dataset_slug: d, model_name: pca}]\n', { line: 3, field: "datasets.d.path", message: /control character U\+000A/ });
  });
  test("image_sif is resolved against the manifest in Benchmark resources too", () => {
    const loaded = loadManifestText(resource("Benchmark", "  experimentName: b\n  backend: slurm\n  jobs: [{name: j, dataset: d, model: pca, seeds: [0], imageSif: sif/pca.sif}]\n"), "/w/b.yaml");
    assert.equal(loaded.benchmark.spec.jobs[0]!.imageSif, "/w/sif/pca.sif");
  });
});

describe("simple mode: params are checked against a schema whenever one is known (item 5)", () => {
  test("an inline schema file, relative to the manifest, is used and its defaults applied at plan time", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-simple-schema-"));
    try {
      mkdirSync(join(dir, "schemas"));
      writeFileSync(join(dir, "schemas", "m.json"), JSON.stringify({ type: "object", additionalProperties: false, properties: { k: { type: "integer", minimum: 1, default: 3 } } }));
      writeFileSync(join(dir, "s.yaml"), simple("a", "{slug: third-party, version: '1', image: lab/model:1, hyperparameters_schema: schemas/m.json}"));
      const loaded = loadManifestFile(join(dir, "s.yaml"));
      assert.deepEqual(loaded.models[0]!.spec.hyperparametersSchema.properties, { k: { type: "integer", minimum: 1, default: 3 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("the schema path may not leave the manifest's directory, nor leak a file's content", () => {
    const dir = mkdtempSync(join(tmpdir(), "mv-simple-schema-"));
    try {
      writeFileSync(join(dir, "secret.txt"), "root:x:0:0:hunter2");
      mkdirSync(join(dir, "m"));
      for (const [path, message] of [["../secret.txt", /climbs out of the manifest's directory/], ["/etc/passwd", /absolute path/], ["nope.json", /does not exist/]] as const) {
        writeFileSync(join(dir, "m", "s.yaml"), simple("a", `{slug: x, version: '1', image: x:1, hyperparameters_schema: ${path}}`));
        assert.throws(() => loadManifestFile(join(dir, "m", "s.yaml")), (e: unknown) => e instanceof MultiverseError && e.location.line === 3 && e.location.field === "jobs[0].model.hyperparameters_schema" && message.test(e.message));
      }
      writeFileSync(join(dir, "m", "leak.json"), "root:x:0:0:hunter2");
      writeFileSync(join(dir, "m", "s.yaml"), simple("a", "{slug: x, version: '1', image: x:1, hyperparameters_schema: leak.json}"));
      assert.throws(() => loadManifestFile(join(dir, "m", "s.yaml")), (e: unknown) => e instanceof MultiverseError && /not valid JSON/.test(e.message) && !e.format().includes("hunter2"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("errors found after loading point into the manifest (item 17)", () => {
  test("job origins name the manifest field of each Benchmark job, also for a models list", () => {
    const loaded = loadManifestText("globals: {experiment_name: e}\ndatasets:\n  d: {path: d.h5mu}\njobs:\n  - dataset_slug: d\n    models: [pca, mofa]\n    model_params:\n      mofa: {n_factors: 2}\n", "/w/m.yaml");
    const [pca, mofa] = loaded.origins;
    assert.deepEqual(mofa!.at("model"), { file: "/w/m.yaml", line: 6, column: 19, field: "jobs[0].models[1]" });
    assert.deepEqual(mofa!.at("params", ["n_factors"]), { file: "/w/m.yaml", line: 8, column: 25, field: "jobs[0].model_params.mofa.n_factors" });
    assert.equal(pca!.at("dataset").line, 5);
    assert.deepEqual(pca!.at("datasetPath"), { file: "/w/m.yaml", line: 3, column: 13, field: "datasets.d.path" });
  });
  test("an error about a dataset file moves to the manifest line that declares it; the file stays in the details", () => {
    const loaded = loadManifestText("globals: {experiment_name: e}\ndatasets:\n  d: {path: d.h5mu}\njobs:\n  - {dataset_slug: d, model_name: pca}\n  - {dataset_slug: reg, model_name: pca}\n", "/w/m.yaml");
    const missing = relocateDatasetError(Errors.fileNotFound('dataset "d": file /w/d.h5mu does not exist', { location: { file: "/w/d.h5mu" } }), loaded.datasetOrigins) as MultiverseError;
    assert.deepEqual([missing.code, missing.location.line, missing.location.column, missing.location.field], ["MV_FILE_NOT_FOUND", 3, 13, "datasets.d.path"]);
    assert.ok(missing.details.includes("dataset file: /w/d.h5mu"));
    const registered = relocateDatasetError(Errors.badDataset('dataset "reg": broken', { location: { file: "/state/reg.h5mu" } }), loaded.datasetOrigins) as MultiverseError;
    assert.deepEqual([registered.location.line, registered.location.field], [6, "jobs[1].dataset_slug"]);
    const other = new Error("not ours");
    assert.equal(relocateDatasetError(other, loaded.datasetOrigins), other);
  });
  test("multi-document files: the second document is named with its line and column", () => {
    refused(`${run("")}---\nfoo: 1\n`, { line: 7, column: 1, field: "(document)", message: /single YAML document, but this file has 2/ });
  });
  test("slugs that cannot name a dataset or model are refused where they are written", () => {
    refused("globals: {experiment_name: e}\njobs: [{dataset_slug: ../x, model_name: pca}]\n", { line: 2, field: "jobs[0].dataset_slug", message: /lowercase letters, digits/ });
    refused("globals: {experiment_name: e}\njobs: [{dataset_slug: d, models: [pca, Mofa]}]\n", { line: 2, field: "jobs[0].models[1]", message: /lowercase letters, digits/ });
  });
});
