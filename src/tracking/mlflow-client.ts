/**
 * A small typed client for the MLflow tracking REST API over fetch: experiments, runs, log-batch (chunked to
 * MLflow's limits), tags, termination, metric history, artifact listing and upload through the tracking
 * server's artifact proxy (`mlflow server --serve-artifacts`, the default). Transient failures (no answer,
 * 5xx, 429) are retried with exponential backoff; every failure is typed (mlflow-errors.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { putFile } from "./file-upload.js";
import { chunkLogBatch, type LogBatch } from "./log-batch-chunks.js";
import { MlflowApiError, MlflowProtocolError, MlflowUnreachableError, isAlreadyExists, isNotFound } from "./mlflow-errors.js";
import type { MlflowArtifactFile, MlflowExperiment, MlflowMetric, MlflowRun, MlflowRunInfo, MlflowRunStatus, MlflowTag } from "./mlflow-types.js";
import { asObject, field, requireString, optionalNumber, optionalArray, decodeMetric, decodeExperiment, decodeRun, type Json } from "./mlflow-decode.js";

export interface MlflowClientOptions {
  /** http(s)://host:port[/prefix] of the tracking server. */
  trackingUri: string;
  /** Tries after the first for a transient failure (default 3). */
  retries?: number;
  /** First backoff delay in ms, doubled per retry up to maxDelayMs (defaults 250 and 4000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout in ms (default 15000; artifact uploads get 10x). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}


interface CallOptions {
  method: "GET" | "POST" | "PUT";
  query?: Record<string, string | number | undefined>;
  body?: Json;
  rawBody?: Uint8Array;
  /** A file sent as the body, streamed from disk (again on a retry), never held whole. */
  bodyFile?: string;
  /** Whether repeating a request whose answer was lost is harmless. */
  idempotent: boolean;
  timeoutMs?: number;
}

export interface SearchRunsRequest {
  experimentIds: string[];
  /** MLflow's search syntax, e.g. `tags."multiverse.physical_run_id" = 'abc'`. */
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  /** ACTIVE_ONLY (default), DELETED_ONLY or ALL. */
  runViewType?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";
}

export interface CreateRunRequest {
  experimentId: string;
  runName?: string;
  startTime?: number;
  tags?: MlflowTag[];
}

