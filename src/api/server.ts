/**
 * The status API (Fastify). Reads the SQLite index through its own read-only connection, bundle manifests and
 * workspace logs from disk, and the journal for event replay; reaches the controller only through the
 * ControllerPort. Bound to 127.0.0.1 by default; off loopback a bearer token is required for mutating calls.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { isTerminal, RUN_PHASES, type RunPhase } from "../domain/run-states.js";
import { indexPath, RunIndex, type BenchmarkRow } from "../index/run-index.js";
import { readJournal } from "../journal/journal.js";
import type { JournalRecord } from "../journal/records.js";
import { MANIFEST_FILE, multiverseVersion, type ArtifactManifest } from "../artifacts/manifest.js";
import { sha256Hex } from "../identity/hash.js";
import { LogTail, locateLog, type LogSource } from "../services/run-logs.js";
import type { ControllerPort } from "./controller-port.js";
import { ApiError, toApiError } from "./errors.js";
import { renderMetrics } from "./metrics.js";
import { buildOpenApi, type RouteDoc } from "./openapi.js";
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
  heartbeatMs?: number;
  followIntervalMs?: number;
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
    throw new ApiError(400, "MV_USAGE", `the API is bound to ${host}, off loopback: give a bearer token (--token-file or MULTIVERSE_API_TOKEN) so that mutating calls are authenticated`);
  }
  const app = buildApi(options);
  await app.listen({ host, port: options.port ?? 8080 });
  const address = app.server.address();
  const url = typeof address === "object" && address ? `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  return { app, address: url, close: () => app.close() };
}

/** The Fastify app, not yet listening (tests can inject requests). */
export function buildApi(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: true } } });
  const index = RunIndex.openReadOnly(indexPath(options.stateRoot));
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const followIntervalMs = options.followIntervalMs ?? 250;
  const routes: RouteDoc[] = [];
  const pages = new Map<string, { version: string; body: object }>();
  const streams = new Set<() => void>();
  app.addHook("onClose", async () => {
    for (const end of streams) end();
    index.close();
  });

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
    if (header !== `Bearer ${options.token}`) throw new ApiError(403, "MV_FORBIDDEN", "the bearer token is not valid");
  };

  const declare = (doc: RouteDoc) => {
    routes.push(doc);
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
    const text = renderMetrics(options.controller.metrics(), index.phaseTotals(), RUN_PHASES);
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

  app.get<{ Querystring: { benchmark?: string; phase?: string; limit: number; offset: number } }>(
    "/api/v1/runs",
    { schema: declare({ method: "GET", url: "/api/v1/runs", summary: "runs, filtered and paginated", querystring: runsQuerySchema, response: { 200: runListSchema, 400: errorSchema } }) },
    async (request) => {
      const { benchmark, phase, limit, offset } = request.query;
      // Dashboards poll the same pages: a page is read again only after the index was written to.
      const key = JSON.stringify([benchmark, phase, limit, offset]);
      const version = index.dataVersion();
      const cached = pages.get(key);
      if (cached && cached.version === version) return cached.body;
      const items = index.listRuns({ benchmark, phase, limit, offset });
      const total = index.countRuns({ benchmark, phase });
      const body = { items, total, limit, offset, next: offset + items.length < total ? offset + items.length : null };
      if (pages.size >= PAGE_CACHE_SIZE) pages.delete(pages.keys().next().value as string);
      pages.set(key, { version, body });
      return body;
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id",
    { schema: declare({ method: "GET", url: "/api/v1/runs/:id", summary: "a run with its attempts, transitions and artifacts (with checksums)", params: idParamsSchema, response: { 200: runDetailSchema, 404: errorSchema, 409: errorSchema } }) },
    async (request) => {
      const run = index.getRun(request.params.id);
      let artifacts: ArtifactManifest["artifacts"] | null = null;
      let manifestSha256: string | null = null;
      if (run.artifactDir) {
        try {
          const bytes = readFileSync(join(run.artifactDir, MANIFEST_FILE));
          artifacts = (JSON.parse(bytes.toString("utf8")) as ArtifactManifest).artifacts;
          manifestSha256 = sha256Hex(bytes);
        } catch {
          artifacts = null;
        }
      }
      return { run, attempts: index.attempts(run.runId), transitions: index.transitions(run.runId), artifacts, manifestSha256 };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { source: LogSource; follow: boolean; attempt?: string } }>(
    "/api/v1/runs/:id/logs",
    {
      schema: declare({ method: "GET", url: "/api/v1/runs/:id/logs", summary: "a run's log; follow=true streams until the run is terminal", params: idParamsSchema, querystring: logsQuerySchema, produces: "text/plain" }),
    },
    async (request, reply) => {
      const location = locateLog(index, request.params.id, request.query.source, request.query.attempt);
      const tail = new LogTail(location.file);
      if (!request.query.follow) return reply.type("text/plain; charset=utf-8").send(tail.read());
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache", "x-content-type-options": "nosniff" });
      const flush = () => {
        const chunk = tail.read();
        if (chunk.length > 0) raw.write(chunk);
      };
      flush();
      const end = () => {
        clearInterval(timer);
        streams.delete(end);
        if (!raw.writableEnded) raw.end();
      };
      const timer: ReturnType<typeof setInterval> = setInterval(() => {
        flush();
        const phase = index.getRun(location.runId).phase as RunPhase;
        if (isTerminal(phase) || phase === "RECOVERY_PENDING") {
          flush();
          end();
        }
      }, followIntervalMs);
      streams.add(end);
      request.raw.on("close", end);
    },
  );

  app.get<{ Querystring: { since?: number } }>(
    "/api/v1/events",
    { schema: declare({ method: "GET", url: "/api/v1/events", summary: "journal records as Server-Sent Events (id = seq; Last-Event-ID or since= replays)", querystring: eventsQuerySchema, produces: "text/event-stream" }) },
    async (request, reply) => {
      const header = request.headers["last-event-id"];
      const lastId = typeof header === "string" && /^\d+$/.test(header) ? Number(header) : request.query.since;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
      raw.write("retry: 2000\n\n");
      let sent = lastId ?? 0;
      const send = (record: JournalRecord) => {
        if (record.seq <= sent) return;
        sent = record.seq;
        raw.write(`id: ${record.seq}\nevent: ${record.type}\ndata: ${JSON.stringify(record)}\n\n`);
      };
      // Subscribe first, then replay: records appended meanwhile are buffered and sent once, in order.
      let buffer: JournalRecord[] | undefined = lastId !== undefined ? [] : undefined;
      const unsubscribe = options.controller.subscribe((records) => {
        if (buffer) buffer.push(...records);
        else for (const record of records) send(record);
      });
      if (buffer) {
        for (const record of readJournal(options.stateRoot).records) send(record);
        const buffered = buffer;
        buffer = undefined;
        for (const record of buffered) send(record);
      }
      const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), heartbeatMs);
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(end);
        if (!raw.writableEnded) raw.end();
      };
      streams.add(end);
      request.raw.on("close", end);
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

  const openapi = buildOpenApi(routes, multiverseVersion());
  app.get("/openapi.json", async () => openapi);
  return app;
}
