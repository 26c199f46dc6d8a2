/** The API's one error shape, {error: {code, message, details?}}, and the HTTP status of each error code. */
import { isMultiverseError } from "../domain/errors.js";

export interface ApiErrorBody {
  error: { code: string; message: string; details?: string[] };
}

const STATUS_BY_CODE: Record<string, number> = {
  MV_NOT_FOUND: 404,
  MV_AMBIGUOUS: 409,
  MV_USAGE: 400,
  MV_SCHEMA: 400,
  MV_BAD_REQUEST: 400,
  MV_UNAUTHORIZED: 401,
  MV_FORBIDDEN: 403,
  MV_NOT_READY: 503,
  MV_INDEX_DRIFT: 503,
};

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: string[] = []) {
    super(message);
    this.name = "ApiError";
  }
}

export function toApiError(error: unknown): { status: number; body: ApiErrorBody } {
  if (error instanceof ApiError) return { status: error.status, body: { error: { code: error.code, message: error.message, ...(error.details.length ? { details: error.details } : {}) } } };
  if (isMultiverseError(error)) {
    return { status: STATUS_BY_CODE[error.code] ?? 500, body: { error: { code: error.code, message: error.message, ...(error.details.length ? { details: error.details } : {}) } } };
  }
  const validation = error as {
    validation?: { instancePath?: string; message?: string; params?: { additionalProperty?: string; allowedValues?: unknown[] } }[];
    validationContext?: string;
    statusCode?: number;
    message?: string;
  };
  if (validation.validation) {
    const details = validation.validation.map((v) => {
      const where = `${validation.validationContext ?? "request"}${v.instancePath ? v.instancePath.replace(/\//g, ".") : ""}`;
      if (v.params?.additionalProperty) return `${where}: unknown parameter "${v.params.additionalProperty}"`;
      const allowed = v.params?.allowedValues ? ` (one of ${v.params.allowedValues.join(", ")})` : "";
      return `${where}: ${v.message ?? "invalid"}${allowed}`;
    });
    return { status: 400, body: { error: { code: "MV_BAD_REQUEST", message: details[0] ?? "invalid request", details } } };
  }
  const status = validation.statusCode && validation.statusCode >= 400 && validation.statusCode < 500 ? validation.statusCode : 500;
  return { status, body: { error: { code: status === 500 ? "MV_INTERNAL" : "MV_BAD_REQUEST", message: validation.message ?? "internal error" } } };
}
