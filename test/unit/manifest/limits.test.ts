import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MultiverseError } from "../../../src/domain/errors.js";
import { DEFAULT_MANIFEST_LIMITS, manifestLimits, type ManifestLimits } from "../../../src/manifest/limits.js";
import { loadManifestText } from "../../../src/manifest/load-manifest.js";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";

const FILE = "bench/run_manifest.yaml";
const small = (over: Partial<ManifestLimits>): ManifestLimits => ({ ...DEFAULT_MANIFEST_LIMITS, ...over });
const jobs = (n: number, job = "{dataset_slug: d, model_name: pca}") => `globals: {experiment_name: e}\njobs:\n${Array.from({ length: n }, () => `  - ${job}\n`).join("")}`;

function refused(run: () => unknown, message: RegExp, variable: string, line?: number): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof MultiverseError, String(e));
    assert.equal(e.exitCode, 2);
    assert.match(e.message, message);
    assert.ok(e.details.some((d) => d.includes(variable) && /to raise it/.test(d)), e.format());
    if (line !== undefined) assert.equal(e.location.line, line, e.format());
    return true;
  });
}

describe("manifest limits", () => {
  test("defaults, raised by environment variables; a bad value is a usage error", () => {
    assert.deepEqual(manifestLimits({}), DEFAULT_MANIFEST_LIMITS);
    assert.equal(manifestLimits({ MULTIVERSE_MANIFEST_MAX_JOBS: "50000" }).maxJobs, 50000);
    assert.equal(manifestLimits({ MULTIVERSE_MANIFEST_MAX_BYTES: " 1024 " }).maxBytes, 1024);
    for (const bad of ["0", "-1", "lots", "1e9", "1.5"]) {
      assert.throws(() => manifestLimits({ MULTIVERSE_MANIFEST_MAX_RUNS: bad }), (e: unknown) => e instanceof MultiverseError && e.code === "MV_USAGE" && /MULTIVERSE_MANIFEST_MAX_RUNS/.test(e.message));
    }
  });

  test("a file over the byte limit is refused before it is parsed", () => {
    refused(() => loadManifestText(jobs(100), FILE, { limits: small({ maxBytes: 1000 }) }), /bytes, more than a manifest may hold/, "MULTIVERSE_MANIFEST_MAX_BYTES");
  });

  test("more jobs than the limit: refused at the first job over it, before the jobs are validated", () => {
    refused(() => loadManifestText(jobs(30), FILE, { limits: small({ maxJobs: 20 }) }), /declares 30 jobs/, "MULTIVERSE_MANIFEST_MAX_JOBS", 23);
  });

  test("jobs x models x seeds over the run limit: refused at the job that crosses it", () => {
    const text = jobs(3, "{dataset_slug: d, models: [pca, mofa], seeds: [0, 1, 2, 3, 4]}");
    refused(() => loadManifestText(text, FILE, { limits: small({ maxRuns: 25 }) }), /expands to more than 25 runs/, "MULTIVERSE_MANIFEST_MAX_RUNS", 5);
    assert.equal(loadManifestText(text, FILE, { limits: small({ maxRuns: 30 }) }).benchmark.spec.jobs.length, 6);
  });

  test("a sweep counts its trials", () => {
    const text = "globals: {experiment_name: e}\njobs:\n  - {dataset_slug: d, model_name: pca, mode: sweep, search_space: {n_components: {type: int, low: 2, high: 9}}, optimize_metric: m, direction: maximize, n_trials: 50}\n";
    refused(() => loadManifestText(text, FILE, { limits: small({ maxRuns: 49 }) }), /more than 49 runs/, "MULTIVERSE_MANIFEST_MAX_RUNS", 3);
  });

  test("a Benchmark resource is bounded the same way", () => {
    const bench = `apiVersion: multiverse.io/v1alpha1\nkind: Benchmark\nmetadata: {name: b}\nspec:\n  experimentName: b\n  jobs:\n${Array.from({ length: 5 }, (_, i) => `    - {name: j${i}, dataset: d, model: pca, seeds: [0, 1, 2]}\n`).join("")}`;
    refused(() => loadManifestText(bench, FILE, { limits: small({ maxJobs: 4 }) }), /declares 5 jobs/, "MULTIVERSE_MANIFEST_MAX_JOBS", 11);
    refused(() => loadManifestText(bench, FILE, { limits: small({ maxRuns: 10 }) }), /more than 10 runs/, "MULTIVERSE_MANIFEST_MAX_RUNS", 10);
  });

  test("too many YAML documents", () => {
    const text = Array.from({ length: 5 }, (_, i) => `apiVersion: multiverse.io/v1alpha1\nkind: Dataset\nmetadata: {name: d${i}}\nspec: {path: x}\n`).join("---\n");
    refused(() => loadManifestText(text, FILE, { limits: small({ maxDocuments: 3 }) }), /holds 5 YAML documents/, "MULTIVERSE_MANIFEST_MAX_DOCUMENTS", 15);
  });

  test("a billion-laughs file is a located YAML error for run, apply and the controller alike", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcde"[i]}`).join(", ")}]`)].join("\n");
    refused(() => loadManifestText(bomb, FILE), /alias bomb/, "MULTIVERSE_MANIFEST_MAX_ALIASES", 1);
    const [problem] = loadResourceDocuments(bomb, "/w/bomb.yaml").problems;
    assert.equal(problem!.code, "MV_YAML_SYNTAX");
    assert.match(problem!.message, /alias bomb/);
  });

  test("anchors reused many times are fine (only nested expansion counts)", () => {
    const text = `globals: {experiment_name: e}\nparams: &p {n_components: 5}\njobs:\n${Array.from({ length: 300 }, (_, i) => `  - {name: j${i}, dataset_slug: d, model_name: pca, model_params: *p}\n`).join("")}`.replace("params: &p {n_components: 5}\n", "");
    const withAnchor = text.replace("jobs:\n  - {name: j0, dataset_slug: d, model_name: pca, model_params: *p}", "jobs:\n  - {name: j0, dataset_slug: d, model_name: pca, model_params: &p {n_components: 5}}");
    assert.equal(loadManifestText(withAnchor, FILE).benchmark.spec.jobs.length, 300);
  });

  test("a manifest of 10,000 jobs whose last job is bad names that job", () => {
    const text = `${jobs(9999)}  - {dataset_slug: d, model_name: pca, sedes: [1]}\n`;
    assert.throws(() => loadManifestText(text, FILE), (e: unknown) => e instanceof MultiverseError && e.location.line === 10002 && e.location.field === "jobs[9999].sedes");
  });
});
