/**
 * Loading desired state from a file: the seeds' run_manifest.yaml, the simple-mode manifest, or Kubernetes-style
 * resource documents (Dataset, Model, Benchmark). All three become one Benchmark plus optional inline resources.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  API_VERSION,
  CONTRACT_VERSION,
  type BenchmarkJob,
  type BenchmarkResource,
  type DatasetResource,
  type ModelResource,
} from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { RESOURCE_SCHEMAS } from "../schemas/resources.js";
import { runManifestSchema, simpleManifestSchema } from "../schemas/seed-manifests.js";
import { formatMemLimit, parseMemLimit } from "./mem-limit.js";
import { fieldError, validateDocument } from "./validate-document.js";
import { parseYamlDocuments, type LoadedDocument } from "./yaml-documents.js";

export interface ManifestLoadResult {
  benchmark: BenchmarkResource;
  datasets: DatasetResource[];
  models: ModelResource[];
  format: "run_manifest" | "simple" | "resources";
}

export function loadManifestFile(path: string, options: { simple?: boolean } = {}): ManifestLoadResult {
  const file = resolve(path);
  if (!existsSync(file)) throw Errors.fileNotFound(`manifest ${path} does not exist`, { location: { file: path } });
  if (!statSync(file).isFile()) throw Errors.fileNotFound(`manifest ${path} is not a file`, { location: { file: path } });
  return loadManifestText(readFileSync(file, "utf8"), path, options);
}

export function loadManifestText(text: string, file: string, options: { simple?: boolean } = {}): ManifestLoadResult {
  if (text.includes("\u0000")) throw Errors.yamlSyntax("the manifest contains a NUL byte", { location: { file } });
  const documents = parseYamlDocuments(text, file).filter((d) => d.value !== null && d.value !== undefined);
  if (documents.length === 0) throw Errors.schema("the manifest is empty: expected globals and jobs (or resource documents)", { location: { file, line: 1 } });
  for (const doc of documents) {
    if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
      throw Errors.schema(`expected a mapping at the top of the document, got ${Array.isArray(doc.value) ? "a list" : typeof doc.value}`, {
        location: { file, line: doc.line, field: "(document)" },
      });
    }
  }
  const baseDir = dirname(resolve(file));
  const first = documents[0]!.value as Record<string, unknown>;
  if (documents.some((d) => "apiVersion" in (d.value as object) || "kind" in (d.value as object))) return fromResources(documents, baseDir);
  if (documents.length > 1) throw Errors.schema("a run manifest is a single YAML document; use apiVersion/kind documents for several resources", { location: { file, line: documents[1]!.line } });
  const looksSimple = Array.isArray(first.jobs) && first.jobs.some((j) => j && typeof j === "object" && typeof (j as Record<string, unknown>).model === "object");
  if (options.simple || first.simple === true || looksSimple) return fromSimple(documents[0]!, baseDir);
  return fromRunManifest(documents[0]!, baseDir);
}

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function benchmarkName(experiment: string): string {
  const name = experiment.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, 63);
  return name || "benchmark";
}

interface RunManifestJob {
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
  timeout_seconds?: number;
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
  };
  datasets?: Record<string, { path: string; batch_key?: string; label_key?: string }>;
  jobs: RunManifestJob[];
}

function fromRunManifest(doc: LoadedDocument, baseDir: string): ManifestLoadResult {
  validateDocument(doc, runManifestSchema, "manifest");
  const manifest = doc.value as RunManifest;
  const g = manifest.globals;
  const jobs: BenchmarkJob[] = [];
  const names = new Set<string>();
  manifest.jobs.forEach((job, index) => {
    const hasOne = job.model_name !== undefined;
    const hasMany = job.models !== undefined;
    if (hasOne === hasMany) {
      throw fieldError(doc, ["jobs", index], `jobs[${index}]`, hasOne ? 'give either "model_name" or "models", not both' : 'missing the model: give "model_name" (one model) or "models" (a list)');
    }
    const models = hasOne ? [job.model_name!] : job.models!;
    let memLimit: string | undefined;
    if (job.mem_limit !== undefined) {
      try {
        memLimit = formatMemLimit(parseMemLimit(job.mem_limit));
      } catch (error) {
        throw fieldError(doc, ["jobs", index, "mem_limit"], `jobs[${index}].mem_limit`, (error as Error).message);
      }
    }
    for (const model of models) {
      const params = paramsFor(job.model_params, model, models, hasMany);
      const name = job.name ? (hasMany ? `${job.name}-${model}` : job.name) : `${job.dataset_slug}-${model}`;
      let unique = name;
      for (let n = 2; names.has(unique); n += 1) unique = `${name}-${n}`;
      names.add(unique);
      const converted: BenchmarkJob = {
        name: unique,
        dataset: job.dataset_slug,
        model,
        params,
        seeds: job.seeds ?? [g.random_seed ?? 0],
      };
      if (job.gpu !== undefined) converted.gpu = job.gpu;
      if (memLimit !== undefined) converted.memLimit = memLimit;
      if (job.cpus !== undefined) converted.cpus = job.cpus;
      if (job.preprocessing !== undefined) converted.preprocessing = job.preprocessing;
      if (job.metrics ?? g.metrics) converted.metrics = job.metrics ?? g.metrics;
      if (job.mode !== undefined) converted.mode = job.mode;
      if (job.backend !== undefined) converted.backend = job.backend;
      if (job.retries !== undefined) converted.retries = job.retries;
      if (job.timeout_seconds !== undefined) converted.timeoutSeconds = job.timeout_seconds;
      jobs.push(converted);
    }
  });
  const spec: BenchmarkResource["spec"] = { experimentName: g.experiment_name, jobs };
  if (g.skip_completed !== undefined) spec.skipCompleted = g.skip_completed;
  if (g.backend !== undefined) spec.backend = g.backend;
  if (g.strict !== undefined) spec.strict = g.strict;
  if (g.validators !== undefined) spec.validators = g.validators;
  if (g.metrics !== undefined) spec.metrics = g.metrics;
  if (g.host_ram_gb !== undefined) spec.hostRamGb = g.host_ram_gb;
  const datasets: DatasetResource[] = Object.entries(manifest.datasets ?? {}).map(([slug, d]) => {
    const resource: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: slug }, spec: { path: resolvePath(baseDir, d.path) } };
    if (d.batch_key !== undefined) resource.spec.batchKey = d.batch_key;
    if (d.label_key !== undefined) resource.spec.labelKey = d.label_key;
    return resource;
  });
  return {
    benchmark: { apiVersion: API_VERSION, kind: "Benchmark", metadata: { name: benchmarkName(g.experiment_name) }, spec },
    datasets,
    models: [],
    format: "run_manifest",
  };
}

/** model_params may be flat (applies to every model) or keyed by model slug when `models` lists several. */
function paramsFor(params: Record<string, unknown> | undefined, model: string, models: string[], many: boolean): Record<string, unknown> {
  if (!params) return {};
  if (many && Object.keys(params).some((k) => models.includes(k))) {
    const own = params[model];
    return own && typeof own === "object" && !Array.isArray(own) ? { ...(own as Record<string, unknown>) } : {};
  }
  return { ...params };
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
  const datasets = new Map<string, DatasetResource>();
  const models = new Map<string, ModelResource>();
  const jobs: BenchmarkJob[] = [];
  const names = new Set<string>();
  manifest.jobs.forEach((job, index) => {
    if (names.has(job.name)) throw fieldError(doc, ["jobs", index, "name"], `jobs[${index}].name`, `job name "${job.name}" is used twice; simple mode writes one bundle directory per job name`);
    names.add(job.name);
    const path = resolvePath(baseDir, job.dataset.path);
    const known = datasets.get(job.dataset.slug);
    if (known && known.spec.path !== path) throw fieldError(doc, ["jobs", index, "dataset", "slug"], `jobs[${index}].dataset.slug`, `dataset slug "${job.dataset.slug}" names two different files`);
    const dataset: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: job.dataset.slug }, spec: { path } };
    if (job.dataset.n_obs !== undefined) dataset.spec.nObs = job.dataset.n_obs;
    datasets.set(job.dataset.slug, dataset);
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
    if (existing && (existing.spec.version !== model.spec.version || existing.spec.runtime.image !== model.spec.runtime.image)) {
      throw fieldError(doc, ["jobs", index, "model"], `jobs[${index}].model`, `model "${job.model.slug}" is declared twice with different versions or images`);
    }
    models.set(job.model.slug, model);
    const converted: BenchmarkJob = { name: job.name, dataset: job.dataset.slug, model: job.model.slug, params: job.params ?? {}, seeds: [job.seed ?? 0] };
    if (job.model.gpu !== undefined) converted.gpu = job.model.gpu;
    if (job.mem_limit !== undefined) converted.memLimit = formatMemLimit(parseMemLimit(job.mem_limit));
    jobs.push(converted);
  });
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

