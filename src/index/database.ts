/** The RunIndex class: one SQLite connection, the projection of journal records, and the queries. */
import { mkdirSync } from "node:fs";
import { outputRootOf } from "../domain/output-root.js";
import { fromStoredPath, storedRecord } from "../journal/stored-paths.js";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { Errors } from "../domain/errors.js";
import { benchmarkRow, type ReservationEventRow, type AttemptRow, type BenchmarkRow, type RunFilter, type RunRow, type StoredBenchmarkRow, type SweepTrialRow, type TrackingProjectionRow, type TransitionRow } from "./rows.js";
import type { JournalRecord } from "../journal/records.js";
import { createProjector, type Projector } from "./projection.js";
import { ATTEMPT_COLUMNS, BENCHMARK_COLUMNS, BUNDLE_EXPORT_COLUMNS, ensureSchema, GC_COLLECTION_COLUMNS, RESERVATION_EVENT_COLUMNS, INDEX_SCHEMA_VERSION, ROW_KEYS, RUN_COLUMNS, storedSchemaVersion, SWEEP_TRIAL_COLUMNS, TRACKING_PROJECTION_COLUMNS, TRANSITION_COLUMNS, type IndexTable } from "./schema.js";

export type { ReservationEventRow, AttemptRow, BenchmarkRow, RunCursor, RunFilter, RunRow, SweepTrialRow, TrackingProjectionRow, TransitionRow } from "./rows.js";

export function indexPath(stateRoot: string): string {
  return join(stateRoot, "multiverse_state.db");
}

type Db = Database.Database;

