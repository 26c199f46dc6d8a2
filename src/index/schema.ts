/** The SQLite index's schema. The index is a projection: dropping it loses nothing (rebuild-index). */
export const INDEX_SCHEMA_VERSION = 1;

export const INDEX_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
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
CREATE INDEX IF NOT EXISTS runs_benchmark ON runs (benchmark);
CREATE INDEX IF NOT EXISTS runs_phase ON runs (phase);
CREATE INDEX IF NOT EXISTS runs_name ON runs (name);
CREATE TABLE IF NOT EXISTS attempts (
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
CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id);
CREATE TABLE IF NOT EXISTS transitions (
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
CREATE INDEX IF NOT EXISTS transitions_run ON transitions (run_id);
`;
