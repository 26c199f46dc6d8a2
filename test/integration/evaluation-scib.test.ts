/**
 * The demo evaluated end to end with the real scIB evaluator (store/evaluators/scib, scib-metrics in its own
 * environment, run by the local executor): pca and mofa on pbmc68k-reduced, two seeds each, `run --evaluate`.
 * Every member is scored, both controls are in both tables, every score is traceable to the bundle it came from,
 * and MOFA+'s pruned (constant) factors are a warning, not a failure.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../src/util/paths.js";
import { cli, parseJson } from "../helpers/cli.js";
import { TEST_HANG_GUARD_MS } from "../helpers/wait.js";

const DATASET = join(repoRoot(), "data", "generated", "pbmc68k-reduced.h5mu");

interface Metric { name: string; category: string; value: number | null; status: string; reason: string | null }
interface MemberDocument {
  member: { member_id: string; model: string; seed: number };
  status: string;
  embedding: { shape: number[] };
  metrics: Metric[];
  scores: { bio_conservation: number | null; batch_correction: number | null; total: number | null };
  traced_to: { manifest_sha256: string; embedding_sha256: string; dataset_fingerprint: string };
  versions: Record<string, string>;
}
interface Row { id: string; kind: string; status: string; total: number | null }
interface Report {
  weights: { bio_conservation: number; batch_correction: number };
  warnings: string[];
  datasets: { slug: string; batch_key: string; label_key: string; ranking: string[]; controls: string[]; tables: Record<string, { label: string; rows: Row[] }> }[];
}
interface RunJson {
  launchId: string;
  runs: { runId: string; artifactDir: string | null }[];
  evaluation: { status: string; launchDir: string; members: { member_id: string; readiness: string; status: string }[] };
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

describe("the demo evaluated with the real scIB evaluator", () => {
  let work: string;
  let result: RunJson;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-eval-scib-"));
    const manifest = join(work, "demo.yaml");
    writeFileSync(manifest, readFileSync(join(repoRoot(), "manifests", "demo", "run_manifest.yaml"), "utf8").replace("../../data/generated/pbmc68k-reduced.h5mu", DATASET));
    const run = await cli(["run", "--manifest", manifest, "--output", join(work, "out"), "--evaluate", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    result = parseJson<RunJson>(run);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test("every member is ready and done; the report ranks them with both controls, raw and scaled", { timeout: TEST_HANG_GUARD_MS }, () => {
    assert.equal(result.evaluation.status, "done");
    assert.deepEqual(result.evaluation.members.map((m) => [m.readiness, m.status]), [["ready", "done"], ["ready", "done"], ["ready", "done"], ["ready", "done"]]);
    const report = JSON.parse(readFileSync(join(result.evaluation.launchDir, "evaluation_report.json"), "utf8")) as Report;
    assert.deepEqual(report.weights, { bio_conservation: 0.6, batch_correction: 0.4 });
    const [dataset] = report.datasets;
    assert.ok(dataset);
    assert.deepEqual([dataset.slug, dataset.batch_key, dataset.label_key], ["pbmc68k-reduced", "gem_group", "bulk_labels"]);
    assert.deepEqual([...dataset.controls].sort(), ["control:random", "control:unintegrated"]);
    assert.equal(dataset.ranking.length, 6, "4 members + 2 controls");
    for (const [name, table] of Object.entries(dataset.tables)) {
      assert.equal(table.rows.length, 6, name);
      for (const row of table.rows) {
        assert.equal(row.status, "done", `${name}: ${row.id}`);
        assert.ok(row.total !== null && row.total >= 0 && row.total <= 1, `${name}: ${row.id} total ${row.total}`);
      }
    }
    const random = dataset.tables.raw?.rows.find((r) => r.id === "control:random");
    const unintegrated = dataset.tables.raw?.rows.find((r) => r.id === "control:unintegrated");
    assert.ok(random && unintegrated && random.total !== null && unintegrated.total !== null && random.total < unintegrated.total, "a random embedding scores below the unintegrated baseline");
    assert.ok(report.warnings.some((w) => /latent dimensions are constant/.test(w)), `MOFA+'s pruned factors are a warning: ${report.warnings.join("; ")}`);
    for (const plot of ["results_table.png", "umap_grid.png"]) assert.ok(existsSync(join(result.evaluation.launchDir, "plots", "dataset_pbmc68k-reduced", plot)), plot);
  });

  test("each member's scores are scib-metrics numbers traceable to its bundle's checksums", { timeout: TEST_HANG_GUARD_MS }, () => {
    for (const run of result.runs) {
      const doc = JSON.parse(readFileSync(join(result.evaluation.launchDir, "evaluations", `${run.runId}.json`), "utf8")) as MemberDocument;
      assert.equal(doc.status, "done", run.runId);
      assert.ok(run.artifactDir);
      assert.equal(doc.traced_to.manifest_sha256, sha256(join(run.artifactDir, "artifact_manifest.json")), `${run.runId}: the manifest it was computed from`);
      assert.equal(doc.traced_to.embedding_sha256, sha256(join(run.artifactDir, "embeddings.h5")), `${run.runId}: the embedding it was computed from`);
      assert.equal(doc.versions.scib_metrics, "0.5.10");
      const names = doc.metrics.map((m) => m.name);
      for (const expected of ["isolated_labels", "silhouette_label", "clisi_knn", "bras", "ilisi_knn", "kbet_per_label", "graph_connectivity", "pcr_comparison"]) {
        assert.ok(names.includes(expected), `${run.runId}: ${expected} in ${names.join(", ")}`);
      }
      for (const metric of doc.metrics) {
        assert.equal(metric.status, "ok", `${run.runId} ${metric.name}: ${metric.reason}`);
        assert.ok(metric.value !== null && Number.isFinite(metric.value), `${run.runId} ${metric.name}`);
      }
      const { bio_conservation: bio, batch_correction: batch, total } = doc.scores;
      assert.ok(bio !== null && batch !== null && total !== null);
      assert.ok(Math.abs(total - (0.6 * bio + 0.4 * batch)) < 1e-5, `${run.runId}: total = 0.6 bio + 0.4 batch`);
    }
  });
});
