/**
 * A Dataset, Model or Benchmark custom resource as a sourced resource, through the same loader and checks as a
 * file's document (src/manifest/resource-documents.ts): the API server's CRD schema is structural and looser than
 * multiverse's own (finite numbers, job names, memory limits, image references, hyperparameter schemas), so an
 * object the server accepted may still be refused here, with the field path. Pure: the object is rendered as JSON
 * text (JSON is YAML) so that every error locates a field, and nothing else is read.
 */
import { Errors, isMultiverseError } from "../../domain/errors.js";
import { describeOrigin, type KubernetesOrigin } from "../../domain/origin.js";
import { hashCanonical } from "../../identity/hash.js";
import { resourceFromDocument } from "../../manifest/resource-documents.js";
import { parseYamlDocuments } from "../../manifest/yaml-documents.js";
import type { SourcedResource, SourceProblem } from "../resource-source.js";
import { API_VERSION, type KubeObject, type SourceKindName } from "./kube-objects.js";

export type Conversion = { ok: true; resource: SourcedResource } | { ok: false; problem: SourceProblem };

export function kubernetesOrigin(object: KubeObject): KubernetesOrigin {
  const { namespace = "", name, uid = "", resourceVersion = "", generation = 0 } = object.metadata;
  return { kind: "kubernetes", namespace, name, uid, resourceVersion, generation };
}

/** The document multiverse's schema reads: the object's name, generation and labels, and its spec. */
function documentOf(kind: SourceKindName, object: KubeObject): Record<string, unknown> {
  const { name, generation, labels } = object.metadata;
  return {
    apiVersion: object.apiVersion ?? API_VERSION,
    kind,
    metadata: { name, ...(generation !== undefined ? { generation } : {}), ...(labels ? { labels } : {}) },
    spec: object.spec ?? {},
  };
}

/**
 * `baseDir` resolves relative dataset paths (there is no manifest directory in a cluster: the controller's working
 * directory, where its volumes are mounted).
 */
export function convertObject(kind: SourceKindName, object: KubeObject, baseDir: string): Conversion {
  const origin = kubernetesOrigin(object);
  const where = describeOrigin(origin);
  const resource = { kind, name: object.metadata.name };
  try {
    const [doc] = parseYamlDocuments(JSON.stringify(documentOf(kind, object), null, 1), where);
    if (!doc) throw Errors.schema(`${kind} ${where} is empty`);
    const converted = resourceFromDocument(doc, baseDir);
    return {
      ok: true,
      resource: { kind, name: object.metadata.name, resource: converted.resource, origin, generation: origin.generation, specHash: hashCanonical(converted.resource.spec), stale: false },
    };
  } catch (error) {
    if (isMultiverseError(error)) {
      const details = error.details.length > 0 ? ` (${error.details.map((d) => d.replace(/^[^:]*:\d+:\d+: /, "")).join("; ")})` : "";
      const field = error.location.field;
      return { ok: false, problem: { origin, code: error.code, message: `${error.message}${details}`, ...(field !== undefined ? { field } : {}), resource } };
    }
    return { ok: false, problem: { origin, code: Errors.schema.code, message: `this object could not be read: ${(error as Error).message}`, resource } };
  }
}
