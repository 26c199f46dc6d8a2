/**
 * Every command, flag and flag value of the `multiverse` command line, and nothing else: each action imports its
 * command's module only when that command runs, so `--help`, completion and the light commands never load the
 * engines, the HDF5 reader, the HTTP server or the schema compiler. Flag values are parsed here (flags.ts), so a bad
 * value is refused before any command starts.
 */
import { Argument, Command, Option } from "commander";
import { defaultStateRoot } from "../state/state-root.js";
import type { Io } from "./output.js";
import { integerAtLeast, nonEmpty, positiveNumber } from "./flags.js";
import { LIST_FORMATS } from "./format.js";
import { withStateRoot } from "./state-root-option.js";
import { maybeWatch } from "./watch.js";
import { registerSlurmSubmitCommand } from "./slurm-submit-flags.js";
import { registerMlflowSyncCommand } from "./mlflow-sync-flags.js";
import { registerVerifyCommand } from "./verify-flags.js";
import { registerServeCommand } from "./serve-flags.js";
import { registerCompletionCommand } from "./completion/command.js";
import { registerExportCommand, registerGcCommand, registerMigrateCommand, registerMigrateStateDirCommand } from "./maintenance-flags.js";

export const EXIT_CODES_HELP = `
Exit codes:
  0  every run reached ARTIFACT_SUCCESS (or the command succeeded)
  1  at least one run failed or was cancelled (rebuild-index --verify: drift found)
  2  bad input: manifest, flags, files; nothing was launched`;

/** The backends this version can run. */
export const CLI_BACKENDS = ["docker", "local", "slurm", "kubernetes"] as const;

/** The kubernetes backend's flags (each overrides its MULTIVERSE_K8S_* variable; see executors/kubernetes/settings.ts). */
function withKubernetesFlags(command: Command, include: { kubeconfig: boolean } = { kubeconfig: true }): Command {
  command.option("--kube-namespace <ns>", "kubernetes backend: the namespace of the attempts' Jobs (default $MULTIVERSE_K8S_NAMESPACE or default)", nonEmpty("--kube-namespace"));
  // `multiverse controller` has --kubeconfig already (its source's): the Jobs go to the same cluster.
  if (include.kubeconfig) command.option("--kubeconfig <file>", "kubernetes backend: the kubeconfig (default $KUBECONFIG, ~/.kube/config, or in-cluster)", nonEmpty("--kubeconfig"));
  return command
    .option("--kube-state-claim <claim[:path]>", "kubernetes backend: the PersistentVolumeClaim holding the state root, mounted here at path (default: the state root)", nonEmpty("--kube-state-claim"))
    .option("--kube-dataset-claim <claim:path>", "kubernetes backend: a read-only claim holding datasets, mounted here at path (repeatable)", (value: string, previous: string[] | undefined) => [...(previous ?? []), nonEmpty("--kube-dataset-claim")(value)])
    .addOption(new Option("--kube-image-pull-policy <policy>", "kubernetes backend: the pods' imagePullPolicy (Never for images imported into the nodes)").choices(["Always", "IfNotPresent", "Never"]))
    .option("--kube-run-as-user <uid>", "kubernetes backend: run the model as this non-root user (the image's user by default)", integerAtLeast("--kube-run-as-user", 1));
}

export type SetExit = (code: number) => void;

