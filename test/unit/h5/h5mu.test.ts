import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prng, readH5muSummary, writeH5mu, writeLatent } from "../../../src/h5/index.js";
import { fingerprintFile } from "../../../src/catalog/datasets.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";
import { waitFor } from "../../helpers/wait.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("h5")));
afterEach(() => cleanup());

const SYSTEM_PYTHON = "/usr/bin/python3";
const hasH5py = spawnSync(SYSTEM_PYTHON, ["-c", "import h5py"]).status === 0;
const needsH5py = { skip: hasH5py ? false : "system python3 has no h5py" };

function python(script: string, ...args: string[]): string {
  const result = spawnSync(SYSTEM_PYTHON, ["-c", script, ...args], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

const badDataset = (pattern: RegExp) => (e: unknown) => e instanceof MultiverseError && e.code === "MV_BAD_DATASET" && pattern.test(e.message);

describe("MuData files", () => {
  test("a written .h5mu reads back: modalities, cells, features, obs names and columns", async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 25, modalities: { rna: { nVars: 10 }, atac: { nVars: 30 } }, seed: 1, batches: 2, labels: 3 });
    const summary = await readH5muSummary(file);
    assert.deepEqual(summary.modalities, ["atac", "rna"]);
    assert.equal(summary.nObs, 25);
    assert.deepEqual(summary.nVars, { atac: 30, rna: 10 });
    assert.equal(summary.obsNames.length, 25);
    assert.equal(summary.obsNames[0], "cell-00000");
    assert.deepEqual(summary.obsColumns, ["batch", "label"]);
  });

  test("obs columns follow the spec; a sparse X reports its shape", async () => {
    const file = join(dir, "s.h5mu");
    await writeH5mu(file, { nObs: 12, modalities: { rna: { nVars: 9, sparse: true } }, seed: 4, obsColumns: ["batch"] });
    const summary = await readH5muSummary(file);
    assert.deepEqual(summary.nVars, { rna: 9 });
    assert.deepEqual(summary.obsColumns, ["batch"]);
  });

  test("the same spec gives byte-identical files, in another second too; another seed does not", async () => {
    const spec = { nObs: 20, modalities: { rna: { nVars: 8 }, adt: { nVars: 3, sparse: true } }, seed: 5 };
    await writeH5mu(join(dir, "a.h5mu"), spec);
    const writtenIn = Math.floor(Date.now() / 1000);
    // HDF5 stamps datasets with the current second; the writer must not let that reach the bytes.
    await waitFor("the clock in a later second than a.h5mu's", () => Math.floor(Date.now() / 1000) > writtenIn, 10_000, 20);
    await writeH5mu(join(dir, "b.h5mu"), spec);
    await writeH5mu(join(dir, "c.h5mu"), { ...spec, seed: 6 });
    assert.equal(await fingerprintFile(join(dir, "a.h5mu")), await fingerprintFile(join(dir, "b.h5mu")));
    assert.notEqual(await fingerprintFile(join(dir, "a.h5mu")), await fingerprintFile(join(dir, "c.h5mu")));
  });

  test("files start with mudata's userblock header", async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 3, modalities: { rna: { nVars: 2 } }, seed: 2 });
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 6).toString("latin1"), "MuData");
    assert.equal(bytes.subarray(512, 516).toString("latin1"), "\x89HDF");
  });

  test("h5py reads the layout and the anndata encoding attributes", needsH5py, async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 7, modalities: { rna: { nVars: 4 }, adt: { nVars: 3, sparse: true } }, seed: 2 });
    const script = [
      "import h5py,sys",
      "f=h5py.File(sys.argv[1],'r')",
      "x=f['mod/adt/X']",
      "print(f.userblock_size, f.attrs['encoding-type'], f['mod/rna/X'].shape, f['mod/rna/X'].dtype, len(f['obs/_index']), f['mod/rna'].attrs['encoding-type'],",
      "  f['obs/label'].attrs['encoding-type'], list(f['obs'].attrs['column-order']), x.attrs['encoding-type'], list(x.attrs['shape']), len(x['indptr'][:]))",
    ].join("\n");
    assert.equal(python(script, file), "512 MuData (7, 4) float32 7 anndata categorical ['batch', 'label'] csr_matrix [7, 3] 8");
  });

  test("a sparse X without a shape attribute falls back to the obs and var index lengths", needsH5py, async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 6, modalities: { rna: { nVars: 5, sparse: true } }, seed: 2 });
    python("import h5py,sys; f=h5py.File(sys.argv[1],'r+'); del f['mod/rna/X'].attrs['shape']; f.close()", file);
    assert.deepEqual((await readH5muSummary(file)).nVars, { rna: 5 });
  });

  test("without a global /obs, cells come from the first modality", needsH5py, async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 6, modalities: { rna: { nVars: 5 } }, seed: 2 });
    python("import h5py,sys; f=h5py.File(sys.argv[1],'r+'); del f['obs']; f.close()", file);
    const summary = await readH5muSummary(file);
    assert.equal(summary.nObs, 6);
    assert.deepEqual(summary.obsColumns, []);
  });

  test("random bytes, a truncated file, a directory and a missing file are clear errors", async () => {
    writeFileSync(join(dir, "junk.h5mu"), "definitely not HDF5");
    await assert.rejects(readH5muSummary(join(dir, "junk.h5mu")), badDataset(/junk\.h5mu cannot be opened as HDF5: Not an HDF5 file/));
    const good = join(dir, "t.h5mu");
    await writeH5mu(good, { nObs: 50, modalities: { rna: { nVars: 40 } }, seed: 3 });
    truncateSync(good, Math.floor(statSync(good).size / 3));
    await assert.rejects(readH5muSummary(good), badDataset(/t\.h5mu cannot be opened as HDF5: File has been truncated/));
    await assert.rejects(readH5muSummary(dir), badDataset(/is not a regular file/));
    await assert.rejects(readH5muSummary(join(dir, "none.h5mu")), (e: unknown) => e instanceof MultiverseError && e.code === "MV_FILE_NOT_FOUND" && e.location.file === join(dir, "none.h5mu"));
  });

  test("valid HDF5 that is not MuData says what is missing", async () => {
    const file = join(dir, "plain.h5");
    await writeLatent(file, 3, 2);
    await assert.rejects(readH5muSummary(file), badDataset(/plain\.h5 is HDF5 but not MuData: it has no \/mod group \(found: latent\)/));
  });

  test("an AnnData file is recognised and the fix is named", needsH5py, async () => {
    const file = join(dir, "a.h5ad");
    python("import h5py,sys; f=h5py.File(sys.argv[1],'w'); f.attrs['encoding-type']='anndata'; f.create_dataset('X', data=[[1.0]]); f.close()", file);
    await assert.rejects(readH5muSummary(file), (e: unknown) => e instanceof MultiverseError && /not MuData/.test(e.message) && /AnnData \(\.h5ad\)/.test(e.details.join(" ")));
  });

  test("a modality whose X is not 2-D is named", needsH5py, async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 4, modalities: { rna: { nVars: 3 } }, seed: 2 });
    python("import h5py,sys; f=h5py.File(sys.argv[1],'r+'); del f['mod/rna/X']; f['mod/rna/X']=[1.0,2.0]; f.close()", file);
    await assert.rejects(readH5muSummary(file), badDataset(/mod\/rna\/X is not 2-D \(shape \[2\]\)/));
  });

  test("damaged files never crash the reader, leave it working, or print on stderr", async () => {
    const good = join(dir, "good.h5mu");
    await writeH5mu(good, { nObs: 50, modalities: { rna: { nVars: 40 }, adt: { nVars: 5 } }, seed: 3 });
    const bytes = readFileSync(good);
    const random = prng(17);
    const damaged: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const copy = Buffer.from(bytes);
      for (let k = 0; k < 50; k += 1) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      const file = join(dir, `damaged-${i}.h5mu`);
      writeFileSync(file, copy);
      damaged.push(file);
    }
    // A separate process, so that anything HDF5 or Emscripten prints can be seen.
    const h5Module = fileURLToPath(new URL("../../../src/h5/index.js", import.meta.url));
    const script = `
      const { readH5muSummary } = await import(${JSON.stringify(h5Module)});
      const [good, ...damaged] = JSON.parse(process.argv[1]);
      const outcomes = [];
      for (const file of damaged) {
        try { await readH5muSummary(file); outcomes.push("read"); } catch (e) { outcomes.push(e.code + " " + e.message); }
      }
      const after = await readH5muSummary(good);
      console.log(JSON.stringify({ outcomes, nObs: after.nObs, nVars: after.nVars }));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify([good, ...damaged])], { encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stderr, "", "nothing reaches stderr");
    const report = JSON.parse(child.stdout) as { outcomes: string[]; nObs: number; nVars: Record<string, number> };
    for (const outcome of report.outcomes) assert.match(outcome, /^(read|MV_BAD_DATASET .+)$/);
    assert.ok(
      report.outcomes.some((o) => /damaged internal structures/.test(o)),
      `at least one file makes HDF5 abort, so containment is exercised: ${report.outcomes.join(" | ")}`,
    );
    assert.deepEqual({ nObs: report.nObs, nVars: report.nVars }, { nObs: 50, nVars: { adt: 5, rna: 40 } });
  });
});
