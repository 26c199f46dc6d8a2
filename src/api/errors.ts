/**
 * The API's one error shape, {error: {code, message, details?}}. A MultiverseError's HTTP status is the one its
 * code was declared with (src/domain/errors.ts); Fastify's schema validation failures are Errors.badRequest.
 */
import { declarationOf, Errors, isMultiverseError, type MultiverseError } from "../domain/errors.js";
import { PATTERN_MEANINGS } from "./schemas.js";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: string[] };
}

export interface ApiErrorResponse {
  status: number;
  body: ApiErrorBody;
}

interface FastifyLikeError {
  validation?: { instancePath?: string; message?: string; params?: { additionalProperty?: string; allowedValues?: unknown[]; pattern?: string; type?: string } }[];
  validationContext?: string;
  statusCode?: number;
  message?: string;
}

function fromDeclared(error: MultiverseError): ApiErrorResponse {
  return {
    status: declarationOf(error.code)?.http ?? Errors.internal.http,
    body: { error: { code: error.code, message: error.message, ...(error.details.length ? { details: error.details } : {}) } },
  };
}

export function toApiError(error: unknown): ApiErrorResponse {
  if (isMultiverseError(error)) return fromDeclared(error);
  const fastify = (typeof error === "object" && error !== null ? error : {}) as FastifyLikeError;
  if (fastify.validation) {
    const details = fastify.validation.map((v) => {
      const where = `${fastify.validationContext ?? "request"}${v.instancePath ? v.instancePath.replace(/\//g, ".") : ""}`;
      if (v.params?.additionalProperty) return `${where}: unknown parameter "${v.params.additionalProperty}"`;
      const meaning = v.params?.pattern === undefined ? undefined : PATTERN_MEANINGS[v.params.pattern];
      if (meaning) return `${where}: expected ${meaning}`;
      if (v.params?.type === "boolean") return `${where}: expected true or false`;
      const allowed = v.params?.allowedValues ? ` (one of ${v.params.allowedValues.join(", ")})` : "";
      return `${where}: ${v.message ?? "invalid"}${allowed}`;
    });
    return fromDeclared(Errors.badRequest(details[0] ?? "invalid request", { details }));
  }
  // Fastify's own client errors (415 unsupported media type, 413 body too large, ...) keep their status.
  const clientError = fastify.statusCode !== undefined && fastify.statusCode >= 400 && fastify.statusCode < 500;
  const status = clientError ? fastify.statusCode! : Errors.internal.http;
  return { status, body: { error: { code: clientError ? Errors.badRequest.code : Errors.internal.code, message: fastify.message ?? "internal error" } } };
}
