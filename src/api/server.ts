/**
 * The status API (Fastify). Reads the SQLite index through its own read-only connection, bundle manifests and
 * workspace logs from disk, and the journal for event replay; reaches the controller only through the
 * ControllerPort. Bound to 127.0.0.1 by default; off loopback a bearer token is required for mutating calls.
 *
 * buildApi decorates the root instance with what the routes share (src/api/context.ts) and registers one plugin
 * per resource group (src/api/routes/); the error shape, the 404, the query check and (bound to loopback) the Host
 * check apply to all of them.
 */
import { maxHeaderSize } from "node:http";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from "fastify";
import { Errors } from "../domain/errors.js";
import { indexPath } from "../index/run-index.js";
import { ReopeningIndex } from "../index/reopening-index.js";
import { bearerCheck, checkTokenShape } from "./auth.js";
import { checkListenOptions, isLoopback } from "./listen-options.js";
import { LiveStreams } from "./context.js";
import type { ControllerPort } from "../status/controller-port.js";
import { toApiError } from "./errors.js";
import { RunPageCache } from "./page-cache.js";
import { refuseCrossSite, refuseMisdirected } from "./request-guards.js";
import { RouteDocs } from "./route-docs.js";
import { answerClientError, answerFrameworkError } from "./client-errors.js";
import { checkQuery } from "./query-params.js";
import { benchmarkRoutes } from "./routes/benchmarks.js";
import { cancelRoutes } from "./routes/cancel.js";
import { evaluationRoutes } from "./routes/evaluation.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { eventRoutes } from "./routes/events.js";
import { healthRoutes } from "./routes/health.js";
import { logRoutes } from "./routes/logs.js";
import { openApiRoutes } from "./routes/openapi.js";
import { runRoutes } from "./routes/runs.js";

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

/** The route plugins, one per resource group, registered in this order. */
const ROUTE_PLUGINS: readonly FastifyPluginAsync[] = [healthRoutes, benchmarkRoutes, evaluationRoutes, runRoutes, logRoutes, eventRoutes, cancelRoutes, dashboardRoutes, openApiRoutes];

/** As long as a request line can be (Node's header limit), so a long id is a 400 naming its limit, never "no route". */
const MAX_PARAM_LENGTH = maxHeaderSize;
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  checkListenOptions(options);
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
  if (options.token !== undefined) checkTokenShape(options.token);
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: true } },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // Follows the index file: a deleted or replaced multiverse_state.db is reopened once the controller rebuilt it.
  const index = ReopeningIndex.reader(indexPath(options.stateRoot));
  app.decorate("controllerPort", options.controller);
  app.decorate("runIndex", { getter: () => index.current });
  app.decorate("runPages", new RunPageCache());
  const tokenCheck = bearerCheck(options.token);
  app.decorate("authorizeMutation", async (request: FastifyRequest, reply: FastifyReply) => {
    refuseCrossSite(request);
    await tokenCheck(request, reply);
  });
  app.decorate("liveStreams", new LiveStreams());
  app.decorate("routeDocs", new RouteDocs());
  app.decorate("streamSettings", {
    stateRoot: options.stateRoot,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    followIntervalMs: options.followIntervalMs ?? 1000,
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
  });
  // Streams end before the server waits for its connections to close.
  app.addHook("preClose", async () => app.liveStreams.endAll());
  app.addHook("onClose", async () => index.close());
  app.addHook("preValidation", checkQuery);
  if (isLoopback(options.host ?? "127.0.0.1")) app.addHook("onRequest", refuseMisdirected);

  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = toApiError(error);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    const { status, body } = toApiError(Errors.notFound(`no route ${request.method} ${shown}`));
    void reply.status(status).send(body);
  });

  for (const plugin of ROUTE_PLUGINS) void app.register(plugin);
  return app;
}
