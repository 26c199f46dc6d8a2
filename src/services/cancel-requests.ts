/**
 * Cancel requests handed to a running controller as files in <state root>/requests/ (`multiverse cancel` writes
 * them when a controller holds the lock). Each request is taken once and removed; a bad one is logged and removed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isMultiverseError } from "../domain/errors.js";
import type { ManagedPart } from "../../controllers/manager.js";
import { requestsDir, type CancelRequest } from "./controller-info.js";

const REQUEST_POLL_MS = 300;

export interface CancelTargets {
  cancelRun(idOrName: string): string;
  cancelBenchmark(name: string): number;
  deleteBenchmark(name: string): void;
}

export function cancelRequestPoller(stateRoot: string, targets: CancelTargets, log: (line: string) => void): ManagedPart {
  const dir = requestsDir(stateRoot);
  let timer: NodeJS.Timeout | undefined;
  const take = (): void => {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".json")).sort();
    } catch {
      return;
    }
    for (const file of names) {
      const path = join(dir, file);
      try {
        const request = JSON.parse(readFileSync(path, "utf8")) as CancelRequest;
        if (request.kind === "benchmark") log(`cancel benchmark ${request.name}: ${targets.cancelBenchmark(request.name)} runs`);
        else if (request.kind === "delete") {
          targets.deleteBenchmark(request.name);
          log(`delete benchmark ${request.name}: on purpose, no grace`);
        } else log(`cancel run ${targets.cancelRun(request.name)}`);
      } catch (error) {
        log(`request ${file} ignored: ${isMultiverseError(error) ? error.message : (error as Error).message}`);
      }
      rmSync(path, { force: true });
    }
  };
  return {
    name: "cancel requests",
    start: () => {
      mkdirSync(dir, { recursive: true });
      take();
      timer = setInterval(take, REQUEST_POLL_MS);
    },
    stop: () => clearInterval(timer),
  };
}
