/**
 * Where each Benchmark job came from in its manifest, so that errors found later (at plan time: an unknown model
 * or dataset, bad hyperparameters, a dataset file that cannot be read) still point at file:line:column.
 */
import { MultiverseError, isMultiverseError, type ErrorLocation } from "../domain/errors.js";
import { formatPath } from "../schemas/error-messages.js";
import { locate, type LoadedDocument } from "./yaml-documents.js";

/** The fields of a Benchmark job that plan-time errors name. */
export type JobField = "job" | "name" | "dataset" | "datasetPath" | "model" | "params" | "image" | "imageSif" | "memLimit" | "optimizeMetric";

export interface JobOrigin {
  /** The location of a field of the job (or of a key under it, e.g. one hyperparameter). */
  at(field: JobField, sub?: (string | number)[]): ErrorLocation;
}

/** Builds a JobOrigin from the manifest paths of the job's fields (fields not given fall back to the job itself). */
export function jobOrigin(doc: LoadedDocument, job: (string | number)[], fields: Partial<Record<JobField, (string | number)[]>>): JobOrigin {
  return {
    at(field, sub = []) {
      const base = field === "job" ? job : fields[field] ?? job;
      const path = [...base, ...sub];
      return { file: doc.file, ...locate(doc, path), field: formatPath(path) };
    },
  };
}

/**
 * Job origins for a Benchmark that has no file (a Kubernetes object): errors name the field's path
 * (spec.jobs[0].params.n_latent), as the API server's own validation does.
 */
export function fieldPathOrigins(jobCount: number): JobOrigin[] {
  const fields: Partial<Record<JobField, string[]>> = { name: ["name"], dataset: ["dataset"], datasetPath: ["dataset"], model: ["model"], image: ["model"], params: ["params"], imageSif: ["imageSif"], memLimit: ["memLimit"], optimizeMetric: ["sweep", "optimizeMetric"] };
  return Array.from({ length: jobCount }, (_, index) => ({
    at(field: JobField, sub: (string | number)[] = []): ErrorLocation {
      const key = field === "job" ? [] : fields[field] ?? [];
      return { field: formatPath(["spec", "jobs", index, ...key, ...sub]) };
    },
  }));
}

export interface DatasetOrigin {
  slug: string;
  /** The resolved file, as errors about it name it. */
  path?: string;
  location: ErrorLocation;
}

/**
 * An error about a dataset file (it names the .h5mu, not the manifest) moved to the manifest line that declares
 * or uses the dataset; the file stays in the message's details. Other errors pass through unchanged.
 */
export function relocateDatasetError(error: unknown, datasets: readonly DatasetOrigin[]): unknown {
  if (!isMultiverseError(error)) return error;
  const file = error.location.file;
  const named = /^dataset "([^"]+)"/.exec(error.message)?.[1];
  const origin = datasets.find((d) => (file !== undefined && d.path === file) || d.slug === named);
  if (!origin || (file !== undefined && file === origin.location.file)) return error;
  const where = file && file !== origin.location.file ? [`dataset file: ${file}${error.location.field ? ` (${error.location.field})` : ""}`] : [];
  return new MultiverseError(error.code, error.message, {
    exitCode: error.exitCode,
    location: origin.location,
    details: [...where, ...error.details],
    cause: error,
  });
}
