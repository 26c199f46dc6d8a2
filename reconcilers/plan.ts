/**
 * Pure planning: a Benchmark plus a resolved catalog expands into Runs with deterministic ids.
 * Planning never consults prior results (skip_completed is a separate, explicit decision).
 */
import type {
  Backend,
  BenchmarkJob,
  BenchmarkResource,
  DatasetResource,
  ImageIdentity,
  ModelResource,
  RunSpec,
  ValidatorLevel,
} from "../src/domain/resources.js";
import { CONTRACT_VERSION } from "../src/domain/resources.js";
import { Errors, type ErrorLocation, type MultiverseError } from "../src/domain/errors.js";
import { logicalRunId, paramsHash, runName } from "../src/identity/run-identity.js";
import { resolveHyperparameters } from "../src/schemas/hyperparameters.js";
import { parseMemLimit } from "../src/manifest/mem-limit.js";
import { imageReferenceProblem } from "../src/domain/image-reference.js";
import type { JobField, JobOrigin } from "../src/manifest/job-origins.js";
import { mergeSlurmSettings } from "../src/schemas/slurm-settings.js";
import { resolveBackend } from "../src/executors/backend-resolution.js";
import { duplicateStudyErrors, planSweep, type PlannedSweep } from "../src/sweeps/sweep-plan.js";

export interface PlanCatalog {
  datasets: ReadonlyMap<string, DatasetResource>;
  models: ReadonlyMap<string, ModelResource>;
  /** Image reference -> identity; null when the image is not present in the engine. */
  images: ReadonlyMap<string, ImageIdentity | null>;
}

export interface PlanOptions {
  seedOverride?: number;
  strict?: boolean;
  validators?: ValidatorLevel;
  backend?: Backend;
  /** Where the manifest came from, for error locations. */
  file?: string;
  /** Slurm + Apptainer: run a SIF whose OCI source digest is unknown (identity unverified_local). */
  acceptDegraded?: boolean;
  /** Per job (same index as the Benchmark's jobs): where its fields are in the manifest, for error locations. */
  origins?: readonly JobOrigin[];
}

export interface PlannedRun {
  runId: string;
  name: string;
  spec: RunSpec;
}

export interface PlanResult {
  runs: PlannedRun[];
  /** Jobs of mode "sweep": their runs are the trials an Optuna study asks for (src/sweeps). */
  sweeps: PlannedSweep[];
  errors: MultiverseError[];
  /** What the user should know although nothing is wrong, e.g. hyperparameters no schema checks. */
  notices: string[];
}

const MISSING_IMAGE_DIGEST = "missing";

export function planBenchmark(benchmark: BenchmarkResource, catalog: PlanCatalog, options: PlanOptions = {}): PlanResult {
  const runs: PlannedRun[] = [];
  const errors: MultiverseError[] = [];
  const seen = new Set<string>();
  const sweeps: PlannedSweep[] = [];
  const notices: string[] = [];
  benchmark.spec.jobs.forEach((job, index) => {
    try {
      const model = catalog.models.get(job.model);
      if (model && Object.keys(model.spec.hyperparametersSchema ?? {}).length === 0 && Object.keys(job.params ?? {}).length > 0) {
        notices.push(`jobs[${index}] (${job.name}): model "${job.model}" has no hyperparameter schema (not a built-in or registered model, and none given with it), so its parameters ${Object.keys(job.params).join(", ")} are passed to the container unchecked`);
      }
      if (job.mode === "sweep" || job.sweep !== undefined) {
        sweeps.push(planSweepJob(benchmark, job, index, catalog, options));
        return;
      }
      for (const run of planJob(benchmark, job, index, catalog, options)) {
        // The same logical run requested twice in one benchmark is one run.
        if (seen.has(run.runId)) continue;
        seen.add(run.runId);
        runs.push(run);
      }
    } catch (error) {
      if (error instanceof Error && "code" in error) errors.push(error as MultiverseError);
      else throw error;
    }
  });
  errors.push(...duplicateStudyErrors(sweeps, options.file));
  return { runs, sweeps, errors, notices };
}

