/** Every error leaves the API in one shape with the status of its code. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { toApiError } from "../../../src/api/errors.js";
import { Errors } from "../../../src/domain/errors.js";

describe("toApiError", () => {
  test("domain errors keep their code and details; the status follows the code", () => {
    assert.deepEqual(toApiError(Errors.notFound("no run matches x", { details: ["hint"] })), { status: 404, body: { error: { code: "MV_NOT_FOUND", message: "no run matches x", details: ["hint"] } } });
    assert.equal(toApiError(Errors.ambiguous("two")).status, 409);
    assert.equal(toApiError(Errors.usage("bad")).status, 400);
    assert.equal(toApiError(Errors.indexDrift("stale")).status, 503);
    assert.equal(toApiError(Errors.journalCorrupt("bad line")).status, 500);
  });

  test("API errors carry the status they were declared with", () => {
    assert.deepEqual(toApiError(Errors.unauthorized("token")), { status: 401, body: { error: { code: "MV_UNAUTHORIZED", message: "token" } } });
  });

  test("schema validation failures are 400 naming the parameter, the rule and the allowed values", () => {
    const error = Object.assign(new Error("x"), {
      validationContext: "querystring",
      validation: [
        { instancePath: "/limit", message: "must be >= 1", params: {} },
        { instancePath: "/phase", message: "must be equal to one of the allowed values", params: { allowedValues: ["PENDING", "RUNNING"] } },
        { instancePath: "", message: "must NOT have additional properties", params: { additionalProperty: "colour" } },
      ],
    });
    const { status, body } = toApiError(error);
    assert.equal(status, 400);
    assert.equal(body.error.code, "MV_BAD_REQUEST");
    assert.equal(body.error.message, "querystring.limit: must be >= 1");
    assert.deepEqual(body.error.details, [
      "querystring.limit: must be >= 1",
      "querystring.phase: must be equal to one of the allowed values (one of PENDING, RUNNING)",
      'querystring: unknown parameter "colour"',
    ]);
  });

  test("client errors from Fastify keep their status; anything else is a 500 MV_INTERNAL", () => {
    assert.equal(toApiError(Object.assign(new Error("Unsupported Media Type"), { statusCode: 415 })).status, 415);
    assert.deepEqual(toApiError(new TypeError("boom")), { status: 500, body: { error: { code: "MV_INTERNAL", message: "boom" } } });
  });
});
