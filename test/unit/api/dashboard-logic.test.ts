/** The dashboard's pure logic: the matrix, phases (in step with the domain), run facts, formats, serving rules. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FAILURE_REASONS, RUN_PHASES } from "../../../src/domain/run-states.js";
import { applyPhase, benchmarkNames, buildMatrix, cellKey, matrixCounts } from "../../../src/api/dashboard/web/matrix.js";
import { failureClassOf, isCancellable, isTerminalPhase, orderedCounts, phaseClass, phaseLabel, PHASE_ORDER } from "../../../src/api/dashboard/web/phases.js";
import { elapsedSeconds, failureFacts, fileUrl, mlflowLinks, paramPairs, pictures, studyFacts, timeline } from "../../../src/api/dashboard/web/run-facts.js";
import { formatBytes, formatDuration, formatTime, shortId } from "../../../src/api/dashboard/web/format.js";
import { route } from "../../../src/api/dashboard/web/main.js";
import type { Run, RunDetail, Transition } from "../../../src/api/dashboard/web/types.js";
import { bundleFileHeaders, isServablePath, servePolicy } from "../../../src/api/dashboard/bundle-files.js";
import { isAssetName } from "../../../src/api/dashboard/static-assets.js";
import { cancelRoute } from "../../../src/api/dashboard/read-only-port.js";

function run(overrides: Partial<Run>): Run {
  return {
    runId: "r0",
    name: "job-s0",
    benchmark: "b",
    jobName: "job",
    dataset: "pbmc",
    model: "pca",
    modelVersion: "1.0.0",
    seed: 0,
    paramsHash: "h",
    params: "{}",
    imageReference: "img",
    imageDigest: "sha256:x",
    imageKind: "unverified_local",
    backend: "docker",
    phase: "PENDING",
    reason: null,
    message: null,
    attempt: 0,
    attemptId: null,
    artifactDir: null,
    workspaceDir: null,
    createdAt: "t",
    updatedAt: "t",
    ...overrides,
  };
}

function transition(seq: number, from: string, to: string, ts: string, extra: Partial<Transition> = {}): Transition {
  return { seq, attemptId: "a1", event: "E", from, to, reason: null, message: null, ts, ...extra };
}

function detail(overrides: Partial<RunDetail> & { run: Run }): RunDetail {
  return { attempts: [], transitions: [], artifacts: null, manifestSha256: null, manifestMatchesSidecar: null, artifactProblems: [], tracking: [], ...overrides };
}

describe("run matrix", () => {
  const runs = [
    run({ runId: "r3", model: "pca", dataset: "pbmc", seed: 2 }),
    run({ runId: "r1", model: "pca", dataset: "pbmc", seed: 0 }),
    run({ runId: "r2", model: "mofa", dataset: "pbmc", seed: 0, phase: "RUNNING" }),
    run({ runId: "r4", model: "pca", dataset: "bmmc", seed: 0, jobName: "z-job" }),
    run({ runId: "r5", model: "pca", dataset: "bmmc", seed: 0, jobName: "a-job" }),
    run({ runId: "x1", benchmark: "other" }),
  ];

  test("rows are models, columns datasets, squares in job and seed order; other benchmarks left out", () => {
    const matrix = buildMatrix("b", runs);
    assert.deepEqual(matrix.models, ["mofa", "pca"]);
    assert.deepEqual(matrix.datasets, ["bmmc", "pbmc"]);
    assert.deepEqual(matrix.cells.get(cellKey("pca", "pbmc"))!.map((r) => r.runId), ["r1", "r3"]);
    assert.deepEqual(matrix.cells.get(cellKey("pca", "bmmc"))!.map((r) => r.runId), ["r5", "r4"]);
    assert.equal(matrix.cells.get(cellKey("mofa", "bmmc")), undefined, "an empty cell");
    assert.equal(matrix.runCell.has("x1"), false);
  });

  test("a transition moves one square and the counts; an unknown run asks for a reload", () => {
    const matrix = buildMatrix("b", runs);
    assert.deepEqual(matrixCounts(matrix), { PENDING: 4, RUNNING: 1 });
    assert.equal(applyPhase(matrix, "r2", "FAILED", "nonzero_exit"), true);
    const moved = matrix.cells.get(cellKey("mofa", "pbmc"))![0]!;
    assert.equal(moved.phase, "FAILED");
    assert.equal(moved.reason, "nonzero_exit");
    assert.deepEqual(matrixCounts(matrix), { PENDING: 4, FAILED: 1 });
    assert.equal(applyPhase(matrix, "nope", "FAILED", null), false);
    assert.equal(applyPhase(matrix, "x1", "FAILED", null), false, "a run of another benchmark");
  });

  test("benchmark names: the declared ones in the API's order, then those only runs name (multiverse run)", () => {
    assert.deepEqual(benchmarkNames(["zeta", "b"], runs), ["zeta", "b", "other"]);
    assert.deepEqual(benchmarkNames([], []), []);
  });
});

describe("phases", () => {
  test("the page knows every phase and failure reason of the domain, and no other", () => {
    assert.deepEqual([...PHASE_ORDER], [...RUN_PHASES]);
    for (const [reason, cls] of Object.entries(FAILURE_REASONS)) assert.equal(failureClassOf(reason), cls, reason);
    assert.equal(failureClassOf("made_up"), undefined);
    assert.equal(failureClassOf(null), undefined);
  });

  test("terminal, cancellable, classes and labels", () => {
    assert.deepEqual(RUN_PHASES.filter(isTerminalPhase), ["ARTIFACT_SUCCESS", "FAILED", "CANCELLED"]);
    assert.deepEqual(RUN_PHASES.filter(isCancellable), ["PENDING", "ADMITTED", "RUNNING", "TRAINING_SUCCEEDED", "EVALUATING", "PROMOTING", "RECOVERY_PENDING"]);
    assert.equal(phaseClass("CANCEL_REQUESTED"), "ph-cancel-requested");
    assert.equal(phaseClass("<script>"), "ph-unknown");
    assert.equal(phaseLabel("ARTIFACT_SUCCESS"), "artifact success");
  });

  test("counts in phase order, zeros dropped, unknown phases last", () => {
    assert.deepEqual(orderedCounts({ FAILED: 2, PENDING: 1, RUNNING: 0, ZED: 1, ALPHA: 3 }), [
      { phase: "PENDING", count: 1 },
      { phase: "FAILED", count: 2 },
      { phase: "ALPHA", count: 3 },
      { phase: "ZED", count: 1 },
    ]);
  });
});

describe("run facts", () => {
  test("timeline in seq order with the time since the previous transition", () => {
    const entries = timeline([transition(5, "RUNNING", "FAILED", "2026-03-01T10:00:05.500Z"), transition(3, "PENDING", "RUNNING", "2026-03-01T10:00:01.000Z"), transition(4, "X", "Y", "not a time")]);
    assert.deepEqual(entries.map((e) => [e.seq, e.afterSeconds]), [[3, null], [4, null], [5, null]]);
    const clean = timeline([transition(2, "ADMITTED", "RUNNING", "2026-03-01T10:00:03.000Z"), transition(1, "PENDING", "ADMITTED", "2026-03-01T10:00:01.000Z")]);
    assert.deepEqual(clean.map((e) => e.afterSeconds), [null, 2]);
  });

  test("elapsed: to the last transition when terminal, to now while running", () => {
    const transitions = [transition(1, "PENDING", "RUNNING", "2026-03-01T10:00:00.000Z"), transition(2, "RUNNING", "FAILED", "2026-03-01T10:00:30.000Z")];
    const now = Date.parse("2026-03-01T10:05:00.000Z");
    assert.equal(elapsedSeconds(detail({ run: run({ phase: "FAILED" }), transitions }), now), 30);
    assert.equal(elapsedSeconds(detail({ run: run({ phase: "RUNNING" }), transitions: transitions.slice(0, 1) }), now), 300);
    assert.equal(elapsedSeconds(detail({ run: run({}) }), now), null);
  });

  test("failure facts: reason, class, message, exit code and OOM of the run's attempt, the failing transition", () => {
    const failed = detail({
      run: run({ phase: "FAILED", reason: "oom_killed", message: "killed by the OOM killer", attemptId: "a2", workspaceDir: "/w/a2" }),
      attempts: [
        { attemptId: "a1", attempt: 1, executor: "docker", handle: null, workspaceDir: "/w/a1", phase: "FAILED", reason: "lost", exitCode: null, oomKilled: false, startedAt: null, finishedAt: null, launchedAt: null },
        { attemptId: "a2", attempt: 2, executor: "docker", handle: null, workspaceDir: "/w/a2", phase: "FAILED", reason: "oom_killed", exitCode: 137, oomKilled: true, startedAt: null, finishedAt: null, launchedAt: null },
      ],
      transitions: [transition(1, "PENDING", "RUNNING", "2026-03-01T10:00:00Z"), transition(2, "RUNNING", "FAILED", "2026-03-01T10:00:09Z", { event: "EXITED", reason: "oom_killed" })],
    });
    assert.deepEqual(failureFacts(failed), {
      reason: "oom_killed",
      failureClass: "method",
      message: "killed by the OOM killer",
      exitCode: 137,
      oomKilled: true,
      failedBy: { event: "EXITED", ts: "2026-03-01T10:00:09Z", from: "RUNNING" },
      workspaceDir: "/w/a2",
    });
    assert.equal(failureFacts(detail({ run: run({ phase: "ARTIFACT_SUCCESS" }) })), null);
    assert.equal(failureFacts(detail({ run: run({ phase: "RUNNING" }) })), null);
    const cancelled = failureFacts(detail({ run: run({ phase: "CANCELLED" }), transitions: [transition(1, "RUNNING", "CANCELLED", "t", { reason: "cancelled", message: "asked by the API" })] }))!;
    assert.equal(cancelled.reason, "cancelled");
    assert.equal(cancelled.failureClass, "user");
    assert.equal(cancelled.message, "asked by the API");
    assert.equal(failureFacts(detail({ run: run({ phase: "RECOVERY_PENDING" }) }))!.reason, "recovery_pending");
  });

  test("pictures: images only, the UMAP first", () => {
    const artifacts = [
      { path: "a.png", role: "other", size_bytes: 1, sha256: "x" },
      { path: "embeddings.h5", role: "embeddings", size_bytes: 1, sha256: "x" },
      { path: "umap.png", role: "umap", size_bytes: 1, sha256: "x" },
      { path: "fig/b.JPG", role: "other", size_bytes: 1, sha256: "x" },
    ];
    assert.deepEqual(pictures(artifacts).map((a) => a.path), ["umap.png", "a.png", "fig/b.JPG"]);
    assert.deepEqual(pictures(null), []);
  });

  test("file URLs encode each segment, keeping the slashes", () => {
    assert.equal(fileUrl("r 1", "fig/a b#.png"), "/api/v1/runs/r%201/files/fig/a%20b%23.png");
  });

  test("MLflow links: the run page when synced, the experiment otherwise, no link for a file store", () => {
    const base = { attemptId: "a1", target: "mlflow", trackingUri: "http://mlflow:5000/", experimentName: "demo", updatedAt: "t" } as const;
    const [synced, pending, fileStore] = mlflowLinks([
      { ...base, state: "synced", experimentId: "7", mlflowRunId: "abc", message: null },
      { ...base, state: "pending", experimentId: "7", mlflowRunId: null, message: "server down, retrying" },
      { ...base, trackingUri: "file:///tmp/mlruns", state: "synced", experimentId: "1", mlflowRunId: "def", message: null },
    ]);
    assert.equal(synced!.href, "http://mlflow:5000/#/experiments/7/runs/abc");
    assert.equal(synced!.note, null);
    assert.equal(pending!.href, "http://mlflow:5000/#/experiments/7");
    assert.equal(pending!.note, "server down, retrying");
    assert.equal(fileStore!.href, null);
    assert.equal(mlflowLinks([{ ...base, state: "failed", experimentId: null, mlflowRunId: null, message: "refused" }])[0]!.href, null);
  });

  test("Optuna studies with the command that opens them (the storage quoted for a shell)", () => {
    const [study] = studyFacts([{ study: "s", storage: "sqlite:///it's.db", trialNumber: 4, jobName: "j", params: null, state: "COMPLETE", value: 0.5, message: null }]);
    assert.equal(study!.trial, "#4 COMPLETE 0.5");
    assert.equal(study!.command, "optuna-dashboard 'sqlite:///it'\\''s.db'");
  });

  test("params as sorted pairs; text that is not a JSON object shown as it is", () => {
    assert.deepEqual(paramPairs('{"b": 2, "a": "x", "c": [1]}'), [["a", "x"], ["b", "2"], ["c", "[1]"]]);
    assert.deepEqual(paramPairs("[1]"), [["(params)", "[1]"]]);
    assert.deepEqual(paramPairs("not json"), [["(params)", "not json"]]);
    assert.deepEqual(paramPairs("{}"), []);
  });
});

describe("formats and routes", () => {
  test("bytes, durations, times, ids", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(50 * 1024 * 1024), "50 MiB");
    assert.equal(formatDuration(0.25), "250 ms");
    assert.equal(formatDuration(4.25), "4.3 s");
    assert.equal(formatDuration(125), "2 min 5 s");
    assert.equal(formatDuration(3 * 3600 + 120), "3 h 2 min");
    assert.equal(formatTime("2026-03-01T10:00:01.500Z"), "2026-03-01 10:00:01");
    assert.equal(formatTime(null), "-");
    assert.equal(formatTime("odd"), "odd");
    assert.equal(shortId("abcdefghijklmnop"), "abcdefghijkl");
  });

  test("hash routes", () => {
    assert.deepEqual(route("#/run/abc%20d"), { page: "run", runId: "abc d" });
    assert.deepEqual(route("#/"), { page: "benchmarks" });
    assert.deepEqual(route(""), { page: "benchmarks" });
    assert.deepEqual(route("#/run/"), { page: "benchmarks" });
  });
});

describe("serving rules", () => {
  test("only paths the manifest lists (and the manifest and its sidecar), never an escape", () => {
    const listed = ["umap.png", "fig/a.png"];
    assert.equal(isServablePath("umap.png", listed), true);
    assert.equal(isServablePath("fig/a.png", listed), true);
    assert.equal(isServablePath("artifact_manifest.json", listed), true);
    assert.equal(isServablePath("artifact_manifest.sha256", listed), true);
    for (const bad of ["secret.txt", "../umap.png", "fig/../umap.png", "/etc/passwd", "", "fig//a.png", "./umap.png", "umap.png\u0000"]) assert.equal(isServablePath(bad, listed), false, bad);
  });

  test("pictures and text inline, everything else a download; always sandboxed and not sniffed", () => {
    assert.deepEqual(servePolicy("umap.PNG"), { contentType: "image/png", inline: true });
    assert.deepEqual(servePolicy("metrics.json"), { contentType: "application/json; charset=utf-8", inline: true });
    assert.deepEqual(servePolicy("run.log"), { contentType: "text/plain; charset=utf-8", inline: true });
    assert.deepEqual(servePolicy("embeddings.h5"), { contentType: "application/octet-stream", inline: false });
    assert.deepEqual(servePolicy("report.html"), { contentType: "application/octet-stream", inline: false });
    assert.deepEqual(servePolicy("plot.svg"), { contentType: "application/octet-stream", inline: false });
    const headers = bundleFileHeaders('fig/we"ird name.h5', 10);
    assert.equal(headers["content-disposition"], 'attachment; filename="we_ird_name.h5"');
    assert.match(headers["content-security-policy"]!, /^sandbox/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["content-length"], "10");
  });

  test("asset names", () => {
    for (const good of ["index.html", "main.js", "run-view.js", "style.css", "favicon.svg"]) assert.equal(isAssetName(good), true, good);
    for (const bad of ["../x.js", "main.js.map", "Main.js", ".hidden.js", "a/b.js", "x.ts", "x.json"]) assert.equal(isAssetName(bad), false, bad);
  });

  test("cancel from multiverse serve: to a controller holding the state root, refused otherwise, saying what to do", () => {
    assert.deepEqual(cancelRoute("/s", { pid: 4, purpose: "multiverse controller" }), { via: "controller" });
    const none = cancelRoute("/s", undefined);
    assert.ok("refused" in none);
    assert.match(none.refused, /multiverse serve, which only reads \/s/);
    assert.match(none.refused, /multiverse controller --state-root \/s/);
    assert.match(none.refused, /multiverse cancel run NAME --state-root \/s/);
    const run = cancelRoute("/s", { pid: 42, purpose: "multiverse run" });
    assert.ok("refused" in run);
    assert.match(run.refused, /process 42 \(multiverse run\) holds the state root/);
  });
});
