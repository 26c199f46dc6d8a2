/**
 * The list+watch cache against a scripted source (the ListWatchSource interface the real client implements): the
 * first list, watch events, resuming where a watch ended, a relist on 410 Gone, a backoff after errors, and objects
 * inserted from a create response that a concurrent list does not yet hold.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ListResult, ListWatchSource, WatchEventType, WatchHandle } from "../../../src/executors/kubernetes/kube-api.js";
import { ResourceCache } from "../../../src/executors/kubernetes/resource-cache.js";
import { waitFor } from "../../helpers/wait.js";

const waitUntil = (probe: () => boolean, what: string) => waitFor(what, probe, 10_000, 5);

interface OpenWatch {
  resourceVersion: string;
  emit: (type: WatchEventType, object: KubernetesObject) => void;
  end: (error: unknown) => void;
  aborted: boolean;
}

class ScriptedSource implements ListWatchSource<KubernetesObject> {
  readonly kind = "things";
  lists: Array<() => Promise<ListResult<KubernetesObject>>> = [];
  listCalls = 0;
  watches: OpenWatch[] = [];
  async list(): Promise<ListResult<KubernetesObject>> {
    this.listCalls += 1;
    const next = this.lists.shift();
    if (!next) throw new Error("no list scripted");
    return next();
  }
  async watch(_selector: string, resourceVersion: string, onEvent: (type: WatchEventType, object: KubernetesObject) => void, onDone: (error: unknown) => void): Promise<WatchHandle> {
    const open: OpenWatch = { resourceVersion, emit: onEvent, end: onDone, aborted: false };
    this.watches.push(open);
    return { abort: () => (open.aborted = true) };
  }
}

const obj = (name: string, rv: string): KubernetesObject => ({ metadata: { name, resourceVersion: rv } });

function cacheOf(source: ScriptedSource) {
  const seen: string[] = [];
  const cache = new ResourceCache(source, "a=b", { upsert: (o) => seen.push(`+${o.metadata?.name}`), remove: (o) => seen.push(`-${o.metadata?.name}`) }, { initialBackoffMs: 5, maxBackoffMs: 20 });
  return { cache, seen };
}

describe("list+watch cache", () => {
  test("lists, then watches from the list's version; events update the cache; a server close resumes from the last version", async () => {
    const source = new ScriptedSource();
    source.lists.push(async () => ({ items: [obj("a", "1")], resourceVersion: "10" }));
    const { cache, seen } = cacheOf(source);
    cache.start();
    await cache.whenSynced();
    await waitUntil(() => source.watches.length === 1, "the watch starts");
    assert.equal(source.watches[0]!.resourceVersion, "10");
    source.watches[0]!.emit("ADDED", obj("b", "11"));
    source.watches[0]!.emit("MODIFIED", obj("a", "12"));
    source.watches[0]!.emit("BOOKMARK", { metadata: { resourceVersion: "15" } });
    source.watches[0]!.emit("DELETED", obj("b", "16"));
    assert.deepEqual(cache.values().map((o) => o.metadata?.name), ["a"]);
    assert.deepEqual(seen, ["+a", "+b", "+a", "-b"]);
    source.watches[0]!.end(null);
    await waitUntil(() => source.watches.length === 2, "the watch resumes");
    assert.equal(source.watches[1]!.resourceVersion, "16");
    assert.equal(source.listCalls, 1, "no second list for a resumed watch");
    cache.stop();
    assert.equal(source.watches[1]!.aborted, true);
  });

  test("410 Gone lists again, and what vanished meanwhile is removed", async () => {
    const source = new ScriptedSource();
    source.lists.push(async () => ({ items: [obj("a", "1"), obj("b", "2")], resourceVersion: "10" }));
    source.lists.push(async () => ({ items: [obj("b", "30")], resourceVersion: "31" }));
    const { cache, seen } = cacheOf(source);
    cache.start();
    await waitUntil(() => source.watches.length === 1, "the watch starts");
    source.watches[0]!.emit("ERROR", { code: 410 } as KubernetesObject);
    source.watches[0]!.end(null);
    await waitUntil(() => source.watches.length === 2, "watching again after the relist");
    assert.equal(source.listCalls, 2);
    assert.equal(source.watches[1]!.resourceVersion, "31");
    assert.deepEqual(cache.values().map((o) => o.metadata?.name), ["b"]);
    assert.ok(seen.includes("-a"));
    cache.stop();
  });

  test("errors back off and retry until the API answers; the first sync waits for it", async () => {
    const source = new ScriptedSource();
    const refused = async (): Promise<ListResult<KubernetesObject>> => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    };
    source.lists.push(refused, refused, async () => ({ items: [obj("a", "1")], resourceVersion: "5" }));
    const errors: unknown[] = [];
    const cache = new ResourceCache(source, "", { upsert: () => undefined, remove: () => undefined }, { initialBackoffMs: 5, onError: (e) => errors.push(e) });
    cache.start();
    assert.equal(cache.isSynced, false);
    await cache.whenSynced();
    assert.equal(errors.length, 2);
    assert.equal(source.listCalls, 3);
    await waitUntil(() => source.watches.length === 1, "the watch starts");
    source.watches[0]!.end(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
    await waitUntil(() => source.watches.length === 2, "the watch resumes after a backoff");
    assert.equal(source.watches[1]!.resourceVersion, "5", "resumed from the list's version");
    cache.stop();
  });

  test("an object inserted from a create response survives a list that does not hold it yet", async () => {
    const source = new ScriptedSource();
    source.lists.push(async () => ({ items: [], resourceVersion: "1" }));
    source.lists.push(async () => ({ items: [], resourceVersion: "2" }));
    const { cache } = cacheOf(source);
    cache.start();
    await cache.whenSynced();
    await waitUntil(() => source.watches.length === 1, "the watch starts");
    cache.insertCreated(obj("new", "3"));
    source.watches[0]!.end({ statusCode: 410 });
    await waitUntil(() => source.watches.length === 2, "watching again after the relist");
    assert.ok(cache.get("new"), "still cached: the watch from version 2 will deliver it");
    cache.stop();
  });
});
