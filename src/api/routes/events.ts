/** GET /api/v1/events: journal records as Server-Sent Events, replayed from Last-Event-ID or since=. */
import type { FastifyPluginAsync } from "fastify";
import { replayStart, streamEvents } from "../event-stream.js";
import { eventsQuerySchema } from "../schemas.js";

export const eventRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { since?: number } }>(
    "/api/v1/events",
    {
      schema: app.routeDocs.declare({
        method: "GET",
        url: "/api/v1/events",
        summary: "journal records as Server-Sent Events (id = seq; Last-Event-ID or since= replays)",
        querystring: eventsQuerySchema,
        produces: "text/event-stream",
      }),
    },
    async (request, reply) => {
      // A HEAD has no body to stream: answered at once instead of holding the connection open for ever.
      if (request.method === "HEAD") return reply.type("text/event-stream").header("cache-control", "no-cache").send();
      reply.hijack();
      const settings = app.streamSettings;
      const end = streamEvents(reply.raw, {
        stateRoot: settings.stateRoot,
        controller: app.controllerPort,
        afterSeq: replayStart(request.headers["last-event-id"], request.query.since),
        heartbeatMs: settings.heartbeatMs,
        maxBufferedBytes: settings.maxBufferedBytes,
      });
      app.liveStreams.track(reply.raw, end);
    },
  );
};
