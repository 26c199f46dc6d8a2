/** The flags of `multiverse slurm-submit` (its work is in commands/slurm-submit.ts, loaded when it runs). */
import type { Command } from "commander";
import type { Io } from "./output.js";
import { integerAtLeast, nonEmpty, positiveNumber } from "./flags.js";
import { withStateRoot } from "./state-root-option.js";

export function registerSlurmSubmitCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  withStateRoot(program.command("slurm-submit").description("run one model on one dataset through Slurm + Apptainer (the flags become a run manifest; same identity, validation and promotion)"))
    .requiredOption("--model-slug <slug>", "the model", nonEmpty("--model-slug"))
    .requiredOption("--dataset-slug <slug>", "a registered dataset (or the slug for --dataset-path)", nonEmpty("--dataset-slug"))
    .option("--dataset-path <h5mu>", "declare the dataset inline instead of registering it", nonEmpty("--dataset-path"))
    .option("--image-sif <path>", "the SIF to run (default <slug>-<version>.sif in $MULTIVERSE_SIF_DIR or <state-root>/sif)", nonEmpty("--image-sif"))
    .option("--image-digest <sha256:...>", "the OCI digest the SIF was built from (the dual digest's source half)")
    .option("--params-json <json>", "hyperparameters as a JSON object")
    .option("--partition <name>", "Slurm partition", nonEmpty("--partition"))
    .option("--account <name>", "Slurm account", nonEmpty("--account"))
    .option("--qos <name>", "Slurm QOS", nonEmpty("--qos"))
    .option("--time-minutes <n>", "time limit in minutes", positiveNumber("--time-minutes"))
    .option("--mem-gb <n>", "memory in GiB", positiveNumber("--mem-gb"))
    .option("--cpus-per-task <n>", "CPUs", integerAtLeast("--cpus-per-task", 1))
    .option("--gpus <n>", "GPUs (the container gets --nv)", integerAtLeast("--gpus", 0))
    .option("--max-inflight <n>", "jobs queued or running at once", integerAtLeast("--max-inflight", 1))
    .option("--seed <n>", "the seed (default 0)", integerAtLeast("--seed", 0))
    .option("--accept-degraded", "run a SIF without an OCI source digest (recorded as unverified_local)")
    .option("--json", "print a machine-readable JSON summary on stdout")
    .action(async (options) => setExit(await (await import("./commands/slurm-submit.js")).slurmSubmitCommand(options, io)));
}
