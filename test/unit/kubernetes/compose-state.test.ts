import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { composeDesiredState, type ObservedObject } from "../../../src/sources/kubernetes/compose-state.js";
import { convertObject } from "../../../src/sources/kubernetes/object-conversion.js";
import type { KubeObject } from "../../../src/sources/kubernetes/kube-objects.js";
import type { SourcedResource } from "../../../src/sources/resource-source.js";

let uidCounter = 0;
function object(name: string, spec: unknown, over: Partial<KubeObject["metadata"]> = {}): KubeObject {
  uidCounter += 1;
  return { apiVersion: "multiverse.io/v1alpha1", metadata: { name, namespace: "ns1", uid: `uid-${uidCounter}`, resourceVersion: "7", generation: 1, ...over }, spec };
}
const benchmarkSpec = (over: Record<string, unknown> = {}) => ({ experimentName: "demo", jobs: [{ name: "pca", dataset: "pbmc", model: "pca", seeds: [0, 1], ...over }] });
const datasetSpec = { path: "/data/pbmc.h5mu" };
const modelSpec = { slug: "pca", version: "1.0", runtime: { image: "multiverse/pca:1" } };

describe("convertObject", () => {
  test("a valid Benchmark: origin from metadata, generation = metadata.generation, spec hash of the spec", () => {
    const o = object("demo", benchmarkSpec(), { generation: 4, uid: "u-demo" });
    const converted = convertObject("Benchmark", o, "/work");
    assert.ok(converted.ok);
    assert.equal(converted.resource.name, "demo");
    assert.equal(converted.resource.generation, 4);
    assert.deepEqual(converted.resource.origin, { kind: "kubernetes", namespace: "ns1", name: "demo", uid: "u-demo", resourceVersion: "7", generation: 4 });
    assert.equal(converted.resource.stale, false);
    assert.match(converted.resource.specHash, /^[0-9a-f]{16,}$/);
  });

  test("kubectl's metadata (annotations, managedFields-like extras) does not make an object invalid", () => {
    const o = object("demo", benchmarkSpec(), { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" }, finalizers: ["multiverse.io/cancel-runs"], creationTimestamp: "2026-01-01T00:00:00Z" });
    assert.ok(convertObject("Benchmark", o, "/work").ok);
  });

  test("what the CRD schema lets through but multiverse refuses is a problem with the field path", () => {
    const duplicateJobs = object("demo", { experimentName: "demo", jobs: [{ name: "a", dataset: "pbmc", model: "pca", seeds: [0] }, { name: "a", dataset: "pbmc", model: "pca", seeds: [1] }] });
    const converted = convertObject("Benchmark", duplicateJobs, "/work");
    assert.ok(!converted.ok);
    assert.equal(converted.problem.field, "spec.jobs[1].name");
    assert.match(converted.problem.message, /already used by spec.jobs\[0\]/);
    assert.deepEqual(converted.problem.resource, { kind: "Benchmark", name: "demo" });
    assert.equal(converted.problem.origin?.kind, "kubernetes");
    assert.equal(converted.problem.code, "MV_SCHEMA");
  });

  test("a bad memory limit, an unknown field and a bad image each name their field", () => {
    const memory = convertObject("Benchmark", object("m", benchmarkSpec({ memLimit: "lots" })), "/w");
    assert.ok(!memory.ok);
    assert.equal(memory.problem.field, "spec.jobs[0].memLimit");
    const unknown = convertObject("Benchmark", object("u", { ...benchmarkSpec(), jbos: [] }), "/w");
    assert.ok(!unknown.ok);
    assert.match(`${unknown.problem.field} ${unknown.problem.message}`, /jbos/);
    const image = convertObject("Model", object("pca", { ...modelSpec, runtime: { image: "Not A Valid Image" } }), "/w");
    assert.ok(!image.ok);
    assert.equal(image.problem.field, "spec.runtime.image");
  });

  test("relative dataset paths resolve against the base directory", () => {
    const converted = convertObject("Dataset", object("pbmc", { path: "data/pbmc.h5mu" }), "/mnt/state");
    assert.ok(converted.ok);
    assert.equal((converted.resource.resource.spec as { path: string }).path, "/mnt/state/data/pbmc.h5mu");
  });
});

describe("composeDesiredState", () => {
  const all = (): ObservedObject[] => [
    { kind: "Dataset", object: object("pbmc", datasetSpec) },
    { kind: "Model", object: object("pca", modelSpec) },
    { kind: "Benchmark", object: object("demo", benchmarkSpec()) },
  ];

  test("valid objects become resources with a verdict each and no problems", () => {
    const composed = composeDesiredState(all(), new Map(), "/w");
    assert.deepEqual(composed.resources.map((r) => `${r.kind}/${r.name}`).sort(), ["Benchmark/demo", "Dataset/pbmc", "Model/pca"]);
    assert.equal(composed.problems.length, 0);
    assert.equal(composed.verdicts.length, 3);
    assert.ok(composed.verdicts.every((v) => v.problem === undefined));
    assert.equal(composed.lastGood.size, 3);
  });

  test("an invalid object is a problem; the others are untouched", () => {
    const objects = all();
    objects.push({ kind: "Benchmark", object: object("broken", benchmarkSpec({ memLimit: "lots" })) });
    const composed = composeDesiredState(objects, new Map(), "/w");
    assert.deepEqual(composed.resources.map((r) => r.name).sort(), ["demo", "pbmc", "pca"]);
    assert.equal(composed.problems.length, 1);
    const verdict = composed.verdicts.find((v) => v.name === "broken")!;
    assert.equal(verdict.problem?.field, "spec.jobs[0].memLimit");
    assert.ok(composed.verdicts.filter((v) => v.name !== "broken").every((v) => !v.problem));
  });

  test("an object that turns invalid keeps its last good version in force, stale", () => {
    const good = object("demo", benchmarkSpec(), { uid: "same" });
    const first = composeDesiredState([{ kind: "Benchmark", object: good }], new Map(), "/w");
    const bad = { ...good, metadata: { ...good.metadata, generation: 2 }, spec: benchmarkSpec({ memLimit: "lots" }) };
    const second = composeDesiredState([{ kind: "Benchmark", object: bad }], first.lastGood, "/w");
    assert.equal(second.resources.length, 1);
    assert.equal(second.resources[0]!.stale, true);
    assert.equal(second.resources[0]!.generation, 1);
    assert.equal(second.problems.length, 1);
    assert.ok(second.lastGood.has("same"));
  });

  test("an invalid object with no last good version is left out, its problem naming the resource", () => {
    const composed = composeDesiredState([{ kind: "Benchmark", object: object("b", benchmarkSpec({ memLimit: "x" })) }], new Map<string, SourcedResource>(), "/w");
    assert.equal(composed.resources.length, 0);
    assert.deepEqual(composed.problems[0]!.resource, { kind: "Benchmark", name: "b" });
  });

  test("an object being deleted is not declared and has no verdict", () => {
    const composed = composeDesiredState([{ kind: "Benchmark", object: object("gone", benchmarkSpec(), { deletionTimestamp: "2026-01-01T00:00:00Z" }) }], new Map(), "/w");
    assert.equal(composed.resources.length, 0);
    assert.equal(composed.verdicts.length, 0);
  });

  test("across namespaces: the first of a name wins, the other is refused; identical Datasets are one", () => {
    const composed = composeDesiredState([
      { kind: "Benchmark", object: object("demo", benchmarkSpec(), { namespace: "b-ns" }) },
      { kind: "Benchmark", object: object("demo", benchmarkSpec(), { namespace: "a-ns" }) },
      { kind: "Dataset", object: object("pbmc", datasetSpec, { namespace: "a-ns" }) },
      { kind: "Dataset", object: object("pbmc", datasetSpec, { namespace: "b-ns" }) },
      { kind: "Dataset", object: object("other", { path: "/x.h5mu" }, { namespace: "a-ns" }) },
      { kind: "Dataset", object: object("other", { path: "/y.h5mu" }, { namespace: "b-ns" }) },
    ], new Map(), "/w");
    const benchmark = composed.resources.find((r) => r.kind === "Benchmark")!;
    assert.equal(benchmark.origin.kind === "kubernetes" && benchmark.origin.namespace, "a-ns");
    assert.equal(composed.resources.filter((r) => r.kind === "Dataset").length, 2);
    const refused = composed.verdicts.filter((v) => v.problem).map((v) => `${v.kind}/${v.namespace}/${v.name}`).sort();
    assert.deepEqual(refused, ["Benchmark/b-ns/demo", "Dataset/b-ns/other"]);
    assert.ok(composed.problems.every((p) => p.code === "MV_DUPLICATE" && p.field === "metadata.name"));
  });
});
