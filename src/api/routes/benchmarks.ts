/** GET /api/v1/benchmarks and /api/v1/benchmarks/:name: generation, conditions and phase counts. */
import type { FastifyPluginAsync } from "fastify";
import { Errors } from "../../domain/errors.js";
import type { BenchmarkRow } from "../../index/run-index.js";
import { benchmarkSchema, errorSchema, nameParamsSchema } from "../schemas.js";

export const benchmarkRoutes: FastifyPluginAsync = async (app) => {
  const benchmarkView = (row: BenchmarkRow) => ({ ...row, phaseCounts: app.runIndex.phaseCounts(row.name) });

  app.get(
    "/api/v1/benchmarks",
    {
      schema: app.routeDocs.declare({
        method: "GET",
        url: "/api/v1/benchmarks",
        summary: "benchmarks with generation, conditions and phase counts",
        response: { 200: { type: "object", properties: { items: { type: "array", items: benchmarkSchema } } } },
      }),
    },
    async () => ({ items: app.runIndex.listBenchmarks().map(benchmarkView) }),
  );

  app.get<{ Params: { name: string } }>(
    "/api/v1/benchmarks/:name",
    { schema: app.routeDocs.declare({ method: "GET", url: "/api/v1/benchmarks/:name", summary: "one benchmark", params: nameParamsSchema, response: { 200: benchmarkSchema, 404: errorSchema } }) },
    async (request) => {
      const row = app.runIndex.getBenchmark(request.params.name);
      if (!row) throw Errors.notFound(`no benchmark named "${request.params.name}"`);
      return benchmarkView(row);
    },
  );
};