function fromResources(documents: LoadedDocument[], baseDir: string): ManifestLoadResult {
  const datasets: DatasetResource[] = [];
  const models: ModelResource[] = [];
  const benchmarks: BenchmarkResource[] = [];
  for (const doc of documents) {
    const value = doc.value as { kind?: unknown };
    const kind = value.kind;
    if (kind !== "Dataset" && kind !== "Model" && kind !== "Benchmark") {
      throw fieldError(doc, ["kind"], "kind", `unknown kind ${JSON.stringify(kind)}: expected Dataset, Model or Benchmark`);
    }
    validateDocument(doc, RESOURCE_SCHEMAS[kind], kind);
    if (kind === "Dataset") {
      const resource = structuredClone(doc.value) as DatasetResource;
      resource.spec.path = resolvePath(baseDir, resource.spec.path);
      datasets.push(resource);
    } else if (kind === "Model") {
      const resource = structuredClone(doc.value) as ModelResource;
      resource.spec.contractVersion ??= CONTRACT_VERSION;
      resource.spec.supportedOmics ??= [];
      resource.spec.hyperparametersSchema ??= {};
      models.push(resource);
    } else {
      benchmarks.push(structuredClone(doc.value) as BenchmarkResource);
    }
  }
  if (benchmarks.length !== 1) {
    const doc = documents[0]!;
    throw Errors.schema(`expected exactly one Benchmark document, found ${benchmarks.length}`, { location: { file: doc.file, line: doc.line } });
  }
  const benchmark = benchmarks[0]!;
  for (const job of benchmark.spec.jobs) job.params ??= {};
  return { benchmark, datasets, models, format: "resources" };
}
