import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { NotSelfContainedError, readH5muSummary, readLatent, writeH5mu, writeLatent } from "../../../src/h5/index.js";
import { describeDataset } from "../../../src/catalog/datasets.js";
import { MultiverseError } from "../../../src/domain/errors.js";
import { validateWorkspace } from "../../../src/validation/index.js";
import { goodWorkspace } from "../../helpers/workspace.js";
import { tempDir } from "../../helpers/fixtures.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir("h5-links")));
afterEach(() => cleanup());

const SYSTEM_PYTHON = "/usr/bin/python3";
const hasH5py = spawnSync(SYSTEM_PYTHON, ["-c", "import h5py"]).status === 0;
const needsH5py = { skip: hasH5py ? false : "system python3 has no h5py" };

function python(script: string, ...args: string[]): void {
  const result = spawnSync(SYSTEM_PYTHON, ["-c", `import h5py, numpy as np, sys\n${script}`, ...args], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
}

const badDataset = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof MultiverseError && e.code === "MV_BAD_DATASET", `expected MV_BAD_DATASET, got ${String(e)}`);
  assert.match(e.message, pattern);
  return true;
};

const notSelfContained = (objectPath: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof NotSelfContainedError, `expected NotSelfContainedError, got ${String(e)}`);
  assert.equal(e.objectPath, objectPath);
  assert.match(e.message, pattern);
  return true;
};

/** Two datasets: `other` with 300 cells, `small` with 20 whose obs/_index is replaced by `replace`. */
async function pair(replace: string): Promise<{ small: string; other: string }> {
  const small = join(dir, "small.h5mu");
  const other = join(dir, "other.h5mu");
  await writeH5mu(small, { nObs: 20, modalities: { rna: { nVars: 5 } }, seed: 1 });
  await writeH5mu(other, { nObs: 300, modalities: { rna: { nVars: 5 } }, seed: 2 });
  python(`f = h5py.File(sys.argv[1], 'r+')\ndel f['obs/_index']\n${replace}\nf.close()`, small, other);
  return { small, other };
}

describe("HDF5 files that refer to other files are refused, naming the object", () => {
  test("an obs/_index that is an external link is refused at registration (it was registered with the other file's cells)", needsH5py, async () => {
    const { small, other } = await pair("f['obs/_index'] = h5py.ExternalLink(sys.argv[2], '/obs/_index')");
    await assert.rejects(readH5muSummary(small), badDataset(new RegExp(`/obs/_index is an external link to ${other.replace(/[.]/g, "\\.")}:/obs/_index`)));
    await assert.rejects(describeDataset(small, { slug: "linked" }), (e: unknown) => e instanceof MultiverseError && e.location.field === "/obs/_index");
  });

  test("a virtual dataset is refused with its source", needsH5py, async () => {
    const { small } = await pair(
      "layout = h5py.VirtualLayout(shape=(20,), dtype=h5py.string_dtype())\nlayout[:] = h5py.VirtualSource(sys.argv[2], '/obs/_index', shape=(300,), dtype=h5py.string_dtype())[:20]\nf.create_virtual_dataset('obs/_index', layout)",
    );
    await assert.rejects(readH5muSummary(small), badDataset(/\/obs\/_index is a virtual dataset mapping .*other\.h5mu:\/obs\/_index/));
  });

  test("a dataset stored in an external raw file is refused, and the raw file is never read", needsH5py, async () => {
    const latent = join(dir, "embeddings.h5");
    const raw = join(dir, "secret.bin");
    python("open(sys.argv[2], 'wb').write(np.arange(40, dtype='f4').tobytes())\nf = h5py.File(sys.argv[1], 'w')\nf.create_dataset('latent', shape=(10, 4), dtype='f4', external=[(sys.argv[2], 0, 160)])\nf.close()", latent, raw);
    await assert.rejects(readLatent(latent, { checkFinite: true }), notSelfContained("/latent", new RegExp(`keeps its data in the external file ${raw.replace(/[.]/g, "\\.")}`)));
  });

  test("an embeddings.h5 whose latent is an external link fails validation with the object named", needsH5py, async () => {
    const ws = join(dir, "ws");
    mkdirSync(ws);
    await goodWorkspace(ws, 10);
    const elsewhere = join(dir, "elsewhere.h5");
    await writeLatent(elsewhere, 10, 4);
    python("f = h5py.File(sys.argv[1], 'w')\nf['latent'] = h5py.ExternalLink(sys.argv[2], '/latent')\nf.close()", join(ws, "embeddings.h5"), elsewhere);
    await assert.rejects(readLatent(join(ws, "embeddings.h5"), { checkFinite: false }), notSelfContained("/latent", /external link/));
    const result = await validateWorkspace(ws, { nObs: 10, level: "basic" });
    assert.equal(result.ok, false);
    const problem = result.problems.find((p) => p.artifact === "embeddings.h5");
    assert.equal(problem?.code, "external_reference");
    assert.match(problem?.message ?? "", /\/latent is an external link to .*elsewhere\.h5:\/latent/);
  });

  test("an external link deep in a group, behind a soft link, is found too", needsH5py, async () => {
    const file = join(dir, "d.h5mu");
    const other = join(dir, "o.h5");
    await writeLatent(other, 2, 2);
    await writeH5mu(file, { nObs: 6, modalities: { rna: { nVars: 3 } }, seed: 2 });
    python("f = h5py.File(sys.argv[1], 'r+')\nf['uns/a/b/c'] = h5py.ExternalLink(sys.argv[2], '/latent')\nf['uns/alias'] = h5py.SoftLink('/uns/a')\nf.close()", file, other);
    await assert.rejects(readH5muSummary(file), badDataset(/\/uns\/a\/b\/c is an external link/));
  });

  test("soft links inside the file are fine; a hard-link cycle is refused instead of walked forever", needsH5py, async () => {
    const file = join(dir, "d.h5mu");
    await writeH5mu(file, { nObs: 6, modalities: { rna: { nVars: 3 } }, seed: 2 });
    python("f = h5py.File(sys.argv[1], 'r+')\nf['uns/alias'] = h5py.SoftLink('/mod/rna')\nf.close()", file);
    assert.equal((await readH5muSummary(file)).nObs, 6);
    python("f = h5py.File(sys.argv[1], 'r+')\nf.create_group('uns/loop')\nf['uns/loop/again'] = f['uns/loop']\nf.close()", file);
    await assert.rejects(readH5muSummary(file), badDataset(/nested more than 64 groups deep \(a link cycle\?\)/));
  });
});
