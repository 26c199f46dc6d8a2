/** The leaderboard per dataset, as a text table, Markdown or JSON. Pure. */
import type { EvaluationReport, ReportDataset, ReportRow } from "./report-model.js";

export type ReportFormat = "table" | "markdown" | "json";

function score(value: number | null): string {
  return value === null ? "n/a" : value.toFixed(3);
}

/** Rows in ranking order (ranked ones first, then the rest by id); controls are marked. */
export function rankedRows(dataset: ReportDataset, which: "raw" | "scaled"): { rank: number | null; row: ReportRow }[] {
  const rows = dataset.tables[which].rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ranked = dataset.ranking.map((id) => byId.get(id)).filter((r): r is ReportRow => r !== undefined);
  const rankedIds = new Set(ranked.map((r) => r.id));
  const rest = rows.filter((r) => !rankedIds.has(r.id)).sort((a, b) => a.id.localeCompare(b.id));
  return [...ranked.map((row, i) => ({ rank: i + 1, row })), ...rest.map((row) => ({ rank: null, row }))];
}

function label(row: ReportRow): string {
  if (row.kind === "control") return `${row.id} (control)`;
  return `${row.model ?? "?"} seed ${row.seed ?? "?"} [${row.id.slice(0, 12)}]`;
}

interface Grid {
  headers: string[];
  rows: string[][];
}

function grid(dataset: ReportDataset): Grid {
  const raw = new Map(dataset.tables.raw.rows.map((r) => [r.id, r]));
  const headers = ["RANK", "MEMBER", "STATUS", "BIO (raw)", "BATCH (raw)", "TOTAL (raw)", "BIO (scaled)", "BATCH (scaled)", "TOTAL (scaled)"];
  const rows = rankedRows(dataset, "scaled").map(({ rank, row }) => {
    const r = raw.get(row.id);
    return [rank === null ? "-" : String(rank), label(row), row.status, score(r?.bio_conservation ?? null), score(r?.batch_correction ?? null), score(r?.total ?? null), score(row.bio_conservation), score(row.batch_correction), score(row.total)];
  });
  return { headers, rows };
}

function textTable(g: Grid): string {
  const widths = g.headers.map((h, i) => Math.max(h.length, ...g.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(g.headers), ...g.rows.map(line)].join("\n");
}

function markdownTable(g: Grid): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(g.headers), `|${g.headers.map(() => "---").join("|")}|`, ...g.rows.map(line)].join("\n");
}

function keys(dataset: ReportDataset): string {
  return `batch key ${dataset.batch_key ?? "none"}, label key ${dataset.label_key ?? "none"}`;
}

export function formatReport(report: EvaluationReport, format: ReportFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}`;
  const weights = `total = ${report.weights.bio_conservation} x bio conservation + ${report.weights.batch_correction} x batch correction`;
  const parts: string[] = [];
  if (format === "markdown") {
    parts.push(`# Evaluation of launch ${report.launch_id}`, "", `Metrics preset \`${report.metrics}\`; ${weights}. Scaled = min-max over the members and controls, per metric; ranked by the scaled total.`);
    for (const dataset of report.datasets) {
      parts.push("", `## ${dataset.slug}`, "", `${keys(dataset)}.`, "", markdownTable(grid(dataset)));
      for (const warning of dataset.warnings) parts.push("", `> warning: ${warning}`);
    }
    return parts.join("\n");
  }
  parts.push(`launch ${report.launch_id}: metrics ${report.metrics}; ${weights}; scaled = min-max over members and controls, ranked by the scaled total`);
  for (const dataset of report.datasets) {
    parts.push("", `dataset ${dataset.slug} (${keys(dataset)})`, textTable(grid(dataset)));
    for (const warning of dataset.warnings) parts.push(`warning: ${warning}`);
  }
  return parts.join("\n");
}