export class MlflowClient {
  readonly trackingUri: string;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: MlflowClientOptions) {
    const uri = options.trackingUri.replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]+/.test(uri)) throw new Error(`MLflow tracking URI must be http(s)://host[:port], got "${options.trackingUri}"`);
    this.trackingUri = uri;
    this.retries = options.retries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 4000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  // ---- experiments

  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    try {
      const body = await this.call("experiments/get-by-name", { method: "GET", query: { experiment_name: name }, idempotent: true });
      return decodeExperiment(field(body, "experiment", "experiments/get-by-name"), "experiments/get-by-name");
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createExperiment(name: string, tags: MlflowTag[] = []): Promise<string> {
    const body = await this.call("experiments/create", { method: "POST", body: { name, tags }, idempotent: false });
    return requireString(body.experiment_id, "experiments/create", "experiment_id");
  }

  /** The experiment's id, creating it when missing (a concurrent creator is tolerated). */
  async ensureExperiment(name: string): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing) {
      if (existing.lifecycleStage === "deleted") {
        throw new MlflowApiError("experiments/get-by-name", 400, "INVALID_STATE", `experiment "${name}" is deleted (restore it or choose another experiment name)`);
      }
      return existing.experimentId;
    }
    try {
      return await this.createExperiment(name);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const raced = await this.getExperimentByName(name);
      if (!raced) throw error;
      return raced.experimentId;
    }
  }

  // ---- runs

  async createRun(request: CreateRunRequest): Promise<MlflowRun> {
    const body = await this.call("runs/create", {
      method: "POST",
      body: { experiment_id: request.experimentId, run_name: request.runName, start_time: request.startTime ?? Date.now(), tags: request.tags ?? [] },
      idempotent: false,
    });
    return decodeRun(field(body, "run", "runs/create"), "runs/create");
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const body = await this.call("runs/get", { method: "GET", query: { run_id: runId }, idempotent: true });
    return decodeRun(field(body, "run", "runs/get"), "runs/get");
  }

  async updateRun(runId: string, update: { status?: MlflowRunStatus; endTime?: number; runName?: string }): Promise<void> {
    await this.call("runs/update", { method: "POST", body: { run_id: runId, status: update.status, end_time: update.endTime, run_name: update.runName }, idempotent: true });
  }

  async setTerminated(runId: string, status: "FINISHED" | "FAILED" | "KILLED", endTime = Date.now()): Promise<void> {
    await this.updateRun(runId, { status, endTime });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call("runs/set-tag", { method: "POST", body: { run_id: runId, key, value }, idempotent: true });
  }

  /** Every run matching the filter (all pages). */
  async searchRuns(request: SearchRunsRequest): Promise<MlflowRun[]> {
    const runs: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.call("runs/search", {
        method: "POST",
        body: {
          experiment_ids: request.experimentIds,
          filter: request.filter,
          max_results: request.maxResults ?? 1000,
          order_by: request.orderBy,
          run_view_type: request.runViewType ?? "ACTIVE_ONLY",
          page_token: pageToken,
        },
        idempotent: true,
      });
      for (const run of optionalArray(body.runs, "runs/search", "runs")) runs.push(decodeRun(run, "runs/search"));
      pageToken = typeof body.next_page_token === "string" && body.next_page_token !== "" ? body.next_page_token : undefined;
      if (request.maxResults !== undefined && runs.length >= request.maxResults) break;
    } while (pageToken);
    return runs;
  }

  /** Metrics, params and tags in as many log-batch calls as MLflow's limits need. */
  async logBatch(runId: string, batch: Partial<LogBatch>): Promise<void> {
    for (const chunk of chunkLogBatch({ metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] })) {
      await this.call("runs/log-batch", { method: "POST", body: { run_id: runId, metrics: chunk.metrics, params: chunk.params, tags: chunk.tags }, idempotent: true });
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const points: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.call("metrics/get-history", { method: "GET", query: { run_id: runId, metric_key: key, max_results: 25_000, page_token: pageToken }, idempotent: true });
      for (const metric of optionalArray(body.metrics, "metrics/get-history", "metrics")) points.push(decodeMetric(metric, "metrics/get-history"));
      pageToken = typeof body.next_page_token === "string" && body.next_page_token !== "" ? body.next_page_token : undefined;
    } while (pageToken);
    return points;
  }

  // ---- artifacts

  async listArtifacts(runId: string, path?: string): Promise<MlflowArtifactFile[]> {
    const body = await this.call("artifacts/list", { method: "GET", query: { run_id: runId, path }, idempotent: true });
    return optionalArray(body.files, "artifacts/list", "files").map((file) => {
      const f = asObject(file, "artifacts/list", "files[]");
      return { path: requireString(f.path, "artifacts/list", "files[].path"), isDir: f.is_dir === true, fileSize: optionalNumber(f.file_size) };
    });
  }

  /**
   * Uploads one file into the run's artifact directory through the server's artifact proxy
   * (`PUT /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>`).
   */
  /** Uploads a file streamed from disk: memory stays bounded whatever its size. */
  async uploadArtifactFile(run: MlflowRunInfo, artifactPath: string, file: string): Promise<void> {
    const path = proxyRequestPath(run.artifactUri, artifactPath);
    await this.request(`mlflow-artifacts/artifacts/${path}`, `${this.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
      method: "PUT",
      bodyFile: file,
      idempotent: true,
      timeoutMs: this.timeoutMs * 10,
    });
  }

  async uploadArtifact(run: MlflowRunInfo, artifactPath: string, content: Uint8Array): Promise<void> {
    const path = proxyRequestPath(run.artifactUri, artifactPath);
    await this.request(`mlflow-artifacts/artifacts/${path}`, `${this.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
      method: "PUT",
      rawBody: content,
      idempotent: true,
      timeoutMs: this.timeoutMs * 10,
    });
  }

  /** Downloads one artifact through the proxy (tests and verification). */
  async downloadArtifact(run: MlflowRunInfo, artifactPath: string): Promise<Buffer> {
    const path = proxyRequestPath(run.artifactUri, artifactPath);
    const response = await this.send(`mlflow-artifacts/artifacts/${path}`, `${this.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: "GET", idempotent: true });
    return Buffer.from(await response.arrayBuffer());
  }

  /** GET /health: true when the server answers OK. Never throws. */
  async health(timeoutMs = 2000): Promise<boolean> {
    try {
      const response = await this.fetchImpl(`${this.trackingUri}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      return response.ok;
    } catch {
      return false;
    }
  }

  // ---- transport

  private async call(endpoint: string, options: CallOptions): Promise<Json> {
    const url = new URL(`${this.trackingUri}/api/2.0/mlflow/${endpoint}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return this.request(endpoint, url.toString(), options);
  }

  private async request(endpoint: string, url: string, options: CallOptions): Promise<Json> {
    const response = await this.send(endpoint, url, options);
    const text = await response.text();
    if (text.trim() === "") return {};
    try {
      const parsed: unknown = JSON.parse(text);
      return asObject(parsed, endpoint, "response");
    } catch (error) {
      if (error instanceof MlflowProtocolError) throw error;
      throw new MlflowProtocolError(endpoint, `response is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** One request with retries; resolves with a 2xx response. */
  private async send(endpoint: string, url: string, options: CallOptions): Promise<Response> {
    let attempt = 0;
    for (;;) {
      try {
        return await this.once(endpoint, url, options);
      } catch (error) {
        const retryable =
          error instanceof MlflowApiError ? error.transient : error instanceof MlflowUnreachableError ? options.idempotent || error.detail.startsWith("refused") : false;
        if (!retryable || attempt >= this.retries) throw error;
        await sleep(Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt));
        attempt += 1;
      }
    }
  }

  private async once(endpoint: string, url: string, options: CallOptions): Promise<Response> {
    const headers: Record<string, string> = {};
    let body: BodyInit | undefined;
    if (options.rawBody) {
      headers["Content-Type"] = "application/octet-stream";
      body = new Blob([new Uint8Array(options.rawBody)]);
    } else if (options.body) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = options.bodyFile
        ? await putFile(url, options.bodyFile, { "Content-Type": "application/octet-stream" }, options.timeoutMs ?? this.timeoutMs)
        : await this.fetchImpl(url, { method: options.method, headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs) });
    } catch (error) {
      throw new MlflowUnreachableError(endpoint, this.trackingUri, describeFetchFailure(error), { cause: error });
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    let errorCode = response.status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
    let message = text.slice(0, 500) || response.statusText;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        const o = parsed as Json;
        if (typeof o.error_code === "string") errorCode = o.error_code;
        if (typeof o.message === "string") message = o.message;
      }
    } catch {
      // not JSON: keep the text
    }
    throw new MlflowApiError(endpoint, response.status, errorCode, message);
  }
}

