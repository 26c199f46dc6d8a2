/**
 * What the evaluator left in its workspace, judged against the contract before anything is moved into the launch
 * dir. Pure: the files are read by the caller.
 */
export const REPORT_FILE = "evaluation_report.json";
export const EVALUATIONS_DIR = "evaluations";
/** The host's record of a launch's last evaluation (its id, status, times and members). */
export const EVALUATION_RUN_FILE = "evaluation_run.json";
export const PLOTS_DIR = "plots";

export type ParsedFile = { kind: "missing" } | { kind: "invalid"; error: string } | { kind: "json"; value: unknown };

export interface OutputVerdict {
  /** The report can be used (it is the launch's, schema_version 1, with a datasets list). */
  reportOk: boolean;
  /** Members whose evaluations/<id>.json is missing or unusable: the host writes theirs. */
  missingMembers: string[];
  problems: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function checkOutputs(input: { launchId: string; memberIds: readonly string[]; report: ParsedFile; members: ReadonlyMap<string, ParsedFile> }): OutputVerdict {
  const problems: string[] = [];
  let reportOk = false;
  const report = input.report;
  if (report.kind === "missing") problems.push(`the evaluator wrote no ${REPORT_FILE}`);
  else if (report.kind === "invalid") problems.push(`${REPORT_FILE} is not valid JSON: ${report.error}`);
  else if (!isRecord(report.value) || report.value.schema_version !== 1) problems.push(`${REPORT_FILE} is not schema_version 1`);
  else if (report.value.launch_id !== input.launchId) problems.push(`${REPORT_FILE} is of launch ${String(report.value.launch_id)}, not ${input.launchId}`);
  else if (!Array.isArray(report.value.datasets)) problems.push(`${REPORT_FILE} has no datasets list`);
  else reportOk = true;

  const missingMembers: string[] = [];
  for (const id of input.memberIds) {
    const file = input.members.get(id) ?? { kind: "missing" };
    const name = `${EVALUATIONS_DIR}/${id}.json`;
    if (file.kind === "missing") problems.push(`the evaluator wrote no ${name}`);
    else if (file.kind === "invalid") problems.push(`${name} is not valid JSON: ${file.error}`);
    else if (!isRecord(file.value) || file.value.schema_version !== 1 || !isRecord(file.value.member) || file.value.member.member_id !== id) {
      problems.push(`${name} is not a schema_version 1 evaluation of member ${id}`);
    } else continue;
    missingMembers.push(id);
  }
  return { reportOk, missingMembers, problems };
}
