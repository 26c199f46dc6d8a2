/**
 * The SQLite run index (multiverse_state.db): a projection of the journal for fast listings. It is never the
 * truth: rebuildIndex recreates it from the journal, verifyIndex reports drift without writing. All SQL of the
 * index lives in this folder (sole writer).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { Errors } from "../domain/errors.js";
import type { JournalRecord } from "../journal/records.js";
import { readJournal, type TornTail } from "../journal/journal.js";
import { INDEX_DDL, INDEX_SCHEMA_VERSION } from "./schema.js";

export interface RunRow {
  runId: string;
  name: string;
  benchmark: string;
  jobName: string;
  dataset: string;
  model: string;
  modelVersion: string;
  seed: number;
  paramsHash: string;
  params: string;
  imageReference: string;
  imageDigest: string;
  imageKind: string;
  backend: string;
  phase: string;
  reason: string | null;
  message: string | null;
  attempt: number;
  attemptId: string | null;
  artifactDir: string | null;
  workspaceDir: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttemptRow {
  attemptId: string;
  runId: string;
  attempt: number;
  executor: string | null;
  handle: string | null;
  workspaceDir: string | null;
  phase: string | null;
  reason: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  launchedAt: string | null;
}

export interface TransitionRow {
  seq: number;
  runId: string;
  attemptId: string | null;
  event: string;
  from: string;
  to: string;
  reason: string | null;
  message: string | null;
  ts: string;
}

const RUN_COLUMNS = `run_id AS runId, name, benchmark, job_name AS jobName, dataset, model, model_version AS modelVersion, seed,
  params_hash AS paramsHash, params, image_reference AS imageReference, image_digest AS imageDigest, image_kind AS imageKind,
  backend, phase, reason, message, attempt, attempt_id AS attemptId, artifact_dir AS artifactDir, workspace_dir AS workspaceDir,
  created_at AS createdAt, updated_at AS updatedAt`;

const ATTEMPT_COLUMNS = `attempt_id AS attemptId, run_id AS runId, attempt, executor, handle, workspace_dir AS workspaceDir, phase, reason,
  exit_code AS exitCode, oom_killed AS oomKilled, started_at AS startedAt, finished_at AS finishedAt, launched_at AS launchedAt`;

export function indexPath(stateRoot: string): string {
  return join(stateRoot, "multiverse_state.db");
}

type Db = Database.Database;

function prepareStatements(db: Db) {
  return {
    upsertPlanned: db.prepare(`INSERT INTO runs (run_id, name, benchmark, job_name, dataset, model, model_version, seed, params_hash, params,
        image_reference, image_digest, image_kind, backend, phase, created_at, updated_at)
      VALUES (@runId, @name, @benchmark, @jobName, @dataset, @model, @modelVersion, @seed, @paramsHash, @params,
        @imageReference, @imageDigest, @imageKind, @backend, 'PENDING', @ts, @ts)
      ON CONFLICT(run_id) DO UPDATE SET name = excluded.name, benchmark = excluded.benchmark, job_name = excluded.job_name,
        dataset = excluded.dataset, model = excluded.model, model_version = excluded.model_version, seed = excluded.seed,
        params_hash = excluded.params_hash, params = excluded.params, image_reference = excluded.image_reference,
        image_digest = excluded.image_digest, image_kind = excluded.image_kind, backend = excluded.backend, updated_at = excluded.updated_at`),
    transitionRun: db.prepare(`UPDATE runs SET phase = @to, reason = @reason, message = @message, attempt = @attempt,
        attempt_id = @attemptId, artifact_dir = COALESCE(@artifactDir, CASE WHEN @to = 'PENDING' THEN NULL ELSE artifact_dir END),
        updated_at = @ts WHERE run_id = @runId`),
    transitionAttempt: db.prepare(`UPDATE attempts SET phase = @to, reason = @reason WHERE attempt_id = @attemptId`),
    insertTransition: db.prepare(`INSERT OR REPLACE INTO transitions (seq, run_id, attempt_id, event, from_phase, to_phase, reason, message, ts)
      VALUES (@seq, @runId, @attemptId, @event, @from, @to, @reason, @message, @ts)`),
    insertAttempt: db.prepare(`INSERT INTO attempts (attempt_id, run_id, attempt, executor, handle, workspace_dir, phase, launched_at)
      VALUES (@attemptId, @runId, @attempt, @executor, @handle, @workspaceDir, 'ADMITTED', @ts)
      ON CONFLICT(attempt_id) DO UPDATE SET executor = excluded.executor, handle = excluded.handle, workspace_dir = excluded.workspace_dir,
        launched_at = excluded.launched_at`),
    runWorkspace: db.prepare(`UPDATE runs SET workspace_dir = @workspaceDir, updated_at = @ts WHERE run_id = @runId`),
    attemptExited: db.prepare(`UPDATE attempts SET exit_code = @exitCode, oom_killed = @oomKilled, started_at = @startedAt, finished_at = @finishedAt
      WHERE attempt_id = @attemptId`),
    artifact: db.prepare(`UPDATE runs SET artifact_dir = @artifactDir, updated_at = @ts WHERE run_id = @runId`),
    touch: db.prepare(`UPDATE runs SET updated_at = @ts WHERE run_id = @runId`),
    getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`),
    setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
  };
}

export class RunIndex {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private lastSeq: number;

  private constructor(private readonly db: Db, options: { createSchema: boolean } = { createSchema: true }) {
    if (options.createSchema) db.exec(INDEX_DDL);
    this.statements = prepareStatements(db);
    const version = this.statements.getMeta.get("schema_version") as { value: string } | undefined;
    if (!version && options.createSchema) this.statements.setMeta.run("schema_version", String(INDEX_SCHEMA_VERSION));
    else if (version && Number(version.value) !== INDEX_SCHEMA_VERSION) {
      throw Errors.indexDrift(`index schema version ${version.value} is not ${INDEX_SCHEMA_VERSION}; run multiverse rebuild-index`);
    }
    const seq = this.statements.getMeta.get("last_seq") as { value: string } | undefined;
    this.lastSeq = seq ? Number(seq.value) : 0;
  }

  static open(file: string): RunIndex {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    return new RunIndex(db);
  }

  /** For drift checks: never creates or alters anything (no DDL, no writes). */
  static openReadOnly(file: string): RunIndex {
    const db = new Database(file, { fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    return new RunIndex(db, { createSchema: false });
  }

  static openInMemory(): RunIndex {
    return new RunIndex(new Database(":memory:"));
  }

  get lastAppliedSeq(): number {
    return this.lastSeq;
  }

  apply(records: readonly JournalRecord[]): void {
    const fresh = records.filter((r) => r.seq > this.lastSeq);
    if (fresh.length === 0) return;
    const s = this.statements;
    const run = this.db.transaction((batch: readonly JournalRecord[]) => {
      for (const record of batch) {
        switch (record.type) {
          case "RUN_PLANNED": {
            const spec = record.spec;
            s.upsertPlanned.run({
              runId: record.runId,
              name: record.name,
              benchmark: spec.benchmark,
              jobName: spec.jobName,
              dataset: spec.dataset,
              model: spec.model,
              modelVersion: spec.modelVersion,
              seed: spec.seed,
              paramsHash: spec.paramsHash,
              params: JSON.stringify(spec.params),
              imageReference: spec.image.reference,
              imageDigest: spec.image.digest,
              imageKind: spec.image.kind,
              backend: spec.backend,
              ts: record.ts,
            });
            break;
          }
          case "RUN_TRANSITION":
            s.transitionRun.run({
              runId: record.runId,
              to: record.to,
              reason: record.reason ?? null,
              message: record.message ?? null,
              attempt: record.snapshot.context.attempt,
              attemptId: record.snapshot.context.attemptId ?? null,
              artifactDir: record.snapshot.context.artifactDir ?? null,
              ts: record.ts,
            });
            if (record.attemptId) s.transitionAttempt.run({ attemptId: record.attemptId, to: record.to, reason: record.reason ?? null });
            s.insertTransition.run({
              seq: record.seq,
              runId: record.runId,
              attemptId: record.attemptId ?? null,
              event: record.event,
              from: record.from,
              to: record.to,
              reason: record.reason ?? null,
              message: record.message ?? null,
              ts: record.ts,
            });
            break;
          case "LAUNCH_INTENT":
            s.insertAttempt.run({
              attemptId: record.attemptId,
              runId: record.runId,
              attempt: record.attempt,
              executor: record.executor,
              handle: record.handle,
              workspaceDir: record.workspaceDir,
              ts: record.ts,
            });
            s.runWorkspace.run({ runId: record.runId, workspaceDir: record.workspaceDir, ts: record.ts });
            break;
          case "ATTEMPT_EXITED":
            s.attemptExited.run({
              attemptId: record.attemptId,
              exitCode: record.exitCode,
              oomKilled: record.oomKilled ? 1 : 0,
              startedAt: record.startedAt ?? null,
              finishedAt: record.finishedAt ?? null,
            });
            s.touch.run({ runId: record.runId, ts: record.ts });
            break;
          case "PROMOTED":
          case "RUN_REUSED":
            s.artifact.run({ runId: record.runId, artifactDir: record.artifactDir, ts: record.ts });
            break;
          case "PROMOTION_INTENT":
            s.touch.run({ runId: record.runId, ts: record.ts });
            break;
        }
      }
      const last = batch[batch.length - 1]!.seq;
      s.setMeta.run("last_seq", String(last));
      return last;
    });
    this.lastSeq = run(fresh);
  }

  listRuns(filter: { benchmark?: string; phase?: string; limit?: number; offset?: number } = {}): RunRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.benchmark) {
      where.push("benchmark = @benchmark");
      params.benchmark = filter.benchmark;
    }
    if (filter.phase) {
      where.push("phase = @phase");
      params.phase = filter.phase;
    }
    const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))} OFFSET ${Math.max(0, Math.floor(filter.offset ?? 0))}` : "";
    const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY benchmark, job_name, seed, run_id${limit}`;
    return this.db.prepare(sql).all(params) as RunRow[];
  }

  getRun(idOrPrefix: string): RunRow {
    const exact = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ? OR name = ?`).all(idOrPrefix, idOrPrefix) as RunRow[];
    if (exact.length === 1) return exact[0]!;
    const prefix = idOrPrefix.replace(/[%_]/g, "");
    const matches = prefix.length === 0 ? [] : (this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id LIKE ? OR name LIKE ? LIMIT 11`).all(`${prefix}%`, `${prefix}%`) as RunRow[]);
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw Errors.notFound(`no run matches "${idOrPrefix}"`, { details: ["list runs with: multiverse get runs --output <dir>"] });
    throw Errors.ambiguous(`"${idOrPrefix}" matches ${matches.length > 10 ? "more than 10" : matches.length} runs; give more of the id`, {
      details: matches.slice(0, 10).map((m) => `${m.runId}  ${m.name}`),
    });
  }

  attempts(runId: string): AttemptRow[] {
    const rows = this.db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ? ORDER BY attempt`).all(runId) as (Omit<AttemptRow, "oomKilled"> & { oomKilled: number | null })[];
    return rows.map((r) => ({ ...r, oomKilled: r.oomKilled === 1 }));
  }

  transitions(runId: string): TransitionRow[] {
    return this.db
      .prepare(`SELECT seq, run_id AS runId, attempt_id AS attemptId, event, from_phase AS "from", to_phase AS "to", reason, message, ts FROM transitions WHERE run_id = ? ORDER BY seq`)
      .all(runId) as TransitionRow[];
  }

  /** Every row of every projected table, in a canonical order. */
  dump(): Record<string, unknown[]> {
    return {
      runs: this.db.prepare(`SELECT * FROM runs ORDER BY run_id`).all(),
      attempts: this.db.prepare(`SELECT * FROM attempts ORDER BY attempt_id`).all(),
      transitions: this.db.prepare(`SELECT * FROM transitions ORDER BY seq`).all(),
    };
  }

  checkpoint(): void {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export interface RebuildResult {
  runs: number;
  records: number;
  tornTail?: TornTail;
}

export function rebuildIndex(stateRoot: string): RebuildResult {
  const journal = readJournal(stateRoot);
  const target = indexPath(stateRoot);
  const tmp = `${target}.rebuild-${process.pid}`;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(tmp + suffix, { force: true });
  const index = RunIndex.open(tmp);
  let runs = 0;
  try {
    index.apply(journal.records);
    runs = index.listRuns().length;
    index.checkpoint();
  } finally {
    index.close();
  }
  for (const suffix of ["-wal", "-shm"]) rmSync(target + suffix, { force: true });
  renameSync(tmp, target);
  for (const suffix of ["-wal", "-shm"]) rmSync(tmp + suffix, { force: true });
  return journal.tornTail ? { runs, records: journal.records.length, tornTail: journal.tornTail } : { runs, records: journal.records.length };
}

export interface VerifyResult {
  inSync: boolean;
  drift: string[];
}

export function verifyIndex(stateRoot: string): VerifyResult {
  const file = indexPath(stateRoot);
  if (!existsSync(file)) return { inSync: false, drift: [`index file ${file} is missing`] };
  const expected = RunIndex.openInMemory();
  const actual = RunIndex.openReadOnly(file);
  try {
    expected.apply(readJournal(stateRoot).records);
    return compareDumps(expected.dump(), actual.dump());
  } finally {
    expected.close();
    actual.close();
  }
}

const KEYS: Record<string, string> = { runs: "run_id", attempts: "attempt_id", transitions: "seq" };

function compareDumps(journal: Record<string, unknown[]>, index: Record<string, unknown[]>): VerifyResult {
  const drift: string[] = [];
  for (const table of Object.keys(KEYS)) {
    const key = KEYS[table]!;
    const want = new Map((journal[table] ?? []).map((row) => [String((row as Record<string, unknown>)[key]), row as Record<string, unknown>]));
    const have = new Map((index[table] ?? []).map((row) => [String((row as Record<string, unknown>)[key]), row as Record<string, unknown>]));
    for (const [id, row] of want) {
      const other = have.get(id);
      if (!other) {
        drift.push(`${table} row ${id}: missing from the index`);
        continue;
      }
      for (const column of Object.keys(row)) {
        if (row[column] !== other[column]) {
          drift.push(`${table} row ${id}: ${column}: index=${String(other[column])} journal=${String(row[column])}`);
        }
      }
    }
    for (const id of have.keys()) if (!want.has(id)) drift.push(`${table} row ${id}: extra row not backed by the journal`);
  }
  return { inSync: drift.length === 0, drift };
}
