/** GET /openapi.json: the OpenAPI 3.1 document of every route declared on this server. */
import type { FastifyPluginAsync } from "fastify";
import { multiverseVersion } from "../../artifacts/manifest.js";
import { buildOpenApi } from "../openapi.js";

export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.routeDocs.document({ method: "GET", url: "/openapi.json", summary: "this document (OpenAPI 3.1)", response: { 200: { type: "object" } } });
  // Built on first request, once every plugin (in whatever order) has declared its routes.
  let document: object | undefined;
  app.get("/openapi.json", async () => (document ??= buildOpenApi(app.routeDocs.all(), multiverseVersion())));
};
