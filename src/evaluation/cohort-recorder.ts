/**
 * Keeps a launch's cohort.json current while the launch runs: a JournalWriter subscriber that rewrites the file
 * (atomically) whenever an attempt of a member is submitted or its bundle promoted.
 */
import type { BenchmarkResource } from "../domain/resources.js";
import type { JournalWriter } from "../journal/journal-writer.js";
import { addMembers, applyCohortRecords, type Cohort, type PlannedMember } from "./cohort.js";
import { writeCohort } from "./launch-store.js";

export class CohortRecorder {
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly stateRoot: string, private readonly benchmark: BenchmarkResource, private current: Cohort) {
    writeCohort(stateRoot, current);
  }

  get cohort(): Cohort {
    return this.current;
  }

  follow(writer: JournalWriter): void {
    this.unsubscribe?.();
    this.unsubscribe = writer.subscribe((records) => this.replace(applyCohortRecords(this.current, records)));
  }

  add(planned: readonly PlannedMember[]): void {
    this.replace(addMembers(this.current, this.benchmark, planned));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private replace(next: Cohort): void {
    if (next === this.current) return;
    this.current = next;
    writeCohort(this.stateRoot, next);
  }
}