/**
 * The proxy path of a run's artifact root. With `--serve-artifacts`, MLflow gives runs an artifact URI of the
 * form `mlflow-artifacts:/<experiment>/<run>/artifacts` (or with `//host:port` after the scheme).
 */
export function proxiedArtifactPath(artifactUri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!match) {
    throw new MlflowProtocolError(
      "mlflow-artifacts",
      `the run's artifact URI ${artifactUri} is not served through the tracking server's artifact proxy (start mlflow server with --artifacts-destination and without --no-serve-artifacts)`,
    );
  }
  return (match[1] ?? "").replace(/\/+$/, "");
}

/** `<run's proxy path>/<artifact path>`, every segment URL-encoded. */
function proxyRequestPath(artifactUri: string, artifactPath: string): string {
  return [...proxiedArtifactPath(artifactUri).split("/"), ...artifactPath.split("/")]
    .filter((segment) => segment !== "")
    .map(encodeURIComponent)
    .join("/");
}

function describeFetchFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  // fetch wraps the socket's error as its cause; node:http (file uploads) throws it as it is.
  const code = e?.cause?.code ?? e?.code;
  if (code === "ECONNREFUSED") return `refused (${code})`;
  if (code) return `${code}: ${e.cause?.message ?? e.message ?? ""}`.trim();
  return e?.cause?.message ?? e?.message ?? String(error);
}

// ---- decoding
