import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { renderCrds } from "../../../src/schemas/crds.js";
import { repoRoot } from "../../../src/util/paths.js";

describe("CRDs", () => {
  test("crds/*.yaml are exactly what the schemas generate (run scripts/generate-crds.mjs after changing a schema)", () => {
    const generated = renderCrds();
    const dir = join(repoRoot(), "crds");
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort(), Object.keys(generated).sort());
    for (const [name, text] of Object.entries(generated)) assert.equal(readFileSync(join(dir, name), "utf8"), text, `crds/${name} drifted`);
  });

  test("every CRD is a structural apiextensions/v1 definition of the multiverse.io group", () => {
    for (const text of Object.values(renderCrds())) {
      const crd = parse(text) as { apiVersion: string; spec: { group: string; versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.spec.group, "multiverse.io");
      const schemaText = JSON.stringify(crd.spec.versions[0]!.schema);
      assert.doesNotMatch(schemaText, /"const"|"\$schema"|"x-sweepable"/);
    }
  });
});
