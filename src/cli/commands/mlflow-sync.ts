/** `multiverse mlflow-sync`: project bundles (and pending failures) into MLflow, idempotently. */
import { Errors, EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import { SyncUsageError, syncToMlflow, TrackingServerDownError, type SyncOutcome } from "../../tracking/mlflow-sync.js";
import { json, table, type Io } from "../output.js";

export interface MlflowSyncOptions {
  bundle?: string;
  output?: string;
  experiment?: string;
  trackingUri?: string;
  json?: boolean;
}

export async function mlflowSyncCommand(options: MlflowSyncOptions, io: Io): Promise<number> {
  let outcome: SyncOutcome;
  try {
    outcome = await syncToMlflow({ bundle: options.bundle, output: options.output, experimentName: options.experiment, trackingUri: options.trackingUri });
  } catch (error) {
    if (error instanceof SyncUsageError) throw Errors.usage(error.message);
    if (error instanceof TrackingServerDownError) throw Errors.engineUnavailable(error.message);
    throw error;
  }
  const failed = outcome.items.filter((i) => i.action === "failed");
  if (options.json) {
    io.out(json(outcome));
  } else {
    const lines = [`MLflow at ${outcome.trackingUri}: ${outcome.items.length} attempts, ${failed.length} failed`];
    if (outcome.items.length > 0) {
      lines.push(table(["ATTEMPT", "ACTION", "EXPERIMENT", "MLFLOW RUN", "NOTE"], outcome.items.map((i) => [i.physicalRunId, i.action, i.experimentName, i.mlflowRunId, i.message])));
    }
    if (outcome.note) lines.push(outcome.note);
    io.out(lines.join("\n"));
  }
  return failed.length > 0 ? EXIT_RUN_FAILED : EXIT_OK;
}
