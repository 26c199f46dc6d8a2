/**
 * Every flag of `multiverse controller` checked before anything starts (no lock, no journal, no launch): the
 * listen address parsed, the token read, the API's rules (off loopback a token, and a token of a shape a client
 * can send), the watched directory a directory, and the address actually free to bind.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { Errors } from "../../domain/errors.js";
import { checkListenOptions } from "../../api/listen-options.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ControllerFlags {
  /** The file source's directory; absent with --source kubernetes. */
  watch?: string;
  listen?: string;
  token?: string;
  tokenFile?: string;
}

export interface ControllerSettings {
  watchDir?: string;
  listen?: ListenAddress;
  token?: string;
}

export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) throw Errors.usage(`--listen expects HOST:PORT or PORT (e.g. 127.0.0.1:8080), got "${value}"`);
  return { host: match[1] || match[2] || "127.0.0.1", port };
}

function readToken(file: string): string {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw Errors.fileNotFound("--token-file: no such file", { location: { file: path } });
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw Errors.usage(`--token-file cannot be read: ${(error as Error).message}`, { location: { file: path } });
  }
  const token = text.trim();
  if (token === "") throw Errors.usage("--token-file is empty", { location: { file: path } });
  return token;
}

/** Reads only the token file and the watched directory's status; writes nothing. */
export function controllerSettings(flags: ControllerFlags, env: NodeJS.ProcessEnv = process.env): ControllerSettings {
  if (flags.token !== undefined && flags.tokenFile !== undefined) throw Errors.usage("give the token once: --token or --token-file, not both");
  const watchDir = flags.watch !== undefined ? resolve(flags.watch) : undefined;
  if (watchDir !== undefined && existsSync(watchDir) && !statSync(watchDir).isDirectory()) throw Errors.usage(`--watch ${watchDir} is not a directory`);
  const listen = flags.listen !== undefined ? parseListen(flags.listen) : undefined;
  const fromEnv = env.MULTIVERSE_API_TOKEN?.trim() || undefined;
  const token = flags.tokenFile !== undefined ? readToken(flags.tokenFile) : (flags.token ?? fromEnv);
  // The API's own rules (a token off loopback, a token a client can send), checked now rather than at bind time.
  if (listen) checkListenOptions({ host: listen.host, token });
  return { ...(watchDir !== undefined ? { watchDir } : {}), ...(listen ? { listen } : {}), ...(token ? { token } : {}) };
}

/**
 * Binds the address once and lets it go, so that a port in use or an address this machine does not have is
 * refused before the controller starts (the API itself binds only after the controller is up).
 */
export function probeListen(listen: ListenAddress): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE" ? "the port is in use"
        : error.code === "EADDRNOTAVAIL" ? `${listen.host} is not an address of this machine`
        : error.code === "EACCES" ? "binding it is not permitted (ports below 1024 need privileges)"
        : error.code === "ENOTFOUND" || error.code === "EAI_AGAIN" ? `${listen.host} does not resolve`
        : error.message;
      reject(Errors.usage(`--listen ${listen.host}:${listen.port}: ${why}; nothing was started`));
    });
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => server.close(() => resolvePromise()));
  });
}
