/** A local run whose model environments do not exist yet is refused before planning, naming each setup command. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../../src/h5/index.js";
import { Errors } from "../../../src/domain/errors.js";
import { missingEnvironmentsError } from "../../../src/cli/commands/missing-environments.js";
import { cli } from "../../helpers/cli.js";
import { journalRecords } from "../../helpers/journal.js";

describe("missingEnvironmentsError (pure)", () => {
  test("one model: its name, version and setup command", () => {
    const error = missingEnvironmentsError([{ slug: "pca", version: "1.0.0" }], "/envs");
    assert.equal(error.code, Errors.environmentMissing.code);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /no environment for model pca 1\.0\.0; nothing was planned or launched/);
    assert.match(error.details[0]!, /make it .*: multiverse models setup pca$/);
    assert.match(error.details[1]!, /environments live in \/envs/);
  });

  test("several models: all of them, one command line", () => {
    const error = missingEnvironmentsError([{ slug: "pca", version: "1.0.0" }, { slug: "mofa", version: "1.0.0" }], "/envs");
    assert.match(error.message, /for 2 models: pca 1\.0\.0, mofa 1\.0\.0;/);
    assert.match(error.details[0]!, /make them .*: multiverse models setup pca && multiverse models setup mofa$/);
  });
});

describe("multiverse run --backend local without the model's environment", () => {
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-missing-env-"));
    await writeH5mu(join(work, "d.h5mu"), { nObs: 20, modalities: { rna: { nVars: 6 } }, seed: 1 });
    writeFileSync(
      join(work, "m.yaml"),
      `globals:\n  experiment_name: e\n  backend: local\ndatasets:\n  d:\n    path: ${join(work, "d.h5mu")}\njobs:\n  - name: p\n    dataset_slug: d\n    model_name: pca\n    model_params: {n_components: 2}\n    seeds: [0, 1]\n`,
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const dryRun of [false, true]) {
    test(`exit 2 with the setup command; no run journaled${dryRun ? " (--dry-run too)" : ""}`, async () => {
      const out = join(work, dryRun ? "dry" : "out");
      const result = await cli(["run", "--manifest", join(work, "m.yaml"), "--output", out, ...(dryRun ? ["--dry-run"] : [])], { MULTIVERSE_ENVS_DIR: join(work, "no-envs") });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /error: the local executor has no environment for model pca 1\.0\.0; nothing was planned or launched \[MV_ENVIRONMENT_MISSING\]/);
      assert.match(result.stderr, /multiverse models setup pca/);
      assert.match(result.stderr, new RegExp(`environments live in ${join(work, "no-envs")}`));
      assert.deepEqual(journalRecords(out), []);
    });
  }
});
