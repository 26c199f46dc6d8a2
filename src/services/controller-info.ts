/**
 * What a running controller leaves in its state root for the other commands: controller.json (pid, watched
 * directory, API address), requests/ (cancel requests handed over by `multiverse cancel`) and source-status.json
 * (the source's latest problems, for `get benchmarks` and `describe`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DesiredState } from "../sources/resource-source.js";

export interface ControllerInfo {
  pid: number;
  stateRoot: string;
  watchDir?: string;
  api?: string;
  startedAt: string;
}

/** `run` and `benchmark` ask for a cancellation; `delete` says a Benchmark was deleted on purpose (no grace). */
export interface CancelRequest {
  kind: "run" | "benchmark" | "delete";
  name: string;
  requestedAt: string;
}

export function controllerInfoPath(stateRoot: string): string {
  return join(stateRoot, "controller.json");
}

export function requestsDir(stateRoot: string): string {
  return join(stateRoot, "requests");
}

export function readControllerInfo(stateRoot: string): ControllerInfo | undefined {
  try {
    return JSON.parse(readFileSync(controllerInfoPath(stateRoot), "utf8")) as ControllerInfo;
  } catch {
    return undefined;
  }
}

/** Hands a request to the running controller (taken within a poll interval, then removed). */
export function writeControllerRequest(stateRoot: string, request: CancelRequest): void {
  const dir = requestsDir(stateRoot);
  mkdirSync(dir, { recursive: true });
  writeAtomically(join(dir, `${Date.now()}-${process.pid}-${request.kind}.json`), JSON.stringify(request));
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export function writeControllerInfo(stateRoot: string, info: ControllerInfo): void {
  writeAtomically(controllerInfoPath(stateRoot), `${JSON.stringify(info, null, 2)}\n`);
}

export function writeSourceStatus(stateRoot: string, state: DesiredState): void {
  const status = {
    revision: state.revision,
    resources: state.resources.map((r) => ({ kind: r.kind, name: r.name, file: r.file, line: r.line, origin: r.origin, stale: r.stale })),
    problems: state.problems,
  };
  writeAtomically(join(stateRoot, "source-status.json"), `${JSON.stringify(status, null, 2)}\n`);
}
