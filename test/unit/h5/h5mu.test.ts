import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readH5muSummary, writeH5mu, writeLatent } from "../../../src/h5/index.js";
import { DatasetCatalog, describeDataset, fingerprintFile } from "../../../src/catalog/datasets.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("h5")));
afterEach(() => cleanup());

const SYSTEM_PYTHON = "/usr/bin/python3";
const hasH5py = spawnSync(SYSTEM_PYTHON, ["-c", "import h5py"]).status === 0;

describe("MuData files", () => {
  test("a written .h5mu reads back: modalities, cells, features, obs names and columns", async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 25, modalities: { rna: { nVars: 10 }, atac: { nVars: 30 } }, seed: 1, batches: 2, labels: 3 });
    const summary = await readH5muSummary(file);
    assert.deepEqual(summary.modalities, ["atac", "rna"]);
    assert.equal(summary.nObs, 25);
    assert.deepEqual(summary.nVars, { atac: 30, rna: 10 });
    assert.equal(summary.obsNames[0], "cell-00000");
    assert.deepEqual(summary.obsColumns, ["batch", "label"]);
  });

  test("the same spec gives byte-identical files; another seed does not", async () => {
    const spec = { nObs: 20, modalities: { rna: { nVars: 8 } }, seed: 5 };
    await writeH5mu(join(dir, "a.h5mu"), spec);
    await writeH5mu(join(dir, "b.h5mu"), spec);
    await writeH5mu(join(dir, "c.h5mu"), { ...spec, seed: 6 });
    assert.equal(await fingerprintFile(join(dir, "a.h5mu")), await fingerprintFile(join(dir, "b.h5mu")));
    assert.notEqual(await fingerprintFile(join(dir, "a.h5mu")), await fingerprintFile(join(dir, "c.h5mu")));
  });

  test("files are readable by h5py with the anndata encoding attributes", { skip: hasH5py ? false : "system python3 has no h5py" }, async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 7, modalities: { rna: { nVars: 4 } }, seed: 2 });
    const script = "import h5py,sys; f=h5py.File(sys.argv[1]); print(f['mod/rna/X'].shape, len(f['obs/_index']), f['mod/rna'].attrs['encoding-type'], f['obs/label'].attrs['encoding-type'])";
    const result = spawnSync(SYSTEM_PYTHON, ["-c", script, file], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "(7, 4) 7 anndata categorical");
  });

  test("random bytes, a truncated file and a missing file are clear errors", async () => {
    writeFileSync(join(dir, "junk.h5mu"), "definitely not HDF5");
    await assert.rejects(readH5muSummary(join(dir, "junk.h5mu")), (e: unknown) => e instanceof MultiverseError && e.code === "MV_BAD_DATASET" && /cannot be opened as HDF5: Not an HDF5 file/.test(e.message));
    const good = join(dir, "t.h5mu");
    await writeH5mu(good, { nObs: 50, modalities: { rna: { nVars: 40 } }, seed: 3 });
    truncateSync(good, Math.floor(statSync(good).size / 3));
    await assert.rejects(readH5muSummary(good), (e: unknown) => e instanceof MultiverseError && e.code === "MV_BAD_DATASET");
    await assert.rejects(readH5muSummary(join(dir, "none.h5mu")), (e: unknown) => e instanceof MultiverseError && e.code === "MV_FILE_NOT_FOUND");
  });

  test("valid HDF5 that is not MuData says what is missing", async () => {
    const file = join(dir, "plain.h5");
    await writeLatent(file, 3, 2);
    await assert.rejects(readH5muSummary(file), (e: unknown) => e instanceof MultiverseError && /not MuData: it has no \/mod group \(found: latent\)/.test(e.message));
  });
});

describe("dataset registration", () => {
  test("describeDataset fingerprints the content and checks the batch and label keys", async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 9, modalities: { rna: { nVars: 3 } }, seed: 1 });
    const resource = await describeDataset(file, { slug: "tiny", batchKey: "batch", labelKey: "label" });
    assert.match(resource.spec.fingerprint!, /^sha256:[0-9a-f]{64}$/);
    assert.equal(resource.spec.nObs, 9);
    await assert.rejects(
      describeDataset(file, { slug: "tiny", batchKey: "donor" }),
      (e: unknown) => e instanceof MultiverseError && /--batch-key "donor" is not an obs column/.test(e.message) && /batch, label/.test(e.details.join(" ")),
    );
    await assert.rejects(describeDataset(file, { slug: "Not A Slug" }), /not a valid slug/);
  });

  test("the catalog stores resources as YAML and reads them back", async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 9, modalities: { rna: { nVars: 3 } }, seed: 1 });
    const catalog = new DatasetCatalog(dir);
    const path = catalog.register(await describeDataset(file, { slug: "tiny" }));
    assert.match(readFileSync(path, "utf8"), /kind: Dataset/);
    assert.equal(catalog.get("tiny")?.spec.nObs, 9);
    assert.deepEqual(catalog.list().map((d) => d.metadata.name), ["tiny"]);
    assert.equal(catalog.get("other"), undefined);
  });
});
