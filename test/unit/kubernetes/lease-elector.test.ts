/**
 * The elector's I/O loop over an in-memory Lease store with the API server's optimistic concurrency (the same
 * LeaseApi interface as the client-node adapter): one holder at a time, a follower takes over a Lease that is no
 * longer renewed, a leader that sees another holder loses, a released Lease is taken at once.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LeaseElector, type LeaseApi, type StoredLease } from "../../../src/leader/lease-elector.js";
import type { LeaseWish } from "../../../src/leader/lease-decision.js";

class MemoryLeases implements LeaseApi {
  lease: StoredLease | undefined;
  private version = 0;
  writes = 0;

  get(): Promise<StoredLease | undefined> {
    return Promise.resolve(this.lease ? { view: { ...this.lease.view }, resourceVersion: this.lease.resourceVersion } : undefined);
  }

  write(_ns: string, _name: string, wish: LeaseWish, resourceVersion?: string): Promise<boolean> {
    this.writes += 1;
    if (resourceVersion === undefined ? this.lease !== undefined : this.lease?.resourceVersion !== resourceVersion) return Promise.resolve(false);
    this.version += 1;
    this.lease = { view: { ...wish }, resourceVersion: String(this.version) };
    return Promise.resolve(true);
  }
}

const elector = (api: LeaseApi, identity: string, lines: string[] = []) =>
  new LeaseElector({ api, namespace: "ns", name: "lease", identity, leaseDurationMs: 300, renewDeadlineMs: 200, retryPeriodMs: 20, log: (l) => lines.push(`${identity}: ${l}`) });

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("LeaseElector", () => {
  test("the first candidate creates the Lease; the second waits while it is renewed, then takes over when it is not", async () => {
    const api = new MemoryLeases();
    const lines: string[] = [];
    const a = elector(api, "a", lines);
    assert.equal(await a.acquire(), true);
    assert.equal(api.lease?.view.holderIdentity, "a");
    const lost: string[] = [];
    a.hold((reason) => lost.push(reason));
    const b = elector(api, "b", lines);
    let bLeads = false;
    void b.acquire().then((won) => (bLeads = won));
    await until("a renewed a few times while b waits", () => api.writes >= 5);
    assert.equal(bLeads, false);
    assert.equal(api.lease?.view.holderIdentity, "a");
    // a stops renewing without handing the Lease back (a crash): b takes it after the lease duration.
    await a.release().catch(() => undefined);
    api.lease = { ...api.lease!, view: { ...api.lease!.view, holderIdentity: "a" } };
    await until("b leads", () => bLeads);
    assert.equal(api.lease?.view.holderIdentity, "b");
    assert.equal(api.lease?.view.leaseTransitions, 1);
    assert.ok(lines.some((l) => /b: leader election: lease of a expired; taking over/.test(l)), lines.join("\n"));
    await b.release();
  });

  test("a leader that finds another holder loses, once", async () => {
    const api = new MemoryLeases();
    const a = elector(api, "a");
    await a.acquire();
    const lost: string[] = [];
    a.hold((reason) => lost.push(reason));
    api.lease = { view: { holderIdentity: "intruder", leaseDurationSeconds: 60, renewTime: Date.now(), acquireTime: Date.now(), leaseTransitions: 1 }, resourceVersion: "x" };
    await until("a lost", () => lost.length > 0);
    assert.match(lost[0]!, /is now held by intruder/);
    assert.equal(a.isLeader(), false);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(lost.length, 1);
  });

  test("a leader that cannot reach the API server loses after the renew deadline", async () => {
    const api = new MemoryLeases();
    const a = elector(api, "a");
    await a.acquire();
    const lost: string[] = [];
    api.get = () => Promise.reject(new Error("connect ECONNREFUSED"));
    a.hold((reason) => lost.push(reason));
    await until("a lost", () => lost.length > 0);
    assert.match(lost[0]!, /could not renew lease ns\/lease within 200 ms: connect ECONNREFUSED/);
  });

  test("release hands the Lease back: a follower takes it without waiting a lease duration", async () => {
    const api = new MemoryLeases();
    const a = elector(api, "a");
    await a.acquire();
    await a.release();
    assert.equal(api.lease?.view.holderIdentity, "");
    const b = new LeaseElector({ api, namespace: "ns", name: "lease", identity: "b", leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 20, log: () => undefined });
    assert.equal(await b.acquire(), true);
    assert.equal(api.lease?.view.holderIdentity, "b");
  });
});
