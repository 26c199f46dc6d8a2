/** The flags of `multiverse mlflow-sync` (its work is in commands/mlflow-sync.ts, loaded when it runs). */
import type { Command } from "commander";
import type { Io } from "./output.js";
import { nonEmpty } from "./flags.js";

export function registerMlflowSyncCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("mlflow-sync")
    .description("project promoted bundles (and failed attempts left pending) into MLflow; running it again creates no duplicates")
    .option("--bundle <dir>", "one bundle directory", nonEmpty("--bundle"))
    .option("--output <dir>", "an output directory of multiverse run (every bundle in it)", nonEmpty("--output"))
    .option("--experiment <name>", "MLflow experiment (default: the run's, else the manifest's experiment_name)", nonEmpty("--experiment"))
    .option("--tracking-uri <uri>", "MLflow tracking server (default $MLFLOW_TRACKING_URI, else the manifest's)", nonEmpty("--tracking-uri"))
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await (await import("./commands/mlflow-sync.js")).mlflowSyncCommand(options, io)));
}
