import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CorruptHdf5Error, readLatent, writeLatent } from "../../../src/h5/index.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("latent")));
afterEach(() => cleanup());

describe("readLatent", () => {
  test("names, shape and dtype; finiteness only when asked", async () => {
    const file = join(dir, "e.h5");
    await writeLatent(file, 6, 3, { extra: ["other"] });
    const unchecked = await readLatent(file, { checkFinite: false });
    assert.deepEqual(unchecked, { datasets: ["latent", "other"], groups: [], shape: [6, 3], dtype: "float32", finite: null, nonFinite: null });
    const checked = await readLatent(file, { checkFinite: true });
    assert.equal(checked.finite, true);
    assert.equal(checked.nonFinite, 0);
  });

  test("NaN and infinities are counted in every row block, the last one included", async () => {
    const file = join(dir, "e.h5");
    const bad = new Set(["0,0", "4,1", "9,2", "10,0"]);
    await writeLatent(file, 11, 3, { fill: (r, c) => (bad.has(`${r},${c}`) ? (r % 2 ? Infinity : Number.NaN) : r * c) });
    for (const blockValues of [1, 3, 7, 1000]) {
      const summary = await readLatent(file, { checkFinite: true, blockValues });
      assert.equal(summary.nonFinite, 4, `blocks of ${blockValues} values`);
      assert.equal(summary.finite, false);
    }
  });

  test("a latent under another name or a text latent is described, not scanned", async () => {
    const named = join(dir, "n.h5");
    await writeLatent(named, 4, 2, { name: "embedding" });
    assert.equal((await readLatent(named, { checkFinite: true })).shape, null);
    assert.deepEqual((await readLatent(named, { checkFinite: true, name: "embedding" })).shape, [4, 2]);
    const text = join(dir, "t.h5");
    await writeLatent(text, 4, 2, { asText: true });
    const summary = await readLatent(text, { checkFinite: true });
    assert.notEqual(summary.dtype, "float32");
    assert.equal(summary.finite, null);
  });

  test("files that are not HDF5 are a CorruptHdf5Error with HDF5's reason", async () => {
    writeFileSync(join(dir, "x.h5"), "not hdf5 at all");
    await assert.rejects(readLatent(join(dir, "x.h5"), { checkFinite: true }), (e: unknown) => e instanceof CorruptHdf5Error && /Not an HDF5 file/.test(e.message));
    await assert.rejects(readLatent(join(dir, "missing.h5"), { checkFinite: true }), (e: unknown) => e instanceof CorruptHdf5Error && /does not exist/.test(e.message));
  });
});
