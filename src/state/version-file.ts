/** Reading, writing and checking <state root>/VERSION. */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import { compatibility, currentStateVersion, parseStateVersion, STATE_LAYOUT_VERSION, VERSION_FILE, type StateVersion } from "./format-version.js";

export function readStateVersion(stateRoot: string): StateVersion | undefined {
  const file = join(stateRoot, VERSION_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = parseStateVersion(readFileSync(file, "utf8"));
  if (!parsed.version) throw Errors.schema(`${VERSION_FILE} ${parsed.problem ?? "is unreadable"}`, { location: { file, line: 1 } });
  return parsed.version;
}

export function writeStateVersion(stateRoot: string, version: StateVersion = currentStateVersion()): void {
  const file = join(stateRoot, VERSION_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(version)}\n`);
  renameSync(tmp, file);
}

/** The stored layout version: undefined for a fresh root, 0 for one written before versions were recorded. */
export function storedLayoutVersion(stateRoot: string): number | undefined {
  const version = readStateVersion(stateRoot);
  if (version) return version.layout;
  return existsSync(join(stateRoot, "journal")) ? 0 : undefined;
}

/**
 * Refuses a state root this tool must not use as it is: an older layout (says which migrate command to run) or a
 * newer one. A fresh root gets the current VERSION when `write` is set.
 */
export function checkStateVersion(stateRoot: string, options: { write: boolean }): void {
  const version = readStateVersion(stateRoot);
  const hasJournal = existsSync(join(stateRoot, "journal"));
  const state = compatibility(version?.layout, hasJournal);
  if (state === "fresh") {
    if (options.write) writeStateVersion(stateRoot);
    return;
  }
  if (state === "older") {
    throw Errors.stateNeedsMigration(`state root ${stateRoot} has layout version ${version?.layout ?? 0}; this multiverse uses ${STATE_LAYOUT_VERSION}`, {
      details: [`run: multiverse migrate --state-root ${stateRoot} (add --dry-run to see what it does first)`],
    });
  }
  if (state === "newer") {
    throw Errors.stateTooNew(`state root ${stateRoot} has layout version ${version?.layout ?? "?"}, newer than this multiverse's ${STATE_LAYOUT_VERSION}`, {
      details: ["use the multiverse version that wrote it, or a newer one"],
    });
  }
}
