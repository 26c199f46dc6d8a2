/** An OpenAPI 3.1 document built from the routes' declared schemas, so the two cannot disagree. */
export interface RouteDoc {
  method: "GET" | "POST";
  url: string;
  summary: string;
  params?: object;
  querystring?: object;
  response?: Record<number, object>;
  /** Media type of the 200 response when it is not JSON. */
  produces?: string;
  auth?: boolean;
}

function parameters(schema: object | undefined, where: "path" | "query"): object[] {
  if (!schema) return [];
  const { properties = {}, required = [] } = schema as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === "path" || required.includes(name), schema: property }));
}

export function buildOpenApi(routes: readonly RouteDoc[], version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, "{$1}");
    const responses: Record<string, object> = {};
    for (const [status, schema] of Object.entries(route.response ?? {})) {
      const media = Number(status) === 200 && route.produces ? route.produces : "application/json";
      responses[status] = { description: Number(status) < 400 ? "OK" : "error", content: { [media]: { schema } } };
    }
    if (route.produces && !route.response?.[200]) responses["200"] = { description: "OK", content: { [route.produces]: { schema: { type: "string" } } } };
    paths[path] ??= {};
    paths[path]![route.method.toLowerCase()] = {
      summary: route.summary,
      parameters: [...parameters(route.params, "path"), ...parameters(route.querystring, "query")],
      responses,
      ...(route.auth ? { security: [{ bearer: [] }] } : {}),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "multiverse status API", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
