/** `multiverse export run|benchmark NAME --to DIR|FILE.tar [--json]`: verified bundles plus ro-crate-metadata.json. */
import type { Command } from "commander";
import { EXIT_OK } from "../../domain/errors.js";
import { exportRuns } from "../../maintenance/export.js";
import { json, type Io } from "../output.js";
import { resolveStateRoot, withStateRoot, type StateRootOptions } from "../state-root-option.js";
import { formatBytes } from "./gc.js";

interface ExportCliOptions extends StateRootOptions {
  to: string;
  json?: boolean;
}

export async function exportCommand(kind: string, name: string, options: ExportCliOptions, io: Io): Promise<number> {
  const result = await exportRuns(resolveStateRoot(options), kind, name, options.to);
  if (options.json) io.out(json(result));
  else {
    const bytes = result.bundles.reduce((sum, b) => sum + b.bytes, 0);
    io.out(`exported ${result.bundles.length} bundle(s), ${result.bundles.reduce((n, b) => n + b.files, 0)} files (${formatBytes(bytes)}), every checksum verified, to ${result.to} (${result.format}, RO-Crate 1.1)`);
  }
  return EXIT_OK;
}

export function registerExportCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  withStateRoot(program.command("export <kind> <name>").description("export a run's (kind run) or a benchmark's promoted bundles, checksums verified, as an RO-Crate directory or .tar"))
    .requiredOption("--to <dir-or-tar>", "a new directory, or a new file ending in .tar")
    .option("--json", "machine-readable output")
    .action(async (kind: string, name: string, options: ExportCliOptions) => setExit(await exportCommand(kind, name, options, io)));
}
