/** A clock that moves only when told, for the FakeExecutor and the code it runs under. */
export class ManualClock {
  constructor(private ms = Date.parse("2026-01-01T00:00:00Z")) {}

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    this.ms += ms;
  }
}
