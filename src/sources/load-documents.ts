/**
 * One file of a watched directory as resources. Kubernetes-style files may declare any number of Dataset,
 * Model and Benchmark documents (zero Benchmarks included), each converted on its own: a bad document is a
 * problem and its neighbours still count, as with kubectl apply. A seed manifest (run_manifest.yaml or the
 * simple form) is one Benchmark with its inline datasets and models, and loads or fails as a whole. A YAML
 * syntax error makes the whole file one problem. The bytes go through the same checks as `multiverse run`'s
 * (UTF-8, size and YAML limits: src/manifest/load-manifest.ts). Pure: no other file is read (dataset paths are
 * only resolved against the file's directory; whether the .h5mu exists is checked when a run is planned).
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileOrigin } from "../domain/origin.js";
import { Errors, isMultiverseError } from "../domain/errors.js";
import { hashCanonical } from "../identity/hash.js";
import { isResourceDocuments, loadManifestText, manifestDocuments, resourceFromDocument } from "../manifest/load-manifest.js";
import { checkManifestSize, manifestLimits } from "../manifest/limits.js";
import { decodeManifestBytes } from "../manifest/manifest-bytes.js";
import type { LoadedDocument } from "../manifest/yaml-documents.js";
import type { JobOrigin } from "../manifest/job-origins.js";
import type { FileSourcedResource, FileSourceProblem } from "./resource-source.js";

export interface LoadedFile {
  resources: FileSourcedResource[];
  problems: FileSourceProblem[];
}

/** An error as a problem of `file`; the error's own location wins when it has one. */
export function problemOf(error: unknown, file: string, line?: number): FileSourceProblem {
  if (isMultiverseError(error)) {
    const { column, field } = error.location;
    const details = error.details.length > 0 ? ` (${error.details.join("; ")})` : "";
    const problem: FileSourceProblem = { file: error.location.file ?? file, code: error.code, message: `${error.message}${details}` };
    const at = error.location.line ?? line;
    if (at !== undefined) problem.line = at;
    if (column !== undefined) problem.column = column;
    if (field !== undefined) problem.field = field;
    return problem;
  }
  // Not a user mistake the loaders know how to name: still one document's problem, never a crashed controller.
  const problem: FileSourceProblem = { file, code: Errors.schema.code, message: `this document could not be loaded: ${(error as Error).message}` };
  if (line !== undefined) problem.line = line;
  return problem;
}

export function sourcedResource(kind: FileSourcedResource["kind"], resource: FileSourcedResource["resource"], file: string, line: number, jobOrigins?: readonly JobOrigin[]): FileSourcedResource {
  const sourced: FileSourcedResource = { kind, name: resource.metadata.name, resource, origin: fileOrigin(file, line), file, line, specHash: hashCanonical(resource.spec), stale: false };
  if (jobOrigins) sourced.jobOrigins = jobOrigins;
  return sourced;
}

/**
 * A file of the watched directory (or `apply -f`) as resources and problems; a file over the size limit is a
 * problem without being read. Errors of the file system (a file gone, no permission) are thrown.
 */
export function loadResourceFile(path: string): LoadedFile {
  const limits = manifestLimits();
  const size = statSync(path).size;
  if (size > limits.maxBytes) {
    try {
      checkManifestSize(size, resolve(path), limits);
    } catch (error) {
      return { resources: [], problems: [problemOf(error, resolve(path), 1)] };
    }
  }
  return loadResourceDocuments(readFileSync(path), path);
}

/** A file's content (its bytes, as read from disk, or text) as resources and problems. */
export function loadResourceDocuments(content: string | Uint8Array, path: string): LoadedFile {
  const file = resolve(path);
  const limits = manifestLimits();
  let documents: LoadedDocument[];
  let text: string;
  try {
    if (typeof content === "string") text = content;
    else {
      checkManifestSize(content.length, file, limits);
      text = decodeManifestBytes(content, file);
    }
    documents = manifestDocuments(text, file, { limits });
  } catch (error) {
    return { resources: [], problems: [problemOf(error, file, 1)] };
  }
  if (documents.length === 0) return { resources: [], problems: [] };
  return isResourceDocuments(documents) ? fromResourceDocuments(documents, file) : fromSeedManifest(text, file, documents[0]!.line);
}

function fromSeedManifest(text: string, file: string, line: number): LoadedFile {
  try {
    const loaded = loadManifestText(text, file);
    return {
      resources: [
        sourcedResource("Benchmark", loaded.benchmark, file, line, loaded.origins),
        ...loaded.datasets.map((d) => sourcedResource("Dataset", d, file, line)),
        ...loaded.models.map((m) => sourcedResource("Model", m, file, line)),
      ],
      problems: [],
    };
  } catch (error) {
    return { resources: [], problems: [problemOf(error, file, line)] };
  }
}

function fromResourceDocuments(documents: LoadedDocument[], file: string): LoadedFile {
  const resources: FileSourcedResource[] = [];
  const problems: FileSourceProblem[] = [];
  const seen = new Map<string, number>();
  for (const doc of documents) {
    try {
      if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
        throw Errors.schema(`document ${doc.index + 1} is not a mapping with apiVersion, kind, metadata and spec`, {
          location: { file, line: doc.line, column: 1, field: "(document)" },
        });
      }
      const converted = resourceFromDocument(doc, dirname(file));
      const key = `${converted.kind}/${converted.resource.metadata.name}`;
      const twin = seen.get(key);
      if (twin !== undefined) {
        throw Errors.duplicate(`${key} is already declared in the document at line ${twin} of this file; this one is ignored`, {
          location: { file, line: doc.line, column: 1, field: "metadata.name" },
        });
      }
      seen.set(key, doc.line);
      resources.push(sourcedResource(converted.kind, converted.resource, file, doc.line, converted.kind === "Benchmark" ? converted.origins : undefined));
    } catch (error) {
      problems.push(problemOf(error, file, doc.line));
    }
  }
  return { resources, problems };
}
