import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readH5muSummary, writeH5mu } from "../../../src/h5/index.js";
import { DatasetCatalog, describeDataset, fingerprintFile } from "../../../src/catalog/datasets.js";
import { DEMO_DATASETS, makeDemoDatasets } from "../../../src/catalog/demo-datasets.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("datasets")));
afterEach(() => cleanup());

async function tinyDataset(name = "d.h5mu"): Promise<string> {
  const file = join(dir, name);
  await writeH5mu(file, { nObs: 9, modalities: { rna: { nVars: 3 }, adt: { nVars: 2 } }, seed: 1 });
  return file;
}

describe("fingerprintFile", () => {
  test("sha256 of the content: stable, sensitive to one byte, blind to name and mtime", async () => {
    writeFileSync(join(dir, "a"), "hello");
    writeFileSync(join(dir, "b"), "hello");
    writeFileSync(join(dir, "c"), "hellp");
    const a = await fingerprintFile(join(dir, "a"));
    assert.equal(a, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    utimesSync(join(dir, "b"), new Date(0), new Date(0));
    assert.equal(await fingerprintFile(join(dir, "b")), a);
    assert.notEqual(await fingerprintFile(join(dir, "c")), a);
  });

  test("a file larger than one read chunk hashes like the whole", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(join(dir, "big"), big);
    const { createHash } = await import("node:crypto");
    assert.equal(await fingerprintFile(join(dir, "big")), `sha256:${createHash("sha256").update(big).digest("hex")}`);
  });
});

describe("describeDataset", () => {
  test("absolute path, summary and fingerprint; batch and label keys kept", async () => {
    const file = await tinyDataset();
    const resource = await describeDataset(file, { slug: "tiny", batchKey: "batch", labelKey: "label" });
    assert.equal(resource.kind, "Dataset");
    assert.equal(resource.metadata.name, "tiny");
    assert.equal(resource.spec.path, file);
    assert.equal(resource.spec.fingerprint, await fingerprintFile(file));
    assert.deepEqual(resource.spec.modalities, ["adt", "rna"]);
    assert.deepEqual(resource.spec.nVars, { adt: 2, rna: 3 });
    assert.equal(resource.spec.nObs, 9);
    assert.equal(resource.spec.batchKey, "batch");
    assert.equal(resource.spec.labelKey, "label");
  });

  test("a missing batch or label key names the key and the available columns", async () => {
    const file = await tinyDataset();
    await assert.rejects(
      describeDataset(file, { slug: "tiny", batchKey: "donor" }),
      (e: unknown) => e instanceof MultiverseError && e.code === "MV_BAD_DATASET" && /--batch-key "donor" is not an obs column/.test(e.message) && /available obs columns: batch, label/.test(e.details.join(" ")),
    );
    await assert.rejects(describeDataset(file, { slug: "tiny", labelKey: "cell_type" }), /--label-key "cell_type"/);
  });

  test("bad slugs and bad files are refused before anything is registered", async () => {
    const file = await tinyDataset();
    await assert.rejects(describeDataset(file, { slug: "Not A Slug" }), /not a valid slug/);
    writeFileSync(join(dir, "junk.h5mu"), "junk");
    await assert.rejects(describeDataset(join(dir, "junk.h5mu"), { slug: "junk" }), (e: unknown) => e instanceof MultiverseError && e.code === "MV_BAD_DATASET");
  });
});

describe("DatasetCatalog", () => {
  test("stores resources as YAML, reads them back, lists them sorted", async () => {
    const catalog = new DatasetCatalog(join(dir, "state"));
    assert.deepEqual(catalog.list(), []);
    const resource = await describeDataset(await tinyDataset(), { slug: "tiny", batchKey: "batch" });
    const path = catalog.register(resource);
    assert.equal(path, join(dir, "state", "catalog", "datasets", "tiny.yaml"));
    assert.match(readFileSync(path, "utf8"), /kind: Dataset/);
    assert.deepEqual(catalog.get("tiny"), resource);
    catalog.register({ ...resource, metadata: { name: "another" } });
    assert.deepEqual(catalog.list().map((d) => d.metadata.name), ["another", "tiny"]);
    assert.deepEqual(readdirSync(join(dir, "state", "catalog", "datasets")).sort(), ["another.yaml", "tiny.yaml"], "no temporary files left");
    assert.equal(catalog.get("other"), undefined);
  });

  test("re-registering replaces the entry", async () => {
    const catalog = new DatasetCatalog(dir);
    const resource = await describeDataset(await tinyDataset(), { slug: "tiny" });
    catalog.register(resource);
    catalog.register({ ...resource, spec: { ...resource.spec, labelKey: "label" } });
    assert.equal(catalog.get("tiny")?.spec.labelKey, "label");
  });

  test("names that are not slugs never become paths", async () => {
    const catalog = new DatasetCatalog(join(dir, "state"));
    writeFileSync(join(dir, "state.yaml"), "kind: Dataset\n");
    assert.equal(catalog.get("../../state"), undefined);
    const resource = await describeDataset(await tinyDataset(), { slug: "tiny" });
    assert.throws(() => catalog.register({ ...resource, metadata: { name: "../escape" } }), /not a valid slug/);
  });

  test("a damaged entry is a clear error naming the file", () => {
    const catalog = new DatasetCatalog(dir);
    const entries = join(dir, "catalog", "datasets");
    mkdirSync(entries, { recursive: true });
    writeFileSync(join(entries, "broken.yaml"), "kind: Model\nspec: {}\n");
    assert.throws(() => catalog.get("broken"), (e: unknown) => e instanceof MultiverseError && e.location.file === join(entries, "broken.yaml") && /not a Dataset resource/.test(e.message));
    writeFileSync(join(entries, "broken.yaml"), "kind: [unclosed\n");
    assert.throws(() => catalog.get("broken"), /not valid YAML/);
  });
});

describe("makeDemoDatasets", () => {
  test("writes the three demo datasets once and keeps them while they are what the spec makes", async () => {
    const files = await makeDemoDatasets(join(dir, "demo"));
    assert.deepEqual(files.map((f) => f.slice(join(dir, "demo").length + 1)), ["demo-rna.h5mu", "demo-rna-atac.h5mu", "demo-rna-adt.h5mu"]);
    const rna = await readH5muSummary(files[0]!);
    assert.deepEqual([rna.nObs, rna.nVars, rna.obsColumns], [300, { rna: 200 }, ["batch", "label"]]);
    assert.deepEqual((await readH5muSummary(files[1]!)).nVars, { atac: 250, rna: 150 });
    assert.deepEqual((await readH5muSummary(files[2]!)).nVars, { adt: 20, rna: 150 });
    assert.equal(Object.keys(DEMO_DATASETS).length, 3);

    // An mtime far in the past: a rewrite would move it to now, however quickly it follows (no wait needed).
    for (const f of files) utimesSync(f, new Date("2001-01-01T00:00:00Z"), new Date("2001-01-01T00:00:00Z"));
    const before = files.map((f) => statSync(f).mtimeMs);
    const fingerprints = await Promise.all(files.map((f) => fingerprintFile(f)));
    await makeDemoDatasets(join(dir, "demo"));
    assert.deepEqual(files.map((f) => statSync(f).mtimeMs), before, "unchanged files are not rewritten");

    writeFileSync(files[1]!, "tampered");
    await makeDemoDatasets(join(dir, "demo"));
    assert.deepEqual(await Promise.all(files.map((f) => fingerprintFile(f))), fingerprints, "a damaged file is rewritten with the same content");
  });
});
