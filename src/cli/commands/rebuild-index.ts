import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Errors, EXIT_OK, EXIT_RUN_FAILED } from "../../domain/errors.js";
import { rebuildIndex, verifyIndex } from "../../index/run-index.js";
import { json, type Io } from "../output.js";

export interface RebuildIndexOptions {
  stateRoot: string;
  storeRoot?: string;
  verify?: boolean;
  json?: boolean;
}

export function rebuildIndexCommand(options: RebuildIndexOptions, io: Io): number {
  const root = resolve(options.stateRoot);
  if (!existsSync(root)) throw Errors.notFound(`state root ${root} does not exist`);
  if (options.verify) {
    const result = verifyIndex(root);
    if (options.json) io.out(json(result));
    else if (result.inSync) io.out(`index in sync with the journal (${root})`);
    else io.out([`index drift detected (${result.drift.length}):`, ...result.drift.map((d) => `  ${d}`)].join("\n"));
    return result.inSync ? EXIT_OK : EXIT_RUN_FAILED;
  }
  const result = rebuildIndex(root);
  if (options.json) io.out(json(result));
  else io.out(`rebuilt index of ${root}: ${result.runs} runs from ${result.records} journal records${result.tornTail ? " (a torn journal tail was ignored)" : ""}`);
  return EXIT_OK;
}
