/**
 * The host side of evaluation, end to end through the CLI with a stand-in evaluator (test/fixtures/evaluators/
 * stand-in: the evaluator contract with the standard library only, fixture scores): a launch's cohort, readiness,
 * the trimmed config, read-only mounts in the local sandbox, outputs moved into the launch dir, the same launch
 * evaluated twice, a dataset without a batch key and one without a label key, an evaluator that crashes and a
 * tampered bundle. The scIB evaluator itself is tested in evaluation-scib.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { readJournal } from "../../src/journal/journal.js";
import { repoRoot } from "../../src/util/paths.js";
import { cli, parseJson } from "../helpers/cli.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const DATA = join(repoRoot(), "data", "generated");
const STAND_IN = join(repoRoot(), "test", "fixtures", "evaluators", "stand-in");

interface Cohort {
  launch_id: string;
  members: { member_id: string; name: string; dataset: string; batch_key: string | null; label_key: string | null; attempt_ids: string[]; bundle_dir: string | null; disposition: string }[];
}
interface Outcome {
  launchId: string;
  status: string;
  launchDir: string;
  members: { member_id: string; name: string; dataset: string; readiness: string; status: string; reason: string | null }[];
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The launch dir's JSON outputs, with the member files' "resources" key (timings) left out. */
function outputs(launchDir: string): Record<string, unknown> {
  const files: Record<string, unknown> = { report: readJson(join(launchDir, "evaluation_report.json")) };
  for (const name of readdirSync(join(launchDir, "evaluations")).sort()) {
    const doc = readJson<Record<string, unknown>>(join(launchDir, "evaluations", name));
    delete doc.resources;
    files[name] = doc;
  }
  return files;
}

