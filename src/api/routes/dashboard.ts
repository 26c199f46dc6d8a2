/**
 * The dashboard: a page served by the status API that reads only the API (runs, benchmarks, SSE events, logs and
 * the bundle files served here). Registered by server.ts as one Fastify plugin; the routes it adds besides the
 * page are the bundle files (the UMAP picture) and a run's sweep trials (its Optuna study).
 */
import { createReadStream } from "node:fs";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { Errors } from "../../domain/errors.js";
import { readBundleArtifacts } from "../bundle-artifacts.js";
import { bundleFileHeaders, locateBundleFile } from "../dashboard/bundle-files.js";
import { loadDashboardAssets, PAGE_CSP, type StaticAsset } from "../dashboard/static-assets.js";
import { errorSchema, idParamsSchema } from "../schemas.js";

const filesParamsSchema = {
  type: "object",
  required: ["id", "*"],
  properties: { id: { type: "string", minLength: 1, maxLength: 253 }, "*": { type: "string", minLength: 1, maxLength: 1024 } },
} as const;

const trialsSchema = {
  type: "object",
  properties: {
    items: {
      type: "array",
      items: {
        type: "object",
        properties: {
          study: { type: "string" },
          storage: { type: "string", description: "Optuna storage URL, a password in it masked" },
          trialNumber: { type: "integer" },
          benchmark: { type: ["string", "null"] },
          jobName: { type: ["string", "null"] },
          params: { type: ["string", "null"] },
          state: { type: "string" },
          value: { type: ["number", "null"] },
          message: { type: ["string", "null"] },
          askedAt: { type: ["string", "null"] },
          toldAt: { type: ["string", "null"] },
        },
      },
    },
  },
} as const;

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const index = app.runIndex;
  const declare = app.routeDocs.declare.bind(app.routeDocs);
  let assets: Map<string, StaticAsset> = new Map();
  let missing: string | undefined;
  try {
    assets = loadDashboardAssets();
  } catch (error) {
    missing = (error as Error).message; // the API still serves; the page says what is missing
  }
  const sendAsset = (name: string, ifNoneMatch: string | undefined, reply: FastifyReply) => {
    if (missing) throw Errors.notReady(missing);
    const asset = assets.get(name);
    if (!asset) throw Errors.notFound(`the dashboard has no asset named "${name}"`);
    void reply.header("etag", asset.etag).header("cache-control", "no-cache").header("x-content-type-options", "nosniff");
    if (name.endsWith(".html")) void reply.header("content-security-policy", PAGE_CSP).header("referrer-policy", "no-referrer");
    if (ifNoneMatch === asset.etag) return reply.status(304).send();
    return reply.type(asset.contentType).send(asset.body);
  };

  app.get("/", async (_request, reply) => reply.redirect("/dashboard/"));
  app.get("/dashboard", async (_request, reply) => reply.redirect("/dashboard/"));
  app.get("/dashboard/", { schema: declare({ method: "GET", url: "/dashboard/", summary: "the dashboard page", produces: "text/html" }) }, async (request, reply) =>
    sendAsset("index.html", request.headers["if-none-match"], reply),
  );
  app.get<{ Params: { asset: string } }>("/dashboard/:asset", async (request, reply) => sendAsset(request.params.asset, request.headers["if-none-match"], reply));

  app.get<{ Params: { id: string; "*": string } }>(
    "/api/v1/runs/:id/files/*",
    {
      schema: declare({
        method: "GET",
        url: "/api/v1/runs/:id/files/*",
        summary: "a file of the run's promoted bundle, by its path in artifact_manifest.json (umap.png, metrics.json, ...)",
        params: filesParamsSchema,
        produces: "application/octet-stream",
        response: { 404: errorSchema, 409: errorSchema },
      }),
    },
    async (request, reply) => {
      const run = index.getRun(request.params.id);
      if (!run.artifactDir) throw Errors.notFound(`run ${run.name} has no promoted bundle (phase ${run.phase}${run.reason ? `, ${run.reason}` : ""})`);
      const bundle = await readBundleArtifacts(run.artifactDir);
      const path = request.params["*"];
      const { file, size } = await locateBundleFile(run.artifactDir, path, (bundle.artifacts ?? []).map((a) => a.path));
      // A promoted bundle never changes: the manifest's digest of a file is its ETag.
      const digest = bundle.artifacts?.find((a) => a.path === path)?.sha256;
      if (digest) void reply.header("etag", `"${digest}"`);
      if (digest && request.headers["if-none-match"] === `"${digest}"`) return reply.status(304).send();
      return reply.headers(bundleFileHeaders(path, size)).send(createReadStream(file));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id/trials",
    {
      schema: declare({
        method: "GET",
        url: "/api/v1/runs/:id/trials",
        summary: "the sweep trials this run is (Optuna study, trial number, state and value)",
        params: idParamsSchema,
        response: { 200: trialsSchema, 404: errorSchema, 409: errorSchema },
      }),
    },
    async (request) => ({ items: index.sweepTrials([index.getRun(request.params.id).runId]) }),
  );
};
