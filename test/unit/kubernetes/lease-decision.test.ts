import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decideLease, observationKey, renewalExpired, timingProblem, type LeaseView } from "../../../src/leader/lease-decision.js";

const ME = "me";
const D = 15_000;
const held = (over: Partial<LeaseView> = {}): LeaseView => ({ holderIdentity: "other", leaseDurationSeconds: 15, acquireTime: 1000, renewTime: 5000, leaseTransitions: 3, ...over });

describe("decideLease", () => {
  test("no Lease: create it, holding it from now, transitions 0", () => {
    const { decision, observation } = decideLease({ lease: undefined, observation: undefined, now: 100, identity: ME, leaseDurationMs: D });
    assert.deepEqual(decision, { kind: "create", lease: { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: 100, renewTime: 100, leaseTransitions: 0 } });
    assert.equal(observation, undefined);
  });

  test("held by me: renew, keeping acquireTime and transitions", () => {
    const { decision } = decideLease({ lease: held({ holderIdentity: ME }), observation: undefined, now: 9000, identity: ME, leaseDurationMs: D });
    assert.deepEqual(decision, { kind: "renew", lease: { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: 1000, renewTime: 9000, leaseTransitions: 3 } });
  });

  test("released (empty holder): acquire at once, one more transition", () => {
    const { decision } = decideLease({ lease: held({ holderIdentity: "" }), observation: undefined, now: 2000, identity: ME, leaseDurationMs: D });
    assert.equal(decision.kind, "acquire");
    assert.ok(decision.kind === "acquire");
    assert.equal(decision.lease.leaseTransitions, 4);
    assert.equal(decision.lease.acquireTime, 2000);
    assert.equal(decision.previousHolder, undefined);
  });

  test("held by another, first seen now: wait a whole lease duration, whatever its renewTime says", () => {
    const { decision, observation } = decideLease({ lease: held({ renewTime: 0 }), observation: undefined, now: 1_000_000, identity: ME, leaseDurationMs: D });
    assert.deepEqual(decision, { kind: "wait", holder: "other", expiresInMs: 15_000 });
    assert.equal(observation?.at, 1_000_000);
  });

  test("held by another and unchanged since first seen: wait until a lease duration has passed, then take over", () => {
    const lease = held();
    const first = decideLease({ lease, observation: undefined, now: 10_000, identity: ME, leaseDurationMs: D });
    const before = decideLease({ lease, observation: first.observation, now: 24_999, identity: ME, leaseDurationMs: D });
    assert.deepEqual(before.decision, { kind: "wait", holder: "other", expiresInMs: 1 });
    assert.equal(before.observation?.at, 10_000);
    const at = decideLease({ lease, observation: before.observation, now: 25_000, identity: ME, leaseDurationMs: D });
    assert.equal(at.decision.kind, "acquire");
    assert.ok(at.decision.kind === "acquire");
    assert.equal(at.decision.previousHolder, "other");
    assert.equal(at.decision.lease.leaseTransitions, 4);
    assert.equal(at.decision.lease.holderIdentity, ME);
  });

  test("a renewal by the holder restarts the wait", () => {
    const first = decideLease({ lease: held(), observation: undefined, now: 10_000, identity: ME, leaseDurationMs: D });
    const renewed = decideLease({ lease: held({ renewTime: 7000 }), observation: first.observation, now: 24_000, identity: ME, leaseDurationMs: D });
    assert.deepEqual(renewed.decision, { kind: "wait", holder: "other", expiresInMs: 15_000 });
    assert.equal(renewed.observation?.at, 24_000);
  });

  test("the holder's own lease duration counts, not ours", () => {
    const first = decideLease({ lease: held({ leaseDurationSeconds: 40 }), observation: undefined, now: 0, identity: ME, leaseDurationMs: D });
    const later = decideLease({ lease: held({ leaseDurationSeconds: 40 }), observation: first.observation, now: 30_000, identity: ME, leaseDurationMs: D });
    assert.deepEqual(later.decision, { kind: "wait", holder: "other", expiresInMs: 10_000 });
  });

  test("a Lease without holder identity is free", () => {
    const { decision } = decideLease({ lease: {}, observation: undefined, now: 5, identity: ME, leaseDurationMs: D });
    assert.equal(decision.kind, "acquire");
  });

  test("the observation key changes with every field a holder writes", () => {
    const base = held();
    const keys = new Set([base, held({ holderIdentity: "x" }), held({ renewTime: 1 }), held({ acquireTime: 2 }), held({ leaseTransitions: 9 }), held({ leaseDurationSeconds: 3 })].map(observationKey));
    assert.equal(keys.size, 6);
  });
});

describe("renewal deadline and timings", () => {
  test("a leader that has not renewed for the renew deadline has lost", () => {
    assert.equal(renewalExpired(0, 9_999, 10_000), false);
    assert.equal(renewalExpired(0, 10_000, 10_000), true);
  });

  test("lease > renew deadline > 1.2 x retry period, all positive", () => {
    assert.equal(timingProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), undefined);
    assert.match(timingProblem({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })!, /lease-duration must be longer/);
    assert.match(timingProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 })!, /renew-deadline must be more than 1.2/);
    assert.match(timingProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 })!, /retry-period must be positive/);
  });
});
