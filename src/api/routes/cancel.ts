/** POST /api/v1/runs/:id/cancel: asks the controller to cancel a run; needs the bearer token when one is set. */
import type { FastifyPluginAsync } from "fastify";
import { cancelResponseSchema, errorSchema, idParamsSchema } from "../schemas.js";

export const cancelRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Params: { id: string } }>(
    "/api/v1/runs/:id/cancel",
    {
      preHandler: app.authorizeMutation,
      schema: app.routeDocs.declare({
        method: "POST",
        url: "/api/v1/runs/:id/cancel",
        summary: "ask for a run to be cancelled",
        params: idParamsSchema,
        auth: true,
        response: { 202: cancelResponseSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
      }),
    },
    async (request, reply) => reply.status(202).send(await app.controllerPort.cancelRun(request.params.id)),
  );
};