export function buildProgram(io: Io, setExit: SetExit): Command {
  const program = new Command("multiverse")
    .description("Declarative, reproducible benchmarks of single-cell multimodal integration models")
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  withKubernetesFlags(program.command("run"))
    .description("apply a run manifest and reconcile until every run is terminal")
    .option("--manifest <file>", "run_manifest.yaml (or a simple manifest with --simple)", nonEmpty("--manifest"))
    .option("--simple [file]", "simple mode: every value inline in the manifest, bundles at <out>/<job-name>/")
    .option("--output <dir>", "output directory (the state root: journal, index, workspaces, artifacts)", nonEmpty("--output"))
    .option("--out <dir>", "alias of --output (the seeds' simple-mode form)", nonEmpty("--out"))
    .option("--skip-completed", "reuse verified ARTIFACT_SUCCESS bundles of the same logical run")
    .option("--no-skip-completed", "run every job even if globals.skip_completed is true")
    .option("--strict", "publication mode: refuse images without a registry digest")
    .option("--accept-degraded", "Slurm + Apptainer: run SIFs without an OCI source digest (recorded as unverified_local)")
    .option("--no-image-pull", "local-only: refuse an image whose declared image_digest is not present, instead of pulling it")
    .option("--seed <n>", "run every job with this seed only", integerAtLeast("--seed", 0))
    .addOption(new Option("--validators <level>", "output validation level").choices(["basic", "strict", "developer"]))
    .addOption(new Option("--backend <name>", "executor for every job").choices([...CLI_BACKENDS]))
    .option("--max-concurrent <n>", "attempts running at once", integerAtLeast("--max-concurrent", 1))
    .option("--dry-run", "plan and journal the runs without launching anything")
    .option("--json", "print a machine-readable JSON summary on stdout")
    .option("--evaluate", "then evaluate the launch's cohort with the scIB evaluator (like multiverse evaluate)")
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (options) => setExit(await (await import("./commands/run.js")).runCommand(options, io)));

  const get = program.command("get").description("list resources: benchmarks, runs, datasets, models");
  const listFormat = () => new Option("-o, --output-format <format>", "output format").choices([...LIST_FORMATS]).default("table");
  withStateRoot(get.command("runs").description("list the runs of a state root"))
    .addOption(listFormat())
    .option("--benchmark <name>", "only runs of this benchmark")
    .option("--phase <phase>", "only runs in this phase")
    .option("-w, --watch", "print again whenever the list changes (Ctrl-C to stop)")
    .action(async (options) => {
      const { getRunsCommand } = await import("./commands/get-runs.js");
      setExit(await maybeWatch(options.watch, io, (out) => getRunsCommand(options, out)));
    });
  withStateRoot(get.command("benchmarks").description("list benchmarks with generation, readiness and run counts"))
    .addOption(listFormat())
    .option("--all", "include deleted benchmarks")
    .option("-w, --watch", "print again whenever the list changes (Ctrl-C to stop)")
    .action(async (options) => {
      const { getBenchmarksCommand } = await import("./commands/get-resources.js");
      setExit(await maybeWatch(options.watch, io, (out) => getBenchmarksCommand(options, out)));
    });
  withStateRoot(get.command("datasets").description("registered datasets and those the controller's source declares"))
    .addOption(listFormat())
    .action(async (options) => setExit((await import("./commands/get-resources.js")).getDatasetsCommand(options, io)));
  withStateRoot(get.command("models").description("built-in and registered models"))
    .addOption(listFormat())
    .action(async (options) => setExit((await import("./commands/get-resources.js")).getModelsCommand(options, io)));

  const describe = program.command("describe").description("show one resource in detail");
  withStateRoot(describe.command("run <run>").description("a run's phase, reason, attempts, transitions, bundle and logs (id, unique id prefix or name)"))
    .addOption(new Option("-o, --output-format <format>", "output format").choices(["json", "text"]).default("text"))
    .action(async (run: string, options) => setExit(await (await import("./commands/describe-run.js")).describeRunCommand(run, options, io)));
  withStateRoot(describe.command("benchmark <name>").description("a benchmark's generation, conditions, events and runs"))
    .addOption(new Option("-o, --output-format <format>", "output format").choices(["json", "yaml", "text"]).default("text"))
    .action(async (name: string, options) => setExit((await import("./commands/describe-benchmark.js")).describeBenchmarkCommand(name, options, io)));

  withStateRoot(program.command("cancel").addArgument(new Argument("<kind>", "run or benchmark").choices(["run", "benchmark"])).argument("<name>", "the run (id, unique id prefix or name) or the benchmark").description("cancel a run (kind run) or every unfinished run of a benchmark (kind benchmark); workspaces and logs are kept"))
    .option("--no-wait", "with a controller running: return once the request is handed over")
    .option("--timeout-seconds <n>", "how long to wait for CANCELLED", integerAtLeast("--timeout-seconds", 0))
    .option("--grace-seconds <n>", "without a controller: seconds between stop and kill (default 10)", integerAtLeast("--grace-seconds", 0))
    .option("--json", "machine-readable output")
    .action(async (kind: string, name: string, options) => setExit(await (await import("./commands/cancel.js")).cancelCommand(kind, name, options, io)));

  withStateRoot(program.command("evaluate").description("evaluate a launch's cohort (scIB metrics, controls, plots) into <output>/.multiverse/launches/<id>/"))
    .option("--launch <id>", "the launch (default: the latest)", nonEmpty("--launch"))
    .option("--benchmark <name>", "the latest launch of this benchmark", nonEmpty("--benchmark"))
    .addOption(new Option("--metrics <preset>", "metric preset (default: the launch's, else default)").choices(["default", "fast", "all"]))
    .addOption(new Option("--backend <name>", "executor of the evaluator").choices(["local", "docker"]).default("local"))
    .option("--json", "print a machine-readable JSON summary on stdout")
    .action(async (options) => setExit(await (await import("./commands/evaluate.js")).evaluateCommand(options, io)));

  withStateRoot(program.command("report").description("the leaderboard of an evaluated launch, per dataset (raw and min-max scaled scores, controls marked)"))
    .option("--launch <id>", "the launch (default: the latest evaluated one)", nonEmpty("--launch"))
    .addOption(new Option("-o, --output-format <format>", "output format").choices(["table", "json", "markdown"]).default("table"))
    .action(async (options) => setExit((await import("./commands/report.js")).reportCommand(options, io)));

  withStateRoot(withKubernetesFlags(program.command("controller"), { kubeconfig: false }).description("run the reconciler until stopped: watch a directory (or a Kubernetes cluster) of Benchmark/Dataset/Model resources and converge to it"))
    .addOption(new Option("--source <kind>", "where desired state comes from: a watched directory, or custom resources on the Kubernetes API").choices(["files", "kubernetes"]).default("files"))
    .option("--watch <dir>", "--source files: directory of desired state (*.yaml; a git checkout works)", nonEmpty("--watch"))
    .option("--namespace <ns>", "--source kubernetes: the namespace to watch (default: the kubeconfig context's, in a pod its own)", nonEmpty("--namespace"))
    .option("--all-namespaces", "--source kubernetes: watch every namespace")
    .option("--kubeconfig <file>", "--source kubernetes: kubeconfig file (default $KUBECONFIG, ~/.kube/config, in a pod its service account)", nonEmpty("--kubeconfig"))
    .option("--leader-elect", "hold a coordination.k8s.io Lease: only the holder reconciles (replicas of one Deployment)")
    .option("--leader-elect-lease-name <name>", "the Lease (default multiverse-controller)", nonEmpty("--leader-elect-lease-name"))
    .option("--leader-elect-namespace <ns>", "the Lease's namespace (default the watched namespace, else the context's)", nonEmpty("--leader-elect-namespace"))
    .option("--leader-elect-lease-duration <s>", "seconds a follower waits before taking over an unrenewed lease (default 15)", positiveNumber("--leader-elect-lease-duration"))
    .option("--leader-elect-renew-deadline <s>", "seconds the leader keeps trying to renew before it gives up (default 10)", positiveNumber("--leader-elect-renew-deadline"))
    .option("--leader-elect-retry-period <s>", "seconds between tries (default 2)", positiveNumber("--leader-elect-retry-period"))
    .option("--listen <host:port>", "serve the status API (127.0.0.1 unless a token is given)", nonEmpty("--listen"))
    .option("--token <token>", "bearer token for mutating API calls (required off loopback; or $MULTIVERSE_API_TOKEN)", nonEmpty("--token"))
    .option("--token-file <file>", "read the bearer token from a file", nonEmpty("--token-file"))
    .addOption(new Option("--backend <name>", "backend of jobs that name none").choices([...CLI_BACKENDS]))
    .option("--max-concurrent <n>", "attempts running at once", integerAtLeast("--max-concurrent", 1))
    .option("--poll-interval-ms <n>", "how often running attempts are observed without an engine event", integerAtLeast("--poll-interval-ms", 1))
    .option("--debounce-ms <n>", "wait this long after a file change before reading the directory", integerAtLeast("--debounce-ms", 0))
    .option("--deletion-grace-seconds <n>", "a Benchmark no longer declared by any file is deleted (its runs cancelled) after this long (default 10; multiverse delete: at once)", integerAtLeast("--deletion-grace-seconds", 0))
    .option("--poll", "poll the directory (network filesystems, git-sync symlink swaps)")
    .option("--json-log", "log JSON lines on stderr")
    .action(async (options) => setExit(await (await import("./commands/controller.js")).controllerCommand(options, io)));

  withStateRoot(program.command("apply").description("validate a file of resources and write it into the controller's watched directory"))
    .requiredOption("-f, --filename <file>", "YAML file (Benchmark/Dataset/Model documents or a seed manifest)", nonEmpty("--filename"))
    .option("--watch <dir>", "the watched directory (default: the running controller's)", nonEmpty("--watch"))
    .option("--wait", "wait until the controller has observed each Benchmark")
    .option("--timeout-seconds <n>", "how long --wait waits", integerAtLeast("--timeout-seconds", 0))
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await (await import("./commands/apply.js")).applyCommand(options, io)));

  withStateRoot(program.command("delete [kind] [name]").description("delete desired state (-f FILE, or KIND NAME): running work is cancelled, bundles stay"))
    .option("-f, --filename <file>", "delete the resources this file declares", nonEmpty("--filename"))
    .option("--watch <dir>", "the watched directory (default: the running controller's)", nonEmpty("--watch"))
    .option("--json", "machine-readable output")
    .action(async (kind: string | undefined, name: string | undefined, options) => setExit((await import("./commands/apply.js")).deleteCommand(kind, name, options, io)));

  withStateRoot(program.command("doctor").description("what this machine and state root can do: engines, Slurm, Apptainer, journal and index (exit 0 ok, 1 warnings, 2 blocked)"))
    .option("--deep-slurm", "also submit a one-second smoke job and wait for it")
    .option("--slurm-smoke-partition <partition>", "partition of the smoke job", nonEmpty("--slurm-smoke-partition"))
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await (await import("./commands/doctor.js")).doctorCommand(options, io)));

  program
    .command("build-sif")
    .description("build <slug>-<version>.sif with apptainer (or singularity) from the model's local Docker image or its Singularity.def")
    .requiredOption("--slug <slug>", "the model", nonEmpty("--slug"))
    .option("--output-dir <dir>", "where the SIF goes (default <state-root>/sif, where the Slurm executor looks)", nonEmpty("--output-dir"))
    .addOption(new Option("--method <method>", "source of the SIF").choices(["docker-daemon", "def-file"]))
    .option("--force", "build again over an existing SIF")
    .option("--state-root <dir>", "state root holding the catalog", defaultStateRoot())
    .option("--json", "machine-readable output")
    .action(async (options) => setExit(await (await import("./commands/build-sif.js")).buildSifCommand(options, io)));
  registerSlurmSubmitCommand(program, io, setExit);

  const logs = program.command("logs").description("print a run's logs");
  withStateRoot(logs.command("run <run>").description("the model's run.log (default), the captured container.log or the host's orchestrator.log of a run"))
    .option("--model", "the model's run.log (default)")
    .option("--container", "the container's captured stdout and stderr")
    .option("--orchestrator", "the host's per-run log: admission, launch, exit, validation, promotion")
    .option("--attempt <n-or-id>", "an earlier attempt instead of the latest", nonEmpty("--attempt"))
    .option("-f, --follow", "keep printing until the run is terminal")
    .action(async (run: string, options) => setExit(await (await import("./commands/logs.js")).logsCommand(run, options, io)));

  withStateRoot(program.command("recover").addArgument(new Argument("<decision>", "adopt or discard").choices(["adopt", "discard"])).argument("<run>", "the RECOVERY_PENDING run").description("decide a RECOVERY_PENDING run: adopt (validate the kept outputs again and promote) or discard (FAILED)"))
    .action(async (decision: string, run: string, options) => setExit(await (await import("./commands/recover.js")).recoverCommand(decision, run, options, io)));

  program
    .command("rebuild-index")
    .description("rebuild the SQLite index (multiverse_state.db) from the journal and artifact store")
    .requiredOption("--state-root <dir>", "state root", nonEmpty("--state-root"))
    .option("--store-root <dir>", "artifact store root (default <state-root>/store)", nonEmpty("--store-root"))
    .option("--verify", "read-only drift check: exit 0 in sync, 1 drift")
    .option("--json", "machine-readable output")
    .action(async (options) => setExit((await import("./commands/rebuild-index.js")).rebuildIndexCommand(options, io)));

  program
    .command("register-dataset <path>")
    .description("inspect a .h5mu file (modalities, cells, features, fingerprint) and register it")
    .requiredOption("--slug <slug>", "dataset slug used by manifests", nonEmpty("--slug"))
    .option("--batch-key <key>", "obs column holding the batch", nonEmpty("--batch-key"))
    .option("--label-key <key>", "obs column holding the cell labels", nonEmpty("--label-key"))
    .option("--state-root <dir>", "state root holding the catalog", defaultStateRoot())
    .option("--json", "machine-readable output")
    .action(async (path: string, options) => setExit(await (await import("./commands/register.js")).registerDatasetCommand(path, options, io)));

  program
    .command("register-model <model-yaml>")
    .description("validate a model.yaml and register it")
    .option("--state-root <dir>", "state root holding the catalog", defaultStateRoot())
    .option("--build", "then build its image with the local Docker engine (as models build)")
    .option("--base-image <image>", "BASE_IMAGE build argument for --build", nonEmpty("--base-image"))
    .option("--json", "machine-readable output")
    .action(async (path: string, options) => setExit(await (await import("./commands/register.js")).registerModelCommand(path, options, io)));

  const models = program.command("models").description("built-in and registered models");
  models
    .command("list")
    .description("list the models a manifest can use")
    .option("--state-root <dir>", "state root holding registered models", defaultStateRoot())
    .option("--json", "machine-readable output")
    .action(async (options) => setExit((await import("./commands/models.js")).modelsListCommand(options, io)));
  models
    .command("build <slug>")
    .description("build the model's image with the local Docker engine (paths in model.yaml are relative to it)")
    .option("--state-root <dir>", "state root holding registered models", defaultStateRoot())
    .option("--base-image <image>", "BASE_IMAGE build argument (default $MULTIVERSE_BASE_IMAGE, else the Dockerfile's)", nonEmpty("--base-image"))
    .option("-q, --quiet", "do not stream the build output")
    .action(async (slug: string, options) => setExit(await (await import("./commands/models.js")).modelsBuildCliCommand(slug, options, io)));
  models
    .command("setup <slug>")
    .description("create the model's own Python environment (pinned requirements) for the local executor")
    .option("--state-root <dir>", "state root holding registered models", defaultStateRoot())
    .option("--python <path>", "interpreter to create the environment with", "python3")
    .option("--json", "machine-readable output")
    .action(async (slug: string, options) => setExit((await import("./commands/models.js")).modelsSetupCommand(slug, options, io)));

  registerMlflowSyncCommand(program, io, setExit);
  registerVerifyCommand(program, io, setExit);
  registerServeCommand(program, io, setExit);
  registerCompletionCommand(program, io, setExit);
  registerGcCommand(program, io, setExit);
  registerExportCommand(program, io, setExit);
  registerMigrateCommand(program, io, setExit);
  registerMigrateStateDirCommand(program, io, setExit);

  return program;
}
