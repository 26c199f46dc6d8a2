/**
 * evaluation_report.json as `multiverse report` reads it (EVAL_CONTRACT.md): parsed and checked field by field, so a
 * damaged or foreign file is a clear error naming the field, never a crash. Pure.
 */
export interface ReportRow {
  id: string;
  kind: "member" | "control";
  model: string | null;
  seed: number | null;
  status: string;
  metrics: Record<string, number | null>;
  bio_conservation: number | null;
  batch_correction: number | null;
  total: number | null;
}

export interface ReportTable {
  label: string;
  rows: ReportRow[];
}

export interface ReportDataset {
  slug: string;
  batch_key: string | null;
  label_key: string | null;
  metric_names: string[];
  tables: { raw: ReportTable; scaled: ReportTable };
  ranking: string[];
  controls: string[];
  warnings: string[];
}

export interface EvaluationReport {
  schema_version: 1;
  launch_id: string;
  metrics: string;
  weights: { bio_conservation: number; batch_correction: number };
  datasets: ReportDataset[];
  versions: Record<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): v is number | null => v === null || (typeof v === "number" && Number.isFinite(v));
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === "string";
const strList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

export class ReportShapeError extends Error {}

function need<T>(value: unknown, field: string, check: (v: unknown) => v is T, expected: string): T {
  if (!check(value)) throw new ReportShapeError(`${field}: expected ${expected}`);
  return value;
}

function row(value: unknown, at: string): ReportRow {
  const r = need(value, at, isObj, "an object");
  const metrics = need(r.metrics, `${at}.metrics`, isObj, "an object of metric values");
  for (const [name, v] of Object.entries(metrics)) need(v, `${at}.metrics.${name}`, numOrNull, "a number or null");
  return {
    id: need(r.id, `${at}.id`, (v): v is string => typeof v === "string", "a string"),
    kind: need(r.kind, `${at}.kind`, (v): v is "member" | "control" => v === "member" || v === "control", '"member" or "control"'),
    model: need(r.model ?? null, `${at}.model`, strOrNull, "a string or null"),
    seed: need(r.seed ?? null, `${at}.seed`, numOrNull, "a number or null"),
    status: need(r.status, `${at}.status`, (v): v is string => typeof v === "string", "a string"),
    metrics: metrics as Record<string, number | null>,
    bio_conservation: need(r.bio_conservation, `${at}.bio_conservation`, numOrNull, "a number or null"),
    batch_correction: need(r.batch_correction, `${at}.batch_correction`, numOrNull, "a number or null"),
    total: need(r.total, `${at}.total`, numOrNull, "a number or null"),
  };
}

function table(value: unknown, at: string): ReportTable {
  const t = need(value, at, isObj, "an object with label and rows");
  return { label: need(t.label, `${at}.label`, (v): v is string => typeof v === "string", "a string"), rows: need(t.rows, `${at}.rows`, Array.isArray, "a list").map((r, i) => row(r, `${at}.rows[${i}]`)) };
}

export function parseReport(value: unknown): EvaluationReport {
  const r = need(value, "(report)", isObj, "an object");
  if (r.schema_version !== 1) throw new ReportShapeError(`schema_version: expected 1, got ${JSON.stringify(r.schema_version)}`);
  const weights = need(r.weights, "weights", isObj, "an object");
  const datasets = need(r.datasets, "datasets", Array.isArray, "a list").map((d, i): ReportDataset => {
    const at = `datasets[${i}]`;
    const o = need(d, at, isObj, "an object");
    const tables = need(o.tables, `${at}.tables`, isObj, "an object with raw and scaled");
    return {
      slug: need(o.slug, `${at}.slug`, (v): v is string => typeof v === "string", "a string"),
      batch_key: need(o.batch_key ?? null, `${at}.batch_key`, strOrNull, "a string or null"),
      label_key: need(o.label_key ?? null, `${at}.label_key`, strOrNull, "a string or null"),
      metric_names: need(o.metric_names, `${at}.metric_names`, strList, "a list of strings"),
      tables: { raw: table(tables.raw, `${at}.tables.raw`), scaled: table(tables.scaled, `${at}.tables.scaled`) },
      ranking: need(o.ranking, `${at}.ranking`, strList, "a list of ids"),
      controls: need(o.controls ?? [], `${at}.controls`, strList, "a list of ids"),
      warnings: need(o.warnings ?? [], `${at}.warnings`, strList, "a list of strings"),
    };
  });
  const versions: Record<string, string> = {};
  if (isObj(r.versions)) for (const [k, v] of Object.entries(r.versions)) if (typeof v === "string") versions[k] = v;
  return {
    schema_version: 1,
    launch_id: need(r.launch_id, "launch_id", (v): v is string => typeof v === "string", "a string"),
    metrics: need(r.metrics, "metrics", (v): v is string => typeof v === "string", "a string"),
    weights: {
      bio_conservation: need(weights.bio_conservation, "weights.bio_conservation", (v): v is number => typeof v === "number", "a number"),
      batch_correction: need(weights.batch_correction, "weights.batch_correction", (v): v is number => typeof v === "number", "a number"),
    },
    datasets,
    versions,
  };
}
