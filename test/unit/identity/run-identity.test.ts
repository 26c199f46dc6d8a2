import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../../src/identity/canonical-json.js";
import { attemptId, explainIdentityDifference, logicalRunId, runName, type IdentityInput } from "../../../src/identity/run-identity.js";

const base: IdentityInput = {
  datasetFingerprint: "sha256:aaaa",
  modelSlug: "pca",
  modelVersion: "1.0.0",
  image: { kind: "unverified_local", digest: "sha256:bbbb" },
  params: { n_components: 20, svd_solver: "full" },
  seed: 0,
  preprocessing: {},
};

describe("canonicalJson", () => {
  test("sorts keys at every depth and drops undefined", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  test("refuses NaN and Infinity", () => {
    assert.throws(() => canonicalJson({ a: Number.NaN }), /non-finite number at \$\.a/);
    assert.throws(() => canonicalJson([Infinity]), /non-finite/);
  });
  test("-0 and 0 are the same", () => {
    assert.equal(canonicalJson(-0), canonicalJson(0));
  });
});

describe("logical run identity", () => {
  test("same inputs give the same id", () => {
    assert.equal(logicalRunId(base), logicalRunId(structuredClone(base)));
    assert.match(logicalRunId(base), /^[0-9a-f]{24}$/);
  });

  test("key order of params does not change the id", () => {
    assert.equal(logicalRunId(base), logicalRunId({ ...base, params: { svd_solver: "full", n_components: 20 } }));
  });

  const changes: [string, Partial<IdentityInput>][] = [
    ["dataset fingerprint", { datasetFingerprint: "sha256:cccc" }],
    ["model slug", { modelSlug: "mofa" }],
    ["model version", { modelVersion: "1.0.1" }],
    ["image digest", { image: { kind: "unverified_local", digest: "sha256:dddd" } }],
    ["image kind", { image: { kind: "registry", digest: "sha256:bbbb" } }],
    ["a param value", { params: { n_components: 21, svd_solver: "full" } }],
    ["an added param", { params: { n_components: 20, svd_solver: "full", extra: true } }],
    ["seed", { seed: 1 }],
    ["preprocessing", { preprocessing: { normalize: "log1p" } }],
    ["contract version", { contractVersion: "2" }],
  ];
  for (const [what, change] of changes) {
    test(`changing the ${what} changes the id, and the difference is explained`, () => {
      const changed = { ...base, ...change };
      assert.notEqual(logicalRunId(changed), logicalRunId(base));
      assert.ok(explainIdentityDifference(base, changed).length === 1, `exactly one identity field differs for ${what}`);
    });
  }

  test("a param given explicitly with its default value equals the default applied (params are resolved before hashing)", () => {
    // resolveHyperparameters applies defaults; identity sees the resolved object either way
    assert.equal(logicalRunId({ ...base, params: { n_components: 20, svd_solver: "full" } }), logicalRunId(base));
  });

  test("attempt ids differ per attempt and per owner; run names are DNS-safe", () => {
    const id = logicalRunId(base);
    assert.notEqual(attemptId(id, "owner1", 1), attemptId(id, "owner1", 2));
    assert.notEqual(attemptId(id, "owner1", 1), attemptId(id, "owner2", 1));
    assert.match(runName("PBMC PCA/test", 3, id), /^pbmc-pca-test-s3-[0-9a-f]{8}$/);
  });
});
