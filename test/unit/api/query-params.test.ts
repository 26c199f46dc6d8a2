/** Query parameters are taken once each, and integers only as decimal digits within the range their schema declares. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { queryProblems } from "../../../src/api/query-params.js";
import { eventsQuerySchema, runsQuerySchema } from "../../../src/api/schemas.js";

describe("queryProblems", () => {
  test("decimal digits within the range pass, as do absent parameters and non-integer ones", () => {
    assert.deepEqual(queryProblems(runsQuerySchema, { limit: "1", offset: "0" }), []);
    assert.deepEqual(queryProblems(runsQuerySchema, { limit: "1000", offset: String(Number.MAX_SAFE_INTEGER) }), []);
    assert.deepEqual(queryProblems(runsQuerySchema, {}), []);
    assert.deepEqual(queryProblems(runsQuerySchema, { benchmark: "1e20", cursor: "abc" }), [], "strings stay strings");
    assert.deepEqual(queryProblems(eventsQuerySchema, { since: "42" }), []);
  });

  for (const raw of ["1e20", "1e308", "18446744073709551616", "9007199254740992", "-1", "-0", "1.5", "abc", "", " ", " 1", "+5", "0x10", "1e2", "010", "1_000", "Infinity", "NaN", "١٢"]) {
    test(`offset=${JSON.stringify(raw)} is refused, naming the parameter and what was expected`, () => {
      assert.deepEqual(queryProblems(runsQuerySchema, { offset: raw }), [`querystring.offset: expected an integer from 0 to 9007199254740991 in decimal digits, got ${JSON.stringify(raw)}`]);
    });
  }

  test("the range is the schema's: limit from 1 to 1000", () => {
    assert.deepEqual(queryProblems(runsQuerySchema, { limit: "0" }), ['querystring.limit: expected an integer from 1 to 1000 in decimal digits, got "0"']);
    assert.deepEqual(queryProblems(runsQuerySchema, { limit: "1001" }), ['querystring.limit: expected an integer from 1 to 1000 in decimal digits, got "1001"']);
  });

  test("a parameter given twice is named; every bad one is listed; long values are cut short", () => {
    assert.deepEqual(queryProblems(runsQuerySchema, { offset: ["1", "2"], limit: "x" }), ["querystring.limit: expected an integer from 1 to 1000 in decimal digits, got \"x\"", "querystring.offset: given 2 times; give it once"]);
    const [problem] = queryProblems(eventsQuerySchema, { since: "9".repeat(500) });
    assert.ok(problem!.length < 160 && problem!.includes("…"), problem);
  });

  test("any declared parameter given twice is named, integer or not; unknown ones are left to the schema", () => {
    assert.deepEqual(queryProblems(runsQuerySchema, { benchmark: ["a", "b"], phase: ["RUNNING", "FAILED", "PENDING"], colour: ["r", "g"] }), [
      "querystring.benchmark: given 2 times; give it once",
      "querystring.phase: given 3 times; give it once",
    ]);
  });

  test("no schema or no query: nothing to check", () => {
    assert.deepEqual(queryProblems(undefined, { offset: "x" }), []);
    assert.deepEqual(queryProblems(runsQuerySchema, null), []);
  });
});
