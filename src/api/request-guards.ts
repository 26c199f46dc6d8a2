/**
 * What a web page on another site could do to a status API on the user's own machine: a cross-site POST needs no
 * CORS preflight (a "simple" request), so without a token any page could cancel runs; and a DNS-rebound name
 * (attacker.example resolving to 127.0.0.1) makes the browser treat the API as that site's, able to read it too.
 * Mutating calls from a browser must come from the API's own origin (the dashboard); an API bound to loopback
 * answers only requests addressed to a loopback name.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyRequest } from "fastify";
import { Errors, type MultiverseError } from "../domain/errors.js";

const LOOPBACK_NAMES = new Set(["localhost", "::1"]);

/** The host name of a Host header value ("127.0.0.1:8080" -> 127.0.0.1, "[::1]:80" -> ::1). */
export function hostName(host: string): string {
  const match = /^\[([^\]]*)\](?::\d*)?$/.exec(host) ?? /^([^:]*)(?::\d*)?$/.exec(host);
  return (match?.[1] ?? host).toLowerCase();
}

export function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || name.endsWith(".localhost") || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** A request to a loopback-bound API that was addressed to another name (undefined: fine). */
export function misdirected(host: string | undefined): MultiverseError | undefined {
  if (host === undefined || isLoopbackName(hostName(host))) return undefined;
  return Errors.forbidden(`this API is bound to loopback and answers requests to localhost or 127.0.0.1 only, not to "${hostName(host).slice(0, 100)}" (a DNS-rebinding page would look like this)`);
}

/** A mutating request a browser sent from another site (undefined: same origin, or not from a browser). */
export function crossSite(headers: Pick<IncomingHttpHeaders, "origin" | "host" | "sec-fetch-site">): MultiverseError | undefined {
  const fetchSite = headers["sec-fetch-site"];
  if (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none") {
    return Errors.forbidden(`a mutating call from another site (Sec-Fetch-Site: ${fetchSite.slice(0, 40)}) is refused: call the API directly or from its own pages`);
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (originHost !== undefined && originHost !== "" && originHost === headers.host) return undefined;
  return Errors.forbidden(`a mutating call from another origin (${origin.slice(0, 100)}) is refused: call the API directly or from its own pages`);
}

/** onRequest hook of a loopback-bound API. */
export async function refuseMisdirected(request: FastifyRequest): Promise<void> {
  const problem = misdirected(request.headers.host);
  if (problem) throw problem;
}

/** Part of the mutating routes' preHandler. */
export function refuseCrossSite(request: FastifyRequest): void {
  const problem = crossSite(request.headers);
  if (problem) throw problem;
}
