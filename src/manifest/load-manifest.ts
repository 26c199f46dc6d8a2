/**
 * Loading desired state from a file: the seeds' run_manifest.yaml, the simple-mode manifest, or Kubernetes-style
 * resource documents (Dataset, Model, Benchmark). All three become one Benchmark plus optional inline resources.
 */
import { outputLimitsFromSnake } from "../validation/output-limits.js";
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  API_VERSION,
  CONTRACT_VERSION,
  type BenchmarkJob,
  type BenchmarkResource,
  type DatasetResource,
  type ModelResource,
  type TrackingSettings,
} from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { formatPath } from "../schemas/error-messages.js";
import { RESOURCE_SCHEMAS } from "../schemas/resources.js";
import { runManifestSchema, simpleManifestSchema } from "../schemas/seed-manifests.js";
import { slurmSettingsFromManifest, type SlurmManifestSettings } from "../schemas/slurm-settings.js";
import { sweepFromManifestJob, type SweepManifestFields } from "../sweeps/manifest-fields.js";
import { formatMemLimit, parseMemLimit } from "./mem-limit.js";
import { throwIssues, validateDocument, type IssueList } from "./validate-document.js";
import { parseYamlDocuments, type LoadedDocument } from "./yaml-documents.js";

export interface ManifestLoadResult {
  benchmark: BenchmarkResource;
  datasets: DatasetResource[];
  models: ModelResource[];
  format: "run_manifest" | "simple" | "resources";
}

export interface ManifestLoadOptions {
  /** Treat the file as a simple-mode manifest (`multiverse run --simple`). */
  simple?: boolean;
}

export function loadManifestFile(path: string, options: ManifestLoadOptions = {}): ManifestLoadResult {
  const file = resolve(path);
  let text: string;
  try {
    if (!statSync(file).isFile()) throw Errors.fileNotFound(`manifest ${path} is not a file`, { location: { file: path } });
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") {
      throw Errors.fileNotFound(`manifest ${path} does not exist`, { location: { file: path } });
    }
    if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) {
      throw Errors.fileNotFound(`cannot read manifest ${path}: ${error.message}`, { location: { file: path } });
    }
    throw error;
  }
  return loadManifestText(text, path, options);
}

export function loadManifestText(text: string, file: string, options: ManifestLoadOptions = {}): ManifestLoadResult {
  if (text.includes("\u0000")) throw Errors.yamlSyntax("the manifest contains a NUL byte; is it a binary file?", { location: { file } });
  const documents = parseYamlDocuments(text, file).filter((d) => d.value !== null && d.value !== undefined);
  if (documents.length === 0) {
    throw Errors.schema("the manifest is empty: expected globals and jobs (or apiVersion/kind resource documents)", { location: { file, line: 1 } });
  }
  for (const doc of documents) {
    if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
      const got = Array.isArray(doc.value) ? "a list" : `${typeof doc.value} ${JSON.stringify(doc.value)}`;
      throw Errors.schema(`expected a mapping at the top of the document (globals:, jobs: ...), got ${got}`, {
        location: { file, line: doc.line, column: 1, field: "(document)" },
      });
    }
  }
  const baseDir = dirname(resolve(file));
  if (documents.some((d) => "apiVersion" in (d.value as object) || "kind" in (d.value as object))) return fromResources(documents, baseDir);
  if (documents.length > 1) {
    throw Errors.schema("a run manifest is a single YAML document; use apiVersion/kind documents to declare several resources", {
      location: { file, line: documents[1]!.line },
    });
  }
  const doc = documents[0]!;
  const top = doc.value as Record<string, unknown>;
  const looksSimple = Array.isArray(top.jobs) && top.jobs.some((j) => j !== null && typeof j === "object" && typeof (j as Record<string, unknown>).model === "object");
  if (options.simple || top.simple === true || looksSimple) return fromSimple(doc, baseDir);
  return fromRunManifest(doc, baseDir);
}

