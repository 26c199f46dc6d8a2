/**
 * Starts and stops the parts of a process in order, once (controller-runtime's manager): parts start in the order
 * they were added; when one fails to start, the parts already started stop again in reverse; stop() stops every
 * started part in reverse order, once, even when one of them fails to stop. `multiverse run` and `multiverse
 * controller` compose the same kinds of parts.
 */
export interface ManagedPart {
  readonly name: string;
  start(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export class Manager {
  private readonly parts: ManagedPart[] = [];
  private readonly started: ManagedPart[] = [];
  private stopping: Promise<void> | undefined;
  private phase: "new" | "starting" | "started" | "stopped" = "new";

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  add(part: ManagedPart): this {
    if (this.phase !== "new") throw new Error(`part ${part.name} added after the manager started`);
    this.parts.push(part);
    return this;
  }

  async start(): Promise<void> {
    if (this.phase !== "new") throw new Error("the manager starts once");
    this.phase = "starting";
    for (const part of this.parts) {
      try {
        await part.start();
        this.started.push(part);
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
    this.phase = "started";
  }

  /**
   * Starts one more part now (for parts made from what earlier ones found: `multiverse run` opens its journal session
   * once the plan is known) and returns what its start returned; it is stopped with the others, before them.
   */
  async startPart<T>(name: string, start: () => T | Promise<T>, stop?: (value: T) => void | Promise<void>): Promise<T> {
    if (this.phase === "stopped") throw new Error(`part ${name} started after the manager stopped`);
    const value = await start();
    this.started.push({ name, start: () => undefined, ...(stop ? { stop: () => stop(value) } : {}) });
    if (this.phase === "new") this.phase = "started";
    return value;
  }

  /** Stops every started part in reverse order; resolves when all have stopped. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.phase = "stopped";
      for (const part of [...this.started].reverse()) {
        try {
          await part.stop?.();
        } catch (error) {
          this.log(`${part.name} did not stop cleanly: ${(error as Error).message}`);
        }
      }
      this.started.length = 0;
    })();
    return this.stopping;
  }
}
