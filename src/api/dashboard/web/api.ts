/** The status API from the page: JSON reads, the paged run listing, and cancel with the bearer token. */
import type { ApiErrorBody, Benchmark, Run, RunDetail, RunPage, SweepTrial } from "./types.js";

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function failure(response: Response): Promise<ApiFailure> {
  let body: ApiErrorBody | undefined;
  try {
    body = (await response.json()) as ApiErrorBody;
  } catch {
    body = undefined;
  }
  return new ApiFailure(response.status, body?.error.code ?? `HTTP_${response.status}`, body?.error.message ?? `${response.status} ${response.statusText}`);
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export async function listBenchmarks(): Promise<Benchmark[]> {
  return (await getJson<{ items: Benchmark[] }>("/api/v1/benchmarks")).items;
}

/** Every run (of a benchmark), page by page by cursor; at most `cap` runs. */
export async function listRuns(benchmark?: string, cap = 20_000): Promise<Run[]> {
  const runs: Run[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "1000" });
    if (benchmark) query.set("benchmark", benchmark);
    if (cursor) query.set("cursor", cursor);
    const page: RunPage = await getJson<RunPage>(`/api/v1/runs?${query.toString()}`);
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && runs.length < cap);
  return runs;
}

export function getRunDetail(id: string): Promise<RunDetail> {
  return getJson<RunDetail>(`/api/v1/runs/${encodeURIComponent(id)}`);
}

export async function getTrials(id: string): Promise<SweepTrial[]> {
  return (await getJson<{ items: SweepTrial[] }>(`/api/v1/runs/${encodeURIComponent(id)}/trials`)).items;
}

export async function cancelRun(id: string, token: string | null): Promise<{ runId: string; phase: string }> {
  const response = await fetch(`/api/v1/runs/${encodeURIComponent(id)}/cancel`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as { runId: string; phase: string };
}

const TOKEN_KEY = "multiverse.apiToken";

/** The token lives for the browser tab only (sessionStorage), never in a URL. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
