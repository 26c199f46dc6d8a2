/** `multiverse report --output DIR [--launch ID] [-o table|json|markdown]`: the leaderboard of an evaluated launch. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { launchDir, launchesDir, listLaunches } from "../../evaluation/launch-store.js";
import { REPORT_FILE } from "../../evaluation/output-check.js";
import { formatReport, type ReportFormat } from "../../evaluation/report-format.js";
import { parseReport, ReportShapeError, type EvaluationReport } from "../../evaluation/report-model.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface ReportCliOptions extends StateRootOptions {
  launch?: string;
  outputFormat?: ReportFormat;
}

/** The launch's report: --launch ID, else the latest launch that has one. */
export function loadReport(stateRoot: string, launch?: string): { launchId: string; file: string; report: EvaluationReport } {
  const launches = listLaunches(stateRoot);
  const launchId = launch ?? [...launches].reverse().find((id) => existsSync(join(launchDir(stateRoot, id), REPORT_FILE)));
  if (launchId === undefined) {
    throw Errors.notEvaluated(launches.length === 0 ? `no launch has been recorded in ${launchesDir(stateRoot)}` : `no launch in ${launchesDir(stateRoot)} has been evaluated`, { details: ["evaluate one: multiverse evaluate --output <dir>"] });
  }
  if (!launches.includes(launchId)) throw Errors.notFound(`no launch ${launchId} in ${launchesDir(stateRoot)}`);
  const file = join(launchDir(stateRoot, launchId), REPORT_FILE);
  if (!existsSync(file)) throw Errors.notEvaluated(`launch ${launchId} has not been evaluated (no ${REPORT_FILE})`, { details: [`evaluate it: multiverse evaluate --launch ${launchId}`] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw Errors.badRequest(`${file} is not valid JSON: ${(error as Error).message}`, { location: { file } });
  }
  try {
    return { launchId, file, report: parseReport(parsed) };
  } catch (error) {
    if (error instanceof ReportShapeError) throw Errors.badRequest(`${file}: ${error.message}`, { location: { file } });
    throw error;
  }
}

export function reportCommand(options: ReportCliOptions, io: Io): number {
  const stateRoot = resolveStateRoot(options);
  const { report } = loadReport(stateRoot, options.launch);
  io.out(formatReport(report, options.outputFormat ?? "table"));
  return EXIT_OK;
}