/** A manifest path, absolute or relative to the manifest's directory; NUL bytes are refused. */
function manifestPath(baseDir: string, path: string, at: (string | number)[], issues: IssueList): string {
  if (path.includes("\u0000")) issues.push({ path: at, field: formatPath(at), message: "the path contains a NUL byte" });
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

function memLimitOf(value: string | number, at: (string | number)[], issues: IssueList): string | undefined {
  try {
    return formatMemLimit(parseMemLimit(value));
  } catch (error) {
    issues.push({ path: at, field: formatPath(at), message: (error as Error).message });
    return undefined;
  }
}

/** metadata.name of the Benchmark: the experiment name as a DNS-1123 label. */
export function benchmarkName(experiment: string): string {
  const name = experiment.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+/, "").slice(0, 63).replace(/[-.]+$/, "");
  return name || "benchmark";
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

function fromRunManifest(doc: LoadedDocument, baseDir: string): ManifestLoadResult {
  validateDocument(doc, runManifestSchema, "manifest");
  const manifest = doc.value as RunManifest;
  const g = manifest.globals;
  const issues: IssueList = [];
  const jobs: BenchmarkJob[] = [];
  const explicit = new Map<string, number>();
  const names = new Set<string>();
  manifest.jobs.forEach((job, index) => {
    const at = ["jobs", index];
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
    for (const model of [...new Set(models)]) {
      const params = perModel ? { ...(perModel.get(model) ?? {}) } : { ...(job.model_params ?? {}) };
      const name = job.name ? (hasMany ? `${job.name}-${model}` : job.name) : `${job.dataset_slug}-${model}`;
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
      if (job.image_sif !== undefined) converted.imageSif = manifestPath(baseDir, job.image_sif, [...at, "image_sif"], issues);
      if (job.image_digest !== undefined) converted.imageDigest = job.image_digest;
      if (sweep) converted.sweep = structuredClone(sweep);
      jobs.push(converted);
    }
  });
  const datasets: DatasetResource[] = Object.entries(manifest.datasets ?? {}).map(([slug, d]) => {
    const path = manifestPath(baseDir, d.path, ["datasets", slug, "path"], issues);
    const resource: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: slug }, spec: { path } };
    if (d.batch_key !== undefined) resource.spec.batchKey = d.batch_key;
    if (d.label_key !== undefined) resource.spec.labelKey = d.label_key;
    return resource;
  });
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

interface SimpleManifest {
  globals?: { mv_contract_version?: string | number; experiment_name?: string; validators?: "basic" | "strict" | "developer" };
  jobs: {
    name: string;
    model: { slug: string; version: string; image: string; image_digest?: string; gpu?: boolean };
    dataset: { slug: string; path: string; n_obs?: number };
    params?: Record<string, unknown>;
    seed?: number;
    mem_limit?: string | number;
  }[];
}

function fromSimple(doc: LoadedDocument, baseDir: string): ManifestLoadResult {
  validateDocument(doc, simpleManifestSchema, "simple manifest");
  const manifest = doc.value as SimpleManifest;
  const contract = String(manifest.globals?.mv_contract_version ?? CONTRACT_VERSION);
  const issues: IssueList = [];
  const datasets = new Map<string, DatasetResource>();
  const models = new Map<string, ModelResource>();
  const jobs: BenchmarkJob[] = [];
  const names = new Set<string>();
  manifest.jobs.forEach((job, index) => {
    const at = ["jobs", index];
    if (names.has(job.name)) {
      issues.push({ path: [...at, "name"], field: `jobs[${index}].name`, message: `job name "${job.name}" is used twice; simple mode writes one bundle directory per job name` });
    }
    names.add(job.name);
    const path = manifestPath(baseDir, job.dataset.path, [...at, "dataset", "path"], issues);
    const known = datasets.get(job.dataset.slug);
    if (known && known.spec.path !== path) {
      issues.push({ path: [...at, "dataset", "slug"], field: `jobs[${index}].dataset.slug`, message: `dataset slug "${job.dataset.slug}" names two different files` });
    }
    const dataset: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: job.dataset.slug }, spec: { path } };
    if (job.dataset.n_obs !== undefined) dataset.spec.nObs = job.dataset.n_obs;
    if (!known) datasets.set(job.dataset.slug, dataset);
    const model: ModelResource = {
      apiVersion: API_VERSION,
      kind: "Model",
      metadata: { name: job.model.slug },
      spec: {
        slug: job.model.slug,
        version: job.model.version,
        contractVersion: contract,
        supportedOmics: [],
        runtime: { image: job.model.image },
        hyperparametersSchema: {},
      },
    };
    if (job.model.image_digest) model.spec.runtime.imageDigest = job.model.image_digest;
    const existing = models.get(job.model.slug);
    if (existing && (existing.spec.version !== model.spec.version || existing.spec.runtime.image !== model.spec.runtime.image || existing.spec.runtime.imageDigest !== model.spec.runtime.imageDigest)) {
      issues.push({ path: [...at, "model"], field: `jobs[${index}].model`, message: `model "${job.model.slug}" is declared twice with different versions, images or digests` });
    }
    if (!existing) models.set(job.model.slug, model);
    const converted: BenchmarkJob = { name: job.name, dataset: job.dataset.slug, model: job.model.slug, params: { ...(job.params ?? {}) }, seeds: [job.seed ?? 0] };
    if (job.model.gpu !== undefined) converted.gpu = job.model.gpu;
    if (job.mem_limit !== undefined) {
      const memLimit = memLimitOf(job.mem_limit, [...at, "mem_limit"], issues);
      if (memLimit !== undefined) converted.memLimit = memLimit;
    }
    jobs.push(converted);
  });
  throwIssues(doc, issues, "simple manifest");
  const experimentName = manifest.globals?.experiment_name ?? "simple";
  const spec: BenchmarkResource["spec"] = { experimentName, layout: "simple", jobs };
  if (manifest.globals?.validators) spec.validators = manifest.globals.validators;
  return {
    benchmark: { apiVersion: API_VERSION, kind: "Benchmark", metadata: { name: benchmarkName(experimentName) }, spec },
    datasets: [...datasets.values()],
    models: [...models.values()],
    format: "simple",
  };
}

