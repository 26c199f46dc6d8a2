/**
 * The evaluator's outputs: read from its workspace for checking, then moved into the launch dir in place of an
 * earlier evaluation's (evaluations/, evaluation_report.json, plots/). The old ones are moved aside first and
 * removed last, so a crash in between leaves one complete set, never a mix.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EVALUATIONS_DIR, PLOTS_DIR, REPORT_FILE, type ParsedFile } from "./output-check.js";

export function readParsed(file: string): ParsedFile {
  if (!existsSync(file)) return { kind: "missing" };
  try {
    return { kind: "json", value: JSON.parse(readFileSync(file, "utf8")) };
  } catch (error) {
    return { kind: "invalid", error: (error as Error).message };
  }
}

export function readWorkspaceOutputs(workspace: string, memberIds: readonly string[]): { report: ParsedFile; members: Map<string, ParsedFile> } {
  const members = new Map<string, ParsedFile>();
  for (const id of memberIds) members.set(id, readParsed(join(workspace, EVALUATIONS_DIR, `${id}.json`)));
  return { report: readParsed(join(workspace, REPORT_FILE)), members };
}

/** The host's own files for members the evaluator did not cover (their JSON, one file each). */
export function writeMemberFiles(workspace: string, files: ReadonlyMap<string, unknown>): void {
  const dir = join(workspace, EVALUATIONS_DIR);
  mkdirSync(dir, { recursive: true });
  for (const [id, value] of files) writeFileSync(join(dir, `${id}.json`), `${JSON.stringify(value, null, 2)}\n`);
}

/** Only the contract's outputs move; anything else the evaluator left stays in the workspace and is removed with it. */
export function moveIntoLaunch(workspace: string, launchDir: string, aside: string, names: readonly string[] = [EVALUATIONS_DIR, REPORT_FILE, PLOTS_DIR]): void {
  mkdirSync(aside, { recursive: true });
  for (const name of [EVALUATIONS_DIR, REPORT_FILE, PLOTS_DIR]) {
    if (existsSync(join(launchDir, name))) renameSync(join(launchDir, name), join(aside, name));
  }
  for (const name of names) {
    if (existsSync(join(workspace, name))) renameSync(join(workspace, name), join(launchDir, name));
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Files of a directory tree relative to it (for the command's summary of plots). */
export function listTree(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? listTree(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]));
}
