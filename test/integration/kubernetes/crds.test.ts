/**
 * The CRDs and the example manifests against the real API server of the test cluster (scripts/start-k8s.sh):
 * every CRD is accepted and established with its printer columns, short names and category, every
 * manifests/kubernetes/*.yaml passes a server-side dry run, a bad spec is refused with the field's path, and
 * status written through the /status subresource shows in `kubectl get`'s columns.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { renderCrds } from "../../../src/schemas/crds.js";
import { repoRoot } from "../../../src/util/paths.js";
import { createNamespace, deleteNamespace, kubectl, testClusterOrSkip, type TestCluster } from "../../helpers/k8s-cluster.js";

const cluster = testClusterOrSkip();
const skip = typeof cluster === "string" ? cluster : false;
const NAMESPACE = "k8s-cluster-crds";

interface CrdDocument {
  metadata: { name: string };
  spec: {
    names: { shortNames: string[]; categories: string[] };
    versions: { additionalPrinterColumns: { name: string; jsonPath: string }[] }[];
  };
}

function ok(result: { status: number | null; stdout: string; stderr: string }, what: string): string {
  assert.equal(result.status, 0, `${what} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const benchmark = (spec: Record<string, unknown>, name = "crd-test"): string =>
  JSON.stringify({ apiVersion: "multiverse.io/v1alpha1", kind: "Benchmark", metadata: { name, namespace: NAMESPACE }, spec });
const validSpec = { experimentName: "crd-test", jobs: [{ name: "pca", dataset: "pbmc68k-reduced", model: "pca", seeds: [0] }] };

describe("CRDs on the real API server", { skip }, () => {
  const c = cluster as TestCluster;

  before(async () => {
    // server-side apply with force: idempotent, and wins over another manager's earlier apply of the same CRDs
    ok(kubectl(c, ["apply", "--server-side", "--force-conflicts", "--field-manager=multiverse-tests", "-f", join(repoRoot(), "crds")]), "apply crds/");
    ok(kubectl(c, ["wait", "--for=condition=Established", "--timeout=60s", ...Object.keys(renderCrds()).map((file) => `crd/${file.replace(".yaml", "")}s.multiverse.io`)]), "wait Established");
    await createNamespace(c, NAMESPACE);
  });
  after(async () => {
    await deleteNamespace(c, NAMESPACE);
  });

  test("every CRD is served as generated: printer columns, short names, the multiverse category, the status subresource", () => {
    for (const text of Object.values(renderCrds())) {
      const generated = parse(text) as CrdDocument;
      const served = JSON.parse(ok(kubectl(c, ["get", "crd", generated.metadata.name, "-o", "json"]), "get crd")) as CrdDocument & {
        spec: { versions: { subresources?: { status?: object } }[] };
      };
      assert.deepEqual(served.spec.names.shortNames, generated.spec.names.shortNames);
      assert.deepEqual(served.spec.names.categories, ["multiverse"]);
      assert.deepEqual(served.spec.versions[0]!.subresources?.status, {});
      assert.deepEqual(
        served.spec.versions[0]!.additionalPrinterColumns.map((column) => [column.name, column.jsonPath]),
        generated.spec.versions[0]!.additionalPrinterColumns.map((column) => [column.name, column.jsonPath]),
      );
    }
  });

  test("the multiverse category lists every kind (kubectl get multiverse)", () => {
    const out = ok(kubectl(c, ["api-resources", "--categories=multiverse", "-o", "name"]), "api-resources");
    assert.deepEqual(out.trim().split("\n").sort(), ["benchmarks.multiverse.io", "datasets.multiverse.io", "models.multiverse.io", "runs.multiverse.io"]);
  });

  test("every manifests/kubernetes/*.yaml passes kubectl apply --dry-run=server", () => {
    const dir = join(repoRoot(), "manifests", "kubernetes");
    const files = readdirSync(dir).filter((file) => file.endsWith(".yaml"));
    assert.ok(files.includes("demo.yaml"));
    for (const file of files) {
      const out = ok(kubectl(c, ["apply", "--dry-run=server", "--validate=strict", "-n", NAMESPACE, "-f", join(dir, file)]), `dry run of ${file}`);
      assert.match(out, /\(server dry run\)/, file);
    }
    const demo = ok(kubectl(c, ["apply", "--dry-run=server", "-n", NAMESPACE, "-f", join(dir, "demo.yaml")]), "dry run of demo.yaml");
    assert.deepEqual(demo.trim().split("\n").map((line) => line.split(" ")[0]).sort(), [
      "benchmark.multiverse.io/demo",
      "dataset.multiverse.io/pbmc68k-reduced",
      "model.multiverse.io/mofa",
      "model.multiverse.io/pca",
    ]);
  });

  test("a bad spec is refused with the field's path: a seed that is not an integer, a bad slug, a missing field", () => {
    const badSeed = kubectl(c, ["apply", "--dry-run=server", "-f", "-"], benchmark({ ...validSpec, jobs: [{ ...validSpec.jobs[0], seeds: ["zero"] }] }));
    assert.notEqual(badSeed.status, 0);
    assert.match(badSeed.stderr, /spec\.jobs\[0\]\.seeds\[0\]: Invalid value: "string": spec\.jobs\[0\]\.seeds\[0\] in body must be of type integer/);

    const badSlug = kubectl(c, ["apply", "--dry-run=server", "-f", "-"], benchmark({ ...validSpec, jobs: [{ ...validSpec.jobs[0], model: "Not A Slug" }] }));
    assert.notEqual(badSlug.status, 0);
    assert.match(badSlug.stderr, /spec\.jobs\[0\]\.model: Invalid value: "Not A Slug": spec\.jobs\[0\]\.model in body should match/);

    const missing = kubectl(c, ["apply", "--dry-run=server", "-f", "-"], benchmark({ jobs: validSpec.jobs }));
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /spec\.experimentName: Required value/);

    // strict field validation (kubectl's default): an unknown field is an error, not silently pruned
    const unknown = kubectl(c, ["apply", "--dry-run=server", "--validate=strict", "-f", "-"], benchmark({ ...validSpec, colour: "red" }));
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown field "spec\.colour"/);

    const good = kubectl(c, ["apply", "--dry-run=server", "-f", "-"], benchmark(validSpec));
    ok(good, "the valid Benchmark");
  });

  test("status through the /status subresource fills kubectl get's columns (Benchmark: READY RUNS SUCCEEDED FAILED; Run: PHASE REASON ATTEMPT)", () => {
    ok(kubectl(c, ["apply", "-f", "-"], benchmark(validSpec)), "create the Benchmark");
    const status = {
      status: {
        observedGeneration: 1,
        conditions: [{ type: "Ready", status: "False", reason: "RunsInProgress", message: "1 of 3 runs running", lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 1 }],
        runs: { total: 3, pending: 1, running: 1, succeeded: 1, failed: 0, cancelled: 0, skipped: 0 },
        summary: { best: { run: "pca-seed0", silhouette: 0.42 } },
      },
    };
    ok(kubectl(c, ["patch", "-n", NAMESPACE, "benchmark", "crd-test", "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]), "patch status");
    const table = ok(kubectl(c, ["get", "-n", NAMESPACE, "benchmarks", "crd-test"]), "get benchmarks");
    const [header, row] = table.trim().split("\n");
    assert.deepEqual(header!.split(/\s+/), ["NAME", "READY", "RUNS", "SUCCEEDED", "FAILED", "AGE"]);
    assert.deepEqual(row!.split(/\s+/).slice(0, 5), ["crd-test", "False", "3", "1", "0"]);
    // the free-form summary is kept, an unknown status field is not
    const stored = JSON.parse(ok(kubectl(c, ["get", "-n", NAMESPACE, "benchmark", "crd-test", "-o", "json"]), "get -o json")) as { status: { summary: unknown } };
    assert.deepEqual(stored.status.summary, status.status.summary);
    const badStatus = kubectl(c, ["patch", "-n", NAMESPACE, "benchmark", "crd-test", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { runs: { total: -1 } } })]);
    assert.notEqual(badStatus.status, 0);
    assert.match(badStatus.stderr, /status\.runs\.total: Invalid value: -1: runs\.total in body should be greater than or equal to 0/);
  });

  test("a Run's status (phase, reason, attempt, bundle, manifest checksum, logical run id) is stored and shown", () => {
    const run = {
      apiVersion: "multiverse.io/v1alpha1",
      kind: "Run",
      metadata: { name: "crd-test-pca-seed0", namespace: NAMESPACE, labels: { "multiverse.io/benchmark": "crd-test" } },
      spec: {
        logicalId: "lr-0123", benchmark: "crd-test", jobName: "pca", dataset: "pbmc68k-reduced", datasetPath: "/data/pbmc68k-reduced.h5mu",
        datasetFingerprint: `sha256:${"a".repeat(64)}`, nObs: 700, model: "pca", modelVersion: "1.0.0", contractVersion: "1",
        image: { reference: "multiverse-pca:1.0.0", kind: "unverified_local", digest: "" }, params: { n_components: 20 }, paramsHash: "p1",
        seed: 0, preprocessing: {}, backend: "kubernetes", gpu: false, validators: "basic", strict: false, experimentName: "crd-test",
        layout: "store", retries: 0,
      },
    };
    ok(kubectl(c, ["apply", "-f", "-"], JSON.stringify(run)), "create the Run");
    const status = {
      status: {
        phase: "FAILED", reason: "oom_killed", message: "the container was OOM-killed", attempt: 2, attemptId: "at-2",
        bundlePath: "/state/bundles/x", manifestSha256: "b".repeat(64), logicalRunId: "lr-0123", observedGeneration: 1,
        conditions: [{ type: "Succeeded", status: "False", reason: "oom_killed", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }],
      },
    };
    ok(kubectl(c, ["patch", "-n", NAMESPACE, "run", run.metadata.name, "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]), "patch Run status");
    const table = ok(kubectl(c, ["get", "-n", NAMESPACE, "runs", "-l", "multiverse.io/benchmark=crd-test"]), "get runs");
    const [header, row] = table.trim().split("\n");
    assert.deepEqual(header!.split(/\s+/), ["NAME", "PHASE", "REASON", "ATTEMPT", "MODEL", "DATASET", "AGE"]);
    assert.deepEqual(row!.split(/\s+/).slice(0, 6), [run.metadata.name, "FAILED", "oom_killed", "2", "pca", "pbmc68k-reduced"]);
    const stored = JSON.parse(ok(kubectl(c, ["get", "-n", NAMESPACE, "run", run.metadata.name, "-o", "json"]), "get run")) as { status: Record<string, unknown> };
    assert.deepEqual(stored.status, status.status);
    const badPhase = kubectl(c, ["patch", "-n", NAMESPACE, "run", run.metadata.name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { phase: "DONE" } })]);
    assert.notEqual(badPhase.status, 0);
    assert.match(badPhase.stderr, /status\.phase: Unsupported value: "DONE"/);
  });
});
