/**
 * The bearer token of mutating calls. RFC 7235: `credentials = auth-scheme 1*SP token68`, the scheme compared
 * without regard to case; RFC 6750: the Bearer scheme. The token is compared in constant time (of digests, so
 * not even its length shows through timing).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Errors } from "../domain/errors.js";

export type Credentials = { kind: "none" } | { kind: "other-scheme" } | { kind: "bearer"; token: string };

/** What an Authorization header carries (never echoing it: a mistyped header may be the secret itself). */
export function parseAuthorization(header: string | undefined): Credentials {
  const value = header?.trim() ?? "";
  if (value === "") return { kind: "none" };
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/.exec(value);
  if (!match || match[1]!.toLowerCase() !== "bearer") return { kind: "other-scheme" };
  const token = match[2] ?? "";
  return token === "" ? { kind: "none" } : { kind: "bearer", token };
}

/** Compares in time independent of where (and whether in length) the strings differ. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Refuses a token no client could send as given: empty, with whitespace or control characters (trimmed or split
 * by HTTP parsers and proxies) or beyond ASCII (header bytes are not UTF-8 everywhere). Names the position only.
 */
export function checkTokenShape(token: string): void {
  const source = "the bearer token (--token, --token-file or MULTIVERSE_API_TOKEN)";
  if (token.length === 0) throw Errors.usage(`${source} is empty`);
  const characters = [...token];
  const bad = characters.findIndex((c) => c <= " " || c > "~");
  if (bad < 0) return;
  const c = characters[bad]!;
  const what = /\s/.test(c) ? "whitespace" : c < " " || c === "\u007f" ? "a control character" : "a character beyond ASCII";
  throw Errors.usage(`${source} has ${what} at character ${bad + 1}: a token is printable ASCII without spaces`);
}

/** The preHandler of mutating routes: passes when no token is configured or the request carries it. */
export function bearerCheck(expected: string | undefined): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (expected === undefined) return;
    const credentials = parseAuthorization(request.headers.authorization);
    if (credentials.kind !== "bearer") {
      void reply.header("www-authenticate", 'Bearer realm="multiverse"');
      const why = credentials.kind === "none" ? "" : ": the Authorization header is not of the Bearer scheme";
      throw Errors.unauthorized(`this call needs a bearer token (Authorization: Bearer <token>)${why}`);
    }
    if (!sameSecret(credentials.token, expected)) throw Errors.forbidden("the bearer token is not valid");
  };
}
