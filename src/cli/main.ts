/**
 * The `multiverse` command line. Exit codes: 0 all runs succeeded (or the command did what it was asked),
 * 1 some run failed (or drift was found), 2 bad input. User mistakes print `file:line: field: message [CODE]`
 * without a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT_BAD_INPUT, EXIT_OK, isMultiverseError } from "../domain/errors.js";
import { defaultStateRoot } from "../state/state-root.js";
import { processIo, type Io } from "./output.js";
import { runCommand, type RunCliOptions } from "./commands/run.js";
import { getRunsCommand } from "./commands/get-runs.js";
import { describeRunCommand } from "./commands/describe-run.js";
import { rebuildIndexCommand } from "./commands/rebuild-index.js";
import { registerDatasetCommand, registerModelCommand } from "./commands/register.js";
import { modelsBuildCliCommand, modelsListCommand, modelsSetupCommand } from "./commands/models.js";
import { logsCommand } from "./commands/logs.js";
import { recoverCommand } from "./commands/recover.js";
import { cancelCommand } from "./commands/cancel.js";
import { controllerCommand } from "./commands/controller.js";
import { doctorCommand } from "./commands/doctor.js";
import { buildSifCommand } from "./commands/build-sif.js";
import { registerSlurmSubmitCommand } from "./commands/slurm-submit.js";
import { applyCommand, deleteCommand } from "./commands/apply.js";
import { getBenchmarksCommand, getDatasetsCommand, getModelsCommand } from "./commands/get-resources.js";
import { describeBenchmarkCommand } from "./commands/describe-benchmark.js";
import { LIST_FORMATS } from "./format.js";
import { maybeWatch } from "./watch.js";
import { withStateRoot } from "./state-root-option.js";
import { registerMlflowSyncCommand } from "./commands/mlflow-sync.js";
import { registerGcCommand } from "./commands/gc.js";
import { registerExportCommand } from "./commands/export.js";
import { registerMigrateCommand } from "./commands/migrate.js";

const EXIT_CODES_HELP = `
Exit codes:
  0  every run reached ARTIFACT_SUCCESS (or the command succeeded)
  1  at least one run failed or was cancelled (rebuild-index --verify: drift found)
  2  bad input: manifest, flags, files; nothing was launched`;

function integer(name: string) {
  return (value: string) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
    return Number.parseInt(value, 10);
  };
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("multiverse")
    .description("Declarative, reproducible benchmarks of single-cell multimodal integration models")
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  program
    .command("run")
    .description("apply a run manifest and reconcile until every run is terminal")
    .option("--manifest <file>", "run_manifest.yaml (or a simple manifest with --simple)")
    .option("--simple [file]", "simple mode: every value inline in the manifest, bundles at <out>/<job-name>/")
    .option("--output <dir>", "output directory (the state root: journal, index, workspaces, artifacts)")
    .option("--out <dir>", "alias of --output (the seeds' simple-mode form)")
    .option("--skip-completed", "reuse verified ARTIFACT_SUCCESS bundles of the same logical run")
    .option("--no-skip-completed", "run every job even if globals.skip_completed is true")
    .option("--strict", "publication mode: refuse images without a registry digest")
    .option("--accept-degraded", "Slurm + Apptainer: run SIFs without an OCI source digest (recorded as unverified_local)")
    .option("--seed <n>", "run every job with this seed only", integer("--seed"))
    .addOption(new Option("--validators <level>", "output validation level").choices(["basic", "strict", "developer"]))
    .addOption(new Option("--backend <name>", "executor for every job").choices(["docker", "local", "slurm", "kubernetes"]))
    .option("--max-concurrent <n>", "attempts running at once", integer("--max-concurrent"))
    .option("--dry-run", "plan and journal the runs without launching anything")
    .option("--json", "print a machine-readable JSON summary on stdout")
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (options: RunCliOptions) => setExit(await runCommand(options, io)));

  const get = program.command("get").description("list resources: benchmarks, runs, datasets, models");
  const listFormat = () => new Option("-o, --output-format <format>", "output format").choices([...LIST_FORMATS]).default("table");
  withStateRoot(get.command("runs").description("list the runs of a state root"))
    .addOption(listFormat())
    .option("--benchmark <name>", "only runs of this benchmark")
    .option("--phase <phase>", "only runs in this phase")
    .option("-w, --watch", "print again whenever the list changes (Ctrl-C to stop)")
    .action(async (options) => setExit(await maybeWatch(options.watch, io, (out) => getRunsCommand(options, out))));
  withStateRoot(get.command("benchmarks").description("list benchmarks with generation, readiness and run counts"))
    .addOption(listFormat())
    .option("--all", "include deleted benchmarks")
    .option("-w, --watch", "print again whenever the list changes (Ctrl-C to stop)")
    .action(async (options) => setExit(await maybeWatch(options.watch, io, (out) => getBenchmarksCommand(options, out))));
  withStateRoot(get.command("datasets").description("registered datasets and those the controller's source declares"))
    .addOption(listFormat())
    .action((options) => setExit(getDatasetsCommand(options, io)));
  withStateRoot(get.command("models").description("built-in and registered models"))
    .addOption(listFormat())
    .action((options) => setExit(getModelsCommand(options, io)));

  const describe = program.command("describe").description("show one resource in detail");
  withStateRoot(describe.command("run <run>").description("a run's phase, reason, attempts, transitions, bundle and logs (id, unique id prefix or name)"))
    .addOption(new Option("-o, --output-format <format>", "output format").choices(["json", "text"]).default("text"))
    .action(async (run: string, options) => setExit(await describeRunCommand(run, options, io)));
  withStateRoot(describe.command("benchmark <name>").description("a benchmark's generation, conditions, events and runs"))
    .addOption(new Option("-o, --output-format <format>", "output format").choices(["json", "yaml", "text"]).default("text"))
    .action((name: string, options) => setExit(describeBenchmarkCommand(name, options, io)));

  withStateRoot(program.command("cancel <kind> <name>").description("cancel a run (kind run) or every unfinished run of a benchmark (kind benchmark); workspaces and logs are kept"))
    .option("--no-wait", "with a controller running: return once the request is handed over")
    .option("--timeout-seconds <n>", "how long to wait for CANCELLED", integer("--timeout-seconds"))
    .option("--grace-seconds <n>", "without a controller: seconds between stop and kill (default 10)", integer("--grace-seconds"))
    .option("--json", "machine-readable output")
    .action(async (kind: string, name: string, options) => setExit(await cancelCommand(kind, name, options, io)));

  withStateRoot(program.command("controller").description("run the reconciler until stopped: watch a directory of Benchmark/Dataset/Model documents and converge to it"))
    .requiredOption("--watch <dir>", "directory of desired state (*.yaml; a git checkout works)")
    .option("--listen <host:port>", "serve the status API (127.0.0.1 unless a token is given)")
    .option("--token <token>", "bearer token for mutating API calls (required off loopback; or $MULTIVERSE_API_TOKEN)")
    .option("--token-file <file>", "read the bearer token from a file")
    .addOption(new Option("--backend <name>", "backend of jobs that name none").choices(["docker", "local", "slurm", "kubernetes"]))
    .option("--max-concurrent <n>", "attempts running at once", integer("--max-concurrent"))
    .option("--poll-interval-ms <n>", "how often running attempts are observed without an engine event", integer("--poll-interval-ms"))
    .option("--debounce-ms <n>", "wait this long after a file change before reading the directory", integer("--debounce-ms"))
    .option("--poll", "poll the directory (network filesystems, git-sync symlink swaps)")
    .option("--json-log", "log JSON lines on stderr")
    .action(async (options) => setExit(await controllerCommand(options, io)));

  withStateRoot(program.command("apply").description("validate a file of resources and write it into the controller's watched directory"))
    .requiredOption("-f, --filename <file>", "YAML file (Benchmark/Dataset/Model documents or a seed manifest)")
    .option("--watch <dir>", "the watched directory (default: the running controller's)")
    .option("--wait", "wait until the controller has observed each Benchmark")
    .option("--timeout-seconds <n>", "how long --wait waits", integer("--timeout-seconds"))
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await applyCommand(options, io)));

  withStateRoot(program.command("delete [kind] [name]").description("delete desired state (-f FILE, or KIND NAME): running work is cancelled, bundles stay"))
    .option("-f, --filename <file>", "delete the resources this file declares")
    .option("--watch <dir>", "the watched directory (default: the running controller's)")
    .option("--json", "machine-readable output")
    .action((kind: string | undefined, name: string | undefined, options) => setExit(deleteCommand(kind, name, options, io)));

  withStateRoot(program.command("doctor").description("what this machine and state root can do: engines, Slurm, Apptainer, journal and index (exit 0 ok, 1 warnings, 2 blocked)"))
    .option("--deep-slurm", "also submit a one-second smoke job and wait for it")
    .option("--slurm-smoke-partition <partition>", "partition of the smoke job")
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await doctorCommand(options, io)));

  program
    .command("build-sif")
    .description("build <slug>-<version>.sif with apptainer (or singularity) from the model's local Docker image or its Singularity.def")
    .requiredOption("--slug <slug>", "the model")
    .option("--output-dir <dir>", "where the SIF goes (default <state-root>/sif, where the Slurm executor looks)")
    .addOption(new Option("--method <method>", "source of the SIF").choices(["docker-daemon", "def-file"]))
    .option("--force", "build again over an existing SIF")
    .option("--state-root <dir>", "state root holding the catalog", defaultStateRoot())
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await buildSifCommand(options, io)));
  registerSlurmSubmitCommand(program, io, setExit);

  const logs = program.command("logs").description("print a run's logs");
  withStateRoot(logs.command("run <run>").description("the model's run.log (default), the captured container.log or the host's orchestrator.log of a run"))
    .option("--model", "the model's run.log (default)")
    .option("--container", "the container's captured stdout and stderr")
    .option("--orchestrator", "the host's per-run log: admission, launch, exit, validation, promotion")
    .option("--attempt <n-or-id>", "an earlier attempt instead of the latest")
    .option("-f, --follow", "keep printing until the run is terminal")
    .action(async (run: string, options) => setExit(await logsCommand(run, options, io)));

  withStateRoot(program.command("recover <decision> <run>").description("decide a RECOVERY_PENDING run: adopt (validate the kept outputs again and promote) or discard (FAILED)"))
    .action(async (decision: string, run: string, options) => setExit(await recoverCommand(decision, run, options, io)));

  program
    .command("rebuild-index")
    .description("rebuild the SQLite index (multiverse_state.db) from the journal and artifact store")
    .requiredOption("--state-root <dir>", "state root")
    .option("--store-root <dir>", "artifact store root (default <state-root>/store)")
    .option("--verify", "read-only drift check: exit 0 in sync, 1 drift")
    .option("--json", "machine-readable output")
    .action((options) => setExit(rebuildIndexCommand(options, io)));

  program
    .command("register-dataset <path>")
    .description("inspect a .h5mu file (modalities, cells, features, fingerprint) and register it")
    .requiredOption("--slug <slug>", "dataset slug used by manifests")
    .option("--batch-key <key>", "obs column holding the batch")
    .option("--label-key <key>", "obs column holding the cell labels")
    .option("--state-root <dir>", "state root holding the catalog", defaultStateRoot())
    .option("--json", "machine-readable output")
    .action(async (path: string, options) => setExit(await registerDatasetCommand(path, options, io)));

  program
    .command("register-model <model-yaml>")
    .description("validate a model.yaml and register it")
    .option("--state-root <dir>", "state root holding the catalog", defaultStateRoot())
    .option("--build", "then build its image with the local Docker engine (as models build)")
    .option("--base-image <image>", "BASE_IMAGE build argument for --build")
    .option("--json", "machine-readable output")
    .action(async (path: string, options) => setExit(await registerModelCommand(path, options, io)));

  const models = program.command("models").description("built-in and registered models");
  models
    .command("list")
    .description("list the models a manifest can use")
    .option("--state-root <dir>", "state root holding registered models", defaultStateRoot())
    .option("--json", "machine-readable output")
    .action((options) => setExit(modelsListCommand(options, io)));
  models
    .command("build <slug>")
    .description("build the model's image with the local Docker engine (paths in model.yaml are relative to it)")
    .option("--state-root <dir>", "state root holding registered models", defaultStateRoot())
    .option("--base-image <image>", "BASE_IMAGE build argument (default $MULTIVERSE_BASE_IMAGE, else the Dockerfile's)")
    .option("-q, --quiet", "do not stream the build output")
    .action(async (slug: string, options) => setExit(await modelsBuildCliCommand(slug, options, io)));
  models
    .command("setup <slug>")
    .description("create the model's own Python environment (pinned requirements) for the local executor")
    .option("--state-root <dir>", "state root holding registered models", defaultStateRoot())
    .option("--python <path>", "interpreter to create the environment with", "python3")
    .option("--json", "machine-readable output")
    .action((slug: string, options) => setExit(modelsSetupCommand(slug, options, io)));

  registerMlflowSyncCommand(program, io, setExit);
  registerGcCommand(program, io, setExit);
  registerExportCommand(program, io, setExit);
  registerMigrateCommand(program, io, setExit);

  return program;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT_OK;
      return EXIT_BAD_INPUT;
    }
    if (isMultiverseError(error)) {
      io.err(`error: ${error.format()}`);
      return error.exitCode;
    }
    throw error;
  }
}
