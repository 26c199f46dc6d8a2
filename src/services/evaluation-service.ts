/**
 * `multiverse evaluate` and `multiverse run --evaluate`: the evaluator's executor and environment checked, then one
 * launch evaluated (src/evaluation/run-evaluation.ts). Standalone it takes the state root's lock and its own
 * journal writer; inside `multiverse run` it uses the run's session (which holds the lock).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import type { Executor } from "../executors/executor.js";
import { createExecutor, envsRoot } from "../executors/registry.js";
import { envDirFor } from "../executors/local/model-envs.js";
import { openCaughtUpIndex } from "../index/run-index.js";
import { Journal, readJournal } from "../journal/journal.js";
import { JournalWriter } from "../journal/journal-writer.js";
import { replayRecords, type RunRecord } from "../journal/run-records.js";
import { layoutOfStateRoot } from "../maintenance/state-layout.js";
import { acquireStateLock, ownerIdOf } from "../state/state-root.js";
import { loadEvaluator, type EvaluatorSpec } from "../evaluation/evaluator-spec.js";
import { resolveLaunchId } from "../evaluation/launch-store.js";
import type { MetricsPreset } from "../evaluation/metrics-preset.js";
import { evaluateLaunch, type EvaluateLaunchOutcome } from "../evaluation/run-evaluation.js";
import { projectLaunchScores, type ScoreSyncOutcome } from "../tracking/mlflow-scores.js";

export type EvaluatorBackend = "local" | "docker";

export interface EvaluationChoice {
  launch?: string;
  benchmark?: string;
  metrics?: MetricsPreset;
  backend?: EvaluatorBackend;
  onProgress?: (message: string) => void;
  /** Where the runs' tracking settings are resolved from ($MLFLOW_TRACKING_URI); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The evaluation, and where its scores went in MLflow (null when no member's run is tracked). */
export interface EvaluationResult extends EvaluateLaunchOutcome {
  tracking: ScoreSyncOutcome | null;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, command)));
}

/** The executor that runs the evaluator, once its environment (local) or image (docker) is known to exist. */
export async function evaluatorExecutor(stateRoot: string, backend: EvaluatorBackend, evaluator: EvaluatorSpec): Promise<Executor> {
  if (backend === "local" && !onPath("bwrap")) {
    throw Errors.engineUnavailable("evaluation on the local executor needs bubblewrap (bwrap): the evaluator sees its inputs at fixed paths", { details: ["install it (apt-get install bubblewrap), or evaluate with --backend docker"] });
  }
  const executor = createExecutor(backend, { stateRoot });
  // Locally the environment is what runs (its interpreter); on Docker the image.
  const present = backend === "local"
    ? existsSync(join(envDirFor(envsRoot(), evaluator.envSlug, evaluator.version), "bin", "python3"))
    : (await executor.resolveImage(evaluator.image)) !== null;
  if (!present) {
    const where = backend === "local" ? `its environment ${envDirFor(envsRoot(), evaluator.envSlug, evaluator.version)} does not exist` : `the image ${evaluator.image} is not in the Docker engine`;
    throw Errors.environmentMissing(`the evaluator ${evaluator.name} ${evaluator.version} cannot run on the ${backend} executor: ${where}`, {
      details: [backend === "local" ? `create it from ${join(evaluator.directory, "container", "requirements.txt")} (scripts/setup.sh makes it)` : `build it: docker build -f ${join(evaluator.directory, "container", "Dockerfile")} -t ${evaluator.image} .`],
    });
  }
  return executor;
}

export function jaxCacheDir(evaluator: EvaluatorSpec): string {
  return join(envsRoot(), ".jax-cache", `${evaluator.name}-${evaluator.version}`);
}

/** With a journal writer and the runs already at hand (inside `multiverse run` or the controller). */
export async function evaluateWithSession(stateRoot: string, session: { writer: JournalWriter; runs: ReadonlyMap<string, RunRecord> }, launchId: string, choice: EvaluationChoice): Promise<EvaluationResult> {
  const evaluator = loadEvaluator();
  const executor = await evaluatorExecutor(stateRoot, choice.backend ?? "local", evaluator);
  const outcome = await evaluateLaunch({
    stateRoot,
    launchId,
    ...(choice.metrics ? { metrics: choice.metrics } : {}),
    evaluator,
    executor,
    writer: session.writer,
    runs: session.runs,
    artifactsRoot: layoutOfStateRoot(stateRoot).artifactsRoot(),
    ownerId: `${ownerIdOf(stateRoot)}-evaluation`,
    jaxCacheDir: jaxCacheDir(evaluator),
    ...(choice.onProgress ? { onProgress: choice.onProgress } : {}),
  });
  return { ...outcome, tracking: await projectScores(stateRoot, launchId, session.runs, choice) };
}

/**
 * The scores into each member's MLflow run. Never fails the evaluation: what the server did not take is reported,
 * and `multiverse mlflow-sync --output` logs it later.
 */
async function projectScores(stateRoot: string, launchId: string, runs: ReadonlyMap<string, RunRecord>, choice: EvaluationChoice): Promise<ScoreSyncOutcome | null> {
  let outcome: ScoreSyncOutcome;
  try {
    outcome = await projectLaunchScores({ stateRoot, launchId, runs, env: choice.env ?? process.env });
  } catch (error) {
    choice.onProgress?.(`MLflow: the scores were not logged: ${(error as Error).message}`);
    return null;
  }
  const tracked = outcome.items.filter((item) => item.action !== "skipped" || item.transient === true);
  if (tracked.length === 0) return null;
  const logged = outcome.items.filter((item) => item.action === "logged" || item.action === "unchanged").length;
  choice.onProgress?.(`MLflow: scores of ${logged}/${outcome.items.length} members logged to their runs`);
  for (const item of tracked) {
    if (item.action === "failed" || item.action === "skipped") choice.onProgress?.(`  ${item.memberId}: not logged: ${item.message} (multiverse mlflow-sync --output DIR logs it later)`);
  }
  return outcome;
}

/** `multiverse evaluate`: takes the state root's lock (a running `multiverse run` or controller holds it). */
export async function evaluateStandalone(stateRoot: string, choice: EvaluationChoice): Promise<EvaluationResult> {
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${stateRoot} holds no multiverse journal: run a benchmark there first`);
  const launchId = resolveLaunchId(stateRoot, choice);
  const lock = acquireStateLock(stateRoot, `multiverse evaluate ${launchId}`);
  try {
    const journal = Journal.open(stateRoot);
    const index = openCaughtUpIndex(stateRoot);
    try {
      const writer = new JournalWriter(journal, index);
      const runs = replayRecords(readJournal(stateRoot).records);
      return await evaluateWithSession(stateRoot, { writer, runs }, launchId, choice);
    } finally {
      index.close();
      journal.close();
    }
  } finally {
    lock.release();
  }
}
