/**
 * The SQLite index's schema. The index is a projection: dropping it loses nothing (rebuild-index), so an index
 * written by another schema version is simply reset and replayed rather than migrated.
 */
import type Database from "better-sqlite3";

/** 8: paths inside the output root are stored relative to it; the reservation ledger (reservation_events). */
export const INDEX_SCHEMA_VERSION = 8;

/** Projected tables, each with the column that identifies a row (for dumps and drift reports). */
export const ROW_KEYS = { schema_version: "version", meta: "key", runs: "runId", attempts: "attemptId", transitions: "seq", benchmarks: "name", sweep_trials: "trialKey", tracking_projections: "attemptId", gc_collections: "seq", bundle_exports: "seq", reservation_events: "seq" } as const;
export type IndexTable = keyof typeof ROW_KEYS;

const DDL = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  benchmark TEXT NOT NULL,
  job_name TEXT NOT NULL,
  dataset TEXT NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  seed INTEGER NOT NULL,
  params_hash TEXT NOT NULL,
  params TEXT NOT NULL,
  image_reference TEXT NOT NULL,
  image_digest TEXT NOT NULL,
  image_kind TEXT NOT NULL,
  backend TEXT NOT NULL,
  phase TEXT NOT NULL,
  reason TEXT,
  message TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  attempt_id TEXT,
  artifact_dir TEXT,
  workspace_dir TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Listing order (benchmark, job_name, seed, run_id) with or without the benchmark and phase filters, so a page
