/**
 * `multiverse serve --state-root DIR [--listen HOST:PORT] [--token T]`: the status API and the dashboard for a state
 * root, without a controller. It only reads (the journal, the index, bundles and workspaces); records another
 * process appends reach the page live once they are indexed. Cancelling is handed to a controller that holds the
 * state root and refused, saying so, when none does. Runs until SIGINT/SIGTERM.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { indexPath, rebuildIndex } from "../../index/run-index.js";
import { createApiServer, type ApiServer } from "../../api/server.js";
import { openReadOnlyPort } from "../../api/dashboard/read-only-port.js";
import type { Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { parseListen } from "./controller-flags.js";

export interface ServeOptions extends StateRootOptions {
  listen: string;
  token?: string;
  tokenFile?: string;
}

function readToken(options: ServeOptions): string | undefined {
  if (!options.tokenFile) return options.token ?? process.env.MULTIVERSE_API_TOKEN;
  try {
    return readFileSync(options.tokenFile, "utf8").trim() || undefined;
  } catch (error) {
    throw Errors.fileNotFound(`--token-file ${options.tokenFile}: ${(error as Error).message}`);
  }
}

export async function serveCommand(options: ServeOptions, io: Io, stop: Promise<string> = untilSignal()): Promise<number> {
  const stateRoot = resolveStateRoot(options);
  if (!existsSync(join(stateRoot, "journal"))) throw Errors.notFound(`${stateRoot} holds no multiverse journal: nothing to serve (give the --state-root or --output of a multiverse run or controller)`);
  const listen = parseListen(options.listen);
  const token = readToken(options);
  // The index is derived from the journal: a state root copied without it gets one, as `get runs` does.
  if (!existsSync(indexPath(stateRoot))) rebuildIndex(stateRoot);
  const port = openReadOnlyPort({ stateRoot });
  let server: ApiServer;
  try {
    server = await createApiServer({ stateRoot, controller: port, host: listen.host, port: listen.port, token });
  } catch (error) {
    port.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw Errors.usage(`--listen ${options.listen}: the address is already in use (is another multiverse serve or controller listening there?)`);
    if (code === "EACCES" || code === "EADDRNOTAVAIL") throw Errors.usage(`--listen ${options.listen}: cannot listen there (${code})`);
    throw error;
  }
  io.out(`Serving ${stateRoot} read-only`);
  io.out(`Dashboard: ${server.address}/dashboard/`);
  io.out(`API:       ${server.address}/api/v1 (OpenAPI at ${server.address}/openapi.json)`);
  const signal = await stop;
  io.err(`${signal}: stopping`);
  await server.close();
  port.close();
  return EXIT_OK;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}
