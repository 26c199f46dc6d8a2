/** `multiverse report --output DIR [--launch ID] [-o table|json|markdown]`: the leaderboard of an evaluated launch. */
import { EXIT_OK } from "../../domain/errors.js";
import { loadReport } from "../../evaluation/launch-report.js";
import { formatReport, type ReportFormat } from "../../evaluation/report-format.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface ReportCliOptions extends StateRootOptions {
  launch?: string;
  outputFormat?: ReportFormat;
}

export function reportCommand(options: ReportCliOptions, io: Io): number {
  const stateRoot = resolveStateRoot(options);
  const { report } = loadReport(stateRoot, options.launch !== undefined ? { launch: options.launch } : {});
  io.out(formatReport(report, options.outputFormat ?? "table"));
  return EXIT_OK;
}
