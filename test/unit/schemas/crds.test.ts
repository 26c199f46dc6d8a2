import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { renderCrds } from "../../../src/schemas/crds.js";
import { repoRoot } from "../../../src/util/paths.js";

describe("CRDs", () => {
  for (const folder of ["crds", "charts/multiverse/crds"]) {
    test(`${folder}/*.yaml are exactly what the schemas generate (run scripts/generate-crds.mjs after changing a schema)`, () => {
      const generated = renderCrds();
      const dir = join(repoRoot(), folder);
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort(), Object.keys(generated).sort());
      for (const [name, text] of Object.entries(generated)) assert.equal(readFileSync(join(dir, name), "utf8"), text, `${folder}/${name} drifted`);
    });
  }

  test("every CRD is a structural apiextensions/v1 definition of the multiverse.io group", () => {
    for (const text of Object.values(renderCrds())) {
      const crd = parse(text) as { apiVersion: string; spec: { group: string; versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.spec.group, "multiverse.io");
      const schemaText = JSON.stringify(crd.spec.versions[0]!.schema);
      assert.doesNotMatch(schemaText, /"const"|"\$schema"|"x-sweepable"/);
    }
  });

  // the API server's structural-schema rules (apiextensions validation): a CRD breaking them is refused at apply time
  function structuralProblems(node: unknown, path: string, problems: string[]): string[] {
    if (!node || typeof node !== "object" || Array.isArray(node)) return problems;
    const schema = node as Record<string, unknown>;
    if (schema.properties !== undefined && schema.additionalProperties !== undefined) problems.push(`${path}: properties next to additionalProperties`);
    if (schema.type === undefined && schema["x-kubernetes-int-or-string"] !== true && schema["x-kubernetes-preserve-unknown-fields"] !== true) problems.push(`${path}: no type`);
    if (Array.isArray(schema.type)) problems.push(`${path}: type is a list`);
    if (schema.uniqueItems === true) problems.push(`${path}: uniqueItems`);
    for (const key of ["anyOf", "oneOf", "allOf", "propertyNames", "const", "$ref"]) if (key in schema) problems.push(`${path}: ${key}`);
    for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, unknown>)) structuralProblems(sub, `${path}.${name}`, problems);
    if (schema.items) structuralProblems(schema.items, `${path}[]`, problems);
    if (schema.additionalProperties && typeof schema.additionalProperties === "object") structuralProblems(schema.additionalProperties, `${path}{}`, problems);
    return problems;
  }

  test("every CRD schema is structural, with a status subresource and printer columns", () => {
    for (const [name, text] of Object.entries(renderCrds())) {
      const crd = parse(text) as { spec: { versions: { schema: { openAPIV3Schema: unknown }; subresources?: { status?: object }; additionalPrinterColumns?: unknown[] }[] } };
      const version = crd.spec.versions[0]!;
      assert.deepEqual(structuralProblems(version.schema.openAPIV3Schema, name, []), []);
      assert.deepEqual(version.subresources?.status, {}, name);
      assert.ok((version.additionalPrinterColumns?.length ?? 0) >= 2, name);
    }
  });

  test("the Run CRD carries the run phases and failure reasons as enums", () => {
    const crd = parse(renderCrds()["run.yaml"]!) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { status: { properties: { phase: { enum: string[] }; reason: { enum: string[] } } } } } } }[] } };
    const status = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.status.properties;
    assert.ok(status.phase.enum.includes("ARTIFACT_SUCCESS") && status.phase.enum.includes("RECOVERY_PENDING"));
    assert.ok(status.reason.enum.includes("oom_killed"));
  });
});
