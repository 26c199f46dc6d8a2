/**
 * `multiverse controller --watch DIR | --source kubernetes [--namespace NS | --all-namespaces] --state-root ROOT
 * [--leader-elect] [--listen HOST:PORT]`: runs until SIGINT/SIGTERM. Logs one line per event on stderr (JSON lines
 * with --json-log). Stopping leaves attempts running; the next start adopts them. With --leader-elect the
 * controller starts only once it holds the Lease, and exits non-zero when it loses it (its Deployment restarts it
 * as a follower), like controller-runtime.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import type { Backend } from "../../domain/resources.js";
import { createExecutor } from "../../executors/registry.js";
import { kubernetesSettings, type KubernetesFlags } from "../../executors/kubernetes/settings.js";
import type { LeaseElector } from "../../leader/lease-elector.js";
import { FileSource } from "../../sources/file-source.js";
import { startController, type ControllerServiceOptions } from "../../services/controller-service.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { controllerSettings, probeListen, type ControllerFlags } from "./controller-flags.js";
import { sourceSettings, type SourceFlags } from "./controller-source-flags.js";

export { parseListen } from "./controller-flags.js";

export interface ControllerOptions extends StateRootOptions, ControllerFlags, SourceFlags, KubernetesFlags {
  maxConcurrent?: number;
  pollIntervalMs?: number;
  debounceMs?: number;
  deletionGraceSeconds?: number;
  poll?: boolean;
  jsonLog?: boolean;
  backend?: Backend;
}

/** How long a controller that lost its lease may take to stop before it exits anyway. */
const LOST_LEASE_STOP_MS = 3000;

export async function controllerCommand(options: ControllerOptions, io: Io): Promise<number> {
  // Every flag is checked before the state root is locked or anything is launched.
  const { source: sourceSetting, leader } = sourceSettings(options);
  const { watchDir, listen, token } = controllerSettings(options);
  if (listen) await probeListen(listen);
  const stateRoot = resolveStateRoot(options);
  if (options.backend === "kubernetes") kubernetesSettings(options, process.env, stateRoot);
  const log = (line: string) => io.err(options.jsonLog ? JSON.stringify({ ts: new Date().toISOString(), msg: line }) : `${new Date().toISOString()} ${line}`);
  // One listener per signal for the command's whole life, and the phase decides what a signal does: removing a
  // signal's last listener and adding another drops a signal that arrives in between (libuv closes its watcher).
  const signals = new SignalPhases(log);
  process.once("SIGINT", signals.handle);
  process.once("SIGTERM", signals.handle);
  let sourceOptions: Pick<ControllerServiceOptions, "source" | "watchDir" | "statusSinks" | "extensions" | "deletionGraceMs">;
  let elector: LeaseElector | undefined;
  if (sourceSetting.kind === "files") {
    mkdirSync(watchDir!, { recursive: true });
    sourceOptions = { watchDir: watchDir!, source: new FileSource({ directory: watchDir!, debounceMs: options.debounceMs, usePolling: options.poll }) };
  } else {
    // Loaded only here: @kubernetes/client-node is heavy, and a controller watching files never needs it.
    const [{ contextNamespace, kubernetesParts }, { ClientLeaseApi, LeaseElector }] = await Promise.all([
      import("../../services/kubernetes-controller.js"),
      import("../../leader/lease-elector.js"),
    ]);
    const parts = await kubernetesParts(sourceSetting, log);
    log(`source: kubernetes ${parts.api.server}, ${parts.namespace !== undefined ? `namespace ${parts.namespace}` : "all namespaces"}`);
    sourceOptions = parts.options;
    if (leader) {
      elector = new LeaseElector({
        api: new ClientLeaseApi(parts.config),
        namespace: leader.namespace ?? parts.namespace ?? contextNamespace(parts.config),
        name: leader.leaseName,
        identity: `${hostname()}_${randomUUID()}`,
        leaseDurationMs: leader.leaseDurationMs,
        renewDeadlineMs: leader.renewDeadlineMs,
        retryPeriodMs: leader.retryPeriodMs,
        log,
      });
      const waiting = elector;
      signals.waitingForLease(() => void waiting.release().then(() => process.exit(EXIT_OK)));
      if (!(await elector.acquire())) return EXIT_OK;
      signals.starting();
    }
  }
  const deletionGrace = options.deletionGraceSeconds !== undefined ? { deletionGraceMs: options.deletionGraceSeconds * 1000 } : {};
  const controller = await startController({
    stateRoot,
    ...sourceOptions,
    ...deletionGrace,
    makeExecutor: (backend, root) => createExecutor(backend, { stateRoot: root, kubernetes: options }),
    defaultBackend: options.backend,
    maxConcurrent: options.maxConcurrent,
    pollIntervalMs: options.pollIntervalMs,
    log,
    startApi: listen
      ? async (port) => {
          const { createApiServer } = await import("../../api/server.js");
          const server = await createApiServer({ stateRoot, controller: port, host: listen.host, port: listen.port, token });
          return { address: server.address, close: () => server.close() };
        }
      : undefined,
  });
  elector?.hold((reason) => {
    log(`leader election lost: ${reason}; stopping reconciliation and exiting`);
    const exit = () => process.exit(EXIT_RUN_FAILED);
    setTimeout(exit, LOST_LEASE_STOP_MS).unref();
    void controller.stop().finally(exit);
  });
  signals.running(() => void controller.stop());
  await controller.stopped;
  await elector?.release();
  // Stop means exit. Engine watches (Docker's container.wait, a long poll) would otherwise keep the process alive
  // until the containers exit; the attempts keep running and are adopted by the next start.
  process.exit(EXIT_OK);
}

/**
 * What SIGINT/SIGTERM do as the controller goes through its phases: while waiting for the lease, give up and exit;
 * while starting (journal, adoption, the first read of the source), stop once started; once running, stop.
 */
class SignalPhases {
  private onSignal: (signal: string) => void;
  private pending: string | undefined;

  constructor(private readonly log: (line: string) => void) {
    this.onSignal = this.whileStarting;
  }

  readonly handle = (signal: string): void => this.onSignal(signal);

  waitingForLease(giveUp: () => void): void {
    this.onSignal = (signal) => {
      this.log(`${signal} while waiting for the lease: exiting`);
      giveUp();
    };
  }

  starting(): void {
    this.onSignal = this.whileStarting;
  }

  running(stop: () => void): void {
    this.onSignal = (signal) => {
      this.log(`${signal}: stopping`);
      stop();
    };
    if (this.pending !== undefined) this.onSignal(this.pending);
  }

  private readonly whileStarting = (signal: string): void => {
    this.pending ??= signal;
    this.log(`${signal} while starting: stopping once started`);
  };
}
