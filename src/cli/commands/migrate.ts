/** `multiverse migrate --state-root DIR [--dry-run] [--json]`: bring an older state root up to this version. */
import { resolve } from "node:path";
import { EXIT_OK } from "../../domain/errors.js";
import { migrateStateRoot } from "../../state/migrate.js";
import { json, type Io } from "../output.js";

export interface MigrateCliOptions {
  stateRoot: string;
  dryRun?: boolean;
  json?: boolean;
}

export function migrateCommand(options: MigrateCliOptions, io: Io): number {
  const report = migrateStateRoot(resolve(options.stateRoot), { dryRun: Boolean(options.dryRun) });
  if (options.json) io.out(json(report));
  else {
    io.out(`${report.applied ? "migrated" : "would migrate"} ${report.stateRoot} from layout version ${report.from} to ${report.to}:`);
    for (const step of report.steps) io.out(`  ${step.from} -> ${step.to}: ${step.description}`);
    if (!report.applied) io.out("dry run: run again without --dry-run to migrate (promoted bundles are never rewritten)");
  }
  return EXIT_OK;
}
