/** The start page: every benchmark with its conditions, phase counts and run matrix, patched live from SSE. */
import { listBenchmarks, listRuns } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { applyPhase, benchmarkNames, buildMatrix, cellKey, matrixCounts, type Matrix, type MatrixRun } from "./matrix.js";
import { phaseClass, phaseLabel } from "./phases.js";
import { debounce, type LiveStream } from "./live.js";
import type { Benchmark } from "./types.js";
import { conditionChips, legend, notice, phaseBar } from "./widgets.js";

function runSquare(run: MatrixRun): HTMLElement {
  return h(
    "a",
    {
      class: `run ${phaseClass(run.phase)}`,
      href: `#/run/${encodeURIComponent(run.runId)}`,
      "data-run-id": run.runId,
      "data-phase": run.phase,
      title: `${run.name}\n${run.jobName} · seed ${run.seed}\n${phaseLabel(run.phase)}${run.reason ? ` (${run.reason})` : ""}`,
    },
    String(run.seed),
  );
}

function matrixTable(matrix: Matrix): HTMLElement {
  if (matrix.models.length === 0) return h("p", { class: "muted" }, "no runs planned yet");
  return h(
    "div",
    { class: "matrix-scroll" },
    h(
      "table",
      { class: "matrix", "data-benchmark": matrix.benchmark },
      h("thead", {}, h("tr", {}, h("th", { class: "corner" }, "model \\ dataset"), matrix.datasets.map((d) => h("th", { scope: "col" }, d)))),
      h(
        "tbody",
        {},
        matrix.models.map((model) =>
          h("tr", {}, h("th", { scope: "row" }, model), matrix.datasets.map((dataset) => h("td", {}, h("div", { class: "cell" }, (matrix.cells.get(cellKey(model, dataset)) ?? []).map(runSquare))))),
        ),
      ),
    ),
  );
}

function benchmarkCard(name: string, declared: Benchmark | undefined, matrix: Matrix): HTMLElement {
  const meta = declared
    ? [`generation ${declared.generation}`, `observed ${declared.observedGeneration ?? "-"}`, `${declared.jobs} ${declared.jobs === 1 ? "job" : "jobs"}`, declared.deleted ? "deleted" : ""].filter(Boolean).join(" · ")
    : "run by multiverse run (no controller conditions)";
  return h(
    "section",
    { class: "card benchmark", "data-benchmark": name },
    h("div", { class: "card-head" }, h("h2", {}, name), h("span", { class: "muted" }, meta), declared ? h("span", { class: "muted mono" }, `${declared.file}:${declared.line}`) : null),
    declared && declared.conditions.length > 0 ? conditionChips(declared.conditions) : null,
    h("div", { class: "bar-slot" }, phaseBar(matrixCounts(matrix))),
    matrixTable(matrix),
  );
}

export interface View {
  element: HTMLElement;
  dispose(): void;
}

export function benchmarksView(live: LiveStream): View {
  const element = h("div", { class: "view benchmarks" }, h("p", { class: "muted" }, "loading…"));
  const matrices = new Map<string, Matrix>();
  let disposed = false;
  let loading = false;
  let again = false;

  const load = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const [benchmarks, runs] = await Promise.all([listBenchmarks(), listRuns()]);
      if (disposed) return;
      const declared = new Map(benchmarks.map((b) => [b.name, b]));
      const names = benchmarkNames(benchmarks.filter((b) => !b.deleted || runs.some((r) => r.benchmark === b.name)).map((b) => b.name), runs);
      matrices.clear();
      const cards = names.map((name) => {
        const matrix = buildMatrix(name, runs);
        matrices.set(name, matrix);
        return benchmarkCard(name, declared.get(name), matrix);
      });
      replaceChildren(
        element,
        h("div", { class: "page-head" }, h("h1", {}, "Benchmarks"), legend()),
        cards.length > 0 ? cards : h("section", { class: "card empty" }, h("p", {}, "No benchmarks in this state root yet."), h("p", { class: "muted" }, "Apply one with multiverse apply -f FILE, or run a manifest with multiverse run.")),
      );
    } catch (error) {
      if (!disposed) replaceChildren(element, notice("error", `cannot read the API: ${(error as Error).message}`));
    } finally {
      loading = false;
      if (again && !disposed) {
        again = false;
        void load();
      }
    }
  };
  const reload = debounce(() => void load(), 250);

  const patch = (runId: string, phase: string, reason: string | null): boolean => {
    for (const matrix of matrices.values()) {
      if (!applyPhase(matrix, runId, phase, reason)) continue;
      const run = matrix.cells.get(matrix.runCell.get(runId)!)!.find((r) => r.runId === runId)!;
      for (const square of element.querySelectorAll<HTMLElement>(`a.run[data-run-id="${CSS.escape(runId)}"]`)) square.replaceWith(runSquare(run));
      const card = element.querySelector(`section.benchmark[data-benchmark="${CSS.escape(matrix.benchmark)}"] .bar-slot`);
      if (card) replaceChildren(card, phaseBar(matrixCounts(matrix)));
      return true;
    }
    return false;
  };

  const unsubscribe = live.listen((record) => {
    if (record.type === "RUN_TRANSITION" && record.runId && record.to) {
      if (!patch(record.runId, record.to, record.reason ?? null)) reload();
    } else if (record.type === "RUN_PLANNED" || record.type.startsWith("BENCHMARK_") || record.type === "RUN_REUSED") {
      reload();
    }
  });
  void load();
  return {
    element,
    dispose: () => {
      disposed = true;
      unsubscribe();
    },
  };
}
