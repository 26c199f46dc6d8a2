import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FAILURE_REASONS, type FailureReason } from "../../../src/domain/run-states.js";
import { INFRASTRUCTURE_RETRIES, retryDecision, RETRY_MAX_DELAY_MS } from "../../../reconcilers/retry-policy.js";

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
