/** GET /healthz, /readyz and /metrics: liveness, readiness and Prometheus figures. */
import type { FastifyPluginAsync } from "fastify";
import { Errors } from "../../domain/errors.js";
import { RUN_PHASES } from "../../domain/run-states.js";
import { renderMetrics } from "../metrics.js";
import { errorSchema } from "../schemas.js";

const statusSchema = { type: "object", properties: { status: { type: "string" } } } as const;

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get("/healthz", { schema: app.routeDocs.declare({ method: "GET", url: "/healthz", summary: "the process is alive", response: { 200: statusSchema } }) }, async () => ({ status: "ok" }));

  app.get(
    "/readyz",
    { schema: app.routeDocs.declare({ method: "GET", url: "/readyz", summary: "the controller has loaded its journal and read its sources", response: { 200: statusSchema, 503: errorSchema } }) },
    async () => {
      if (!app.controllerPort.ready()) throw Errors.notReady("the controller is starting or stopping");
      return { status: "ready" };
    },
  );

  // Counting 100,000 runs by phase takes milliseconds: counted again only after the index changed.
  let phaseTotals: { version: string; counts: Record<string, number> } = { version: "", counts: {} };
  app.get("/metrics", { schema: app.routeDocs.declare({ method: "GET", url: "/metrics", summary: "Prometheus metrics", produces: "text/plain; version=0.0.4" }) }, async (_request, reply) => {
    const version = app.runIndex.dataVersion();
    if (phaseTotals.version !== version) phaseTotals = { version, counts: app.runIndex.phaseTotals() };
    const text = renderMetrics(app.controllerPort.metrics(), phaseTotals.counts, RUN_PHASES);
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
  });
};
