/** The evaluator's metric presets, and which one a launch asks for. */
export const METRIC_PRESETS = ["default", "fast", "all"] as const;
export type MetricsPreset = (typeof METRIC_PRESETS)[number];

export function isMetricsPreset(value: unknown): value is MetricsPreset {
  return typeof value === "string" && (METRIC_PRESETS as readonly string[]).includes(value);
}

/**
 * The preset to evaluate with: the command's flag, else the Benchmark's evaluation.metrics, else a preset named in
 * globals.metrics / jobs[].metrics (the first one), else "default". Other names in those lists are kept in the
 * cohort as requested metrics; they do not choose a preset.
 */
export function choosePreset(flag: MetricsPreset | undefined, benchmarkEvaluation: MetricsPreset | undefined, requested: readonly string[]): MetricsPreset {
  return flag ?? benchmarkEvaluation ?? requested.find(isMetricsPreset) ?? "default";
}
