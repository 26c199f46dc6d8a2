import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FAILURE_REASONS, type FailureReason } from "../../../src/domain/run-states.js";
import { effectiveMemLimit, INFRASTRUCTURE_RETRIES, retryDecision, RETRY_MAX_DELAY_MS } from "../../../reconcilers/retry-policy.js";

describe("retry policy", () => {
  test("infrastructure failures retry with exponential backoff up to the budget", () => {
    for (const reason of ["launch_error", "engine_unavailable", "lost", "promotion_failed"] as FailureReason[]) {
      const delays = [1, 2, 3].map((attempt) => retryDecision(reason, attempt, 0));
      assert.ok(delays.every((d) => d.retry), reason);
      assert.deepEqual(delays.map((d) => d.delayMs), [1000, 2000, 4000]);
      assert.equal(retryDecision(reason, INFRASTRUCTURE_RETRIES + 1, 0).retry, false);
    }
  });

  test("method failures are results unless the job asks for retries", () => {
    for (const reason of ["nonzero_exit", "oom_killed", "timeout", "validation_failed"] as FailureReason[]) {
      assert.equal(retryDecision(reason, 1, 0).retry, false, reason);
      assert.equal(retryDecision(reason, 1, 2).retry, true);
      assert.equal(retryDecision(reason, 2, 2).retry, true);
      assert.equal(retryDecision(reason, 3, 2).retry, false);
    }
  });

  test("user decisions and permanent refusals never retry", () => {
    for (const reason of ["cancelled", "discarded", "image_missing", "unverified_image"] as FailureReason[]) {
      assert.equal(retryDecision(reason, 1, 5).retry, false, reason);
    }
    assert.equal(retryDecision(undefined, 1, 5).retry, false);
  });

  test("every declared reason has a decision and delays are capped", () => {
    for (const reason of Object.keys(FAILURE_REASONS) as FailureReason[]) assert.equal(typeof retryDecision(reason, 1, 1).why, "string");
    assert.equal(retryDecision("lost", 30, 0).delayMs, 0);
    assert.ok(retryDecision("nonzero_exit", 20, 100).delayMs <= RETRY_MAX_DELAY_MS);
  });
});

describe("OOM retries with a growing memory limit", () => {
  test("an OOM kill is retried only as often as oomRetries (or retries) allows", () => {
    assert.equal(retryDecision("oom_killed", 1, 0, 0).retry, false);
    assert.equal(retryDecision("oom_killed", 1, 0, 2).retry, true);
    assert.equal(retryDecision("oom_killed", 2, 0, 2).retry, true);
    assert.equal(retryDecision("oom_killed", 3, 0, 2).retry, false);
    assert.match(retryDecision("oom_killed", 1, 0, 2).why, /doubled memory limit/);
    assert.equal(retryDecision("nonzero_exit", 1, 0, 2).retry, false, "oomRetries is for OOM kills only");
  });

  test("the limit doubles per OOM kill, at most oomRetries times, capped by capacity, never below the declared limit", () => {
    const MiB = 1024 ** 2;
    const spec = { memLimitBytes: 100 * MiB, oomRetries: 2 };
    assert.deepEqual([0, 1, 2, 3, 9].map((kills) => effectiveMemLimit(spec, kills, 10_000 * MiB)! / MiB), [100, 200, 400, 400, 400]);
    assert.equal(effectiveMemLimit(spec, 2, 300 * MiB)! / MiB, 300);
    assert.equal(effectiveMemLimit(spec, 2, 50 * MiB)! / MiB, 100);
    assert.equal(effectiveMemLimit({ memLimitBytes: 100 * MiB }, 3, 10_000 * MiB)! / MiB, 100, "no oomRetries: the declared limit");
    assert.equal(effectiveMemLimit({ oomRetries: 2 }, 1, 10_000 * MiB), undefined, "no limit stays no limit");
  });
});
