/**
 * The desired state of a tree from what each file declares (pure). Files count in path order: when two files
 * declare the same kind/name, the first wins and the other gets a problem naming both. Two identical inline
 * Datasets or Models (same spec, as two seed manifests on the same data produce) are one declaration, not a
 * conflict; two Benchmarks of one name are always a conflict, since deleting one file would not stop it. A conflict
 * is never silent on either side: the problem sits at the ignored declaration and names the one acted on, and
 * carries `duplicateOf`, so the Benchmark acted on reports it in its own status too.
 */
import { Errors } from "../domain/errors.js";
import { problemOf } from "./load-documents.js";
import type { FileSourcedResource, FileSourceProblem } from "./resource-source.js";

export interface FileDeclarations {
  file: string;
  resources: FileSourcedResource[];
  problems: FileSourceProblem[];
  /** The file is broken or unreadable: what it declares is its last good version. */
  stale: boolean;
}

export function mergeDeclarations(files: readonly FileDeclarations[], treeProblems: readonly FileSourceProblem[] = []): { resources: FileSourcedResource[]; problems: FileSourceProblem[] } {
  const resources: FileSourcedResource[] = [];
  const problems: FileSourceProblem[] = [...treeProblems];
  const owners = new Map<string, FileSourcedResource>();
  for (const declared of [...files].sort((a, b) => compare(a.file, b.file))) {
    problems.push(...declared.problems);
    for (const original of declared.resources) {
      const resource = declared.stale && !original.stale ? { ...original, stale: true } : original;
      const key = `${resource.kind}/${resource.name}`;
      const owner = owners.get(key);
      if (!owner) {
        owners.set(key, resource);
        resources.push(resource);
        continue;
      }
      if (resource.kind !== "Benchmark" && resource.specHash === owner.specHash) continue;
      const error = Errors.duplicate(`${key} is already declared in ${owner.file}:${owner.line}; this declaration is ignored`, {
        location: { file: resource.file, line: resource.line, field: "metadata.name" },
        details: [`the one in ${owner.file}:${owner.line} is acted on until one of the two is removed or renamed`],
      });
      problems.push({ ...problemOf(error, resource.file), duplicateOf: { kind: resource.kind, name: resource.name, file: owner.file, line: owner.line } });
    }
  }
  return { resources, problems: problems.sort(byPlace) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPlace(a: FileSourceProblem, b: FileSourceProblem): number {
  return compare(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || compare(a.message, b.message);
}
