/**
 * The reflector's protocol against a scripted KubeApi (the same interface as the client-node adapter): resume a
 * closed watch from the last resourceVersion, bookmarks move it, 410 Gone relists and replaces the cache, failures
 * back off. The real API server is exercised by test/integration/kubernetes-source.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ListWatch } from "../../../src/sources/kubernetes/list-watch.js";
import type { KubeApi, WatchEvent, WatchHandle } from "../../../src/sources/kubernetes/kube-api.js";
import type { CollectionRef, KubeObject } from "../../../src/sources/kubernetes/kube-objects.js";
import { ExponentialBackoff } from "../../../src/util/rate-limiter.js";

interface OpenWatch {
  resourceVersion: string;
  onEvent: (event: WatchEvent) => void;
  onDone: (error: unknown) => void;
  aborted: boolean;
}

const obj = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: rv } });

class ScriptedApi implements KubeApi {
  readonly server = "https://scripted";
  lists: { items: KubeObject[]; resourceVersion: string }[] = [];
  listFailures = 0;
  listCalls = 0;
  watches: OpenWatch[] = [];

  list(_ref: CollectionRef): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    this.listCalls += 1;
    if (this.listFailures > 0) {
      this.listFailures -= 1;
      return Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    }
    const next = this.lists.shift();
    if (!next) return Promise.reject(new Error("no list scripted"));
    return Promise.resolve(next);
  }

  watch(_ref: CollectionRef, params: { resourceVersion: string }, onEvent: (event: WatchEvent) => void, onDone: (error: unknown) => void): Promise<WatchHandle> {
    const open: OpenWatch = { resourceVersion: params.resourceVersion, onEvent, onDone, aborted: false };
    this.watches.push(open);
    return Promise.resolve({ abort: () => void (open.aborted = true) });
  }

  get(): Promise<KubeObject> { return Promise.reject(new Error("unused")); }
  apply(): Promise<KubeObject> { return Promise.reject(new Error("unused")); }
  applyStatus(): Promise<KubeObject> { return Promise.reject(new Error("unused")); }
  patch(): Promise<KubeObject> { return Promise.reject(new Error("unused")); }
  createEvent(): Promise<void> { return Promise.reject(new Error("unused")); }
}

async function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const names = (lw: ListWatch) => lw.objects().map((o) => o.metadata.name).sort();

describe("ListWatch", () => {
  test("lists, watches from the list's resourceVersion, applies events, resumes a closed watch from the last one", async () => {
    const api = new ScriptedApi();
    api.lists.push({ items: [obj("a", "5")], resourceVersion: "10" });
    let changes = 0;
    const lw = new ListWatch({ api, collection: { plural: "benchmarks", namespace: "ns" }, onChange: () => void (changes += 1) });
    await lw.start();
    assert.deepEqual(names(lw), ["a"]);
    const first = await until("a watch", () => api.watches[0]);
    assert.equal(first.resourceVersion, "10");
    first.onEvent({ type: "ADDED", object: obj("b", "11") });
    first.onEvent({ type: "MODIFIED", object: obj("a", "12") });
    first.onEvent({ type: "BOOKMARK", object: { metadata: { name: "", resourceVersion: "15" } } });
    assert.deepEqual(names(lw), ["a", "b"]);
    assert.equal(lw.lastResourceVersion(), "15");
    first.onEvent({ type: "DELETED", object: obj("b", "16") });
    assert.deepEqual(names(lw), ["a"]);
    assert.equal(changes, 4, "first list and three object events; the bookmark is no change");
    // The server closes the watch (its timeoutSeconds); the reflector resumes from resourceVersion 16 without a list.
    await new Promise((r) => setTimeout(r, 1000));
    first.onDone(null);
    const second = await until("a second watch", () => api.watches[1]);
    assert.equal(second.resourceVersion, "16");
    assert.equal(api.listCalls, 1);
    lw.stop();
  });

  test("410 Gone (an ERROR event) relists and replaces the cache: objects deleted meanwhile disappear", async () => {
    const api = new ScriptedApi();
    api.lists.push({ items: [obj("a", "5"), obj("b", "6")], resourceVersion: "10" }, { items: [obj("b", "30"), obj("c", "31")], resourceVersion: "40" });
    const lw = new ListWatch({ api, collection: { plural: "benchmarks" }, onChange: () => undefined });
    await lw.start();
    const first = await until("a watch", () => api.watches[0]);
    first.onEvent({ type: "ERROR", object: { code: 410, reason: "Expired", message: "too old resource version" } });
    first.onDone(null);
    const second = await until("a watch after the relist", () => api.watches[1]);
    assert.equal(second.resourceVersion, "40");
    assert.deepEqual(names(lw), ["b", "c"]);
    assert.equal(lw.stats.expired, 1);
    assert.equal(api.listCalls, 2);
    lw.stop();
  });

  test("410 as the watch's HTTP status relists too; a late callback of a replaced watch is ignored", async () => {
    const api = new ScriptedApi();
    api.lists.push({ items: [obj("a", "5")], resourceVersion: "10" }, { items: [], resourceVersion: "50" });
    const lw = new ListWatch({ api, collection: { plural: "benchmarks" }, onChange: () => undefined });
    await lw.start();
    const first = await until("a watch", () => api.watches[0]);
    first.onDone(Object.assign(new Error("Gone"), { statusCode: 410 }));
    await until("a watch after the relist", () => api.watches[1]);
    first.onEvent({ type: "ADDED", object: obj("zombie", "99") });
    assert.deepEqual(names(lw), []);
    lw.stop();
  });

  test("a failing list is retried with backoff until it answers; the first sync waits for it", async () => {
    const api = new ScriptedApi();
    api.listFailures = 2;
    api.lists.push({ items: [obj("a", "5")], resourceVersion: "10" });
    const lines: string[] = [];
    const lw = new ListWatch({ api, collection: { plural: "benchmarks" }, onChange: () => undefined, log: (l) => lines.push(l), backoff: new ExponentialBackoff<string>(1, 10) });
    await lw.start();
    assert.deepEqual(names(lw), ["a"]);
    assert.equal(api.listCalls, 3);
    assert.equal(lw.stats.failures, 2);
    assert.ok(lines.some((l) => /list failed: connect ECONNREFUSED; retrying in/.test(l)));
    lw.stop();
  });

  test("a watch that fails backs off and resumes from the same resourceVersion; stop aborts the open watch", async () => {
    const api = new ScriptedApi();
    api.lists.push({ items: [], resourceVersion: "10" });
    const lw = new ListWatch({ api, collection: { plural: "benchmarks" }, onChange: () => undefined, backoff: new ExponentialBackoff<string>(1, 10) });
    await lw.start();
    const first = await until("a watch", () => api.watches[0]);
    first.onDone(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const second = await until("a watch after the failure", () => api.watches[1]);
    assert.equal(second.resourceVersion, "10");
    assert.equal(api.listCalls, 1);
    lw.stop();
    assert.equal(second.aborted, true);
  });

  test("an ERROR event other than 410 (504 Too large resource version) backs off, logs why, and resumes from the same resourceVersion", async () => {
    const api = new ScriptedApi();
    api.lists.push({ items: [], resourceVersion: "10" });
    const lines: string[] = [];
    const lw = new ListWatch({ api, collection: { plural: "benchmarks" }, onChange: () => undefined, backoff: new ExponentialBackoff<string>(1, 10), log: (line) => lines.push(line) });
    await lw.start();
    const first = await until("a watch", () => api.watches[0]);
    first.onEvent({ type: "ERROR", object: { kind: "Status", code: 504, message: "Timeout: Too large resource version: 4663, current: 4611" } } as unknown as WatchEvent);
    first.onDone(null);
    const second = await until("a watch after the refusal", () => api.watches[1]);
    assert.equal(second.resourceVersion, "10");
    assert.equal(api.listCalls, 1, "not a relist: only 410 relists");
    assert.ok(lines.some((l) => /the watch was refused: Timeout: Too large resource version: 4663, current: 4611; retrying in/.test(l)), lines.join("\n"));
    lw.stop();
  });
});
