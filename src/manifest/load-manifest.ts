/**
 * Loading desired state from a file: the seeds' run_manifest.yaml, the simple-mode manifest, or Kubernetes-style
 * resource documents (Dataset, Model, Benchmark). All three become one Benchmark plus optional inline resources.
 * `multiverse run`, `apply` and the controller read files through this one path (bytes -> checked UTF-8 text ->
 * bounded YAML -> schema -> resources).
 */
import { outputLimitsFromSnake } from "../validation/output-limits.js";
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { API_VERSION, type BenchmarkJob, type BenchmarkResource, type DatasetResource, type TrackingSettings } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { formatPath } from "../schemas/error-messages.js";
import { runManifestSchema } from "../schemas/seed-manifests.js";
import { slurmSettingsFromManifest, type SlurmManifestSettings } from "../schemas/slurm-settings.js";
import { sweepFromManifestJob, type SweepManifestFields } from "../sweeps/manifest-fields.js";
import { jobOrigin, type DatasetOrigin, type JobOrigin } from "./job-origins.js";
import { checkManifestSize, manifestLimits } from "./limits.js";
import { benchmarkName, checkExpansion, checkSeedDocument, memLimitOf, type LoaderContext, type ManifestLoadOptions, type ManifestLoadResult } from "./load-options.js";
import { checkManifestText, decodeManifestBytes } from "./manifest-bytes.js";
import { jobNameProblem } from "./manifest-checks.js";
import { manifestPath } from "./manifest-paths.js";
import { fromResources } from "./resource-documents.js";
import { fromSimple } from "./simple-manifest.js";
import { throwIssues, validateDocument, type IssueList } from "./validate-document.js";
import { locate, parseYamlDocuments, type LoadedDocument } from "./yaml-documents.js";

export { benchmarkName, type ManifestLoadOptions, type ManifestLoadResult } from "./load-options.js";
export { isResourceDocuments, resourceFromDocument, type DocumentResource } from "./resource-documents.js";

function readError(error: unknown, path: string): unknown {
  if (error instanceof Error && "code" in error && error.code === "ENOENT") return Errors.fileNotFound(`manifest ${path} does not exist`, { location: { file: path } });
  if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) {
    return Errors.fileNotFound(`cannot read manifest ${path}: ${error.message}`, { location: { file: path } });
  }
  return error;
}

/** A manifest file's bytes as checked text: its size within the limit, UTF-8, no NUL or control characters. */
export function readManifestFile(path: string, options: Pick<ManifestLoadOptions, "limits"> = {}): string {
  const file = resolve(path);
  const limits = options.limits ?? manifestLimits();
  let bytes: Buffer;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw Errors.fileNotFound(`manifest ${path} is not a file`, { location: { file: path } });
    checkManifestSize(stat.size, path, limits);
    bytes = readFileSync(file);
  } catch (error) {
    throw readError(error, path);
  }
  checkManifestSize(bytes.length, path, limits);
  return decodeManifestBytes(bytes, path);
}

export function loadManifestFile(path: string, options: ManifestLoadOptions = {}): ManifestLoadResult {
  const limits = options.limits ?? manifestLimits();
  return loadManifestText(readManifestFile(path, { limits }), path, { ...options, limits });
}

/** Checked text as YAML documents, within the limits; null and empty documents dropped. */
export function manifestDocuments(text: string, file: string, options: Pick<ManifestLoadOptions, "limits"> = {}): LoadedDocument[] {
  const limits = options.limits ?? manifestLimits();
  checkManifestSize(Buffer.byteLength(text, "utf8"), file, limits);
  const checked = checkManifestText(text, file);
  return parseYamlDocuments(checked, file, limits).filter((d) => d.value !== null && d.value !== undefined);
}