describe("evaluation host side (stand-in evaluator)", () => {
  let work: string;
  let out: string;
  let envs: string;
  let cohort: Cohort;
  const evaluate = (args: string[], evaluatorDir = STAND_IN) => cli(["evaluate", "--output", out, "--json", ...args], { MULTIVERSE_ENVS_DIR: envs, MULTIVERSE_EVALUATOR_DIR: evaluatorDir });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-eval-host-"));
    out = join(work, "out");
    envs = join(work, "envs");
    const venv = spawnSync("python3", ["-m", "venv", "--without-pip", join(envs, "stand-in-evaluator-0.0.1")], { encoding: "utf8" });
    assert.equal(venv.status, 0, venv.stderr);
    const manifest = join(work, "m.yaml");
    writeFileSync(manifest, [
      "globals: {experiment_name: eval-host, backend: local}",
      "datasets:",
      `  both-keys: {path: ${join(DATA, "demo-rna.h5mu")}, batch_key: batch, label_key: label}`,
      `  no-batch-key: {path: ${join(DATA, "demo-rna-adt.h5mu")}, label_key: label}`,
      `  no-label-key: {path: ${join(DATA, "demo-rna-atac.h5mu")}, batch_key: batch}`,
      "jobs:",
      ...["both-keys", "no-batch-key", "no-label-key"].map((d) => `  - {name: pca-${d}, dataset_slug: ${d}, model_name: pca, model_params: {n_components: 4}, seeds: [0]}`),
      "",
    ].join("\n"));
    const run = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const launchId = parseJson<{ launchId: string }>(run).launchId;
    cohort = readJson<Cohort>(join(out, ".multiverse", "launches", launchId, "cohort.json"));
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("the launch's cohort lists every member with its attempt, bundle and the keys its dataset declares", { timeout: TEST_HANG_GUARD_MS }, () => {
    const byDataset = Object.fromEntries(cohort.members.map((m) => [m.dataset, m]));
    assert.deepEqual(Object.keys(byDataset).sort(), ["both-keys", "no-batch-key", "no-label-key"]);
    assert.deepEqual([byDataset["both-keys"]?.batch_key, byDataset["both-keys"]?.label_key], ["batch", "label"]);
    assert.deepEqual([byDataset["no-batch-key"]?.batch_key, byDataset["no-batch-key"]?.label_key], [null, "label"]);
    assert.deepEqual([byDataset["no-label-key"]?.batch_key, byDataset["no-label-key"]?.label_key], ["batch", null]);
    for (const m of cohort.members) {
      assert.equal(m.attempt_ids.length, 1, m.name);
      assert.ok(m.bundle_dir && !isAbsolute(m.bundle_dir), `${m.name}: the bundle is recorded relative to the output (${m.bundle_dir}), as the journal records it`);
      assert.ok(existsSync(join(out, m.bundle_dir)), `${m.name}: the promoted bundle is recorded (${m.bundle_dir})`);
    }
  });

  test("evaluate: every member ready, the trimmed config, read-only inputs, outputs moved into the launch dir, journaled", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const result = await evaluate([]);
    assert.equal(result.code, 0, result.stderr);
    const outcome = parseJson<Outcome>(result);
    assert.equal(outcome.launchId, cohort.launch_id, "the latest launch by default");
    assert.deepEqual(outcome.members.map((m) => [m.readiness, m.status]), cohort.members.map(() => ["ready", "done"]));
    const config = readJson<{ datasets: { slug: string; path: string; batch_key: string | null; label_key: string | null; members: { bundle_dir: string }[] }[] }>(join(outcome.launchDir, "eval_config.json"));
    assert.deepEqual(config.datasets.map((d) => [d.slug, d.path, d.batch_key, d.label_key]), [
      ["both-keys", "/data/both-keys.h5mu", "batch", "label"],
      ["no-batch-key", "/data/no-batch-key.h5mu", null, "label"],
      ["no-label-key", "/data/no-label-key.h5mu", "batch", null],
    ]);
    for (const member of cohort.members) {
      const file = readJson<{ status: string; metrics: { name: string; value: number }[] }>(join(outcome.launchDir, "evaluations", `${member.member_id}.json`));
      assert.equal(file.status, "done");
      const { params_signature: signature, ...facts } = Object.fromEntries(file.metrics.map((m) => [m.name, m.value]));
      assert.deepEqual(facts, { bundle_read_only: 1, dataset_readable: 1, embedding_readable: 1 }, `${member.name}: inputs readable, bundle not writable`);
      assert.ok(typeof signature === "number" && signature >= 0 && signature < 1, `${member.name}: the fixture's params signature`);
    }
    const report = readJson<{ datasets: { output_writable: boolean }[] }>(join(outcome.launchDir, "evaluation_report.json"));
    assert.ok(report.datasets.every((d) => d.output_writable), "the workspace is writable");
    assert.ok(!existsSync(join(outcome.launchDir, "work")), "the workspace is gone once its outputs moved");
    const types = readJournal(out).records.filter((r) => r.type === "EVALUATION_STARTED" || r.type === "EVALUATION_FINISHED").map((r) => (r.type === "EVALUATION_FINISHED" ? `${r.type}:${r.status}` : r.type));
    assert.deepEqual(types, ["EVALUATION_STARTED", "EVALUATION_FINISHED:done"]);
    const table = await cli(["report", "--output", out]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /dataset no-batch-key \(batch key none, label key label\)/);
    assert.match(table.stdout, /control:unintegrated \(control\)/);
  });

  test("the same launch evaluated twice gives identical JSON (ignoring the members' resources)", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const first = await evaluate(["--launch", cohort.launch_id]);
    assert.equal(first.code, 0, first.stderr);
    const launchDir = parseJson<Outcome>(first).launchDir;
    const before = outputs(launchDir);
    const second = await evaluate(["--launch", cohort.launch_id]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(outputs(launchDir), before);
    assert.equal(JSON.stringify(outputs(launchDir)), JSON.stringify(before));
  });

  test("an evaluator that crashes: every ready member evaluation_failed with the reason, no report, exit 1", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const crashing = join(work, "crashing-evaluator");
    cpSync(STAND_IN, crashing, { recursive: true });
    writeFileSync(join(crashing, "container", "evaluate.py"), "# TEST FIXTURE: an evaluator that crashes\nimport sys\nprint('Traceback: stand-in crashed on purpose', file=sys.stderr)\nsys.exit(3)\n");
    const result = await evaluate([], crashing);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /evaluation of launch .* failed: the evaluator exited with code 3: Traceback: stand-in crashed on purpose \[MV_EVALUATION_FAILED\]/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, "no stack trace");
    const outcome = parseJson<Outcome>(result);
    assert.equal(outcome.status, "failed");
    for (const m of outcome.members) {
      assert.equal(m.status, "evaluation_failed", m.name);
      assert.match(m.reason ?? "", /exited with code 3/);
    }
    assert.ok(!existsSync(join(outcome.launchDir, "evaluation_report.json")), "no report of an earlier evaluation is left beside the failed one");
    const report = await cli(["report", "--output", out]);
    assert.equal(report.code, 2);
    assert.match(report.stderr, /has been evaluated \[MV_NOT_EVALUATED\]|not been evaluated/);
  });

  test("a tampered bundle is not ready (bad_artifact_manifest -> bad_manifest); the others are evaluated", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const victim = cohort.members.find((m) => m.dataset === "both-keys");
    assert.ok(victim?.bundle_dir);
    const embedding = join(out, victim.bundle_dir, "embeddings.h5");
    chmodSync(embedding, 0o644);
    appendFileSync(embedding, "tampered");
    const result = await evaluate([]);
    assert.equal(result.code, 0, result.stderr);
    const outcome = parseJson<Outcome>(result);
    const tampered = outcome.members.find((m) => m.member_id === victim.member_id);
    assert.equal(tampered?.readiness, "bad_artifact_manifest");
    assert.equal(tampered?.status, "bad_manifest");
    assert.match(tampered?.reason ?? "", /embeddings\.h5: (size|sha256)/);
    assert.deepEqual(outcome.members.filter((m) => m.member_id !== victim.member_id).map((m) => m.status), ["done", "done"]);
    const config = readJson<{ datasets: { slug: string; path: string | null; members: unknown[]; not_ready: { status: string }[] }[] }>(join(outcome.launchDir, "eval_config.json"));
    const both = config.datasets.find((d) => d.slug === "both-keys");
    assert.deepEqual([both?.path, both?.members.length, both?.not_ready.map((n) => n.status)], [null, 0, ["bad_artifact_manifest"]]);
  });

  test("bad input: an unknown launch, --launch with --benchmark, a bad --metrics", { timeout: TEST_HANG_GUARD_MS }, async () => {
    const unknown = await evaluate(["--launch", "20200101T000000Z-000000"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no launch 20200101T000000Z-000000 .*\[MV_NOT_FOUND\]/);
    const both = await evaluate(["--launch", cohort.launch_id, "--benchmark", "eval-host"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --launch ID or --benchmark NAME/);
    const metrics = await evaluate(["--metrics", "best"]);
    assert.equal(metrics.code, 2);
    const noBenchmark = await evaluate(["--benchmark", "nope"]);
    assert.match(noBenchmark.stderr, /no launch of benchmark "nope"/);
  });
});
