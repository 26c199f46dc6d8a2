/**
 * The desired state of the watched namespaces from the cached objects (pure):
 * - an object being deleted (deletionTimestamp set) is no longer declared: its Benchmark's runs get cancelled
 *   while the finalizer holds the object;
 * - an object multiverse's own checks refuse is a problem naming the object and the field; the last good version
 *   of the same object (same uid) stays in force, marked stale, as a broken file's does;
 * - resource names are one namespace for multiverse (run names, the journal): across namespaces the first
 *   (by namespace) of a kind/name wins and the others are refused, unless two Datasets or Models are identical;
 * - every object gets a verdict, which becomes its SourceValid condition.
 */
import { Errors } from "../../domain/errors.js";
import { describeOrigin } from "../../domain/origin.js";
import type { SourcedResource, SourceProblem } from "../resource-source.js";
import { convertObject, kubernetesOrigin } from "./object-conversion.js";
import type { KubeObject, SourceKindName } from "./kube-objects.js";

export interface ObservedObject {
  kind: SourceKindName;
  object: KubeObject;
}

export interface ObjectVerdict {
  kind: SourceKindName;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  /** Why the object is refused; none when it is valid. */
  problem?: SourceProblem;
}

export interface ComposedState {
  resources: SourcedResource[];
  problems: SourceProblem[];
  verdicts: ObjectVerdict[];
  /** The last good version of each object by uid, for the next composition. */
  lastGood: Map<string, SourcedResource>;
}

function compareObjects(a: ObservedObject, b: ObservedObject): number {
  const an = `${a.object.metadata.namespace ?? ""}/${a.object.metadata.name}`;
  const bn = `${b.object.metadata.namespace ?? ""}/${b.object.metadata.name}`;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : an < bn ? -1 : an > bn ? 1 : 0;
}

export function composeDesiredState(objects: readonly ObservedObject[], previousGood: ReadonlyMap<string, SourcedResource>, baseDir: string): ComposedState {
  const resources: SourcedResource[] = [];
  const problems: SourceProblem[] = [];
  const verdicts: ObjectVerdict[] = [];
  const lastGood = new Map<string, SourcedResource>();
  const owners = new Map<string, SourcedResource>();
  for (const { kind, object } of [...objects].sort(compareObjects)) {
    if (object.metadata.deletionTimestamp !== undefined) continue;
    const origin = kubernetesOrigin(object);
    const verdict: ObjectVerdict = { kind, namespace: origin.namespace, name: origin.name, uid: origin.uid, generation: origin.generation };
    verdicts.push(verdict);
    const converted = convertObject(kind, object, baseDir);
    let resource: SourcedResource;
    if (converted.ok) {
      resource = converted.resource;
      lastGood.set(origin.uid, resource);
    } else {
      verdict.problem = converted.problem;
      problems.push(converted.problem);
      const good = previousGood.get(origin.uid);
      if (!good) continue;
      lastGood.set(origin.uid, good);
      resource = { ...good, stale: true };
    }
    const key = `${kind}/${origin.name}`;
    const owner = owners.get(key);
    if (!owner) {
      owners.set(key, resource);
      resources.push(resource);
      continue;
    }
    if (kind !== "Benchmark" && owner.specHash === resource.specHash) continue;
    const problem: SourceProblem = {
      origin,
      code: Errors.duplicate.code,
      field: "metadata.name",
      message: `${key} is already declared by ${describeOrigin(owner.origin)}; names are shared by all the namespaces this controller watches, so this one is ignored`,
      resource: { kind, name: origin.name },
    };
    verdict.problem ??= problem;
    problems.push(problem);
  }
  return { resources, problems, verdicts, lastGood };
}