export function loadManifestText(text: string, file: string, options: ManifestLoadOptions = {}): ManifestLoadResult {
  const limits = options.limits ?? manifestLimits();
  const documents = manifestDocuments(text, file, { limits });
  if (documents.length === 0) {
    throw Errors.schema("the manifest is empty: expected globals and jobs (or apiVersion/kind resource documents)", { location: { file, line: 1, column: 1 } });
  }
  for (const doc of documents) {
    if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
      const got = Array.isArray(doc.value) ? "a list" : `${typeof doc.value} ${JSON.stringify(doc.value)}`;
      throw Errors.schema(`expected a mapping at the top of the document (globals:, jobs: ...), got ${got}`, {
        location: { file, line: doc.line, column: 1, field: "(document)" },
      });
    }
  }
  const context: LoaderContext = { file, baseDir: dirname(resolve(file)), options, limits };
  if (documents.some((d) => "apiVersion" in (d.value as object) || "kind" in (d.value as object))) return fromResources(documents, context);
  if (documents.length > 1) {
    throw Errors.schema(`a run manifest is a single YAML document, but this file has ${documents.length}; use apiVersion/kind documents to declare several resources`, {
      location: { file, line: documents[1]!.line, column: 1, field: "(document)" },
      details: ["remove the second document (and the --- before it), or split the file"],
    });
  }
  const doc = documents[0]!;
  const top = doc.value as Record<string, unknown>;
  const looksSimple = Array.isArray(top.jobs) && top.jobs.some((j) => j !== null && typeof j === "object" && typeof (j as Record<string, unknown>).model === "object");
  if (options.simple || top.simple === true || looksSimple) return fromSimple(doc, context);
  return fromRunManifest(doc, context);
}

interface RunManifestJob extends SweepManifestFields {
  name?: string;
  dataset_slug: string;
  model_name?: string;
  models?: string[];
  model_params?: Record<string, unknown>;
  seeds?: number[];
  gpu?: boolean;
  mem_limit?: string | number;
  cpus?: number;
  preprocessing?: Record<string, unknown>;
  metrics?: string[];
  mode?: "train" | "sweep";
  backend?: BenchmarkJob["backend"];
  retries?: number;
  oom_retries?: number;
  timeout_seconds?: number;
  output_limits?: Record<string, number>;
  slurm?: SlurmManifestSettings;
  image_sif?: string;
  image_digest?: string;
}

interface RunManifest {
  globals: {
    experiment_name: string;
    random_seed?: number;
    skip_completed?: boolean;
    backend?: BenchmarkJob["backend"];
    metrics?: string[];
    host_ram_gb?: number;
    strict?: boolean;
    validators?: "basic" | "strict" | "developer";
    slurm?: SlurmManifestSettings;
    mlflow_tracking_uri?: string;
    mlflow_experiment_name?: string;
    mlflow_log_embeddings?: boolean;
    mlflow_max_artifact_mb?: number;
    mlflow_container_network?: boolean;
  };
  datasets?: Record<string, { path: string; batch_key?: string; label_key?: string }>;
  jobs: RunManifestJob[];
}

