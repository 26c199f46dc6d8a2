/**
 * An Optuna study's parent run in MLflow, idempotently: found by its study key before one is created, so a resumed
 * sweep, a second session and mlflow-sync all attach trials to the same parent.
 */
import type { MlflowClient } from "./mlflow-client.js";
import { quoted } from "./mlflow-projection.js";
import type { MlflowRun, MlflowRunStatus } from "./mlflow-types.js";
import { STUDY_TAGS, studyRunFinal, studyRunKey, studyRunOpening, type StudyOutcome, type StudySubject } from "./study-projection.js";

export async function findStudyRun(client: MlflowClient, experimentId: string, subject: Pick<StudySubject, "storage" | "studyName">): Promise<MlflowRun | undefined> {
  const runs = await client.searchRuns({
    experimentIds: [experimentId],
    filter: `tags."${STUDY_TAGS.studyKey}" = ${quoted(studyRunKey(subject))}`,
    orderBy: ["attributes.start_time ASC"],
    runViewType: "ALL",
  });
  return runs[0];
}

/**
 * The study's parent run, created RUNNING when missing. A live sweep session (`reopen`) sets a finished one back
 * to RUNNING while its trials run again; mlflow-sync leaves its status alone.
 */
export async function ensureStudyRun(
  client: MlflowClient,
  experimentName: string,
  subject: StudySubject,
  options: { reopen?: boolean } = {},
): Promise<{ experimentId: string; runId: string; created: boolean; status: MlflowRunStatus }> {
  const experimentId = await client.ensureExperiment(experimentName);
  const opening = studyRunOpening(subject);
  const existing = await findStudyRun(client, experimentId, subject);
  if (existing) {
    const missing = opening.params.filter((p) => !(p.key in existing.params));
    if (missing.length > 0) await client.logBatch(existing.info.runId, { params: missing });
    if ((options.reopen ?? true) && existing.info.status !== "RUNNING") {
      await client.updateRun(existing.info.runId, { status: "RUNNING" });
      return { experimentId, runId: existing.info.runId, created: false, status: "RUNNING" };
    }
    return { experimentId, runId: existing.info.runId, created: false, status: existing.info.status };
  }
  const created = await client.createRun({ experimentId, runName: opening.runName, tags: opening.tags });
  if (opening.params.length > 0) await client.logBatch(created.info.runId, { params: opening.params });
  return { experimentId, runId: created.info.runId, created: true, status: "RUNNING" };
}

/** Logs the session's summary on the parent run and sets its status (left RUNNING when the sweep will resume). */
export async function finishStudyRun(client: MlflowClient, runId: string, outcome: StudyOutcome, now = Date.now()): Promise<"FINISHED" | "FAILED" | "RUNNING"> {
  const final = studyRunFinal(outcome, now);
  await client.logBatch(runId, { metrics: final.metrics, tags: final.tags });
  if (final.status !== "RUNNING") await client.setTerminated(runId, final.status, now);
  return final.status;
}
