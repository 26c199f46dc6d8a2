/** The run-listing page cache: a page is served only at the index version it was read at; the oldest goes first. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RunPageCache } from "../../../src/api/page-cache.js";

describe("RunPageCache", () => {
  test("a page is served at its version only", () => {
    const cache = new RunPageCache(4);
    cache.set("a", "v1", { page: 1 });
    assert.deepEqual(cache.get("a", "v1"), { page: 1 });
    assert.equal(cache.get("a", "v2"), undefined, "the index was written to since");
    assert.equal(cache.get("b", "v1"), undefined);
  });

  test("full: the oldest page is dropped; setting a key again replaces it without dropping another", () => {
    const cache = new RunPageCache(2);
    cache.set("a", "v", { a: 1 });
    cache.set("b", "v", { b: 1 });
    cache.set("b", "w", { b: 2 });
    assert.equal(cache.size, 2);
    assert.deepEqual([cache.get("a", "v"), cache.get("b", "w")], [{ a: 1 }, { b: 2 }]);
    cache.set("c", "v", { c: 1 });
    assert.equal(cache.size, 2);
    assert.equal(cache.get("a", "v"), undefined, "a was the oldest");
    assert.deepEqual(cache.get("c", "v"), { c: 1 });
  });
});
