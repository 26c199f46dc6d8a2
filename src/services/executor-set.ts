/** The executors of one state root: one per backend, created on first use (recovery may meet any backend). */
import type { Backend } from "../domain/resources.js";
import type { Executor } from "../executors/executor.js";
import type { RunExecutors } from "../../controllers/run/run-deps.js";

export class LazyExecutors implements RunExecutors {
  private readonly executors = new Map<Backend, Executor>();

  constructor(private readonly make: (backend: Backend) => Executor, initial: Partial<Record<Backend, Executor>> = {}) {
    for (const [backend, executor] of Object.entries(initial) as [Backend, Executor | undefined][]) if (executor) this.executors.set(backend, executor);
  }

  get(backend: Backend): Executor {
    let executor = this.executors.get(backend);
    if (!executor) {
      executor = this.make(backend);
      this.executors.set(backend, executor);
    }
    return executor;
  }

  has(backend: Backend): boolean {
    return this.executors.has(backend);
  }

  created(): Executor[] {
    return [...this.executors.values()];
  }
}
