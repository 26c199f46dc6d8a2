/**
 * Admission of PENDING runs: arrival order (FIFO across benchmarks) and the broker's pure decision over the
 * reservations of attempts that hold resources. The run now first in line is woken when a reservation is
 * released or the line moves.
 */
import type { Capacity } from "../../src/domain/capacity.js";
import type { RunRecord } from "../../src/journal/run-records.js";
import { admit, demandOf, type Admission, type Reservation } from "../../reconcilers/broker.js";
import { holdsReservation } from "../../reconcilers/run-reconciler.js";
import { effectiveMemLimit } from "../../reconcilers/retry-policy.js";
import type { RunStore } from "./run-store.js";

export class AdmissionLine {
  private readonly line: string[] = [];

  constructor(private readonly store: RunStore, private readonly capacity: Capacity, private readonly wake: (runId: string) => void) {}

  enqueue(runId: string): void {
    if (!this.line.includes(runId)) this.line.push(runId);
  }

  /** The run left PENDING: it leaves the line (and the next one gets a look when it was first). */
  leave(runId: string): void {
    const at = this.line.indexOf(runId);
    if (at >= 0) this.line.splice(at, 1);
    if (at === 0) this.wakeHead();
  }

  /** A reservation was released or the line moved: the run now first in line gets a look. */
  wakeHead(): void {
    const head = this.line[0];
    if (head !== undefined) this.wake(head);
  }

  admission(record: RunRecord): Admission {
    return admit({ runId: record.runId, demand: this.demand(record) }, this.capacity, this.reservations(), this.line);
  }

  /** The memory limit of the run's next (or current) attempt: grown after OOM kills, capped by the capacity. */
  memLimit(record: RunRecord): number | undefined {
    const oomKills = [...record.exited.values()].filter((e) => e.oomKilled).length;
    return effectiveMemLimit(record.spec, oomKills, this.capacity.memBytes);
  }

  /** What the run's next (or current) attempt reserves: the ledger's grant. */
  demandFor(record: RunRecord): { cpus: number; memBytes: number; gpus: number } {
    return this.demand(record);
  }

  private demand(record: RunRecord) {
    return demandOf({ ...record.spec, memLimitBytes: this.memLimit(record) });
  }

  private reservations(): Reservation[] {
    const held: Reservation[] = [];
    for (const run of this.store.values()) if (holdsReservation(run.snapshot)) held.push({ runId: run.runId, demand: this.demand(run) });
    return held;
  }
}
