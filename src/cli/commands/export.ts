/** `multiverse export run|benchmark NAME --to DIR|FILE.tar [--json]`: verified bundles plus ro-crate-metadata.json. */
import { EXIT_OK } from "../../domain/errors.js";
import { exportRuns } from "../../maintenance/export.js";
import { json, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";
import { formatBytes } from "./gc.js";

export interface ExportCliOptions extends StateRootOptions {
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
