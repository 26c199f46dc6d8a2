/**
 * The parts of the MLflow tracking REST API (2.0 paths, served by MLflow 2.x and 3.x) that multiverse uses,
 * as MLflow's JSON encodes them: int64 timestamps may arrive as strings, absent lists as missing keys.
 */

export type MlflowRunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowParam {
  key: string;
  value: string;
}

export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface MlflowExperiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  tags: Record<string, string>;
}

export interface MlflowRunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  status: MlflowRunStatus;
  startTime?: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: string;
}

export interface MlflowRun {
  info: MlflowRunInfo;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** The latest value of each metric. */
  metrics: Record<string, MlflowMetric>;
}

export interface MlflowArtifactFile {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

/** MLflow's per-call limits of runs/log-batch and of single values (see MLflow's REST API docs). */
export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  paramValueLength: 6000,
  tagValueLength: 8000,
  keyLength: 250,
} as const;

/** Tags MLflow itself interprets. */
export const MLFLOW_SYSTEM_TAGS = {
  parentRunId: "mlflow.parentRunId",
  runName: "mlflow.runName",
  source: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  user: "mlflow.user",
  note: "mlflow.note.content",
} as const;
