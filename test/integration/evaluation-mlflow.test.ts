/**
 * Evaluation scores in MLflow, against a real tracking server: each evaluated member's scores land in the MLflow run
 * of the attempt they were computed from, with the member document as an artifact; not-applicable scores are never
 * numbers; the same evaluation is projected once; a server that is down during the evaluation never fails it, and
 * `multiverse mlflow-sync` logs what it missed. Local backend (pca), stand-in evaluator (fixture scores).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../src/util/paths.js";
import { MlflowClient } from "../../src/tracking/mlflow-client.js";
import type { MlflowRun } from "../../src/tracking/mlflow-types.js";
import { launchTagKey, SCORE_TAGS } from "../../src/tracking/score-projection.js";
import { cli, parseJson } from "../helpers/cli.js";
import { freePort, startMlflow, type TestMlflowServer } from "../helpers/mlflow.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const DATA = join(repoRoot(), "data", "generated");
const STAND_IN = join(repoRoot(), "test", "fixtures", "evaluators", "stand-in");
const EXPERIMENT = "eval-mlflow";

interface Outcome {
  launchId: string;
  evaluationId: string;
  status: string;
  launchDir: string;
  members: { member_id: string; name: string; dataset: string; status: string }[];
  tracking: { items: { memberId: string; attemptId?: string; action: string; transient?: boolean; message: string }[] } | null;
}
interface MemberDoc {
  member: { attempt_id: string };
  metrics: { name: string; value: number | null }[];
  scores: { bio_conservation: number | null; batch_correction: number | null; total: number | null };
}
interface SyncJson {
  items: { source: string; action: string; message?: string }[];
}

describe("evaluation scores in MLflow (real tracking server, stand-in evaluator)", () => {
  let work: string;
  let out: string;
  let envs: string;
  let server: TestMlflowServer;
  let client: MlflowClient;
  const env = () => ({ MULTIVERSE_ENVS_DIR: envs, MULTIVERSE_EVALUATOR_DIR: STAND_IN, MLFLOW_TRACKING_URI: server.uri });
  const evaluate = async () => {
    const result = await cli(["evaluate", "--output", out, "--json"], env());
    assert.equal(result.code, 0, result.stderr);
    return parseJson<Outcome>(result);
  };
  const memberDoc = (outcome: Outcome, memberId: string) => JSON.parse(readFileSync(join(outcome.launchDir, "evaluations", `${memberId}.json`), "utf8")) as MemberDoc;
  const mlflowRunOf = async (attemptId: string): Promise<MlflowRun> => {
    const experiment = await client.getExperimentByName(EXPERIMENT);
    assert.ok(experiment, `experiment ${EXPERIMENT} exists`);
    const runs = (await client.searchRuns({ experimentIds: [experiment.experimentId] })).filter((r) => r.tags["multiverse.physical_run_id"] === attemptId);
    assert.equal(runs.length, 1, `one MLflow run for attempt ${attemptId}`);
    return runs[0]!;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-eval-mlflow-"));
    out = join(work, "out");
    envs = join(work, "envs");
    const venv = spawnSync("python3", ["-m", "venv", "--without-pip", join(envs, "stand-in-evaluator-0.0.1")], { encoding: "utf8" });
    assert.equal(venv.status, 0, venv.stderr);
    server = startMlflow(join(work, "mlflow"), await freePort());
    client = new MlflowClient({ trackingUri: server.uri });
    const manifest = join(work, "m.yaml");
    writeFileSync(manifest, [
      `globals: {experiment_name: ${EXPERIMENT}, backend: local}`,
      "datasets:",
      `  both-keys: {path: ${join(DATA, "demo-rna.h5mu")}, batch_key: batch, label_key: label}`,
      `  no-label-key: {path: ${join(DATA, "demo-rna-atac.h5mu")}, batch_key: batch}`,
      "jobs:",
      ...["both-keys", "no-label-key"].map((d) => `  - {name: pca-${d}, dataset_slug: ${d}, model_name: pca, model_params: {n_components: 4}, seeds: [0]}`),
      "",
    ].join("\n"));
    const run = await cli(["run", "--manifest", manifest, "--output", out, "--json"], { MLFLOW_TRACKING_URI: server.uri });
    assert.equal(run.code, 0, run.stderr);
  });
  after(async () => {
    await server?.stop();
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("each member's scores, traced to its bundle, are in its attempt's MLflow run; not-applicable ones only as a tag", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const outcome = await evaluate();
    assert.deepEqual(outcome.members.map((m) => m.status), ["done", "done"]);
    assert.deepEqual(outcome.tracking?.items.map((i) => i.action), ["logged", "logged"]);
    for (const member of outcome.members) {
      const doc = memberDoc(outcome, member.member_id);
      const run = await mlflowRunOf(doc.member.attempt_id);
      for (const metric of doc.metrics) assert.equal(run.metrics[`scib.${metric.name}`]?.value, metric.value, `${member.name}: ${metric.name}`);
      assert.equal(run.tags[SCORE_TAGS.launchId], outcome.launchId);
      assert.equal(run.tags[launchTagKey(outcome.launchId)], outcome.evaluationId);
      assert.equal(run.tags[SCORE_TAGS.status], "done");
      assert.equal(run.tags[SCORE_TAGS.tracedTo], run.tags["multiverse.manifest_sha256"], "the scores name the bundle they were computed from");
      const files = await client.listArtifacts(run.info.runId, `evaluation/${outcome.launchId}`);
      assert.deepEqual(files.map((f) => f.path), [`evaluation/${outcome.launchId}/${member.member_id}.json`]);
      if (member.dataset === "both-keys") {
        assert.equal(run.metrics["scib.total"]?.value, doc.scores.total);
        assert.equal(run.metrics["scib.bio_conservation"]?.value, doc.scores.bio_conservation);
      } else {
        assert.equal(doc.scores.bio_conservation, null);
        assert.equal(run.metrics["scib.bio_conservation"], undefined, "a score without a value is never a number");
        assert.equal(run.metrics["scib.total"], undefined);
        assert.match(run.tags[SCORE_TAGS.notApplicable] ?? "", /bio_conservation \(not applicable: the dataset has no label key\)/);
        assert.equal(run.metrics["scib.batch_correction"]?.value, doc.scores.batch_correction);
      }
    }
    const sync = await cli(["mlflow-sync", "--output", out, "--json"], env());
    assert.equal(sync.code, 0, sync.stderr);
    const scoreItems = parseJson<SyncJson>(sync).items.filter((i) => i.source.startsWith("launch "));
    assert.deepEqual(scoreItems.map((i) => i.action), ["unchanged", "unchanged"], "the same evaluation is projected once");
    const attempt = memberDoc(outcome, outcome.members[0]!.member_id).member.attempt_id;
    assert.equal((await client.getMetricHistory((await mlflowRunOf(attempt)).info.runId, "scib.embedding_readable")).length, 1);
  });

  test("a server that is down during the evaluation never fails it; mlflow-sync logs the scores afterwards", { timeout: TEST_HANG_GUARD_MS }, async () => {
    await server.stop();
    const outcome = await evaluate();
    assert.equal(outcome.status, "done");
    assert.deepEqual(outcome.tracking?.items.map((i) => [i.action, i.transient]), [["failed", true], ["failed", true]]);
    server = startMlflow(server.dir, server.port);
    client = new MlflowClient({ trackingUri: server.uri });
    const sync = await cli(["mlflow-sync", "--output", out, "--json"], env());
    assert.equal(sync.code, 0, sync.stderr);
    const scoreItems = parseJson<SyncJson>(sync).items.filter((i) => i.source.startsWith("launch "));
    assert.deepEqual(scoreItems.map((i) => i.action), ["updated", "updated"]);
    for (const member of outcome.members) {
      const run = await mlflowRunOf(memberDoc(outcome, member.member_id).member.attempt_id);
      assert.equal(run.tags[launchTagKey(outcome.launchId)], outcome.evaluationId, "the later evaluation is the one the run carries");
      assert.equal(run.tags[SCORE_TAGS.evaluationId], outcome.evaluationId);
      assert.equal((await client.getMetricHistory(run.info.runId, "scib.embedding_readable")).length, 2, "one point per evaluation");
    }
  });
});
