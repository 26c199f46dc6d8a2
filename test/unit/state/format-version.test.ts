import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compatibility, MIGRATION_STEPS, parseStateVersion, planMigration, STATE_LAYOUT_VERSION } from "../../../src/state/format-version.js";

describe("state-root format versions", () => {
  test("compatibility of a stored layout with this tool's", () => {
    assert.equal(compatibility(undefined, false, 3), "fresh");
    assert.equal(compatibility(undefined, true, 3), "older");
    assert.equal(compatibility(2, true, 3), "older");
    assert.equal(compatibility(3, true, 3), "current");
    assert.equal(compatibility(3, false, 3), "current");
    assert.equal(compatibility(4, true, 3), "newer");
  });

  test("every layout before this one has a path of steps up to it", () => {
    for (let from = 0; from < STATE_LAYOUT_VERSION; from += 1) {
      const steps = planMigration(from);
      assert.ok(steps, `no migration from ${from}`);
      assert.deepEqual(steps.map((s) => [s.from, s.to]), Array.from({ length: STATE_LAYOUT_VERSION - from }, (_, i) => [from + i, from + i + 1]));
    }
    assert.deepEqual(planMigration(STATE_LAYOUT_VERSION), []);
    assert.equal(planMigration(0, MIGRATION_STEPS.length + 5), undefined);
  });

  test("VERSION parsing", () => {
    assert.deepEqual(parseStateVersion('{"layout":1,"journal":1,"index":7,"bundle_manifest":"1"}'), { version: { layout: 1, journal: 1, index: 7, bundle_manifest: "1" } });
    assert.deepEqual(parseStateVersion("1\n"), { problem: "is not a JSON object" });
    assert.deepEqual(parseStateVersion("{"), { problem: "is not JSON" });
    assert.deepEqual(parseStateVersion("null"), { problem: "is not a JSON object" });
    assert.deepEqual(parseStateVersion('{"layout":0}'), { problem: "layout: expected a positive integer" });
  });
});

describe("doctor's free-space verdict", () => {
  test("warns below 1 GiB free, ok from 1 GiB", async () => {
    const { freeSpaceVerdict, LOW_FREE_BYTES } = await import("../../../src/services/doctor.js");
    assert.equal(freeSpaceVerdict(LOW_FREE_BYTES - 1, 10 * LOW_FREE_BYTES).status, "warning");
    assert.match(freeSpaceVerdict(LOW_FREE_BYTES - 1, 10 * LOW_FREE_BYTES).detail, /multiverse gc/);
    assert.deepEqual(freeSpaceVerdict(LOW_FREE_BYTES, 10 * LOW_FREE_BYTES), { name: "state root free space", status: "ok", detail: "1.0 GiB free of 10.0 GiB" });
  });
});
