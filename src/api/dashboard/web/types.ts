/** The shapes of the status API's answers, as the page reads them (a subset of src/api/schemas.ts). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface Benchmark {
  name: string;
  generation: number;
  observedGeneration: number | null;
  file: string;
  line: number;
  jobs: number;
  deleted: boolean;
  conditions: Condition[];
  runIds: string[];
  phaseCounts: Record<string, number>;
  updatedAt: string;
}

export interface Run {
  runId: string;
  name: string;
  benchmark: string;
  jobName: string;
  dataset: string;
  model: string;
  modelVersion: string;
  seed: number;
  paramsHash: string;
  params: string;
  imageReference: string;
  imageDigest: string;
  imageKind: string;
  backend: string;
  phase: string;
  reason: string | null;
  message: string | null;
  attempt: number;
  attemptId: string | null;
  artifactDir: string | null;
  workspaceDir: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RunPage {
  items: Run[];
  total: number;
  nextCursor: string | null;
}

export interface Attempt {
  attemptId: string;
  attempt: number;
  executor: string | null;
  handle: string | null;
  workspaceDir: string | null;
  phase: string | null;
  reason: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  launchedAt: string | null;
}

export interface Transition {
  seq: number;
  attemptId: string | null;
  event: string;
  from: string;
  to: string;
  reason: string | null;
  message: string | null;
  ts: string;
}

export interface Artifact {
  path: string;
  role: string;
  size_bytes: number;
  sha256: string;
}

export interface TrackingProjection {
  attemptId: string;
  target: string;
  state: "pending" | "synced" | "failed";
  trackingUri: string;
  experimentName: string;
  experimentId: string | null;
  mlflowRunId: string | null;
  message: string | null;
  updatedAt: string;
}

export interface RunDetail {
  run: Run;
  attempts: Attempt[];
  transitions: Transition[];
  artifacts: Artifact[] | null;
  manifestSha256: string | null;
  manifestMatchesSidecar: boolean | null;
  artifactProblems: string[];
  tracking: TrackingProjection[];
}

export interface SweepTrial {
  study: string;
  storage: string;
  trialNumber: number;
  jobName: string | null;
  params: string | null;
  state: string;
  value: number | null;
  message: string | null;
}

/** A journal record as the SSE stream sends it (only the fields the page reads). */
export interface LiveRecord {
  seq: number;
  type: string;
  ts: string;
  runId?: string;
  name?: string;
  to?: string;
  reason?: string;
  message?: string;
  benchmark?: string;
  spec?: { benchmark?: string };
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: string[] };
}
