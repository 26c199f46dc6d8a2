/**
 * Dashboards poll the same pages of the run listing: a page is kept with the index's data_version it was read at
 * and read again only after the index was written to. The oldest entry goes first once the cache is full.
 */
export class RunPageCache {
  private readonly pages = new Map<string, { version: string; body: object }>();

  constructor(readonly capacity = 256) {}

  /** The page read at `version`, if it is still current. */
  get(key: string, version: string): object | undefined {
    const cached = this.pages.get(key);
    return cached && cached.version === version ? cached.body : undefined;
  }

  set(key: string, version: string, body: object): void {
    this.pages.delete(key);
    if (this.pages.size >= this.capacity) {
      const oldest = this.pages.keys().next();
      if (!oldest.done) this.pages.delete(oldest.value);
    }
    this.pages.set(key, { version, body });
  }

  get size(): number {
    return this.pages.size;
  }
}
