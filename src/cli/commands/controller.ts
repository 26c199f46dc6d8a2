/**
 * `multiverse controller --watch DIR --state-root ROOT [--listen HOST:PORT]`: runs until SIGINT/SIGTERM.
 * Logs one line per event on stderr (JSON lines with --json-log). Stopping leaves attempts running; the next
 * start adopts them.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import type { Backend } from "../../domain/resources.js";
import { createExecutor } from "../../executors/registry.js";
import { FileSource } from "../../sources/file-source.js";
import { createApiServer } from "../../api/server.js";
import { startController } from "../../services/controller-service.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface ControllerOptions extends StateRootOptions {
  watch: string;
  listen?: string;
  token?: string;
  tokenFile?: string;
  maxConcurrent?: number;
  pollIntervalMs?: number;
  debounceMs?: number;
  deletionGraceSeconds?: number;
  poll?: boolean;
  jsonLog?: boolean;
  backend?: Backend;
}

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) throw Errors.usage(`--listen expects HOST:PORT or PORT (e.g. 127.0.0.1:8080), got "${value}"`);
  return { host: match[1] || match[2] || "127.0.0.1", port };
}

export async function controllerCommand(options: ControllerOptions, io: Io): Promise<number> {
  const stateRoot = resolveStateRoot(options);
  const watchDir = resolve(options.watch);
  mkdirSync(watchDir, { recursive: true });
  const listen = options.listen ? parseListen(options.listen) : undefined;
  const token = options.tokenFile ? readFileSync(options.tokenFile, "utf8").trim() : (options.token ?? process.env.MULTIVERSE_API_TOKEN);
  const log = (line: string) => io.err(options.jsonLog ? JSON.stringify({ ts: new Date().toISOString(), msg: line }) : `${new Date().toISOString()} ${line}`);
  const controller = await startController({
    stateRoot,
    watchDir,
    source: new FileSource({ directory: watchDir, debounceMs: options.debounceMs, usePolling: options.poll }),
    makeExecutor: (backend, root) => createExecutor(backend, { stateRoot: root }),
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
