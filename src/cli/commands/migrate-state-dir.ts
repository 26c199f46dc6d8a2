/** `multiverse migrate-state-dir --from A --to B [--apply] [--json]`: relocate a state root (a preview by default). */
import { EXIT_OK } from "../../domain/errors.js";
import { relocateStateRoot } from "../../maintenance/relocate.js";
import { json, table, type Io } from "../output.js";
import { formatBytes } from "./gc.js";

export interface MigrateStateDirCliOptions {
  from: string;
  to: string;
  apply?: boolean;
  json?: boolean;
}

export function migrateStateDirCommand(options: MigrateStateDirCliOptions, io: Io): number {
  const plan = relocateStateRoot(options.from, options.to, { apply: Boolean(options.apply) });
  if (options.json) io.out(json(plan));
  else {
    io.out(table(["ENTRY", "FILES", "SIZE"], plan.entries.map((e) => [e.name, e.files, formatBytes(e.bytes)])));
    io.out(
      plan.applied
        ? `moved ${plan.from} to ${plan.to} (${plan.files} files, ${formatBytes(plan.bytes)}, by ${plan.method ?? "?"}); use --state-root ${plan.to} or set MULTIVERSE_STATE_DIR`
        : `would move ${plan.from} to ${plan.to} (${plan.files} files, ${formatBytes(plan.bytes)}); preview: pass --apply to move`,
    );
  }
  return EXIT_OK;
}