function fromRunManifest(doc: LoadedDocument, context: LoaderContext): ManifestLoadResult {
  const { baseDir } = context;
  checkSeedDocument(doc, context, [["globals", "mv_contract_version"]]);
  validateDocument(doc, runManifestSchema, "manifest");
  const manifest = doc.value as RunManifest;
  const g = manifest.globals;
  checkExpansion(doc, manifest.jobs.map((job, index) => ({
    at: ["jobs", index],
    runs: job.mode === "sweep" ? (job.n_trials ?? 1) : (job.models?.length ?? 1) * (job.seeds?.length ?? 1),
  })), context.limits);
  const issues: IssueList = [];
  const jobs: BenchmarkJob[] = [];
  const origins: JobOrigin[] = [];
  const explicit = new Map<string, number>();
  const names = new Set<string>();
  const declared = new Set(Object.keys(manifest.datasets ?? {}));
  const usedDatasets = new Map<string, (string | number)[]>();
  manifest.jobs.forEach((job, index) => {
    const at = ["jobs", index];
    if (!usedDatasets.has(job.dataset_slug)) usedDatasets.set(job.dataset_slug, [...at, "dataset_slug"]);
    if (job.name !== undefined) {
      const earlier = explicit.get(job.name);
      if (earlier !== undefined) issues.push({ path: [...at, "name"], field: `jobs[${index}].name`, message: `job name "${job.name}" is already used by jobs[${earlier}]` });
      else explicit.set(job.name, index);
    }
    const hasOne = job.model_name !== undefined;
    const hasMany = job.models !== undefined;
    if (hasOne === hasMany) {
      issues.push({
        path: at,
        field: `jobs[${index}]`,
        message: hasOne ? 'give either "model_name" or "models", not both' : 'missing the model: give "model_name" (one model) or "models" (a list of models)',
      });
      return;
    }
    const models = hasOne ? [job.model_name!] : job.models!;
    models.forEach((model, m) => {
      if (models.indexOf(model) !== m) issues.push({ path: [...at, "models", m], field: `jobs[${index}].models[${m}]`, message: `model "${model}" is listed twice` });
    });
    const memLimit = job.mem_limit === undefined ? undefined : memLimitOf(job.mem_limit, [...at, "mem_limit"], issues);
    const perModel = hasMany ? perModelParams(job.model_params, models, [...at, "model_params"], issues) : undefined;
    const sweep = sweepFromManifestJob(job, at, baseDir, issues);
    // whether image_sif applies (the Slurm backend only) is decided at plan time, where --backend is known
    const imageSif = job.image_sif === undefined ? undefined : manifestPath(baseDir, job.image_sif, [...at, "image_sif"], issues);
    for (const model of [...new Set(models)]) {
      const params = perModel ? { ...(perModel.get(model) ?? {}) } : { ...(job.model_params ?? {}) };
      const name = job.name ? (hasMany ? `${job.name}-${model}` : job.name) : `${job.dataset_slug}-${model}`;
      const generated = name !== job.name ? jobNameProblem(name) : undefined;
      if (generated) {
        const from = [...at, job.name !== undefined ? "name" : "dataset_slug"];
        issues.push({ path: from, field: formatPath(from), message: `the job name made from ${job.name !== undefined ? "name and model" : "dataset_slug and model"} is not usable: ${generated}; give the job a shorter name` });
      }
      let unique = name;
      for (let n = 2; names.has(unique); n += 1) unique = `${name}-${n}`;
      names.add(unique);
      const converted: BenchmarkJob = { name: unique, dataset: job.dataset_slug, model, params, seeds: [...(job.seeds ?? [g.random_seed ?? 0])] };
      if (job.gpu !== undefined) converted.gpu = job.gpu;
      if (memLimit !== undefined) converted.memLimit = memLimit;
      if (job.cpus !== undefined) converted.cpus = job.cpus;
      if (job.preprocessing !== undefined) converted.preprocessing = job.preprocessing;
      const metrics = job.metrics ?? g.metrics;
      if (metrics !== undefined) converted.metrics = metrics;
      if (job.mode !== undefined) converted.mode = job.mode;
      if (job.backend !== undefined) converted.backend = job.backend;
      if (job.retries !== undefined) converted.retries = job.retries;
      if (job.oom_retries !== undefined) converted.oomRetries = job.oom_retries;
      if (job.timeout_seconds !== undefined) converted.timeoutSeconds = job.timeout_seconds;
      if (job.output_limits !== undefined) converted.outputLimits = outputLimitsFromSnake(job.output_limits);
      if (job.slurm !== undefined) converted.slurm = slurmSettingsFromManifest(job.slurm);
      if (imageSif !== undefined) converted.imageSif = imageSif;
      if (job.image_digest !== undefined) converted.imageDigest = job.image_digest;
      if (sweep) converted.sweep = structuredClone(sweep);
      jobs.push(converted);
      origins.push(jobOrigin(doc, at, {
        name: [...at, "name"],
        dataset: [...at, "dataset_slug"],
        datasetPath: declared.has(job.dataset_slug) ? ["datasets", job.dataset_slug, "path"] : [...at, "dataset_slug"],
        model: hasOne ? [...at, "model_name"] : [...at, "models", models.indexOf(model)],
        params: perModel?.has(model) ? [...at, "model_params", model] : [...at, "model_params"],
        imageSif: [...at, "image_sif"],
        image: hasOne ? [...at, "model_name"] : [...at, "models", models.indexOf(model)],
        memLimit: [...at, "mem_limit"],
        optimizeMetric: [...at, "optimize_metric"],
      }));
    }
  });
  const datasetOrigins: DatasetOrigin[] = [];
  const datasets: DatasetResource[] = [];
  for (const [slug, d] of Object.entries(manifest.datasets ?? {})) {
    const at = ["datasets", slug, "path"];
    const path = manifestPath(baseDir, d.path, at, issues);
    if (path === undefined) continue;
    const resource: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: slug }, spec: { path } };
    if (d.batch_key !== undefined) resource.spec.batchKey = d.batch_key;
    if (d.label_key !== undefined) resource.spec.labelKey = d.label_key;
    datasets.push(resource);
    datasetOrigins.push({ slug, path, location: { file: doc.file, ...locate(doc, at), field: formatPath(at) } });
  }
  for (const [slug, at] of usedDatasets) {
    if (!declared.has(slug)) datasetOrigins.push({ slug, location: { file: doc.file, ...locate(doc, at), field: formatPath(at) } });
  }
  throwIssues(doc, issues, "manifest");
  const spec: BenchmarkResource["spec"] = { experimentName: g.experiment_name, jobs };
  if (g.skip_completed !== undefined) spec.skipCompleted = g.skip_completed;
  if (g.backend !== undefined) spec.backend = g.backend;
  if (g.strict !== undefined) spec.strict = g.strict;
  if (g.validators !== undefined) spec.validators = g.validators;
  if (g.metrics !== undefined) spec.metrics = g.metrics;
  if (g.host_ram_gb !== undefined) spec.hostRamGb = g.host_ram_gb;
  if (g.slurm !== undefined) spec.slurm = slurmSettingsFromManifest(g.slurm);
  const tracking = trackingSettingsFromGlobals(g);
  if (tracking) spec.tracking = tracking;
  return {
    benchmark: { apiVersion: API_VERSION, kind: "Benchmark", metadata: { name: benchmarkName(g.experiment_name) }, spec },
    datasets,
    models: [],
    format: "run_manifest",
    origins,
    datasetOrigins,
  };
}

