/**
 * Kubernetes-style resources: the desired state users declare (Dataset, Model, Benchmark)
 * and the Run objects that controllers derive from Benchmarks.
 */
import type { FailureReason, RunPhase } from "./run-states.js";

export const API_VERSION = "multiverse.io/v1alpha1";
export const CONTRACT_VERSION = "1";

export interface ObjectMeta {
  name: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Where a resource came from, so that errors and events can name the file and line. */
export interface SourceRef {
  file: string;
  line?: number;
  documentIndex?: number;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface DatasetSpec {
  /** Absolute path of the .h5mu file. */
  path: string;
  /** sha256 of the file content, "sha256:<hex>". */
  fingerprint?: string;
  modalities?: string[];
  nObs?: number;
  nVars?: Record<string, number>;
  batchKey?: string;
  labelKey?: string;
  /** obs column names present in the file, so that missing keys are reported, never invented. */
  obsColumns?: string[];
}

export interface DatasetResource {
  apiVersion: typeof API_VERSION;
  kind: "Dataset";
  metadata: ObjectMeta;
  spec: DatasetSpec;
}

/** How much a model may leave in /output (src/validation/output-limits.ts has the defaults). */
export interface OutputLimitsSpec {
  maxTotalBytes?: number;
  maxFiles?: number;
  maxFileBytes?: number;
  maxDepth?: number;
  maxMetricsBytes?: number;
  maxMetricsKeys?: number;
}

export interface ModelResourcesSpec {
  cpus?: number;
  memGb?: number;
  gpu?: boolean;
  outputLimits?: OutputLimitsSpec;
}

export interface ModelSpec {
  slug: string;
  version: string;
  contractVersion: string;
  supportedOmics: string[];
  /** Modalities the model needs all of, e.g. ["rna", "atac"]. Empty means any single modality. */
  requiredModalities?: string[];
  runtime: {
    image: string;
    imageDigest?: string;
    /** Entrypoint for the local executor, relative to the model directory. */
    entrypoint?: string[];
  };
  hyperparametersSchema: Record<string, unknown>;
  resources?: ModelResourcesSpec;
  build?: {
    context?: string;
    dockerfile?: string;
    defFile?: string;
    /** Why this model cannot be built or set up from the reachable package registries (its definition is complete). */
    unavailable?: string;
  };
  /** Directory of the model definition on disk (set by the catalog loader). */
  directory?: string;
}

export interface ModelResource {
  apiVersion: typeof API_VERSION;
  kind: "Model";
  metadata: ObjectMeta;
  spec: ModelSpec;
}

export type Backend = "docker" | "local" | "slurm" | "kubernetes";

/** Slurm settings (the seeds' globals.slurm and per-job slurm), merged job over globals. */
export interface SlurmSettings {
  partition?: string;
  account?: string;
  qos?: string;
  timeMinutes?: number;
  memGb?: number;
  cpusPerTask?: number;
  gpus?: number;
  /** Extra #SBATCH lines, each without the "#SBATCH " prefix (e.g. "--constraint=avx2"). */
  extraDirectives?: string[];
  /** Copy the dataset to node-local $TMPDIR before the run. */
  useTmpdir?: boolean;
}
export type ValidatorLevel = "basic" | "strict" | "developer";

export interface BenchmarkJob {
  name: string;
  dataset: string;
  model: string;
  params: Record<string, unknown>;
  seeds: number[];
  gpu?: boolean;
  /** Docker-style memory limit, e.g. "512m", "4g". */
  memLimit?: string;
  cpus?: number;
  preprocessing?: Record<string, unknown>;
  metrics?: string[];
  mode?: "train" | "sweep";
  backend?: Backend;
  retries?: number;
  /** Retries after an OOM kill, each with twice the memory limit of the attempt before (capped by capacity). */
  oomRetries?: number;
  timeoutSeconds?: number;
  /** Over the model's resources.outputLimits, field by field. */
  outputLimits?: OutputLimitsSpec;
  /** Slurm settings of this job, over the benchmark's. */
  slurm?: SlurmSettings;
  /** Slurm + Apptainer: the SIF this job runs, and the OCI digest it was built from (the dual digest). */
  imageSif?: string;
  imageDigest?: string;
  /** mode "sweep": the Optuna study that chooses this job's parameters (src/sweeps). */
  sweep?: SweepSpec;
}

/** One dimension of a sweep's search space, as declared (loguniform is a float sampled on a log scale). */
export interface SearchDimensionSpec {
  type: "int" | "float" | "loguniform" | "categorical";
  low?: number;
  high?: number;
  step?: number;
  log?: boolean;
  choices?: unknown[];
}

/** A sweep job's study: what Optuna samples, what it optimises and where it keeps the study. */
export interface SweepSpec {
  searchSpace: Record<string, SearchDimensionSpec>;
  /**
   * Dotted path into metrics.json (looked up under model_metrics when not found at the top), or scib.<score or
   * metric> from the trial's evaluation. Default scib.bio_conservation (the seeds' bio-conservation trial metric).
   */
  optimizeMetric?: string;
  direction: "minimize" | "maximize";
  /** The study's size: trials finished (complete, pruned or failed) plus trials in flight. */
  nTrials: number;
  /** Optuna storage URL; sqlite:///<state root>/optuna/studies.db when absent. */
  storage?: string;
  /** <experiment>__<dataset>__<model> when absent. */
  studyName?: string;
  sampler?: "tpe" | "random";
}

export interface BenchmarkSpec {
  experimentName: string;
  skipCompleted?: boolean;
  backend?: Backend;
  strict?: boolean;
  validators?: ValidatorLevel;
  metrics?: string[];
  hostRamGb?: number;
  /** Simple-mode benchmarks promote to <out>/<job-name>/ instead of <out>/store/artifacts/<id>/. */
  layout?: "store" | "simple";
  slurm?: SlurmSettings;
  /** MLflow projection settings (globals.mlflow_*). */
  tracking?: TrackingSettings;
  /** Evaluate the runs of each generation with the scIB evaluator once they are all terminal (controller mode, run --evaluate). */
  evaluation?: EvaluationSettings;
  jobs: BenchmarkJob[];
}

export interface EvaluationSettings {
  enabled: boolean;
  /** The evaluator's metric preset (default "default"). */
  metrics?: "default" | "fast" | "all";
}

/** Where and how runs are projected to MLflow. Not part of a run's identity: tracking never changes a result. */
export interface TrackingSettings {
  /** http(s) URI of the MLflow tracking server; $MLFLOW_TRACKING_URI when absent. */
  trackingUri?: string;
  /** MLflow experiment; the benchmark's experimentName when absent. */
  experimentName?: string;
  /** Upload embeddings.h5 too (default false). */
  logEmbeddings?: boolean;
  /** Bundle files larger than this are not uploaded (default 100). */
  maxArtifactMb?: number;
  /** Docker: give the container a bridge network so that the SDK's EpochLogger streams to MLflow live (default false). */
  containerNetwork?: boolean;
}

export interface BenchmarkResource {
  apiVersion: typeof API_VERSION;
  kind: "Benchmark";
  metadata: ObjectMeta;
  spec: BenchmarkSpec;
}

export interface ImageIdentity {
  /** What the user asked for, e.g. "multiverse-pca:1.0.0". */
  reference: string;
  /** "registry" when a repo digest is known, "local" for an image id only, "sif" for Apptainer. */
  kind: "registry" | "unverified_local" | "local_process";
  /** sha256:… registry digest, local image id, or environment hash. */
  digest: string;
  /** Slurm + Apptainer: sha256 of the SIF file that runs (the dual digest's second half). */
  sifDigest?: string;
}

/** A fully resolved unit of work: one dataset x model x params x seed. */
export interface RunSpec {
  benchmark: string;
  jobName: string;
  dataset: string;
  datasetPath: string;
  datasetFingerprint: string;
  nObs: number;
  batchKey?: string;
  labelKey?: string;
  model: string;
  modelVersion: string;
  contractVersion: string;
  image: ImageIdentity;
  params: Record<string, unknown>;
  paramsHash: string;
  seed: number;
  preprocessing: Record<string, unknown>;
  backend: Backend;
  gpu: boolean;
  memLimitBytes?: number;
  cpus?: number;
  validators: ValidatorLevel;
  strict: boolean;
  experimentName: string;
  layout: "store" | "simple";
  retries: number;
  oomRetries?: number;
  timeoutSeconds?: number;
  /** The model's output limits with the job's over them; defaults for what neither sets. */
  outputLimits?: OutputLimitsSpec;
  entrypoint?: string[];
  modelDirectory?: string;
  /** Slurm backend: the job's settings merged over the benchmark's. */
  slurm?: SlurmSettings;
  /** MLflow projection settings of the benchmark. */
  tracking?: TrackingSettings;
}

export interface RunStatus {
  phase: RunPhase;
  reason?: FailureReason;
  message?: string;
  attempt?: number;
  attemptId?: string;
  artifactDir?: string;
  workspaceDir?: string;
  conditions?: Condition[];
}

export interface RunResource {
  apiVersion: typeof API_VERSION;
  kind: "Run";
  metadata: ObjectMeta;
  spec: RunSpec & { logicalId: string };
  status?: RunStatus;
}

export type AnyResource = DatasetResource | ModelResource | BenchmarkResource;
export type ResourceKind = AnyResource["kind"] | "Run";
