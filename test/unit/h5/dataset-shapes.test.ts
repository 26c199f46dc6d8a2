import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { readH5muSummary, writeH5mu } from "../../../src/h5/index.js";
import { describeDataset } from "../../../src/catalog/datasets.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("h5-shapes")));
afterEach(() => cleanup());

const SYSTEM_PYTHON = "/usr/bin/python3";
const hasH5py = spawnSync(SYSTEM_PYTHON, ["-c", "import h5py"]).status === 0;
const needsH5py = { skip: hasH5py ? false : "system python3 has no h5py" };

/** A dataset written by the project's writer, then edited with h5py (`f` is the open file). */
async function edited(edit: string, spec: Parameters<typeof writeH5mu>[1] = { nObs: 300, modalities: { rna: { nVars: 8 } }, seed: 1 }): Promise<string> {
  const file = join(dir, "d.h5mu");
  await writeH5mu(file, spec);
  const result = spawnSync(SYSTEM_PYTHON, ["-c", `import h5py, numpy as np, sys\nf = h5py.File(sys.argv[1], 'r+')\n${edit}\nf.close()`, file], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return file;
}

function refused(field: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof MultiverseError && e.code === "MV_BAD_DATASET", `expected MV_BAD_DATASET, got ${String(e)}`);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, pattern);
    assert.equal(e.location.field, field);
    return true;
  };
}

const replaceIndex = (group: string, names: string) => `del f['${group}/_index']\nf['${group}/_index'] = np.array(${names}, dtype=object).astype(h5py.string_dtype())`;

describe("datasets a model container cannot use are refused when registered (and so when planned)", () => {
  test("zero cells", needsH5py, async () => {
    const file = await edited(
      ["del f['mod/rna/X']", "f['mod/rna/X'] = np.zeros((0, 8), dtype='f4')", replaceIndex("mod/rna/obs", "[]"), replaceIndex("obs", "[]"), "for c in ('batch', 'label'):\n    del f['obs/' + c]"].join("\n"),
    );
    await assert.rejects(describeDataset(file, { slug: "empty" }), refused("/obs", /the dataset has no cells \(\/obs is empty\)/));
  });

  test("X with 250 rows against 300 obs", needsH5py, async () => {
    const file = await edited("del f['mod/rna/X']\nf['mod/rna/X'] = np.ones((250, 8), dtype='f4')");
    await assert.rejects(readH5muSummary(file), refused("mod/rna/X", /mod\/rna\/X has 250 rows but mod\/rna\/obs has 300 cells/));
  });

  test("X with columns other than var", needsH5py, async () => {
    const file = await edited("del f['mod/rna/X']\nf['mod/rna/X'] = np.ones((300, 9), dtype='f4')");
    await assert.rejects(readH5muSummary(file), refused("mod/rna/X", /has 9 columns but mod\/rna\/var has 8 features/));
  });

  test("/obs of 100 against a modality of 300", needsH5py, async () => {
    const file = await edited(`${replaceIndex("obs", "[f'cell-{i:05d}' for i in range(100)]")}\nfor c in ('batch', 'label'):\n    del f['obs/' + c]`);
    await assert.rejects(readH5muSummary(file), refused("mod/rna/obs", /mod\/rna\/obs has 300 cells but \/obs has 100; every modality must hold the same cells/));
  });

  test("modalities with the same count but other cells, or another order", needsH5py, async () => {
    const file = await edited(replaceIndex("mod/adt/obs", "[f'cell-{i:05d}' for i in reversed(range(300))]"), { nObs: 300, modalities: { rna: { nVars: 8 }, adt: { nVars: 3 } }, seed: 1 });
    await assert.rejects(readH5muSummary(file), refused("mod/adt/obs", /mod\/adt\/obs row 0 is cell "cell-00299" but \/obs row 0 is "cell-00000"/));
  });

  test("duplicated obs names", needsH5py, async () => {
    const names = "['cell-00000'] * 2 + [f'cell-{i:05d}' for i in range(2, 300)]";
    const file = await edited(`${replaceIndex("obs", names)}\n${replaceIndex("mod/rna/obs", names)}`);
    await assert.rejects(readH5muSummary(file), refused("/obs", /\/obs names cell "cell-00000" more than once/));
  });

  test("duplicated feature names", needsH5py, async () => {
    const file = await edited(replaceIndex("mod/rna/var", "['g'] * 8"));
    await assert.rejects(readH5muSummary(file), refused("mod/rna/var", /names feature "g" more than once/));
  });

  test("string X, dense or as sparse data", needsH5py, async () => {
    const dense = await edited("del f['mod/rna/X']\nf['mod/rna/X'] = np.full((300, 8), 'x', dtype=object).astype(h5py.string_dtype())");
    await assert.rejects(readH5muSummary(dense), refused("/mod/rna/X", /mod\/rna\/X must hold numbers, got dtype/));
  });

  test("a declared 10^12 x 10^6 X (dense, nothing written) and a sparse X declaring it", needsH5py, async () => {
    const dense = await edited("del f['mod/rna/X']\nf.create_dataset('mod/rna/X', shape=(10**12, 10**6), dtype='f4', chunks=(1000, 1000))");
    await assert.rejects(readH5muSummary(dense), refused("mod/rna/X", /declares shape \[1000000000000, 1000000\], beyond/));
    const sparse = await edited("f['mod/rna/X'].attrs['shape'] = np.array([10**12, 10**6], dtype='i8')", { nObs: 300, modalities: { rna: { nVars: 8, sparse: true } }, seed: 1 });
    await assert.rejects(readH5muSummary(sparse), refused("mod/rna/X", /declares shape \[1000000000000, 1000000\], beyond/));
  });

  test("a sparse X whose arrays disagree with its shape", needsH5py, async () => {
    const file = await edited("f['mod/rna/X'].attrs['shape'] = np.array([299, 8], dtype='i8')", { nObs: 300, modalities: { rna: { nVars: 8, sparse: true } }, seed: 1 });
    await assert.rejects(readH5muSummary(file), refused("mod/rna/X/indptr", /indptr has 301 entries; a csr_matrix of shape \[299, 8\] needs 300/));
  });

  test("a modality without features", needsH5py, async () => {
    const file = await edited(["del f['mod/rna/X']", "f['mod/rna/X'] = np.zeros((300, 0), dtype='f4')", replaceIndex("mod/rna/var", "[]")].join("\n"));
    await assert.rejects(readH5muSummary(file), refused("mod/rna/X", /modality rna has no features/));
  });

  test("a good dataset still reads", async () => {
    const file = join(dir, "good.h5mu");
    await writeH5mu(file, { nObs: 300, modalities: { rna: { nVars: 8, sparse: true }, adt: { nVars: 3 } }, seed: 1 });
    const summary = await readH5muSummary(file);
    assert.equal(summary.nObs, 300);
    assert.deepEqual(summary.nVars, { adt: 3, rna: 8 });
  });
});