/** A sweep job: planned as a train job with its fixed parameters (dataset, image, limits), then its study checked. */
function planSweepJob(benchmark: BenchmarkResource, job: BenchmarkJob, index: number, catalog: PlanCatalog, options: PlanOptions): PlannedSweep {
  const baseRuns = planJob(benchmark, { ...job, mode: "train" }, index, catalog, options);
  return planSweep({
    benchmark: benchmark.metadata.name,
    experimentName: benchmark.spec.experimentName,
    job,
    jobIndex: index,
    model: catalog.models.get(job.model)!,
    baseRuns,
    metrics: job.metrics ?? benchmark.spec.metrics ?? [],
    ...(benchmark.spec.evaluation?.metrics ? { evaluationPreset: benchmark.spec.evaluation.metrics } : {}),
    ...(options.origins?.[index] ? { optimizeMetricLocation: options.origins[index].at("optimizeMetric") } : {}),
    file: options.file,
  });
}

function planJob(benchmark: BenchmarkResource, job: BenchmarkJob, index: number, catalog: PlanCatalog, options: PlanOptions): PlannedRun[] {
  const where = `jobs[${index}] (${job.name})`;
  const origin = options.origins?.[index];
  const at = (field: JobField, sub?: (string | number)[]): ErrorLocation => origin?.at(field, sub) ?? { file: options.file, field: `jobs[${index}]` };
  const location = at("job");
  const dataset = catalog.datasets.get(job.dataset);
  if (!dataset) {
    throw Errors.unknownDataset(`${where}: dataset "${job.dataset}" is not registered and not declared in the manifest`, {
      location: at("dataset"),
      details: [`known datasets: ${[...catalog.datasets.keys()].sort().join(", ") || "(none)"}`, "register it with: multiverse register-dataset <path.h5mu> --slug " + job.dataset],
    });
  }
  const model = catalog.models.get(job.model);
  if (!model) {
    throw Errors.unknownModel(`${where}: model "${job.model}" is not a built-in or registered model`, {
      location: at("model"),
      details: [`known models: ${[...catalog.models.keys()].sort().join(", ") || "(none)"}`],
    });
  }
  checkModalities(job, dataset, model, where, location);
  const fingerprint = dataset.spec.fingerprint;
  const nObs = dataset.spec.nObs;
  if (!fingerprint || nObs === undefined) {
    throw Errors.badDataset(`${where}: dataset "${job.dataset}" has not been inspected (no fingerprint or n_obs)`, { location: at("datasetPath") });
  }
  const params = resolveHyperparameters(model.spec.hyperparametersSchema, job.params, {
    model: model.spec.slug,
    job: `jobs[${index}] (${job.name})`,
    file: options.file,
    ...(origin ? { locate: (path: (string | number)[]) => at("params", path) } : {}),
  });
  const backend = resolveBackend({ override: options.backend, job: job.backend, benchmark: benchmark.spec.backend });
  if (job.imageSif !== undefined && backend !== "slurm") {
    const sifAt = at("imageSif");
    throw Errors.schema(`${where}: image_sif names a SIF for the Slurm + Apptainer path, but the job runs on backend "${backend}"`, {
      location: origin ? sifAt : { ...location, field: `jobs[${index}].image_sif` },
      details: ["run it with --backend slurm (or globals.backend: slurm), or remove image_sif"],
    });
  }
  const badImage = job.imageSif === undefined ? imageReferenceProblem(model.spec.runtime.image) : undefined;
  if (badImage) {
    throw Errors.badModel(`${where}: model "${model.spec.slug}": ${badImage}`, { location: at("image"), details: model.spec.directory ? [`the model is defined in ${model.spec.directory}`] : [] });
  }
  // A job's own SIF (image_sif) replaces the model's image on the Slurm path; its image_digest is the SIF's OCI source.
  const reference = job.imageSif ?? model.spec.runtime.image;
  const sourceDigest = job.imageDigest ?? model.spec.runtime.imageDigest;
  const resolved = catalog.images.get(reference);
  if (!resolved && model.spec.build?.unavailable) {
    throw Errors.unknownModel(`${where}: model "${model.spec.slug}" is defined but cannot be built here: ${model.spec.build.unavailable}`, {
      location,
      details: [`provide the image ${reference} (or the model's environment for --backend local) by other means, then run again`],
    });
  }
  const strict = options.strict ?? benchmark.spec.strict ?? false;
  let image: ImageIdentity = resolved ?? { reference, kind: "unverified_local", digest: MISSING_IMAGE_DIGEST };
  if (image.sifDigest) {
    // Dual digest: the OCI source the SIF was built from, and the SIF that physically runs.
    if (sourceDigest) image = { ...image, kind: "registry", digest: sourceDigest };
    else if (!options.acceptDegraded) {
      throw Errors.strictImage(`${where}: the SIF ${image.reference} has no OCI source digest (identity unverified_local); the Slurm path refuses it by default`, {
        location,
        details: ["give the model's image_digest (the registry digest the SIF was built from), or pass --accept-degraded to run it as unverified_local"],
      });
    }
  }
  if (sourceDigest && image.kind !== "registry") {
    image.digest = image.digest === MISSING_IMAGE_DIGEST ? sourceDigest : image.digest;
  }
  if (strict && resolved && resolved.kind !== "registry") {
    throw Errors.strictImage(
      `${where}: image "${reference}" has no registry digest (identity unverified_local); --strict refuses it`,
      { location, details: ["push and pull the image through a registry, or run without --strict (the default accepts local builds)"] },
    );
  }
  const memLimitBytes = job.memLimit !== undefined
    ? parseMemLimit(job.memLimit)
    : model.spec.resources?.memGb !== undefined ? Math.round(model.spec.resources.memGb * 1024 ** 3) : undefined;
  const seeds = options.seedOverride !== undefined ? [options.seedOverride] : job.seeds;
  const preprocessing = job.preprocessing ?? {};
  return seeds.map((seed) => {
    const runId = logicalRunId({
      datasetFingerprint: fingerprint,
      modelSlug: model.spec.slug,
      modelVersion: model.spec.version,
      image,
      params,
      seed,
      preprocessing,
      contractVersion: model.spec.contractVersion || CONTRACT_VERSION,
    });
    const spec: RunSpec = {
      benchmark: benchmark.metadata.name,
      jobName: job.name,
      dataset: dataset.metadata.name,
      datasetPath: dataset.spec.path,
      datasetFingerprint: fingerprint,
      nObs,
      model: model.spec.slug,
      modelVersion: model.spec.version,
      contractVersion: model.spec.contractVersion || CONTRACT_VERSION,
      image,
      params,
      paramsHash: paramsHash(params),
      seed,
      preprocessing,
      backend,
      gpu: job.gpu ?? model.spec.resources?.gpu ?? false,
      validators: options.validators ?? benchmark.spec.validators ?? "basic",
      strict,
      experimentName: benchmark.spec.experimentName,
      layout: benchmark.spec.layout ?? "store",
      retries: job.retries ?? 0,
      ...(job.oomRetries ? { oomRetries: job.oomRetries } : {}),
      ...(benchmark.spec.tracking ? { tracking: benchmark.spec.tracking } : {}),
    };
    if (dataset.spec.batchKey !== undefined) spec.batchKey = dataset.spec.batchKey;
    if (dataset.spec.labelKey !== undefined) spec.labelKey = dataset.spec.labelKey;
    if (memLimitBytes !== undefined) spec.memLimitBytes = memLimitBytes;
    const cpus = job.cpus ?? model.spec.resources?.cpus;
    if (cpus !== undefined) spec.cpus = cpus;
    if (job.timeoutSeconds !== undefined) spec.timeoutSeconds = job.timeoutSeconds;
    const outputLimits = { ...model.spec.resources?.outputLimits, ...job.outputLimits };
    if (Object.keys(outputLimits).length > 0) spec.outputLimits = outputLimits;
    if (model.spec.runtime.entrypoint) spec.entrypoint = model.spec.runtime.entrypoint;
    if (model.spec.directory) spec.modelDirectory = model.spec.directory;
    const slurm = backend === "slurm" ? mergeSlurmSettings(benchmark.spec.slurm, job.slurm) : undefined;
    if (slurm) spec.slurm = slurm;
    return { runId, name: runName(job.name, seed, runId), spec };
  });
}

function checkModalities(job: BenchmarkJob, dataset: DatasetResource, model: ModelResource, where: string, location: ErrorLocation): void {
  const available = new Set((dataset.spec.modalities ?? []).map((m) => m.toLowerCase()));
  if (available.size === 0) return; // inline simple-mode datasets are not inspected for modalities
  const required = (model.spec.requiredModalities ?? []).map((m) => m.toLowerCase());
  const missing = required.filter((m) => !available.has(m));
  if (missing.length > 0) {
    throw Errors.modalities(
      `${where}: model "${model.spec.slug}" needs modalities ${required.join(" + ")}, but dataset "${job.dataset}" has ${[...available].join(", ")} (missing: ${missing.join(", ")})`,
      { location },
    );
  }
  const supported = model.spec.supportedOmics.map((m) => m.toLowerCase());
  if (supported.length > 0 && !supported.includes("any") && ![...available].some((m) => supported.includes(m))) {
    throw Errors.modalities(
      `${where}: model "${model.spec.slug}" supports ${supported.join(", ")}, but dataset "${job.dataset}" has only ${[...available].join(", ")}`,
      { location },
    );
  }
}
