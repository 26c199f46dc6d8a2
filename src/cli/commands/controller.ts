/**
 * `multiverse controller --watch DIR --state-root ROOT [--listen HOST:PORT]`: runs until SIGINT/SIGTERM.
 * Logs one line per event on stderr (JSON lines with --json-log). Stopping leaves attempts running; the next
 * start adopts them.
 */
import { mkdirSync } from "node:fs";
import { EXIT_OK } from "../../domain/errors.js";
import type { Backend } from "../../domain/resources.js";
import { createExecutor } from "../../executors/registry.js";
import { kubernetesSettings, type KubernetesFlags } from "../../executors/kubernetes/settings.js";
import { FileSource } from "../../sources/file-source.js";
import { createApiServer } from "../../api/server.js";
import { startController } from "../../services/controller-service.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { controllerSettings, probeListen, type ControllerFlags } from "./controller-flags.js";

export { parseListen } from "./controller-flags.js";

export interface ControllerOptions extends StateRootOptions, ControllerFlags, KubernetesFlags {
  maxConcurrent?: number;
  pollIntervalMs?: number;
  debounceMs?: number;
  deletionGraceSeconds?: number;
  poll?: boolean;
  jsonLog?: boolean;
  backend?: Backend;
}

export async function controllerCommand(options: ControllerOptions, io: Io): Promise<number> {
  // Every flag is checked before the state root is locked or anything is launched.
  const { watchDir, listen, token } = controllerSettings(options);
  if (listen) await probeListen(listen);
  const stateRoot = resolveStateRoot(options);
  if (options.backend === "kubernetes") kubernetesSettings(options, process.env, stateRoot);
  mkdirSync(watchDir, { recursive: true });
  const log = (line: string) => io.err(options.jsonLog ? JSON.stringify({ ts: new Date().toISOString(), msg: line }) : `${new Date().toISOString()} ${line}`);
  const controller = await startController({
    stateRoot,
    watchDir,
    source: new FileSource({ directory: watchDir, debounceMs: options.debounceMs, usePolling: options.poll }),
    makeExecutor: (backend, root) => createExecutor(backend, { stateRoot: root, kubernetes: options }),
    defaultBackend: options.backend,
    maxConcurrent: options.maxConcurrent,
    pollIntervalMs: options.pollIntervalMs,
    ...(options.deletionGraceSeconds !== undefined ? { deletionGraceMs: options.deletionGraceSeconds * 1000 } : {}),
    log,
    startApi: listen
      ? async (port) => {
          const server = await createApiServer({ stateRoot, controller: port, host: listen.host, port: listen.port, token });
          return { address: server.address, close: () => server.close() };
        }
      : undefined,
  });
  const onSignal = (signal: string) => {
    log(`${signal}: stopping`);
    void controller.stop();
  };
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  await controller.stopped;
  // Stop means exit. Engine watches (Docker's container.wait, a long poll) would otherwise keep the process alive
  // until the containers exit; the attempts keep running and are adopted by the next start.
  process.exit(EXIT_OK);
}
