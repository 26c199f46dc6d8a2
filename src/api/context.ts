/**
 * What the route plugins share, decorated once on the root instance by buildApi (every plugin registered under it
 * sees the decorations): the controller port, the index reader, the page cache of run listings, the bearer token
 * check, the live streams to end on close, the route documentation and the stream settings.
 */
import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RunIndex } from "../index/run-index.js";
import type { ControllerPort } from "../status/controller-port.js";
import type { RunPageCache } from "./page-cache.js";
import type { RouteDocs } from "./route-docs.js";

export interface StreamSettings {
  stateRoot: string;
  /** SSE comment lines keep idle connections (and proxies) open. */
  heartbeatMs: number;
  /** Log follow: the fallback poll behind fs.watch and the terminal check against the index. */
  followIntervalMs: number;
  /** SSE: bytes queued for a client that does not read before it is disconnected. */
  maxBufferedBytes: number;
}

/** Streams that are open now; each is ended before the server waits for its connections to close. */
export class LiveStreams {
  private readonly ends = new Set<() => void>();

  /** Keeps `end` until the client's connection closes. */
  track(raw: ServerResponse, end: () => void): void {
    this.ends.add(end);
    raw.on("close", () => this.ends.delete(end));
  }

  endAll(): void {
    for (const end of this.ends) end();
  }
}

declare module "fastify" {
  interface FastifyInstance {
    controllerPort: ControllerPort;
    runIndex: RunIndex;
    runPages: RunPageCache;
    /**
     * preHandler of mutating routes: refuses a browser's call from another site, then passes when no token is
     * configured or the request carries it.
     */
    authorizeMutation: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    liveStreams: LiveStreams;
    routeDocs: RouteDocs;
    streamSettings: StreamSettings;
  }
}
