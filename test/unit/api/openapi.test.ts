/** The OpenAPI document is derived from the route declarations. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildOpenApi } from "../../../src/api/openapi.js";

describe("buildOpenApi", () => {
  const doc = buildOpenApi(
    [
      {
        method: "GET",
        url: "/api/v1/things/:id",
        summary: "a thing",
        params: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
        querystring: { type: "object", required: ["view"], properties: { view: { type: "string", enum: ["a", "b"] }, limit: { type: "integer" } } },
        response: { 200: { type: "object" }, 404: { type: "object", properties: { error: { type: "object" } } } },
      },
      { method: "GET", url: "/api/v1/things/:id/log", summary: "text", produces: "text/plain" },
      { method: "POST", url: "/api/v1/things/:id/poke", summary: "mutates", auth: true, response: { 202: { type: "object" } } },
    ],
    "1.2.3",
  ) as {
    openapi: string;
    info: { version: string };
    paths: Record<string, Record<string, { parameters: { name: string; in: string; required: boolean; schema: object }[]; responses: Record<string, { content: Record<string, unknown> }>; security?: unknown }>>;
  };

  test("OpenAPI 3.1 with paths in {param} form and the version", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.info.version, "1.2.3");
    assert.deepEqual(Object.keys(doc.paths).sort(), ["/api/v1/things/{id}", "/api/v1/things/{id}/log", "/api/v1/things/{id}/poke"]);
  });

  test("path parameters are required, query parameters as declared, with their schemas", () => {
    const get = doc.paths["/api/v1/things/{id}"]!.get!;
    assert.deepEqual(get.parameters, [
      { name: "id", in: "path", required: true, schema: { type: "string" } },
      { name: "view", in: "query", required: true, schema: { type: "string", enum: ["a", "b"] } },
      { name: "limit", in: "query", required: false, schema: { type: "integer" } },
    ]);
    assert.deepEqual(Object.keys(get.responses).sort(), ["200", "404"]);
  });

  test("non-JSON responses carry their media type; mutating calls carry the bearer scheme", () => {
    assert.deepEqual(Object.keys(doc.paths["/api/v1/things/{id}/log"]!.get!.responses["200"]!.content), ["text/plain"]);
    assert.deepEqual(doc.paths["/api/v1/things/{id}/poke"]!.post!.security, [{ bearer: [] }]);
    assert.equal(doc.paths["/api/v1/things/{id}"]!.get!.security, undefined);
  });
});
