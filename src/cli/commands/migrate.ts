/** `multiverse migrate --state-root DIR [--dry-run] [--json]`: bring an older state root up to this version. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { EXIT_OK } from "../../domain/errors.js";
import { migrateStateRoot } from "../../state/migrate.js";
import { json, type Io } from "../output.js";

interface MigrateCliOptions {
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

export function registerMigrateCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("migrate")
    .description("bring a state root written by an older multiverse up to this version (once; bundles are never rewritten)")
    .requiredOption("--state-root <dir>", "the state root")
    .option("--dry-run", "show the steps without changing anything")
    .option("--json", "machine-readable output")
    .action((options: MigrateCliOptions) => setExit(migrateCommand(options, io)));
}