const KINDS = ["Dataset", "Model", "Benchmark"] as const;
type Kind = (typeof KINDS)[number];

export type DocumentResource =
  | { kind: "Dataset"; resource: DatasetResource }
  | { kind: "Model"; resource: ModelResource }
  | { kind: "Benchmark"; resource: BenchmarkResource };

/**
 * One apiVersion/kind document as a resource, validated against its kind's schema (relative dataset paths
 * resolved against `baseDir`). Throws a MultiverseError naming the document's file, line and field.
 */
export function resourceFromDocument(doc: LoadedDocument, baseDir: string): DocumentResource {
  const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } };
  const kind = value.kind;
  if (kind === undefined) throwIssues(doc, [{ path: [], field: "kind", message: `missing required field "kind" (one of ${KINDS.join(", ")})` }], "document");
  if (!KINDS.includes(kind as Kind)) {
    throwIssues(doc, [{ path: ["kind"], field: "kind", message: `unknown kind ${JSON.stringify(kind)}: expected ${KINDS.join(", ")}` }], "document");
  }
  validateDocument(doc, RESOURCE_SCHEMAS[kind as Kind], kind as Kind);
  const issues: IssueList = [];
  let result: DocumentResource;
  if (kind === "Dataset") {
    const resource = structuredClone(doc.value) as DatasetResource;
    resource.spec.path = manifestPath(baseDir, resource.spec.path, ["spec", "path"], issues);
    result = { kind, resource };
  } else if (kind === "Model") {
    const resource = structuredClone(doc.value) as ModelResource;
    resource.spec.contractVersion ??= CONTRACT_VERSION;
    resource.spec.supportedOmics ??= [];
    resource.spec.hyperparametersSchema ??= {};
    result = { kind, resource };
  } else {
    const resource = structuredClone(doc.value) as BenchmarkResource;
    const names = new Map<string, number>();
    resource.spec.jobs.forEach((job, index) => {
      const at = ["spec", "jobs", index];
      job.params ??= {};
      const earlier = names.get(job.name);
      if (earlier !== undefined) issues.push({ path: [...at, "name"], field: `spec.jobs[${index}].name`, message: `job name "${job.name}" is already used by spec.jobs[${earlier}]` });
      else names.set(job.name, index);
      if (job.memLimit !== undefined) {
        const memLimit = memLimitOf(job.memLimit, [...at, "memLimit"], issues);
        if (memLimit !== undefined) job.memLimit = memLimit;
      }
    });
    result = { kind: "Benchmark", resource };
  }
  throwIssues(doc, issues, kind as Kind);
  return result;
}

/** Whether a file holds apiVersion/kind documents (rather than a seed manifest). */
export function isResourceDocuments(documents: readonly LoadedDocument[]): boolean {
  return documents.some((d) => d.value !== null && typeof d.value === "object" && ("apiVersion" in (d.value as object) || "kind" in (d.value as object)));
}

function fromResources(documents: LoadedDocument[], baseDir: string): ManifestLoadResult {
  const datasets: DatasetResource[] = [];
  const models: ModelResource[] = [];
  const benchmarks: { doc: LoadedDocument; resource: BenchmarkResource }[] = [];
  const seen = new Map<string, LoadedDocument>();
  for (const doc of documents) {
    const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } };
    const converted = resourceFromDocument(doc, baseDir);
    const key = `${String(value.kind)}/${String(value.metadata?.name)}`;
    const twin = seen.get(key);
    if (twin) throwIssues(doc, [{ path: ["metadata", "name"], field: "metadata.name", message: `${key} is already declared in the document at line ${twin.line}` }], converted.kind);
    seen.set(key, doc);
    if (converted.kind === "Dataset") datasets.push(converted.resource);
    else if (converted.kind === "Model") models.push(converted.resource);
    else benchmarks.push({ doc, resource: converted.resource });
  }
  if (benchmarks.length !== 1) {
    const doc = benchmarks[1]?.doc ?? documents[0]!;
    throw Errors.schema(`expected exactly one Benchmark document, found ${benchmarks.length}`, {
      location: { file: doc.file, line: doc.line, field: "kind" },
      details: benchmarks.length === 0 ? ["add a document with kind: Benchmark that lists the jobs"] : benchmarks.map((b) => `${b.doc.file}:${b.doc.line}: Benchmark ${b.resource.metadata.name}`),
    });
  }
  return { benchmark: benchmarks[0]!.resource, datasets, models, format: "resources" };
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
