/**
 * One file of a watched directory as resources. Kubernetes-style files may declare any number of Dataset,
 * Model and Benchmark documents, each converted on its own (a bad document is a problem, its neighbours still
 * count, as with kubectl apply); a seed manifest (run_manifest.yaml or the simple form) is one Benchmark with its
 * inline datasets and models. A YAML syntax error makes the whole file a problem.
 */
import { dirname, resolve } from "node:path";
import { isMultiverseError } from "../domain/errors.js";
import { hashCanonical } from "../identity/hash.js";
import { isResourceDocuments, loadManifestText, resourceFromDocument } from "../manifest/load-manifest.js";
import { parseYamlDocuments } from "../manifest/yaml-documents.js";
import type { SourcedResource, SourceProblem } from "./resource-source.js";

export interface LoadedFile {
  resources: SourcedResource[];
  problems: SourceProblem[];
}

export function problemOf(error: unknown, file: string): SourceProblem {
  if (isMultiverseError(error)) {
    const { line, column, field } = error.location;
    const details = error.details.length > 0 ? ` (${error.details.join("; ")})` : "";
    return { file: error.location.file ?? file, line, column, field, code: error.code, message: `${error.message}${details}` };
  }
  return { file, code: "MV_INTERNAL", message: (error as Error).message };
}

function sourced(kind: SourcedResource["kind"], resource: SourcedResource["resource"], file: string, line: number): SourcedResource {
  return { kind, name: resource.metadata.name, resource, file, line, specHash: hashCanonical(resource.spec), stale: false };
}

export function loadResourceDocuments(text: string, path: string): LoadedFile {
  const file = resolve(path);
  let documents;
  try {
    if (text.includes("\u0000")) throw new Error("the file contains a NUL byte; is it a binary file?");
    documents = parseYamlDocuments(text, file).filter((d) => d.value !== null && d.value !== undefined);
  } catch (error) {
    const problem = problemOf(error, file);
    return { resources: [], problems: [isMultiverseError(error) ? problem : { ...problem, code: "MV_YAML_SYNTAX" }] };
  }
  if (documents.length === 0) return { resources: [], problems: [] };
  if (!isResourceDocuments(documents)) {
    try {
      const loaded = loadManifestText(text, file);
      return {
        resources: [
          sourced("Benchmark", loaded.benchmark, file, 1),
          ...loaded.datasets.map((d) => sourced("Dataset", d, file, 1)),
          ...loaded.models.map((m) => sourced("Model", m, file, 1)),
        ],
        problems: [],
      };
    } catch (error) {
      return { resources: [], problems: [problemOf(error, file)] };
    }
  }
  const resources: SourcedResource[] = [];
  const problems: SourceProblem[] = [];
  const seen = new Map<string, number>();
  for (const doc of documents) {
    try {
      if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
        throw new Error(`document ${doc.index + 1} is not a mapping with apiVersion, kind, metadata and spec`);
      }
      const converted = resourceFromDocument(doc, dirname(file));
      const key = `${converted.kind}/${converted.resource.metadata.name}`;
      const twin = seen.get(key);
      if (twin !== undefined) {
        problems.push({ file, line: doc.line, field: "metadata.name", code: "MV_SCHEMA", message: `${key} is already declared in the document at line ${twin}; this one is ignored` });
        continue;
      }
      seen.set(key, doc.line);
      resources.push(sourced(converted.kind, converted.resource, file, doc.line));
    } catch (error) {
      const problem = problemOf(error, file);
      problems.push({ ...problem, line: problem.line ?? doc.line, code: isMultiverseError(error) ? problem.code : "MV_SCHEMA" });
    }
  }
  return { resources, problems };
}
