/** Typed failures of the MLflow tracking client. */

/** The server answered with an error: the HTTP status and MLflow's error_code (e.g. RESOURCE_DOES_NOT_EXIST). */
export class MlflowApiError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(`MLflow ${endpoint}: HTTP ${status} ${errorCode}: ${message}`);
    this.name = "MlflowApiError";
  }

  /** 5xx and 429 may pass; 4xx answers (bad request, not found, conflict) will not change by retrying. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** No answer: connection refused or reset, DNS failure, timeout. */
export class MlflowUnreachableError extends Error {
  readonly transient = true;

  constructor(
    readonly endpoint: string,
    readonly trackingUri: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`MLflow at ${trackingUri} is unreachable (${endpoint}): ${detail}`, options);
    this.name = "MlflowUnreachableError";
  }
}

/** The server answered, but not in the shape the API documents (a proxy's HTML page, a truncated body). */
export class MlflowProtocolError extends Error {
  readonly transient = false;

  constructor(
    readonly endpoint: string,
    message: string,
  ) {
    super(`MLflow ${endpoint}: ${message}`);
    this.name = "MlflowProtocolError";
  }
}

export type MlflowError = MlflowApiError | MlflowUnreachableError | MlflowProtocolError;

export function isMlflowError(error: unknown): error is MlflowError {
  return error instanceof MlflowApiError || error instanceof MlflowUnreachableError || error instanceof MlflowProtocolError;
}

/** Whether trying the same call later may succeed (the projection stays pending) or not (it failed). */
export function isTransientTrackingError(error: unknown): boolean {
  return isMlflowError(error) ? error.transient : false;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof MlflowApiError && (error.errorCode === "RESOURCE_DOES_NOT_EXIST" || error.status === 404);
}

export function isAlreadyExists(error: unknown): boolean {
  return error instanceof MlflowApiError && error.errorCode === "RESOURCE_ALREADY_EXISTS";
}
