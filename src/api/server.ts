/**
 * The status API (Fastify). Reads the SQLite index through its own read-only connection, bundle manifests and
 * workspace logs from disk, and the journal for event replay; reaches the controller only through the
 * ControllerPort. Bound to 127.0.0.1 by default; off loopback a bearer token is required for mutating calls.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { Errors } from "../domain/errors.js";
import { RUN_PHASES } from "../domain/run-states.js";
import { indexPath, RunIndex, type BenchmarkRow } from "../index/run-index.js";
import { multiverseVersion } from "../artifacts/manifest.js";
import { LOG_FILES, locateLog, type LogSource } from "../services/run-logs.js";
import type { ControllerPort } from "./controller-port.js";
import { readBundleArtifacts } from "./bundle-artifacts.js";
import { ApiError, toApiError } from "./errors.js";
import { replayStart, streamEvents } from "./event-stream.js";
import { endsFollow, followLog } from "./log-stream.js";
import { renderMetrics } from "./metrics.js";
import { decodeCursor, encodeCursor } from "./run-cursor.js";
import { buildOpenApi, type RouteDoc } from "./openapi.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import {
  benchmarkSchema,
  cancelResponseSchema,
  errorSchema,
  eventsQuerySchema,
  idParamsSchema,
  logsQuerySchema,
  nameParamsSchema,
  runDetailSchema,
  runListSchema,
  runsQuerySchema,
} from "./schemas.js";

export interface ApiServerOptions {
  stateRoot: string;
  controller: ControllerPort;
  host?: string;
  port?: number;
  /** Bearer token for mutating calls; required when bound off loopback. */
  token?: string;
  /** SSE comment lines keep idle connections (and proxies) open; default 15 s. */
  heartbeatMs?: number;
  /** Log follow: the fallback poll behind fs.watch and the terminal check against the index; default 1 s. */
  followIntervalMs?: number;
  /** SSE: bytes queued for a client that does not read before it is disconnected; default 8 MiB. */
  maxBufferedBytes?: number;
}

export interface ApiServer {
  app: FastifyInstance;
  /** http://host:port */
  address: string;
  close(): Promise<void>;
}

const PAGE_CACHE_SIZE = 256;
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith("127.");
}

