/**
 * Kubernetes-style documents (apiVersion multiverse.io/v1alpha1; kind Dataset, Model or Benchmark), each
 * validated against its kind's schema and then checked like the seed formats: finite numbers, job names,
 * image references, paths, the backend of image_sif, and the limits on jobs and runs.
 */
import { CONTRACT_VERSION, type BenchmarkResource, type DatasetResource, type ModelResource } from "../domain/resources.js";
import { Errors } from "../domain/errors.js";
import { compile } from "../schemas/ajv.js";
import { formatPath } from "../schemas/error-messages.js";
import { RESOURCE_SCHEMAS } from "../schemas/resources.js";
import { jobOrigin, type DatasetOrigin, type JobOrigin } from "./job-origins.js";
import { manifestLimits } from "./limits.js";
import { checkExpansion, checkJobCount, memLimitOf, namedJobIssues, type LoaderContext, type ManifestLoadOptions, type ManifestLoadResult } from "./load-options.js";
import { imageIssue, nonFiniteIssues, versionIssues } from "./manifest-checks.js";
import { manifestPath } from "./manifest-paths.js";
import { throwIssues, validateDocument, type IssueList } from "./validate-document.js";
import { locate, type LoadedDocument } from "./yaml-documents.js";

const KINDS = ["Dataset", "Model", "Benchmark"] as const;
type Kind = (typeof KINDS)[number];

export type DocumentResource =
  | { kind: "Dataset"; resource: DatasetResource }
  | { kind: "Model"; resource: ModelResource }
  | { kind: "Benchmark"; resource: BenchmarkResource; origins: JobOrigin[] };

/** Whether a file holds apiVersion/kind documents (rather than a seed manifest). */
export function isResourceDocuments(documents: readonly LoadedDocument[]): boolean {
  return documents.some((d) => d.value !== null && typeof d.value === "object" && ("apiVersion" in (d.value as object) || "kind" in (d.value as object)));
}

function checkBenchmark(doc: LoadedDocument, resource: BenchmarkResource, context: LoaderContext, issues: IssueList): JobOrigin[] {
  const names = new Map<string, number>();
  checkExpansion(doc, resource.spec.jobs.map((job, index) => ({ at: ["spec", "jobs", index], runs: job.sweep ? job.sweep.nTrials : job.seeds.length })), context.limits);
  return resource.spec.jobs.map((job, index) => {
    const at = ["spec", "jobs", index];
    job.params ??= {};
    const earlier = names.get(job.name);
    if (earlier !== undefined) issues.push({ path: [...at, "name"], field: `spec.jobs[${index}].name`, message: `job name "${job.name}" is already used by spec.jobs[${earlier}]` });
    else names.set(job.name, index);
    if (job.memLimit !== undefined) {
      const memLimit = memLimitOf(job.memLimit, [...at, "memLimit"], issues);
      if (memLimit !== undefined) job.memLimit = memLimit;
    }
    if (job.imageSif !== undefined) {
      const sif = manifestPath(context.baseDir, job.imageSif, [...at, "imageSif"], issues);
      if (sif !== undefined) job.imageSif = sif;
    }
    return jobOrigin(doc, at, {
      name: [...at, "name"],
      dataset: [...at, "dataset"],
      datasetPath: [...at, "dataset"],
      model: [...at, "model"],
      image: [...at, "model"],
      params: [...at, "params"],
      imageSif: [...at, "imageSif"],
      memLimit: [...at, "memLimit"],
      optimizeMetric: [...at, "sweep", "optimizeMetric"],
    });
  });
}

function checkModel(resource: ModelResource, context: LoaderContext, issues: IssueList): void {
  resource.spec.contractVersion ??= CONTRACT_VERSION;
  resource.spec.supportedOmics ??= [];
  resource.spec.hyperparametersSchema ??= {};
  issues.push(...imageIssue(resource.spec.runtime.image, ["spec", "runtime", "image"]));
  try {
    compile(resource.spec.hyperparametersSchema);
  } catch (error) {
    issues.push({ path: ["spec", "hyperparametersSchema"], field: "spec.hyperparametersSchema", message: `not a valid JSON Schema: ${(error as Error).message}` });
  }
  if (resource.spec.directory !== undefined) {
    const directory = manifestPath(context.baseDir, resource.spec.directory, ["spec", "directory"], issues, "tree");
    if (directory !== undefined) resource.spec.directory = directory;
  }
}

/**
 * One apiVersion/kind document as a resource, validated against its kind's schema (relative paths resolved
 * against `baseDir`). Throws a MultiverseError naming the document's file, line, column and field.
 */
