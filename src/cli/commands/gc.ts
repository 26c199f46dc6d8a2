/**
 * `multiverse gc [--dry-run | --apply] [--retention-failed S] [--retention-cancelled S] [--apply-to-promoted]
 * [--no-export-required] [--json]`: what gc frees (count and bytes), and with --apply frees it.
 */
import { Errors, EXIT_OK } from "../../domain/errors.js";
import { runGc } from "../../maintenance/gc.js";
import { json, table, type Io } from "../output.js";
import { resolveStateRoot, type StateRootOptions } from "../state-root-option.js";

export interface GcCliOptions extends StateRootOptions {
  dryRun?: boolean;
  apply?: boolean;
  retentionFailed: number;
  retentionCancelled: number;
  applyToPromoted?: boolean;
  exportRequired: boolean;
  json?: boolean;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function gcCommand(options: GcCliOptions, io: Io): number {
  if (options.apply && options.dryRun) throw Errors.usage("--apply and --dry-run contradict each other: pick one");
  const report = runGc(
    resolveStateRoot(options),
    { retentionFailedSeconds: options.retentionFailed, retentionCancelledSeconds: options.retentionCancelled, applyToPromoted: Boolean(options.applyToPromoted), exportRequired: options.exportRequired },
    { apply: Boolean(options.apply) },
  );
  if (options.json) {
    io.out(json(report));
    return EXIT_OK;
  }
  const rows = report.decisions.map((d) => [d.collect ? (report.applied ? "removed" : "would remove") : "keep", d.candidate.kind, d.candidate.path, formatBytes(d.candidate.bytes), d.reason]);
  if (rows.length > 0) io.out(table(["ACTION", "KIND", "PATH", "SIZE", "WHY"], rows));
  const { collected, kept } = report.totals;
  const verb = report.applied ? "freed" : "would free";
  io.out(`${verb} ${formatBytes(collected.bytes)} in ${collected.count} director${collected.count === 1 ? "y" : "ies"} (${collected.files} files); kept ${kept.count} (${formatBytes(kept.bytes)})${report.applied ? "" : "; dry run: pass --apply to remove"}`);
  return EXIT_OK;
}
