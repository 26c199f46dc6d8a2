/** Prometheus text exposition: a small parser checks the format, the histogram's cumulative buckets and the gauges. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DURATION_BUCKETS, renderMetrics } from "../../../src/api/metrics.js";
import { RUN_PHASES } from "../../../src/domain/run-states.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses text format 0.0.4 strictly enough to fail on anything a Prometheus scraper would reject. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `TYPE given twice for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a valid line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    const value = sample[3] === "+Inf" ? Infinity : Number(sample[3]);
    assert.ok(!Number.isNaN(value), `not a number: ${sample[3]}`);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { samples, types };
}

const one = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
};

describe("renderMetrics", () => {
  test("runs by phase for every known phase, the gauges, and the journal lag", () => {
    const { samples, types } = parse(renderMetrics({ queueDepth: 4, reconcileSeconds: [], journalSeq: 120, indexSeq: 117 }, { RUNNING: 2, FAILED: 1 }, RUN_PHASES));
    for (const phase of RUN_PHASES) one(samples, "multiverse_runs", { phase });
    assert.equal(one(samples, "multiverse_runs", { phase: "RUNNING" }), 2);
    assert.equal(one(samples, "multiverse_runs", { phase: "PENDING" }), 0);
    assert.equal(one(samples, "multiverse_queue_depth"), 4);
    assert.equal(one(samples, "multiverse_journal_seq"), 120);
    assert.equal(one(samples, "multiverse_index_seq"), 117);
    assert.equal(one(samples, "multiverse_journal_lag"), 3);
    assert.equal(types.get("multiverse_runs"), "gauge");
    assert.equal(types.get("multiverse_reconcile_duration_seconds"), "histogram");
  });

  test("the reconcile histogram has cumulative buckets, +Inf equal to the count, and the sum", () => {
    const durations = [0.0005, 0.001, 0.003, 0.2, 0.2, 7, 30];
    const { samples } = parse(renderMetrics({ queueDepth: 0, reconcileSeconds: durations, journalSeq: 0, indexSeq: 0 }, {}, RUN_PHASES));
    const buckets = samples.filter((s) => s.name === "multiverse_reconcile_duration_seconds_bucket");
    assert.deepEqual(buckets.map((b) => b.labels.le), [...DURATION_BUCKETS.map(String), "+Inf"]);
    for (const bucket of buckets) {
      const bound = bucket.labels.le === "+Inf" ? Infinity : Number(bucket.labels.le);
      assert.equal(bucket.value, durations.filter((d) => d <= bound).length, `le=${bucket.labels.le}`);
    }
    assert.equal(one(samples, "multiverse_reconcile_duration_seconds_count"), durations.length);
    assert.ok(Math.abs(one(samples, "multiverse_reconcile_duration_seconds_sum") - durations.reduce((a, b) => a + b, 0)) < 1e-9);
  });

  test("a lag is never negative (the index read ahead of a stale journal figure) and labels are escaped", () => {
    const { samples } = parse(renderMetrics({ queueDepth: 0, reconcileSeconds: [], journalSeq: 5, indexSeq: 9 }, { 'we"ird\\phase\n': 1 }, ['we"ird\\phase\n']));
    assert.equal(one(samples, "multiverse_journal_lag"), 0);
    assert.equal(one(samples, "multiverse_runs", { phase: 'we\\"ird\\\\phase\\n' }), 1);
  });
});
