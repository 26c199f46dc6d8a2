/**
 * Desired state as a controller sees it: every resource declared by a source (a watched directory, a git
 * checkout, later the Kubernetes API), with where it came from, plus the problems that kept documents out.
 * A source is level-triggered: each change hands over the whole current state, never a diff.
 */
import type { BenchmarkResource, DatasetResource, ModelResource } from "../domain/resources.js";
import type { FileOrigin, ResourceOrigin } from "../domain/origin.js";

export type SourcedKind = "Dataset" | "Model" | "Benchmark";

export interface SourcedResource {
  kind: SourcedKind;
  name: string;
  resource: DatasetResource | ModelResource | BenchmarkResource;
  /** Where it is declared: a file and line, or a Kubernetes object. */
  origin: ResourceOrigin;
  /** The source's own generation of the resource (Kubernetes metadata.generation); else one is counted from spec changes. */
  generation?: number;
  /** File sources: the declaring file and its document's line (the file origin's, for the file source's readers). */
  file?: string;
  line?: number;
  /** Canonical hash of the resource's spec: a change of spec is a new generation. */
  specHash: string;
  /**
   * True when the file is currently broken and this is the last good version of the resource from it: a
   * half-written or mistyped file must not delete (and so cancel) what it declared before.
   */
  stale: boolean;
}

/** A resource of the file source: the file and line are always known. */
export type FileSourcedResource = SourcedResource & { origin: FileOrigin; file: string; line: number };

export interface SourceProblem {
  /** Where the problem is: a file (and line), or a Kubernetes object. */
  origin?: ResourceOrigin;
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  /** The error code (Errors.* codes, e.g. MV_YAML_SYNTAX, MV_SCHEMA). */
  code: string;
  message: string;
  /**
   * The resource the problem keeps out, when the source knows it (a Kubernetes object is one resource): it still
   * exists, so it is never taken for deleted.
   */
  resource?: { kind: SourcedKind; name: string };
}

/** A problem of the file source: the file is always known. */
export type FileSourceProblem = SourceProblem & { file: string };

export interface DesiredState {
  /** Increases with every state handed out by this source instance. */
  revision: number;
  resources: SourcedResource[];
  problems: SourceProblem[];
}

export interface ResourceSource {
  /** Reads the whole source once, calls onChange with it, then on every settled change. */
  start(onChange: (state: DesiredState) => void): Promise<void>;
  current(): DesiredState;
  stop(): Promise<void>;
}
