import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CorruptHdf5Error, H5ReaderPool, readH5muSummary, readLatent, writeH5mu, writeLatent } from "../../../src/h5/index.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
let pool: H5ReaderPool;
beforeEach(() => {
  ({ dir, cleanup } = tempDir("h5-pool"));
  pool = new H5ReaderPool(2);
});
afterEach(async () => {
  await pool.close();
  cleanup();
});

describe("HDF5 reads reuse long-lived workers", () => {
  test("twenty reads one after another start one worker", async () => {
    const latent = join(dir, "e.h5");
    const dataset = join(dir, "d.h5mu");
    await writeLatent(latent, 10, 3);
    await writeH5mu(dataset, { nObs: 10, modalities: { rna: { nVars: 4 } }, seed: 1 });
    for (let i = 0; i < 10; i += 1) {
      assert.deepEqual((await readLatent(latent, { checkFinite: true, pool })).shape, [10, 3]);
      assert.equal((await readH5muSummary(dataset, { pool })).nObs, 10);
    }
    assert.equal(pool.workersStarted, 1);
  });

  test("concurrent reads use at most the pool's workers", async () => {
    const latent = join(dir, "e.h5");
    await writeLatent(latent, 10, 3);
    const shapes = await Promise.all(Array.from({ length: 8 }, () => readLatent(latent, { checkFinite: true, pool })));
    assert.ok(shapes.every((s) => s.shape?.join("x") === "10x3"));
    assert.ok(pool.workersStarted <= 2, `started ${pool.workersStarted}`);
  });

  test("a failed read replaces its worker; the next read works in a fresh one", async () => {
    const latent = join(dir, "e.h5");
    await writeLatent(latent, 4, 2);
    writeFileSync(join(dir, "junk.h5"), "not HDF5 at all");
    await readLatent(latent, { checkFinite: false, pool });
    await assert.rejects(readLatent(join(dir, "junk.h5"), { checkFinite: false, pool }), (e: unknown) => e instanceof CorruptHdf5Error && /Not an HDF5 file/.test(e.message));
    assert.deepEqual((await readLatent(latent, { checkFinite: false, pool })).shape, [4, 2]);
    assert.equal(pool.workersStarted, 2);
  });

  test("a read that overruns its time limit loses its worker, not the pool", async () => {
    const latent = join(dir, "e.h5");
    await writeLatent(latent, 4, 2);
    // A fresh worker needs far longer than 1 ms to load h5wasm, so this read always times out.
    await assert.rejects(readLatent(latent, { checkFinite: false, pool, timeoutMs: 1 }), (e: unknown) => e instanceof CorruptHdf5Error && /longer than/.test(e.message));
    assert.deepEqual((await readLatent(latent, { checkFinite: false, pool })).shape, [4, 2]);
  });

  test("an idle worker never keeps a process alive", async () => {
    const latent = join(dir, "e.h5");
    await writeLatent(latent, 4, 2);
    const h5Module = fileURLToPath(new URL("../../../src/h5/index.js", import.meta.url));
    const script = `const { readLatent } = await import(${JSON.stringify(h5Module)}); console.log((await readLatent(process.argv[1], { checkFinite: true })).shape.join("x"));`;
    // Without unref the child would never exit and spawnSync would kill it at the timeout.
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, latent], { encoding: "utf8", timeout: 60_000 });
    assert.equal(child.signal, null, "the child exited on its own");
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "4x2");
  });
});
