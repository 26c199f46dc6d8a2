/** The evaluator's outputs judged against the contract, and the leaderboard formatted from a report. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkOutputs, type ParsedFile } from "../../../src/evaluation/output-check.js";
import { formatReport, rankedRows } from "../../../src/evaluation/report-format.js";
import { parseReport, ReportShapeError } from "../../../src/evaluation/report-model.js";

const json = (value: unknown): ParsedFile => ({ kind: "json", value });
const memberFile = (id: string) => json({ schema_version: 1, member: { member_id: id }, status: "done" });
const report = { schema_version: 1, launch_id: "L", datasets: [] };

test("complete outputs pass; a missing, invalid or foreign member file is listed for the host to fill in", () => {
  const ok = checkOutputs({ launchId: "L", memberIds: ["a", "b"], report: json(report), members: new Map([["a", memberFile("a")], ["b", memberFile("b")]]) });
  assert.deepEqual(ok, { reportOk: true, missingMembers: [], problems: [] });
  const partial = checkOutputs({ launchId: "L", memberIds: ["a", "b", "c"], report: json(report), members: new Map<string, ParsedFile>([["a", memberFile("x")], ["b", { kind: "invalid", error: "Unexpected token" }]]) });
  assert.equal(partial.reportOk, true);
  assert.deepEqual(partial.missingMembers, ["a", "b", "c"]);
  assert.deepEqual(partial.problems, ["evaluations/a.json is not a schema_version 1 evaluation of member a", "evaluations/b.json is not valid JSON: Unexpected token", "the evaluator wrote no evaluations/c.json"]);
});

test("the report must exist, parse, be schema_version 1 of this launch with a datasets list", () => {
  const verdict = (file: ParsedFile) => checkOutputs({ launchId: "L", memberIds: [], report: file, members: new Map() });
  assert.deepEqual(verdict({ kind: "missing" }).problems, ["the evaluator wrote no evaluation_report.json"]);
  assert.equal(verdict({ kind: "invalid", error: "x" }).reportOk, false);
  assert.deepEqual(verdict(json({ ...report, schema_version: 2 })).problems, ["evaluation_report.json is not schema_version 1"]);
  assert.deepEqual(verdict(json({ ...report, launch_id: "M" })).problems, ["evaluation_report.json is of launch M, not L"]);
  assert.deepEqual(verdict(json({ schema_version: 1, launch_id: "L" })).problems, ["evaluation_report.json has no datasets list"]);
});

const row = (id: string, kind: "member" | "control", total: number | null, bio: number | null, batch: number | null, status = "done") => ({
  id, kind, model: kind === "member" ? "pca" : null, seed: kind === "member" ? 0 : null, status, metrics: { nmi: bio }, bio_conservation: bio, batch_correction: batch, total,
});

const sample = {
  schema_version: 1, launch_id: "L", metrics: "default", weights: { bio_conservation: 0.6, batch_correction: 0.4 },
  datasets: [{
    slug: "pbmc", batch_key: null, label_key: "bulk_labels", metric_names: ["nmi"],
    tables: {
      raw: { label: "raw", rows: [row("m1", "member", 0.52, 0.7, null), row("control:random", "control", 0.1, 0.1, null), row("m2", "member", null, null, null, "training_failed")] },
      scaled: { label: "scaled", rows: [row("m1", "member", 1, 1, null), row("control:random", "control", 0, 0, null), row("m2", "member", null, null, null, "training_failed")] },
    },
    ranking: ["m1", "control:random"], controls: ["control:unintegrated", "control:random"], warnings: ["no batch key: batch metrics not applicable"],
  }],
  versions: { scib_metrics: "0.5.10", ignored: 3 },
};

test("parseReport keeps the contract's fields and names the field that is wrong", () => {
  const parsed = parseReport(sample);
  assert.deepEqual(parsed.versions, { scib_metrics: "0.5.10" });
  assert.equal(parsed.datasets[0]?.tables.raw.rows[0]?.total, 0.52);
  assert.throws(() => parseReport({ ...sample, schema_version: 2 }), (e: unknown) => e instanceof ReportShapeError && /schema_version: expected 1/.test(e.message));
  const broken = structuredClone(sample);
  (broken.datasets[0]!.tables.raw.rows[0] as { total: unknown }).total = "high";
  assert.throws(() => parseReport(broken), /datasets\[0\]\.tables\.raw\.rows\[0\]\.total: expected a number or null/);
});

test("rows in ranking order, unranked ones after by id; not_applicable scores print n/a, never 0; controls marked", () => {
  const parsed = parseReport(sample);
  assert.deepEqual(rankedRows(parsed.datasets[0]!, "scaled").map((r) => [r.rank, r.row.id]), [[1, "m1"], [2, "control:random"], [null, "m2"]]);
  const text = formatReport(parsed, "table");
  assert.match(text, /dataset pbmc \(batch key none, label key bulk_labels\)/);
  const m1 = text.split("\n").find((l) => l.startsWith("1 "));
  assert.ok(m1, text);
  assert.match(m1, /pca seed 0 \[m1\]\s+done\s+0\.700\s+n\/a\s+0\.520\s+1\.000\s+n\/a\s+1\.000/);
  assert.match(text, /control:random \(control\)/);
  assert.match(text, /-\s+pca seed 0 \[m2\]\s+training_failed\s+n\/a/);
  assert.match(text, /warning: no batch key: batch metrics not applicable/);
  const md = formatReport(parsed, "markdown");
  assert.match(md, /^# Evaluation of launch L/);
  assert.match(md, /\| 1 \| pca seed 0 \[m1\] \| done \| 0\.700 \| n\/a \| 0\.520 \| 1\.000 \| n\/a \| 1\.000 \|/);
  assert.deepEqual(JSON.parse(formatReport(parsed, "json")), parsed);
});
