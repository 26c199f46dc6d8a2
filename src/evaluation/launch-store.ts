/**
 * Where launches live: <output>/.multiverse/launches/<launch_id>/ (the store layout's state root is the output
 * directory itself; the simple layout's is <output>/.multiverse; a controller's state root is its output). Each
 * holds cohort.json and, once evaluated, evaluations/, evaluation_report.json and plots/.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { SIMPLE_STATE_DIR_NAME } from "../artifacts/layout.js";
import { Errors } from "../domain/errors.js";
import { COHORT_SCHEMA_VERSION, type Cohort } from "./cohort.js";
import { isLaunchId } from "./launch-id.js";

export const COHORT_FILE = "cohort.json";

export function launchesDir(stateRoot: string): string {
  return basename(stateRoot) === SIMPLE_STATE_DIR_NAME ? join(stateRoot, "launches") : join(stateRoot, SIMPLE_STATE_DIR_NAME, "launches");
}

export function launchDir(stateRoot: string, launchId: string): string {
  if (!isLaunchId(launchId)) throw Errors.usage(`"${launchId}" is not a launch id (expected e.g. 20261201T112233Z-ab12cd)`);
  return join(launchesDir(stateRoot), launchId);
}

/** Written whole to a temporary file and renamed over the old one: a reader never sees half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The directory bundles live under: the state root, or for the simple layout (<output>/.multiverse) its output. */
function outputRootOf(stateRoot: string): string {
  return basename(stateRoot) === SIMPLE_STATE_DIR_NAME ? dirname(resolve(stateRoot)) : resolve(stateRoot);
}

/**
 * Bundles inside the output root are recorded relative to it, as the journal records them, so that a copied or
 * moved state root's cohorts name its own bundles; others stay absolute.
 */
export function cohortForDisk(stateRoot: string, cohort: Cohort): Cohort {
  const root = outputRootOf(stateRoot);
  const inside = (dir: string) => {
    const rel = relative(root, resolve(dir));
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel) ? rel : dir;
  };
  return { ...cohort, members: cohort.members.map((m) => (m.bundle_dir === null ? m : { ...m, bundle_dir: inside(m.bundle_dir) })) };
}

/** The cohort as read from disk, its relative bundle paths resolved against the output root it lies in. */
export function cohortFromDisk(stateRoot: string, cohort: Cohort): Cohort {
  const root = outputRootOf(stateRoot);
  return { ...cohort, members: cohort.members.map((m) => (m.bundle_dir === null || isAbsolute(m.bundle_dir) ? m : { ...m, bundle_dir: join(root, m.bundle_dir) })) };
}

export function writeCohort(stateRoot: string, cohort: Cohort): string {
  const dir = launchDir(stateRoot, cohort.launch_id);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, COHORT_FILE);
  writeJsonAtomic(file, cohortForDisk(stateRoot, cohort));
  return file;
}

export function readCohort(stateRoot: string, launchId: string): Cohort {
  const file = join(launchDir(stateRoot, launchId), COHORT_FILE);
  if (!existsSync(file)) throw Errors.notFound(`launch ${launchId} has no ${COHORT_FILE} under ${launchesDir(stateRoot)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw Errors.badRequest(`not valid JSON: ${(error as Error).message}`, { location: { file } });
  }
  const cohort = parsed as Partial<Cohort>;
  if (cohort.schema_version !== COHORT_SCHEMA_VERSION || cohort.launch_id !== launchId || !Array.isArray(cohort.members)) {
    throw Errors.badRequest(`not a schema_version ${COHORT_SCHEMA_VERSION} cohort of launch ${launchId}`, { location: { file } });
  }
  return cohortFromDisk(stateRoot, parsed as Cohort);
}

/** Every launch id of the state root, oldest first. */
export function listLaunches(stateRoot: string): string[] {
  const dir = launchesDir(stateRoot);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => isLaunchId(name) && existsSync(join(dir, name, COHORT_FILE))).sort();
}

/** --launch ID, or the latest launch of --benchmark NAME, or the latest launch. */
export function resolveLaunchId(stateRoot: string, choice: { launch?: string; benchmark?: string }): string {
  const launches = listLaunches(stateRoot);
  if (choice.launch !== undefined) {
    if (!launches.includes(choice.launch)) {
      throw Errors.notFound(`no launch ${choice.launch} in ${launchesDir(stateRoot)}`, { details: [launches.length ? `latest: ${launches.slice(-5).join(", ")}` : "no launch has been recorded there"] });
    }
    return choice.launch;
  }
  const candidates = choice.benchmark === undefined ? launches : launches.filter((id) => readCohort(stateRoot, id).benchmark === choice.benchmark);
  const latest = candidates.at(-1);
  if (!latest) {
    throw Errors.notFound(choice.benchmark === undefined ? `no launch has been recorded in ${launchesDir(stateRoot)}` : `no launch of benchmark "${choice.benchmark}" in ${launchesDir(stateRoot)}`, {
      details: ["run one first: multiverse run --manifest <file> --output <dir>"],
    });
  }
  return latest;
}