function prepareQueries(db: Db) {
  return {
    getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck(),
    setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
    runById: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`),
    runsByName: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE name = ? ORDER BY run_id LIMIT 11`),
    // substr instead of LIKE: exact case, and no wildcard characters to escape. The range before it lets SQLite read
    // only the index keys that start with the prefix (char(1114111), U+10FFFF, sorts after every other character)
    // instead of scanning every run.
    runsByIdPrefix: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id >= @p AND run_id < @p || char(1114111) AND substr(run_id, 1, length(@p)) = @p ORDER BY run_id LIMIT 11`),
    runsByNamePrefix: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE name >= @p AND name < @p || char(1114111) AND substr(name, 1, length(@p)) = @p ORDER BY name, run_id LIMIT 11`),
    attempts: db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ? ORDER BY attempt, attempt_id`),
    transitions: db.prepare(`SELECT ${TRANSITION_COLUMNS} FROM transitions WHERE run_id = ? ORDER BY seq`),
    benchmarks: db.prepare(`SELECT ${BENCHMARK_COLUMNS} FROM benchmarks WHERE deleted = 0 OR @all ORDER BY name`),
    benchmark: db.prepare(`SELECT ${BENCHMARK_COLUMNS} FROM benchmarks WHERE name = ?`),
    phaseCounts: db.prepare(`SELECT phase, COUNT(*) AS n FROM runs WHERE benchmark = ? GROUP BY phase`),
    phaseTotals: db.prepare(`SELECT phase, COUNT(*) AS n FROM runs GROUP BY phase`),
    trackingOfRun: db.prepare(`SELECT ${TRACKING_PROJECTION_COLUMNS} FROM tracking_projections WHERE run_id = ? ORDER BY attempt_id`),
    // The ledger's open reservations: the last event of each run is a grant.
    heldReservations: db.prepare(`SELECT ${RESERVATION_EVENT_COLUMNS} FROM reservation_events AS g WHERE event = 'granted'
      AND NOT EXISTS (SELECT 1 FROM reservation_events AS r WHERE r.run_id = g.run_id AND r.seq > g.seq) ORDER BY seq`),
    sweepTrialsOfRuns: db.prepare(`SELECT ${SWEEP_TRIAL_COLUMNS} FROM sweep_trials WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY study, trial_number`),
  };
}

const LIST_ORDER = "ORDER BY benchmark, job_name, seed, run_id";

function runWhere(filter: RunFilter): { where: string; params: Record<string, string | number> } {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.benchmark !== undefined) {
    clauses.push("benchmark = @benchmark");
    params.benchmark = filter.benchmark;
  }
  if (filter.phase !== undefined) {
    clauses.push("phase = @phase");
    params.phase = filter.phase;
  }
  return { where: clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "", params };
}

const DUMP_QUERIES: Record<IndexTable, string> = {
  schema_version: `SELECT version FROM schema_version ORDER BY version`,
  meta: `SELECT key, value FROM meta ORDER BY key`,
  runs: `SELECT ${RUN_COLUMNS} FROM runs ORDER BY run_id`,
  attempts: `SELECT ${ATTEMPT_COLUMNS} FROM attempts ORDER BY attempt_id`,
  transitions: `SELECT ${TRANSITION_COLUMNS} FROM transitions ORDER BY seq`,
  benchmarks: `SELECT ${BENCHMARK_COLUMNS} FROM benchmarks ORDER BY name`,
  sweep_trials: `SELECT ${SWEEP_TRIAL_COLUMNS} FROM sweep_trials ORDER BY trial_key`,
  tracking_projections: `SELECT ${TRACKING_PROJECTION_COLUMNS} FROM tracking_projections ORDER BY attempt_id`,
  gc_collections: `SELECT ${GC_COLLECTION_COLUMNS} FROM gc_collections ORDER BY seq`,
  bundle_exports: `SELECT ${BUNDLE_EXPORT_COLUMNS} FROM bundle_exports ORDER BY seq`,
  reservation_events: `SELECT ${RESERVATION_EVENT_COLUMNS} FROM reservation_events ORDER BY seq`,
};

export class RunIndex {
  private readonly queries: ReturnType<typeof prepareQueries>;
  private readonly listQueries = new Map<string, Database.Statement>();
  private readonly projector: Projector | undefined;
  private lastSeq: number;

  /**
   * `base`: the output root that stored paths are relative to (the state root's, for an index file in it), so a moved
   * or copied state root's index stays right; rows come back with absolute paths.
   */
  private constructor(private readonly db: Db, writable: boolean, private readonly base: string | undefined) {
    if (writable) ensureSchema(db);
    this.queries = prepareQueries(db);
    this.projector = writable ? createProjector(db) : undefined;
    const seq = this.queries.getMeta.get("last_seq") as string | undefined;
    this.lastSeq = seq === undefined ? 0 : Number(seq);
  }

  /** Opens (creating if needed) an index file in WAL mode. A file of another schema version is reset, to be replayed. */
  static open(file: string): RunIndex {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      return new RunIndex(db, true, outputRootOf(dirname(file)));
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** For drift checks: a read-only connection that never creates or alters anything. */
  static openReadOnly(file: string): RunIndex {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma("busy_timeout = 5000");
      const version = storedSchemaVersion(db);
      if (version !== INDEX_SCHEMA_VERSION) {
        throw Errors.indexDrift(`index schema version ${version ?? "none"} is not ${INDEX_SCHEMA_VERSION}; run multiverse rebuild-index`, { location: { file } });
      }
      return new RunIndex(db, false, outputRootOf(dirname(file)));
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** `stateRoot`: store paths as an index file in that state root would (for drift checks against one). */
  static openInMemory(stateRoot?: string): RunIndex {
    return new RunIndex(new Database(":memory:"), true, stateRoot === undefined ? undefined : outputRootOf(stateRoot));
  }

  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  /**
   * Projects records in one transaction. Records at or below the last applied seq are skipped (idempotent);
   * a record beyond the next expected seq means the caller lost some, which would leave silent holes, so it throws.
   * The last applied seq is read inside a write transaction, so another connection's applies are never redone.
   */
  apply(records: readonly JournalRecord[]): void {
    const project = this.projector;
    if (!project) throw new Error("the index was opened read-only");
    if (!records.some((r) => r.seq > this.lastSeq)) return;
    const applyBatch = this.db.transaction((batch: readonly JournalRecord[]) => {
      const stored = this.queries.getMeta.get("last_seq") as string | undefined;
      const start = stored === undefined ? 0 : Number(stored);
      let seq = start;
      for (const record of batch) {
        if (record.seq <= seq) continue;
        if (record.seq !== seq + 1) {
          throw Errors.indexDrift(`index expected journal record ${seq + 1} but was given ${record.seq}; run multiverse rebuild-index`);
        }
        project(this.base === undefined ? record : storedRecord(this.base, record));
        seq = record.seq;
      }
      if (seq !== start) this.queries.setMeta.run("last_seq", String(seq));
      return seq;
    });
    this.lastSeq = applyBatch.immediate(records);
  }

  listRuns(filter: RunFilter = {}): RunRow[] {
    const { where: filtered, params } = runWhere(filter);
    let where = filtered;
    if (filter.after) {
      // Only the columns after the equality-filtered benchmark take part, so SQLite seeks in the listing index.
      const position = filter.benchmark !== undefined ? "(job_name, seed, run_id) > (@afterJobName, @afterSeed, @afterRunId)" : "(benchmark, job_name, seed, run_id) > (@afterBenchmark, @afterJobName, @afterSeed, @afterRunId)";
      where = `${where ? `${where} AND` : " WHERE"} ${position}`;
      if (filter.benchmark === undefined) params.afterBenchmark = filter.after.benchmark;
      params.afterJobName = filter.after.jobName;
      params.afterSeed = filter.after.seed;
      params.afterRunId = filter.after.runId;
    }
    let page = "";
    if (filter.limit !== undefined || filter.offset !== undefined) {
      page = " LIMIT @limit OFFSET @offset";
      params.limit = filter.limit === undefined ? -1 : Math.max(0, Math.floor(filter.limit));
      params.offset = Math.max(0, Math.floor(filter.offset ?? 0));
    }
    const sql = `SELECT ${RUN_COLUMNS} FROM runs${where} ${LIST_ORDER}${page}`;
    let statement = this.listQueries.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.listQueries.set(sql, statement);
    }
    return (statement.all(params) as RunRow[]).map((row) => this.runRow(row));
  }

  private resolved(stored: string | null): string | null {
    return stored === null || this.base === undefined ? stored : fromStoredPath(this.base, stored);
  }

  private runRow(row: RunRow): RunRow {
    return { ...row, artifactDir: this.resolved(row.artifactDir), workspaceDir: this.resolved(row.workspaceDir) };
  }

  /** A run by exact id, exact name, or unique prefix of its id (or else of its name). */
  getRun(idOrPrefix: string): RunRow {
    const q = this.queries;
    const byId = q.runById.get(idOrPrefix) as RunRow | undefined;
    if (byId) return this.runRow(byId);
    // Tried in order, each only when the one before found nothing.
    const candidates: (() => RunRow[])[] = idOrPrefix.length === 0 ? [] : [
      () => q.runsByName.all(idOrPrefix) as RunRow[],
      () => q.runsByIdPrefix.all({ p: idOrPrefix }) as RunRow[],
      () => q.runsByNamePrefix.all({ p: idOrPrefix }) as RunRow[],
    ];
    for (const lookup of candidates) {
      const matches = lookup();
      if (matches.length === 1) return this.runRow(matches[0]!);
      if (matches.length > 1) {
        throw Errors.ambiguous(`"${idOrPrefix}" matches ${matches.length > 10 ? "more than 10" : matches.length} runs; give more of the run id`, {
          details: matches.slice(0, 10).map((m) => `${m.runId}  ${m.name}`),
        });
      }
    }
    throw Errors.notFound(`no run matches "${idOrPrefix}"`, { details: ["list runs with: multiverse get runs --output <state root>"] });
  }

  /** The reservations the ledger says are held now (granted, not released since). */
  heldReservations(): ReservationEventRow[] {
    return this.queries.heldReservations.all() as ReservationEventRow[];
  }

  /** The MLflow projection of each of the run's attempts. */
  trackingProjections(runId: string): TrackingProjectionRow[] {
    return this.queries.trackingOfRun.all(runId) as TrackingProjectionRow[];
  }

  attempts(runId: string): AttemptRow[] {
    const rows = this.queries.attempts.all(runId) as (Omit<AttemptRow, "oomKilled"> & { oomKilled: number | null })[];
    return rows.map((r) => ({ ...r, workspaceDir: this.resolved(r.workspaceDir), oomKilled: r.oomKilled === 1 }));
  }

  transitions(runId: string): TransitionRow[] {
    return this.queries.transitions.all(runId) as TransitionRow[];
  }

  /** The sweep trials that became these runs (a run sampled by several trials has a row for each). */
  sweepTrials(runIds: readonly string[]): SweepTrialRow[] {
    if (runIds.length === 0) return [];
    return this.queries.sweepTrialsOfRuns.all(JSON.stringify(runIds)) as SweepTrialRow[];
  }

  /** Benchmarks declared in controller mode; deleted ones only with `includeDeleted`. */
  listBenchmarks(options: { includeDeleted?: boolean } = {}): BenchmarkRow[] {
    return (this.queries.benchmarks.all({ all: options.includeDeleted ? 1 : 0 }) as StoredBenchmarkRow[]).map(benchmarkRow);
  }

  getBenchmark(name: string): BenchmarkRow | undefined {
    const row = this.queries.benchmark.get(name) as StoredBenchmarkRow | undefined;
    return row ? benchmarkRow(row) : undefined;
  }

  /** How many runs are in each phase, over all benchmarks. */
  phaseTotals(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.queries.phaseTotals.all() as { phase: string; n: number }[]) counts[row.phase] = row.n;
    return counts;
  }

  /** Changes whenever any connection has written to the index since the last call saw it (for read caches). */
  dataVersion(): string {
    return `${this.db.pragma("data_version", { simple: true }) as number}:${this.lastSeq}`;
  }

  private readonly counts = new Map<string, number>();
  private countsVersion = -1;

  /** How many runs match a filter (limit and offset ignored); cached until any connection writes. */
  countRuns(filter: RunFilter = {}): number {
    const version = this.db.pragma("data_version", { simple: true }) as number;
    const cacheKey = `${this.lastSeq}\u0000${filter.benchmark ?? ""}\u0000${filter.phase ?? ""}`;
    if (version !== this.countsVersion) {
      this.counts.clear();
      this.countsVersion = version;
    }
    const cached = this.counts.get(cacheKey);
    if (cached !== undefined) return cached;
    const count = this.countRunsUncached(filter);
    this.counts.set(cacheKey, count);
    return count;
  }

  private countRunsUncached(filter: RunFilter): number {
    const { where, params } = runWhere(filter);
    const sql = `SELECT COUNT(*) FROM runs${where}`;
    let statement = this.listQueries.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).pluck();
      this.listQueries.set(sql, statement);
    }
    return statement.get(params) as number;
  }

  /** How many runs of a benchmark are in each phase. */
  phaseCounts(benchmark: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.queries.phaseCounts.all(benchmark) as { phase: string; n: number }[]) counts[row.phase] = row.n;
    return counts;
  }

  /** Every row of every table, in a canonical order, with the exported row types' column names. */
  dump(): Record<IndexTable, Record<string, unknown>[]> {
    const out = {} as Record<IndexTable, Record<string, unknown>[]>;
    for (const table of Object.keys(ROW_KEYS) as IndexTable[]) out[table] = this.db.prepare(DUMP_QUERIES[table]).all() as Record<string, unknown>[];
    return out;
  }

  /** Moves the WAL into the database file (before a rename, so the file stands alone). */
  checkpoint(): void {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
