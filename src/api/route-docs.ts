/**
 * The routes' declarations, kept for the OpenAPI document: a route declares itself once and gets back the Fastify
 * schema to validate with, so the document and the validation cannot disagree.
 */
import type { FastifySchema } from "fastify";
import type { RouteDoc } from "./openapi.js";
import { errorSchema } from "./schemas.js";

export class RouteDocs {
  private readonly docs: RouteDoc[] = [];

  /** Records the route and returns its Fastify schema. */
  declare(doc: RouteDoc): FastifySchema {
    // Every route that validates its input can answer 400 in the one error shape.
    const withBadRequest = doc.params || doc.querystring ? { ...doc, response: { 400: errorSchema, ...doc.response } } : doc;
    this.docs.push(withBadRequest);
    // Fastify warns about keys present but undefined: only the declared ones.
    return {
      ...(doc.params ? { params: doc.params } : {}),
      ...(doc.querystring ? { querystring: doc.querystring } : {}),
      ...(doc.response && !doc.produces ? { response: doc.response } : {}),
    };
  }

  /** A route that is documented but not validated by schema (the OpenAPI document itself). */
  document(doc: RouteDoc): void {
    this.docs.push(doc);
  }

  all(): readonly RouteDoc[] {
    return this.docs;
  }
}
