/**
 * The SQLite run index (multiverse_state.db): a projection of the journal for fast listings. It is never the
 * truth: rebuildIndex recreates it from the journal, verifyIndex reports drift without writing. All SQL of the
 * index lives in this folder (sole writer).
 */
export { indexPath, RunIndex, type AttemptRow, type BenchmarkRow, type RunCursor, type RunFilter, type RunRow, type SweepTrialRow, type TrackingProjectionRow, type TransitionRow } from "./database.js";
export { openCaughtUpIndex, rebuildIndex, verifyIndex, type RebuildResult, type VerifyResult } from "./rebuild.js";
export { INDEX_SCHEMA_VERSION } from "./schema.js";