/**
 * With `models: [...]`, model_params is either flat (the same parameters for every model) or keyed by model slug
 * ({pca: {...}, mofa: {...}}). Returns the per-model sections, or undefined for the flat form.
 */
function perModelParams(params: Record<string, unknown> | undefined, models: string[], at: (string | number)[], issues: IssueList): Map<string, Record<string, unknown>> | undefined {
  if (!params) return undefined;
  const keys = Object.keys(params);
  const sections = keys.filter((k) => models.includes(k));
  if (sections.length === 0) return undefined;
  const plain = keys.filter((k) => !models.includes(k));
  if (plain.length > 0) {
    issues.push({
      path: [...at, plain[0]!],
      field: formatPath([...at, plain[0]!]),
      message: `model_params mixes per-model sections (${sections.join(", ")}) with "${plain[0]}", which is not one of the job's models (${models.join(", ")})`,
    });
  }
  const out = new Map<string, Record<string, unknown>>();
  for (const model of sections) {
    const section = params[model];
    if (section === null || typeof section !== "object" || Array.isArray(section)) {
      issues.push({ path: [...at, model], field: formatPath([...at, model]), message: `the parameters of model "${model}" must be a mapping` });
    } else {
      out.set(model, section as Record<string, unknown>);
    }
  }
  return out;
}

/** globals.mlflow_* as TrackingSettings; undefined when the manifest sets none of them. */
function trackingSettingsFromGlobals(g: RunManifest["globals"]): TrackingSettings | undefined {
  const settings: TrackingSettings = {};
  if (g.mlflow_tracking_uri !== undefined) settings.trackingUri = g.mlflow_tracking_uri;
  if (g.mlflow_experiment_name !== undefined) settings.experimentName = g.mlflow_experiment_name;
  if (g.mlflow_log_embeddings !== undefined) settings.logEmbeddings = g.mlflow_log_embeddings;
  if (g.mlflow_max_artifact_mb !== undefined) settings.maxArtifactMb = g.mlflow_max_artifact_mb;
  if (g.mlflow_container_network !== undefined) settings.containerNetwork = g.mlflow_container_network;
  return Object.keys(settings).length > 0 ? settings : undefined;
}
