/** The flags of `multiverse gc`, `export`, `migrate` and `migrate-state-dir` (their work is in commands/<name>.ts, loaded when it runs). */
import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_RETENTION_SECONDS } from "../../reconcilers/gc.js";
import type { Io } from "./output.js";
import { withStateRoot } from "./state-root-option.js";

function seconds(flag: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a whole number of seconds (0 or more), got "${value}"`);
    return Number.parseInt(value, 10);
  };
}

export function registerGcCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  withStateRoot(program.command("gc").description("garbage-collect failed workspaces, cancelled runs and quarantine entries (a dry run unless --apply)"))
    .option("--dry-run", "show what would be removed (the default)")
    .option("--apply", "remove it (journaled, under the state root's lock)")
    .option("--retention-failed <seconds>", "keep failed workspaces and quarantine entries this long", seconds("--retention-failed"), DEFAULT_RETENTION_SECONDS)
    .option("--retention-cancelled <seconds>", "keep cancelled runs' files this long", seconds("--retention-cancelled"), DEFAULT_RETENTION_SECONDS)
    .option("--apply-to-promoted", "also consider promoted bundles (only exported ones unless --no-export-required)")
    .option("--no-export-required", "with --apply-to-promoted: remove bundles without an EXPORTED marker too")
    .option("--json", "machine-readable output")
    .action(async (options) => setExit((await import("./commands/gc.js")).gcCommand(options, io)));
}

export function registerExportCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  withStateRoot(program.command("export <kind> <name>").description("export a run's (kind run) or a benchmark's promoted bundles, checksums verified, as an RO-Crate directory or .tar"))
    .requiredOption("--to <dir-or-tar>", "a new directory, or a new file ending in .tar")
    .option("--json", "machine-readable output")
    .action(async (kind: string, name: string, options) => setExit(await (await import("./commands/export.js")).exportCommand(kind, name, options, io)));
}

export function registerMigrateCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("migrate")
    .description("bring a state root written by an older multiverse up to this version (once; bundles are never rewritten)")
    .requiredOption("--state-root <dir>", "the state root")
    .option("--dry-run", "show the steps without changing anything")
    .option("--json", "machine-readable output")
    .action(async (options) => setExit((await import("./commands/migrate.js")).migrateCommand(options, io)));
}

export function registerMigrateStateDirCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("migrate-state-dir")
    .description("relocate a state root (journal, index, store, catalog) to a new directory (a preview unless --apply)")
    .requiredOption("--from <dir>", "the state root as it is")
    .requiredOption("--to <dir>", "a new or empty directory")
    .option("--apply", "move it")
    .option("--json", "machine-readable output")
    .action(async (options) => setExit((await import("./commands/migrate-state-dir.js")).migrateStateDirCommand(options, io)));
}
