/**
 * The seeds' simple-mode manifest: every value inline (model slug, version and image; dataset slug and path).
 * Hyperparameters are checked against a schema whenever one is known: the model's own
 * `model.hyperparameters_schema` file, else the built-in or registered model of the same slug (taken at plan
 * time, see withCatalogSchema); with neither, the plan says plainly that they go unchecked.
 */
import { API_VERSION, CONTRACT_VERSION, type BenchmarkJob, type BenchmarkResource, type DatasetResource, type ModelResource } from "../domain/resources.js";
import { compile } from "../schemas/ajv.js";
import { formatPath } from "../schemas/error-messages.js";
import { readSchemaFile } from "../schemas/schema-file.js";
import { simpleManifestSchema } from "../schemas/seed-manifests.js";
import { jobOrigin, type DatasetOrigin, type JobOrigin } from "./job-origins.js";
import { benchmarkName, checkExpansion, checkSeedDocument, memLimitOf, type LoaderContext, type ManifestLoadResult } from "./load-options.js";
import { imageIssue } from "./manifest-checks.js";
import { manifestPath } from "./manifest-paths.js";
import { throwIssues, validateDocument, type IssueList } from "./validate-document.js";
import { locate, type LoadedDocument } from "./yaml-documents.js";

interface SimpleManifest {
  globals?: { mv_contract_version?: string | number; experiment_name?: string; validators?: "basic" | "strict" | "developer" };
  jobs: {
    name: string;
    model: { slug: string; version: string; image: string; image_digest?: string; gpu?: boolean; hyperparameters_schema?: string };
    dataset: { slug: string; path: string; n_obs?: number };
    params?: Record<string, unknown>;
    seed?: number;
    mem_limit?: string | number;
  }[];
}

function inlineSchema(path: string | undefined, at: (string | number)[], context: LoaderContext, issues: IssueList): Record<string, unknown> | undefined {
  if (path === undefined) return undefined;
  const file = manifestPath(context.baseDir, path, at, issues, "tree");
  if (file === undefined) return undefined;
  const read = readSchemaFile(file);
  if (!read.ok) {
    issues.push({ path: at, field: formatPath(at), message: `the hyperparameter schema ${read.reason}` });
    return undefined;
  }
  try {
    compile(read.schema);
  } catch (error) {
    issues.push({ path: at, field: formatPath(at), message: `${file} is not a valid JSON Schema: ${(error as Error).message}` });
    return undefined;
  }
  return read.schema;
}

export function fromSimple(doc: LoadedDocument, context: LoaderContext): ManifestLoadResult {
  checkSeedDocument(doc, context, [["globals", "mv_contract_version"]]);
  validateDocument(doc, simpleManifestSchema, "simple manifest");
  const manifest = doc.value as SimpleManifest;
  checkExpansion(doc, manifest.jobs.map((_, index) => ({ at: ["jobs", index], runs: 1 })), context.limits);
  const contract = String(manifest.globals?.mv_contract_version ?? CONTRACT_VERSION);
  const issues: IssueList = [];
  const datasets = new Map<string, DatasetResource>();
  const datasetOrigins: DatasetOrigin[] = [];
  const models = new Map<string, ModelResource>();
  const jobs: BenchmarkJob[] = [];
  const origins: JobOrigin[] = [];
  const names = new Set<string>();
  manifest.jobs.forEach((job, index) => {
    const at = ["jobs", index];
    issues.push(...imageIssue(job.model.image, [...at, "model", "image"]));
    if (names.has(job.name)) {
      issues.push({ path: [...at, "name"], field: `jobs[${index}].name`, message: `job name "${job.name}" is used twice; simple mode writes one bundle directory per job name` });
    }
    names.add(job.name);
    const pathAt = [...at, "dataset", "path"];
    const path = manifestPath(context.baseDir, job.dataset.path, pathAt, issues);
    const known = datasets.get(job.dataset.slug);
    if (known && path !== undefined && known.spec.path !== path) {
      issues.push({ path: [...at, "dataset", "slug"], field: `jobs[${index}].dataset.slug`, message: `dataset slug "${job.dataset.slug}" names two different files` });
    }
    if (!known && path !== undefined) {
      const dataset: DatasetResource = { apiVersion: API_VERSION, kind: "Dataset", metadata: { name: job.dataset.slug }, spec: { path } };
      if (job.dataset.n_obs !== undefined) dataset.spec.nObs = job.dataset.n_obs;
      datasets.set(job.dataset.slug, dataset);
      datasetOrigins.push({ slug: job.dataset.slug, path, location: { file: doc.file, ...locate(doc, pathAt), field: formatPath(pathAt) } });
    }
    const schemaAt = [...at, "model", "hyperparameters_schema"];
    const schema = inlineSchema(job.model.hyperparameters_schema, schemaAt, context, issues);
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
        hyperparametersSchema: schema ?? {},
      },
    };
    if (job.model.image_digest) model.spec.runtime.imageDigest = job.model.image_digest;
    const existing = models.get(job.model.slug);
    if (existing && (existing.spec.version !== model.spec.version || existing.spec.runtime.image !== model.spec.runtime.image || existing.spec.runtime.imageDigest !== model.spec.runtime.imageDigest || JSON.stringify(existing.spec.hyperparametersSchema) !== JSON.stringify(model.spec.hyperparametersSchema))) {
      issues.push({ path: [...at, "model"], field: `jobs[${index}].model`, message: `model "${job.model.slug}" is declared twice with different versions, images, digests or schemas` });
    }
    if (!existing) models.set(job.model.slug, model);
    const converted: BenchmarkJob = { name: job.name, dataset: job.dataset.slug, model: job.model.slug, params: { ...(job.params ?? {}) }, seeds: [job.seed ?? 0] };
    if (job.model.gpu !== undefined) converted.gpu = job.model.gpu;
    if (job.mem_limit !== undefined) {
      const memLimit = memLimitOf(job.mem_limit, [...at, "mem_limit"], issues);
      if (memLimit !== undefined) converted.memLimit = memLimit;
    }
    jobs.push(converted);
    origins.push(jobOrigin(doc, at, {
      name: [...at, "name"],
      dataset: [...at, "dataset", "slug"],
      datasetPath: pathAt,
      model: [...at, "model", "slug"],
      image: [...at, "model", "image"],
      params: [...at, "params"],
      memLimit: [...at, "mem_limit"],
    }));
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
    origins,
    datasetOrigins,
  };
}
