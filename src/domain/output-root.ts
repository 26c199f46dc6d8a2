/**
 * The output root of a state root: the directory its recorded paths are relative to. The store layout keeps its
 * state in the output root itself; the simple layout (`run --simple --out DIR`) keeps it in DIR/.multiverse, and
 * its bundles sit next to that, in DIR.
 */
import { basename, dirname, resolve } from "node:path";

export const SIMPLE_STATE_DIR_NAME = ".multiverse";

export function outputRootOf(stateRoot: string): string {
  const absolute = resolve(stateRoot);
  return basename(absolute) === SIMPLE_STATE_DIR_NAME ? dirname(absolute) : absolute;
}
