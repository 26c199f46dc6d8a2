/** GET /api/v1/runs/:id/logs: a run's log file, or with follow=true a stream until the run is terminal. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { FastifyPluginAsync } from "fastify";
import { Errors } from "../../domain/errors.js";
import { LOG_FILES, locateLog, type LogSource } from "../../services/run-logs.js";
import { endsFollow, followLog } from "../log-stream.js";
import { idParamsSchema, logsQuerySchema } from "../schemas.js";

const TEXT = "text/plain; charset=utf-8";

export const logRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { id: string }; Querystring: { source: LogSource; follow: boolean; attempt?: string } }>(
    "/api/v1/runs/:id/logs",
    {
      schema: app.routeDocs.declare({
        method: "GET",
        url: "/api/v1/runs/:id/logs",
        summary: "a run's log; follow=true streams until the run is terminal",
        params: idParamsSchema,
        querystring: logsQuerySchema,
        produces: "text/plain",
      }),
    },
    async (request, reply) => {
      const location = locateLog(app.runIndex, request.params.id, request.query.source, request.query.attempt);
      if (!request.query.follow) {
        const exists = await stat(location.file).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!exists) throw Errors.notFound(`${LOG_FILES[request.query.source]} does not exist (yet) in ${location.workspace}`);
        return reply.type(TEXT).send(createReadStream(location.file));
      }
      // A HEAD has no body to stream: answered at once instead of holding the connection until the run ends.
      if (request.method === "HEAD") return reply.type(TEXT).header("cache-control", "no-cache").send();
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": TEXT, "cache-control": "no-cache", "x-content-type-options": "nosniff" });
      reply.raw.flushHeaders(); // the log may be empty for a while: the client learns at once that the stream is open
      const end = followLog(reply.raw, {
        file: location.file,
        runId: location.runId,
        controller: app.controllerPort,
        isFinished: () => endsFollow(app.runIndex.getRun(location.runId).phase),
        pollMs: app.streamSettings.followIntervalMs,
      });
      app.liveStreams.track(reply.raw, end);
    },
  );
};
