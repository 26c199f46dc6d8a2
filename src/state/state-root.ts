/**
 * The state root (the `--output` directory of `multiverse run`, or a controller's `--state-root`):
 * journal, index, workspaces, artifacts, catalog, owner id and the single-writer lock.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Errors } from "../domain/errors.js";
import { processAlive } from "../util/process.js";

import { locateStateRoot } from "./locate.js";
import { checkStateVersion } from "./version-file.js";

/** The state root when no flag names one (resolve-state-root.ts: environment, config file, XDG, home). */
export function defaultStateRoot(): string {
  return locateStateRoot().path;
}

/** A stable id for this state root, stored in it, used as the owner label of engine-side objects. */
export function ownerIdOf(stateRoot: string): string {
  const file = join(stateRoot, "owner-id");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(stateRoot, { recursive: true });
  const id = randomUUID().replace(/-/g, "").slice(0, 16);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${id}\n`);
  renameSync(tmp, file);
  return readFileSync(file, "utf8").trim();
}

export interface StateLock {
  release(): void;
}

/**
 * One writer per state root. The lock file holds the owner's pid; a lock whose process is gone is stale
 * and taken over (so a controller killed with SIGKILL does not block its successor).
 */
export function acquireStateLock(stateRoot: string, purpose: string, options: { migrating?: boolean } = {}): StateLock {
  mkdirSync(stateRoot, { recursive: true });
  // A writer of an older or newer layout would corrupt it; `multiverse migrate` is the one writer allowed in.
  if (!options.migrating) checkStateVersion(stateRoot, { write: true });
  const file = join(stateRoot, "controller.lock");
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, purpose, since: new Date().toISOString() }));
      closeSync(fd);
      return {
        release: () => {
          try {
            const holder = JSON.parse(readFileSync(file, "utf8")) as { pid?: number };
            if (holder.pid === process.pid) unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && processAlive(holder.pid)) {
        throw Errors.stateLocked(`state root ${stateRoot} is in use by process ${holder.pid} (${holder.purpose ?? "unknown"}, since ${holder.since ?? "?"})`, {
          details: ["only one multiverse process may write a state root at a time; wait for it to finish or stop it"],
        });
      }
      try {
        unlinkSync(file);
      } catch {
        // raced with another process taking it over; retry
      }
    }
  }
  throw Errors.stateLocked(`could not acquire the lock of state root ${stateRoot}`);
}

/** The live process holding a state root's lock, if any (a stale lock of a dead process is no holder). */
export function lockHolder(stateRoot: string): { pid: number; purpose?: string; since?: string } | undefined {
  const holder = readHolder(join(stateRoot, "controller.lock"));
  return holder && processAlive(holder.pid) ? holder : undefined;
}

function readHolder(file: string): { pid: number; purpose?: string; since?: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown; purpose?: string; since?: string };
    return typeof parsed.pid === "number" ? { pid: parsed.pid, purpose: parsed.purpose, since: parsed.since } : undefined;
  } catch {
    return undefined;
  }
}

