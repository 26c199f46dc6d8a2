/** Line charts as SVG for the benches' figures in docs/, rendered to PNG by headless Chromium when it is installed. */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  series: Series[];
}

const WIDTH = 420;
const HEIGHT = 320;
const MARGIN = { left: 60, right: 20, top: 40, bottom: 50 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= value)!;
}

/** One chart as an SVG group of WIDTH x HEIGHT, its origin at (0, 0). */
export function lineChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = points.map(([x]) => (spec.logX ? Math.log10(Math.max(x, 1)) : x));
  const xMin = spec.logX ? Math.floor(Math.min(...xs)) : 0;
  const xMax = spec.logX ? Math.ceil(Math.max(...xs)) : niceMax(Math.max(...xs));
  const yMax = niceMax(Math.max(...points.map(([, y]) => y)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (((spec.logX ? Math.log10(Math.max(x, 1)) : x) - xMin) / Math.max(xMax - xMin, 1e-9)) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;
  const parts: string[] = [`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`];
  parts.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(spec.title)}</text>`);
  for (let i = 0; i <= 4; i += 1) {
    const y = (yMax * i) / 4;
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${Number(y.toPrecision(3))}</text>`);
  }
  const ticks = spec.logX ? Array.from({ length: xMax - xMin + 1 }, (_, i) => 10 ** (xMin + i)) : [0, xMax / 2, xMax];
  for (const t of ticks) {
    parts.push(`<text x="${sx(t)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">${t >= 1000 ? `${t / 1000}k` : t}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(0)}" y2="${sy(0)}" stroke="black"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${sy(0)}" stroke="black"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle" font-size="12">${escape(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(spec.yLabel)}</text>`);
  spec.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const valid = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${valid.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")}"/>`);
    for (const [x, y] of valid) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${colour}"/>`);
    parts.push(`<text x="${MARGIN.left + 8}" y="${MARGIN.top + 14 + i * 15}" font-size="11" fill="${colour}">${escape(series.name)}</text>`);
  });
  return parts.join("\n");
}

/** Charts in one row under a title, as a whole SVG document. */
export function sideBySide(charts: string[], title: string): string {
  const width = WIDTH * charts.length;
  const height = HEIGHT + 30;
  const groups = charts.map((chart, i) => `<g transform="translate(${i * WIDTH} 30)">${chart}</g>`).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="${width}" height="${height}" fill="white"/><text x="10" y="20" font-size="14">${escape(title)}</text>\n${groups}\n</svg>\n`;
}

function dimensions(svg: string): [number, number] {
  const match = /<svg[^>]*width="(\d+)" height="(\d+)"/.exec(svg);
  return [Number(match?.[1] ?? 800), Number(match?.[2] ?? 600)];
}

/** Writes `target` (.png) from the SVG with headless Chromium; without Chromium, the SVG beside it. True if a PNG. */
export function renderPng(svg: string, target: string): boolean {
  mkdirSync(dirname(target), { recursive: true });
  const svgFile = target.replace(/\.png$/, ".svg");
  writeFileSync(svgFile, svg);
  const chromium = ["chromium", "chromium-browser"].find((name) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0);
  if (!chromium) return false;
  const [width, height] = dimensions(svg);
  const result = spawnSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", `--window-size=${width},${height}`, `--screenshot=${target}`, `file://${svgFile}`], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) return false;
  rmSync(svgFile, { force: true });
  return true;
}
