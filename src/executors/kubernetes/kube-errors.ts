/**
 * What an error from the Kubernetes API means, without loading @kubernetes/client-node (its ApiException is told by
 * its shape: a numeric code and a body), so that the modules that only handle errors stay light.
 */

function isApiException(error: unknown): error is Error & { code: number; body: unknown } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number" && "body" in error;
}

/** The HTTP status of an API error (ApiException's code, a watch error's statusCode), if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  const shaped = error as { statusCode?: unknown; code?: unknown } | undefined;
  if (typeof shaped?.statusCode === "number") return shaped.statusCode;
  if (typeof shaped?.code === "number") return shaped.code;
  return undefined;
}

/** Whether an error means the API server did not answer at all (refused, reset, DNS, TLS). */
export function isUnreachable(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== undefined && status !== 500) return false;
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: unknown })?.cause ?? "")} ${(error as { code?: unknown })?.code ?? ""}`;
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up|fetch failed|certificate/i.test(text);
}

export function apiMessage(error: unknown): string {
  if (isApiException(error)) {
    const body = error.body as { message?: string } | string | undefined;
    if (typeof body === "string") {
      try {
        return (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        return body;
      }
    }
    return body?.message ?? error.message;
  }
  return (error as Error)?.message ?? String(error);
}