export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && !options.token) {
    throw Errors.usage(`the API is bound to ${host}, off loopback: give a bearer token (--token-file or MULTIVERSE_API_TOKEN) so that mutating calls are authenticated`);
  }
  const app = buildApi(options);
  try {
    await app.listen({ host, port: options.port ?? 8080 });
  } catch (error) {
    await app.close(); // releases the index connection
    throw error;
  }
  const address = app.server.address();
  const url = typeof address === "object" && address ? `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  return { app, address: url, close: () => app.close() };
}

/** The Fastify app, not yet listening (tests can inject requests). */
export function buildApi(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: true } } });
  const index = RunIndex.openReadOnly(indexPath(options.stateRoot));
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const followIntervalMs = options.followIntervalMs ?? 1000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const routes: RouteDoc[] = [];
  const pages = new Map<string, { version: string; body: object }>();
  const streams = new Set<() => void>();
  let phaseTotals: { version: string; counts: Record<string, number> } = { version: "", counts: {} };
  // Streams end before the server waits for its connections to close.
  app.addHook("preClose", async () => {
    for (const end of streams) end();
  });
  app.addHook("onClose", async () => index.close());

  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = toApiError(error);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: "MV_NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}` } });
  });

  const requireToken = async (request: FastifyRequest) => {
    if (!options.token) return;
    const header = request.headers.authorization;
    if (!header) throw new ApiError(401, "MV_UNAUTHORIZED", "this call needs a bearer token (Authorization: Bearer <token>)");
    if (!sameSecret(header, `Bearer ${options.token}`)) throw new ApiError(403, "MV_FORBIDDEN", "the bearer token is not valid");
  };

  const declare = (doc: RouteDoc) => {
    // Every route that validates its input can answer 400 in the one error shape.
    const withBadRequest = doc.params || doc.querystring ? { ...doc, response: { 400: errorSchema, ...doc.response } } : doc;
    routes.push(withBadRequest);
    // Fastify warns about keys present but undefined: only the declared ones.
    return {
      ...(doc.params ? { params: doc.params } : {}),
      ...(doc.querystring ? { querystring: doc.querystring } : {}),
      ...(doc.response && !doc.produces ? { response: doc.response } : {}),
    };
  };

  app.get("/healthz", { schema: declare({ method: "GET", url: "/healthz", summary: "the process is alive", response: { 200: { type: "object", properties: { status: { type: "string" } } } } }) }, async () => ({ status: "ok" }));

  app.get(
    "/readyz",
    { schema: declare({ method: "GET", url: "/readyz", summary: "the controller has loaded its journal and read its sources", response: { 200: { type: "object", properties: { status: { type: "string" } } }, 503: errorSchema } }) },
    async (_request, reply) => {
      if (!options.controller.ready()) return reply.status(503).send({ error: { code: "MV_NOT_READY", message: "the controller is starting or stopping" } });
      return { status: "ready" };
    },
  );

  app.get("/metrics", { schema: declare({ method: "GET", url: "/metrics", summary: "Prometheus metrics", produces: "text/plain; version=0.0.4" }) }, async (_request, reply) => {
    // Counting 100,000 runs by phase takes milliseconds: counted again only after the index changed.
    const version = index.dataVersion();
    if (phaseTotals.version !== version) phaseTotals = { version, counts: index.phaseTotals() };
    const text = renderMetrics(options.controller.metrics(), phaseTotals.counts, RUN_PHASES);
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
  });

  const benchmarkView = (row: BenchmarkRow) => ({ ...row, phaseCounts: index.phaseCounts(row.name) });

  app.get(
    "/api/v1/benchmarks",
    { schema: declare({ method: "GET", url: "/api/v1/benchmarks", summary: "benchmarks with generation, conditions and phase counts", response: { 200: { type: "object", properties: { items: { type: "array", items: benchmarkSchema } } } } }) },
    async () => ({ items: index.listBenchmarks().map(benchmarkView) }),
  );

  app.get<{ Params: { name: string } }>(
    "/api/v1/benchmarks/:name",
    { schema: declare({ method: "GET", url: "/api/v1/benchmarks/:name", summary: "one benchmark", params: nameParamsSchema, response: { 200: benchmarkSchema, 404: errorSchema } }) },
    async (request) => {
      const row = index.getBenchmark(request.params.name);
      if (!row) throw new ApiError(404, "MV_NOT_FOUND", `no benchmark named "${request.params.name}"`);
      return benchmarkView(row);
    },
  );

  app.get<{ Querystring: { benchmark?: string; phase?: string; limit: number; offset: number; cursor?: string } }>(
    "/api/v1/runs",
    {
      schema: declare({
        method: "GET",
        url: "/api/v1/runs",
        summary: "runs in listing order (benchmark, job, seed, run id), filtered; pages by offset or by cursor (nextCursor)",
        querystring: runsQuerySchema,
        response: { 200: runListSchema, 400: errorSchema },
      }),
    },
    async (request) => {
      const { benchmark, phase, limit, offset, cursor } = request.query;
      if (cursor !== undefined && offset > 0) throw new ApiError(400, "MV_BAD_REQUEST", "querystring: give either offset or cursor, not both");
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (after && benchmark !== undefined && after.benchmark !== benchmark) {
        throw new ApiError(400, "MV_BAD_REQUEST", `querystring.cursor: the cursor belongs to a listing of benchmark "${after.benchmark}", not "${benchmark}"`);
      }
      // Dashboards poll the same pages: a page is read again only after the index was written to.
      const key = JSON.stringify([benchmark, phase, limit, offset, cursor]);
      const version = index.dataVersion();
      const cached = pages.get(key);
      if (cached && cached.version === version) return cached.body;
      // One row more than asked tells whether there is a next page.
      const rows = index.listRuns({ benchmark, phase, limit: limit + 1, ...(after ? { after } : { offset }) });
      const items = rows.slice(0, limit);
      const more = rows.length > limit;
      const total = index.countRuns({ benchmark, phase });
      const body = {
        items,
        total,
        limit,
        offset: after ? null : offset,
        next: !after && more ? offset + items.length : null,
        nextCursor: more ? encodeCursor(items[items.length - 1]!) : null,
      };
      if (pages.size >= PAGE_CACHE_SIZE) pages.delete(pages.keys().next().value as string);
      pages.set(key, { version, body });
      return body;
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id",
    { schema: declare({ method: "GET", url: "/api/v1/runs/:id", summary: "a run with its attempts, transitions, artifacts (with checksums) and MLflow projection state", params: idParamsSchema, response: { 200: runDetailSchema, 404: errorSchema, 409: errorSchema } }) },
    async (request) => {
      const run = index.getRun(request.params.id);
      const bundle = run.artifactDir ? await readBundleArtifacts(run.artifactDir) : undefined;
      return {
        run,
        attempts: index.attempts(run.runId),
        transitions: index.transitions(run.runId),
        artifacts: bundle?.artifacts ?? null,
        manifestSha256: bundle?.manifestSha256 ?? null,
        manifestMatchesSidecar: bundle?.manifestMatchesSidecar ?? null,
        artifactProblems: bundle?.problems ?? [],
        tracking: index.trackingProjections(run.runId),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { source: LogSource; follow: boolean; attempt?: string } }>(
    "/api/v1/runs/:id/logs",
    {
      schema: declare({ method: "GET", url: "/api/v1/runs/:id/logs", summary: "a run's log; follow=true streams until the run is terminal", params: idParamsSchema, querystring: logsQuerySchema, produces: "text/plain" }),
    },
    async (request, reply) => {
      const location = locateLog(index, request.params.id, request.query.source, request.query.attempt);
      if (!request.query.follow) {
        const exists = await stat(location.file).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!exists) throw Errors.notFound(`${LOG_FILES[request.query.source]} does not exist (yet) in ${location.workspace}`);
        return reply.type("text/plain; charset=utf-8").send(createReadStream(location.file));
      }
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache", "x-content-type-options": "nosniff" });
      reply.raw.flushHeaders(); // the log may be empty for a while: the client learns at once that the stream is open
      const end = followLog(reply.raw, {
        file: location.file,
        runId: location.runId,
        controller: options.controller,
        isFinished: () => endsFollow(index.getRun(location.runId).phase),
        pollMs: followIntervalMs,
      });
      streams.add(end);
      reply.raw.on("close", () => streams.delete(end));
    },
  );

  app.get<{ Querystring: { since?: number } }>(
    "/api/v1/events",
    { schema: declare({ method: "GET", url: "/api/v1/events", summary: "journal records as Server-Sent Events (id = seq; Last-Event-ID or since= replays)", querystring: eventsQuerySchema, produces: "text/event-stream" }) },
    async (request, reply) => {
      reply.hijack();
      const end = streamEvents(reply.raw, {
        stateRoot: options.stateRoot,
        controller: options.controller,
        afterSeq: replayStart(request.headers["last-event-id"], request.query.since),
        heartbeatMs,
        maxBufferedBytes,
      });
      streams.add(end);
      reply.raw.on("close", () => streams.delete(end));
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/v1/runs/:id/cancel",
    {
      preHandler: requireToken,
      schema: declare({ method: "POST", url: "/api/v1/runs/:id/cancel", summary: "ask for a run to be cancelled", params: idParamsSchema, auth: true, response: { 202: cancelResponseSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema } }),
    },
    async (request, reply) => reply.status(202).send(await options.controller.cancelRun(request.params.id)),
  );

  void app.register(dashboardRoutes, { index, declare });

  routes.push({ method: "GET", url: "/openapi.json", summary: "this document (OpenAPI 3.1)", response: { 200: { type: "object" } } });
  const openapi = buildOpenApi(routes, multiverseVersion());
  app.get("/openapi.json", async () => openapi);
  return app;
}

/** Compares in time independent of where the strings differ (a token must not leak through timing). */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