-- of 100 out of 100,000 runs is read from an index instead of sorted.
CREATE INDEX runs_benchmark ON runs (benchmark, job_name, seed, run_id);
CREATE INDEX runs_phase ON runs (phase, benchmark, job_name, seed, run_id);
CREATE INDEX runs_benchmark_phase ON runs (benchmark, phase, job_name, seed, run_id);
CREATE INDEX runs_name ON runs (name);
CREATE TABLE attempts (
  attempt_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  executor TEXT,
  handle TEXT,
  workspace_dir TEXT,
  phase TEXT,
  reason TEXT,
  exit_code INTEGER,
  oom_killed INTEGER,
  started_at TEXT,
  finished_at TEXT,
  launched_at TEXT
);
CREATE INDEX attempts_run ON attempts (run_id, attempt);
CREATE TABLE transitions (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  attempt_id TEXT,
  event TEXT NOT NULL,
  from_phase TEXT NOT NULL,
  to_phase TEXT NOT NULL,
  reason TEXT,
  message TEXT,
  ts TEXT NOT NULL
);
CREATE INDEX transitions_run ON transitions (run_id, seq);
CREATE TABLE benchmarks (
  name TEXT PRIMARY KEY,
  generation INTEGER NOT NULL,
  observed_generation INTEGER,
  spec_hash TEXT NOT NULL,
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  jobs INTEGER NOT NULL,
  conditions TEXT NOT NULL DEFAULT '[]',
  run_ids TEXT NOT NULL DEFAULT '[]',
  deleted INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Sweeps: which Optuna trial became which run, and what the study was told (SWEEP_TRIAL_ASKED / _TOLD).
CREATE TABLE sweep_trials (
  trial_key TEXT PRIMARY KEY,
  study TEXT NOT NULL,
  storage TEXT NOT NULL,
  trial_number INTEGER NOT NULL,
  benchmark TEXT,
  job_name TEXT,
  run_id TEXT,
  params TEXT,
  state TEXT NOT NULL,
  value REAL,
  message TEXT,
  asked_at TEXT,
  told_at TEXT
);
CREATE INDEX sweep_trials_run ON sweep_trials (run_id, study, trial_number);
-- The MLflow projection of each attempt: pending, synced or failed, with the MLflow ids once known (TRACKING_PROJECTION).
CREATE TABLE tracking_projections (
  attempt_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  tracking_uri TEXT NOT NULL,
  experiment_name TEXT NOT NULL,
  experiment_id TEXT,
  mlflow_run_id TEXT,
  message TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX tracking_projections_run ON tracking_projections (run_id);
`;

/** Added by schema version 7 (the 6 -> 7 migration creates these and replays nothing: no journal before 7 holds their records). */
const V7_DDL = `
-- What multiverse gc removed (GC_COLLECTED) and which bundles multiverse export verified and copied (BUNDLE_EXPORTED).
CREATE TABLE gc_collections (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  run_id TEXT,
  attempt_id TEXT,
  bytes INTEGER NOT NULL,
  files INTEGER NOT NULL,
  rule TEXT NOT NULL,
  collected_at TEXT NOT NULL
);
CREATE INDEX gc_collections_run ON gc_collections (run_id);
CREATE TABLE bundle_exports (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  attempt_id TEXT NOT NULL,
  artifact_dir TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  destination TEXT NOT NULL,
  exported_at TEXT NOT NULL
);
CREATE INDEX bundle_exports_run ON bundle_exports (run_id);
`;

/** Added by schema version 8 (an older index is reset and replayed: its paths are stored differently too). */
const V8_DDL = `
-- The broker's ledger: RESERVATION_GRANTED and RESERVATION_RELEASED, one row each.
CREATE TABLE reservation_events (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  attempt_id TEXT,
  event TEXT NOT NULL,
  cpus REAL,
  mem_bytes INTEGER,
  gpus INTEGER,
  phase TEXT,
  ts TEXT NOT NULL
);
CREATE INDEX reservation_events_run ON reservation_events (run_id, seq);
`;

/** Column lists that give rows the shape of the exported row types. */
export const RUN_COLUMNS = `run_id AS runId, name, benchmark, job_name AS jobName, dataset, model, model_version AS modelVersion, seed,
  params_hash AS paramsHash, params, image_reference AS imageReference, image_digest AS imageDigest, image_kind AS imageKind,
  backend, phase, reason, message, attempt, attempt_id AS attemptId, artifact_dir AS artifactDir, workspace_dir AS workspaceDir,
  created_at AS createdAt, updated_at AS updatedAt`;

export const ATTEMPT_COLUMNS = `attempt_id AS attemptId, run_id AS runId, attempt, executor, handle, workspace_dir AS workspaceDir, phase, reason,
  exit_code AS exitCode, oom_killed AS oomKilled, started_at AS startedAt, finished_at AS finishedAt, launched_at AS launchedAt`;

export const BENCHMARK_COLUMNS = `name, generation, observed_generation AS observedGeneration, spec_hash AS specHash, file, line, jobs,
  conditions, run_ids AS runIds, deleted, created_at AS createdAt, updated_at AS updatedAt`;

export const SWEEP_TRIAL_COLUMNS = `trial_key AS trialKey, study, storage, trial_number AS trialNumber, benchmark, job_name AS jobName, run_id AS runId,
  params, state, value, message, asked_at AS askedAt, told_at AS toldAt`;

export const TRACKING_PROJECTION_COLUMNS = `attempt_id AS attemptId, run_id AS runId, target, state, tracking_uri AS trackingUri,
  experiment_name AS experimentName, experiment_id AS experimentId, mlflow_run_id AS mlflowRunId, message, updated_at AS updatedAt`;

export const GC_COLLECTION_COLUMNS = `seq, kind, path, run_id AS runId, attempt_id AS attemptId, bytes, files, rule, collected_at AS collectedAt`;

export const BUNDLE_EXPORT_COLUMNS = `seq, run_id AS runId, attempt_id AS attemptId, artifact_dir AS artifactDir, manifest_sha256 AS manifestSha256,
  destination, exported_at AS exportedAt`;

export const RESERVATION_EVENT_COLUMNS = `seq, run_id AS runId, attempt_id AS attemptId, event, cpus, mem_bytes AS memBytes, gpus, phase, ts`;

export const TRANSITION_COLUMNS = `seq, run_id AS runId, attempt_id AS attemptId, event, from_phase AS "from", to_phase AS "to", reason, message, ts`;

/** The schema version stored in the file, `undefined` for an empty database, 0 for tables of an unknown layout. */
export function storedSchemaVersion(db: Database.Database): number | undefined {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
  if (tables.length === 0) return undefined;
  if (!tables.includes("schema_version")) return 0;
  const version = db.prepare(`SELECT MAX(version) FROM schema_version`).pluck().get() as number | null;
  return version ?? 0;
}

/** In-place migrations from one schema version to the next; a version without one is reset and replayed. */
const MIGRATIONS: Readonly<Record<number, (db: Database.Database) => void>> = {
  6: (db) => db.exec(V7_DDL),
};

/**
 * Creates the schema in an empty database, migrates one of an older version in place where a migration exists,
 * and otherwise drops and recreates it (the caller replays the journal into it).
 */
export function ensureSchema(db: Database.Database): void {
  const version = storedSchemaVersion(db);
  if (version === INDEX_SCHEMA_VERSION) return;
  if (version !== undefined && version > 0 && version < INDEX_SCHEMA_VERSION && migrationPath(version)) {
    db.transaction(() => {
      for (let from = version; from < INDEX_SCHEMA_VERSION; from += 1) MIGRATIONS[from]?.(db);
      db.prepare(`DELETE FROM schema_version`).run();
      db.prepare(`INSERT INTO schema_version (version) VALUES (?)`).run(INDEX_SCHEMA_VERSION);
    })();
    return;
  }
  db.transaction(() => {
    if (version !== undefined) {
      const objects = db.prepare(`SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'`).all() as { type: string; name: string }[];
      for (const { type, name } of objects) db.exec(`DROP ${type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${name.replace(/"/g, '""')}"`);
    }
    db.exec(DDL + V7_DDL + V8_DDL);
    db.prepare(`INSERT INTO schema_version (version) VALUES (?)`).run(INDEX_SCHEMA_VERSION);
  })();
}

function migrationPath(from: number): boolean {
  for (let version = from; version < INDEX_SCHEMA_VERSION; version += 1) if (!MIGRATIONS[version]) return false;
  return true;
}
