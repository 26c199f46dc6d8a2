/** GET /api/v1/benchmarks/:name/evaluation: the latest evaluated launch of a benchmark, its summary and report. */
import type { FastifyPluginAsync } from "fastify";
import { Errors } from "../../domain/errors.js";
import { loadReport } from "../../evaluation/launch-report.js";
import { summarizeReport } from "../../evaluation/evaluation-summary.js";
import { errorSchema, nameParamsSchema } from "../schemas.js";

export const evaluationRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { name: string } }>(
    "/api/v1/benchmarks/:name/evaluation",
    {
      schema: app.routeDocs.declare({
        method: "GET",
        url: "/api/v1/benchmarks/:name/evaluation",
        summary: "the benchmark's latest evaluation: the Evaluated condition, the leaderboard summary and the report",
        params: nameParamsSchema,
        response: { 200: { type: "object", additionalProperties: true }, 404: errorSchema },
      }),
    },
    async (request) => {
      const name = request.params.name;
      const row = app.runIndex.getBenchmark(name);
      if (!row) throw Errors.notFound(`no benchmark named "${name}"`);
      const { launchId, report } = loadReport(app.streamSettings.stateRoot, { benchmark: name });
      const condition = row.conditions.find((c) => c.type === "Evaluated") ?? null;
      return { benchmark: name, launchId, condition, summary: summarizeReport(report), report };
    },
  );
};
