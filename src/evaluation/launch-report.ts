/** A launch's evaluation_report.json read and checked (for `multiverse report`, the API and the controller). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import { launchDir, launchesDir, listLaunches, readCohort } from "./launch-store.js";
import { REPORT_FILE } from "./output-check.js";
import { parseReport, ReportShapeError, type EvaluationReport } from "./report-model.js";
import { summarizeReport, type EvaluationSummary } from "./evaluation-summary.js";

/** The launch's report: `launch`, else the latest launch (of `benchmark` when given) that has one. */
export function loadReport(stateRoot: string, choice: { launch?: string; benchmark?: string } = {}): { launchId: string; file: string; report: EvaluationReport } {
  const launches = listLaunches(stateRoot);
  const launchId = choice.launch ?? [...launches].reverse().find((id) => existsSync(join(launchDir(stateRoot, id), REPORT_FILE)) && (choice.benchmark === undefined || readCohort(stateRoot, id).benchmark === choice.benchmark));
  if (launchId === undefined) {
    const what = choice.benchmark === undefined ? "no launch" : `no launch of benchmark "${choice.benchmark}"`;
    throw Errors.notEvaluated(launches.length === 0 ? `no launch has been recorded in ${launchesDir(stateRoot)}` : `${what} in ${launchesDir(stateRoot)} has been evaluated`, { details: ["evaluate one: multiverse evaluate --output <dir>"] });
  }
  if (!launches.includes(launchId)) throw Errors.notFound(`no launch ${launchId} in ${launchesDir(stateRoot)}`);
  const file = join(launchDir(stateRoot, launchId), REPORT_FILE);
  if (!existsSync(file)) throw Errors.notEvaluated(`launch ${launchId} has not been evaluated (no ${REPORT_FILE})`, { details: [`evaluate it: multiverse evaluate --launch ${launchId}`] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw Errors.badRequest(`not valid JSON: ${(error as Error).message}`, { location: { file } });
  }
  try {
    return { launchId, file, report: parseReport(parsed) };
  } catch (error) {
    if (error instanceof ReportShapeError) throw Errors.badRequest(`${file}: ${error.message}`, { location: { file } });
    throw error;
  }
}

/** The summary of a launch's report, or undefined when it has none (not evaluated, failed, unreadable). */
export function launchSummary(stateRoot: string, launchId: string): EvaluationSummary | undefined {
  try {
    return summarizeReport(loadReport(stateRoot, { launch: launchId }).report);
  } catch {
    return undefined;
  }
}
