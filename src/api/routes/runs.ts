/** GET /api/v1/runs (filtered, paged by offset or cursor, cached per index version) and /api/v1/runs/:id. */
import type { FastifyPluginAsync } from "fastify";
import { Errors } from "../../domain/errors.js";
import { readBundleArtifacts } from "../bundle-artifacts.js";
import { decodeCursor, encodeCursor } from "../run-cursor.js";
import { errorSchema, idParamsSchema, runDetailSchema, runListSchema, runsQuerySchema } from "../schemas.js";

interface RunsQuery {
  benchmark?: string;
  phase?: string;
  limit: number;
  offset: number;
  cursor?: string;
}

export const runRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: RunsQuery }>(
    "/api/v1/runs",
    {
      schema: app.routeDocs.declare({
        method: "GET",
        url: "/api/v1/runs",
        summary: "runs in listing order (benchmark, job, seed, run id), filtered; pages by offset or by cursor (nextCursor)",
        querystring: runsQuerySchema,
        response: { 200: runListSchema, 400: errorSchema },
      }),
    },
    async (request) => {
      const { benchmark, phase, limit, offset, cursor } = request.query;
      if (cursor !== undefined && offset > 0) throw Errors.badRequest("querystring: give either offset or cursor, not both");
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (after && benchmark !== undefined && after.benchmark !== benchmark) {
        throw Errors.badRequest(`querystring.cursor: the cursor belongs to a listing of benchmark "${after.benchmark}", not "${benchmark}"`);
      }
      const key = JSON.stringify([benchmark, phase, limit, offset, cursor]);
      const version = app.runIndex.dataVersion();
      const cached = app.runPages.get(key, version);
      if (cached) return cached;
      // One row more than asked tells whether there is a next page.
      const rows = app.runIndex.listRuns({ benchmark, phase, limit: limit + 1, ...(after ? { after } : { offset }) });
      const items = rows.slice(0, limit);
      const more = rows.length > limit;
      const body = {
        items,
        total: app.runIndex.countRuns({ benchmark, phase }),
        limit,
        offset: after ? null : offset,
        next: !after && more ? offset + items.length : null,
        nextCursor: more ? encodeCursor(items[items.length - 1]!) : null,
      };
      app.runPages.set(key, version, body);
      return body;
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id",
    {
      schema: app.routeDocs.declare({
        method: "GET",
        url: "/api/v1/runs/:id",
        summary: "a run with its attempts, transitions, artifacts (with checksums) and MLflow projection state",
        params: idParamsSchema,
        response: { 200: runDetailSchema, 404: errorSchema, 409: errorSchema },
      }),
    },
    async (request) => {
      const index = app.runIndex;
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
};
