/**
 * A state root moved, then copied elsewhere (and the original removed), keeps working through the real CLI: `get
 * runs` and `describe run` point at its own bundle, `verify` checks it, `logs` reads it, a second `run` of the same
 * manifest skips the completed run (skip_completed) instead of launching it again, and the index agrees with the
 * journal. Before layout 2 the journal and index held absolute paths of the first place, so all of this pointed there.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";

const skip = requireDockerOrSkip();

interface Summary {
  runs: { job: string; phase: string; attemptId: string | null; disposition?: string; artifactDir?: string | null }[];
}

describe("a moved or copied state root", { skip }, () => {
  let work: string;
  let manifest: string;
  let attemptId: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-moved-"));
    const out = join(work, "first");
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 15, modalities: { rna: { nVars: 6 } }, seed: 5 });
    assert.equal(cliSync(["register-model", join(repoRoot(), "test/fixtures/models/contract-test/model.yaml"), "--state-root", out]).code, 0);
    manifest = join(work, "m.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: moved\n  skip_completed: true\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - name: ok\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { n_latent: 2 }\n`);
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const run = parseJson<Summary>(result).runs[0]!;
    assert.equal(run.phase, "ARTIFACT_SUCCESS");
    attemptId = run.attemptId!;
    renameSync(out, join(work, "second"));
    cpSync(join(work, "second"), join(work, "third"), { recursive: true, preserveTimestamps: true });
    rmSync(join(work, "second"), { recursive: true });
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("get runs, describe run, verify, logs and the index all use the root where it is now", () => {
    const root = join(work, "third");
    const bundle = join(root, "store/artifacts", attemptId);
    const runs = cliSync(["get", "runs", "--state-root", root, "-o", "json"]);
    assert.equal(runs.code, 0, runs.stderr);
    const rows = JSON.parse(runs.stdout) as { artifactDir: string | null; workspaceDir: string | null; phase: string }[];
    assert.deepEqual(rows.map((r) => [r.phase, r.artifactDir]), [["ARTIFACT_SUCCESS", bundle]]);
    assert.ok(rows[0]!.workspaceDir === null || rows[0]!.workspaceDir.startsWith(`${root}/`), `workspace ${rows[0]!.workspaceDir} is not under ${root}`);
    const described = cliSync(["describe", "run", "ok", "--state-root", root]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`Artifacts: +${bundle}`));
    // (the orchestrator.log it quotes is history: it says where the bundle was promoted at the time)
    assert.doesNotMatch(described.stdout.split("orchestrator.log")[0]!, /\/(first|second)\//);
    const verified = cliSync(["verify", root]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /1 bundle under .*: 1 verified, 0 failed/);
    const logs = cliSync(["logs", "run", "ok", "--state-root", root]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout.trim(), readFileSync(join(bundle, "run.log"), "utf8").trim());
    const orchestrator = cliSync(["logs", "run", "ok", "--orchestrator", "--state-root", root]);
    assert.equal(orchestrator.code, 0, orchestrator.stderr);
    assert.equal(cliSync(["rebuild-index", "--verify", "--state-root", root]).code, 0);
    const journal = readFileSync(join(root, "journal/segment-000001.jsonl"), "utf8");
    assert.doesNotMatch(journal, new RegExp(`${work}/first`), "the journal names the root it was written at");
  });

  test("running the same manifest again skips the completed run instead of launching it", async () => {
    const root = join(work, "third");
    const again = await cli(["run", "--manifest", manifest, "--output", root, "--json"]);
    assert.equal(again.code, 0, again.stderr);
    const run = parseJson<Summary>(again).runs[0]!;
    assert.deepEqual([run.phase, run.disposition], ["ARTIFACT_SUCCESS", "skipped"]);
    assert.equal(run.artifactDir, join(root, "store/artifacts", attemptId));
    const launches = readFileSync(join(root, "journal/segment-000001.jsonl"), "utf8").split("\n").filter((l) => l.includes('"type":"LAUNCH_INTENT"'));
    assert.equal(launches.length, 1, "the run was launched again");
  });
});
