/** The API's listen options checked without starting (or loading) the server: a command checks its flags first. */
import { Errors } from "../domain/errors.js";
import { checkTokenShape } from "./auth.js";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith("127.");
}

/**
 * Refuses what the server would refuse at start (a host off loopback without a token, a token no client could
 * send), so a command can check its flags before it starts anything else.
 */
export function checkListenOptions(options: { host?: string; token?: string }): void {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && !options.token) {
    throw Errors.usage(`the API is bound to ${host}, off loopback: give a bearer token (--token-file or MULTIVERSE_API_TOKEN) so that mutating calls are authenticated`);
  }
  if (options.token !== undefined) checkTokenShape(options.token);
}
