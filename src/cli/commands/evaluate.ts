/** `multiverse evaluate --output DIR [--launch ID | --benchmark NAME] [--metrics P] [--backend local|docker] [--json]`. */
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { isMetricsPreset, METRIC_PRESETS, type MetricsPreset } from "../../evaluation/metrics-preset.js";
import { evaluateStandalone, type EvaluationResult, type EvaluatorBackend } from "../../services/evaluation-service.js";
import { json, table, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface EvaluateCliOptions extends StateRootOptions {
  launch?: string;
  benchmark?: string;
  metrics?: string;
  backend?: EvaluatorBackend;
  json?: boolean;
}

export function parseMetricsOption(value: string | undefined): MetricsPreset | undefined {
  if (value === undefined) return undefined;
  if (!isMetricsPreset(value)) throw Errors.usage(`--metrics must be one of ${METRIC_PRESETS.join(", ")}, got "${value}"`);
  return value;
}

function trackingLine(tracking: EvaluationResult["tracking"]): string {
  if (!tracking) return "";
  const logged = tracking.items.filter((i) => i.action === "logged" || i.action === "unchanged").length;
  const pending = tracking.items.filter((i) => i.action === "failed" || (i.action === "skipped" && i.transient === true)).length;
  return `\nMLflow: scores of ${logged} members logged to their runs${pending > 0 ? `; ${pending} not logged yet (multiverse mlflow-sync --output DIR logs them)` : ""}`;
}

export function evaluationSummary(outcome: EvaluationResult): string {
  const body = table(
    ["MEMBER", "MODEL", "DATASET", "SEED", "READINESS", "STATUS", "REASON"],
    outcome.members.map((m) => [m.name, m.model, m.dataset, m.seed, m.readiness, m.status, m.reason]),
  );
  const done = outcome.members.filter((m) => m.status === "done").length;
  const where = outcome.reportFile ? `report ${outcome.reportFile} (multiverse report --launch ${outcome.launchId})` : `no report: ${outcome.error ?? "nothing was ready to evaluate"}`;
  return `${body}\n\n${done}/${outcome.members.length} members evaluated in ${outcome.elapsedSeconds.toFixed(1)} s (metrics ${outcome.metrics}); ${where}\nlaunch dir ${outcome.launchDir}${trackingLine(outcome.tracking)}`;
}

export async function evaluateCommand(options: EvaluateCliOptions, io: Io): Promise<number> {
  if (options.launch !== undefined && options.benchmark !== undefined) throw Errors.usage("give either --launch ID or --benchmark NAME, not both");
  const metrics = parseMetricsOption(options.metrics);
  const stateRoot = resolveStateRoot(options);
  const outcome = await evaluateStandalone(stateRoot, {
    ...(options.launch !== undefined ? { launch: options.launch } : {}),
    ...(options.benchmark !== undefined ? { benchmark: options.benchmark } : {}),
    ...(metrics ? { metrics } : {}),
    backend: options.backend ?? "local",
    ...(io.isTty && !options.json ? { onProgress: (message: string) => io.err(message) } : {}),
  });
  io.out(options.json ? json(outcome) : evaluationSummary(outcome));
  if (outcome.status === "failed") {
    throw Errors.evaluationFailed(`evaluation of launch ${outcome.launchId} failed: ${outcome.error ?? "unknown error"}`, {
      details: [`every ready member is evaluation_failed; the evaluator's log: ${outcome.launchDir}/evaluator.log`],
    });
  }
  return EXIT_OK;
}