export function resourceFromDocument(doc: LoadedDocument, baseDir: string, options: ManifestLoadOptions = {}): DocumentResource {
  const context: LoaderContext = { file: doc.file, baseDir, options, limits: options.limits ?? manifestLimits() };
  const value = doc.value as { kind?: unknown; metadata?: { name?: unknown }; spec?: { jobs?: unknown } };
  const kind = value.kind;
  if (kind === undefined) throwIssues(doc, [{ path: [], field: "kind", message: `missing required field "kind" (one of ${KINDS.join(", ")})` }], "document");
  if (!KINDS.includes(kind as Kind)) {
    throwIssues(doc, [{ path: ["kind"], field: "kind", message: `unknown kind ${JSON.stringify(kind)}: expected ${KINDS.join(", ")}` }], "document");
  }
  if (kind === "Benchmark") checkJobCount(doc, value.spec?.jobs, ["spec", "jobs"], context.limits);
  throwIssues(doc, [
    ...nonFiniteIssues(doc.value),
    ...(kind === "Model" ? versionIssues(doc.value as Record<string, unknown>, [["spec", "contractVersion"]]) : []),
    ...(kind === "Benchmark" ? namedJobIssues(value.spec?.jobs, ["spec", "jobs"]) : []),
  ], kind as Kind);
  validateDocument(doc, RESOURCE_SCHEMAS[kind as Kind], kind as Kind);
  const issues: IssueList = [];
  let result: DocumentResource;
  if (kind === "Dataset") {
    const resource = structuredClone(doc.value) as DatasetResource;
    const path = manifestPath(baseDir, resource.spec.path, ["spec", "path"], issues);
    if (path !== undefined) resource.spec.path = path;
    result = { kind, resource };
  } else if (kind === "Model") {
    const resource = structuredClone(doc.value) as ModelResource;
    checkModel(resource, context, issues);
    result = { kind, resource };
  } else {
    const resource = structuredClone(doc.value) as BenchmarkResource;
    result = { kind: "Benchmark", resource, origins: checkBenchmark(doc, resource, context, issues) };
  }
  throwIssues(doc, issues, kind as Kind);
  return result;
}

export function fromResources(documents: LoadedDocument[], context: LoaderContext): ManifestLoadResult {
  const datasets: DatasetResource[] = [];
  const models: ModelResource[] = [];
  const benchmarks: { doc: LoadedDocument; resource: BenchmarkResource; origins: JobOrigin[] }[] = [];
  const datasetOrigins: DatasetOrigin[] = [];
  const seen = new Map<string, LoadedDocument>();
  for (const doc of documents) {
    const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } };
    const converted = resourceFromDocument(doc, context.baseDir, { ...context.options, limits: context.limits });
    const key = `${String(value.kind)}/${String(value.metadata?.name)}`;
    const twin = seen.get(key);
    if (twin) throwIssues(doc, [{ path: ["metadata", "name"], field: "metadata.name", message: `${key} is already declared in the document at line ${twin.line}` }], converted.kind);
    seen.set(key, doc);
    if (converted.kind === "Dataset") {
      datasets.push(converted.resource);
      datasetOrigins.push({ slug: converted.resource.metadata.name, path: converted.resource.spec.path, location: { file: doc.file, ...locate(doc, ["spec", "path"]), field: "spec.path" } });
    } else if (converted.kind === "Model") models.push(converted.resource);
    else benchmarks.push({ doc, resource: converted.resource, origins: converted.origins });
  }
  if (benchmarks.length !== 1) {
    const doc = benchmarks[1]?.doc ?? documents[0]!;
    throw Errors.schema(`expected exactly one Benchmark document, found ${benchmarks.length}`, {
      location: { file: doc.file, line: doc.line, column: 1, field: "kind" },
      details: benchmarks.length === 0 ? ["add a document with kind: Benchmark that lists the jobs"] : benchmarks.map((b) => `${b.doc.file}:${b.doc.line}: Benchmark ${b.resource.metadata.name}`),
    });
  }
  const [{ doc, resource, origins }] = benchmarks as [(typeof benchmarks)[number]];
  resource.spec.jobs.forEach((job, index) => {
    if (datasetOrigins.some((d) => d.slug === job.dataset)) return;
    const at = ["spec", "jobs", index, "dataset"];
    datasetOrigins.push({ slug: job.dataset, location: { file: doc.file, ...locate(doc, at), field: formatPath(at) } });
  });
  return { benchmark: resource, datasets, models, format: "resources", origins, datasetOrigins };
}
