/**
 * Versions of a state root's on-disk formats, recorded in <state root>/VERSION (JSON). `layout` is the version
 * `multiverse migrate` steps through; the others say which format each part was written in: journal records
 * (JOURNAL_FORMAT_VERSION), the index schema (a projection, rebuilt on change), and bundle manifests (never
 * rewritten: a promoted bundle keeps the schema_version it was written with).
 *
 * A root without VERSION but with a journal is layout 0: written before versions were recorded.
 */
import { INDEX_SCHEMA_VERSION } from "../index/schema.js";
import { JOURNAL_FORMAT_VERSION } from "../journal/records.js";
import { MANIFEST_SCHEMA_VERSION } from "../artifacts/manifest.js";

/** 2: paths inside the output root are recorded relative to it (journal and index). */
export const STATE_LAYOUT_VERSION = 2;
export const VERSION_FILE = "VERSION";

export interface StateVersion {
  layout: number;
  journal: number;
  index: number;
  bundle_manifest: string;
}

export function currentStateVersion(): StateVersion {
  return { layout: STATE_LAYOUT_VERSION, journal: JOURNAL_FORMAT_VERSION, index: INDEX_SCHEMA_VERSION, bundle_manifest: MANIFEST_SCHEMA_VERSION };
}

export type Compatibility = "fresh" | "current" | "older" | "newer";

/** Pure: how a state root's stored layout version relates to this tool's. */
export function compatibility(stored: number | undefined, hasJournal: boolean, current: number = STATE_LAYOUT_VERSION): Compatibility {
  if (stored === undefined) return hasJournal ? "older" : "fresh";
  if (stored === current) return "current";
  return stored < current ? "older" : "newer";
}

/** Parses VERSION's text; a file that is not one of ours is reported with what was expected. */
export function parseStateVersion(text: string): { version?: StateVersion; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: "is not a JSON object" };
  const record = value as Record<string, unknown>;
  if (!Number.isSafeInteger(record.layout) || (record.layout as number) < 1) return { problem: "layout: expected a positive integer" };
  return {
    version: {
      layout: record.layout as number,
      journal: typeof record.journal === "number" ? record.journal : 1,
      index: typeof record.index === "number" ? record.index : 0,
      bundle_manifest: typeof record.bundle_manifest === "string" ? record.bundle_manifest : "1",
    },
  };
}

export interface MigrationStep {
  from: number;
  to: number;
  description: string;
}

/** What each layout step does (src/state/migrate.ts performs them). Bundles are never among the things a step rewrites. */
export const MIGRATION_STEPS: readonly MigrationStep[] = [
  { from: 0, to: 1, description: "record format versions in VERSION; rebuild the index at schema 7 (gc and export tables)" },
  { from: 1, to: 2, description: "rewrite the journal's absolute paths of the output root relative to it (a moved or copied root keeps its own bundles); rebuild the index" },
];

/** Pure: the steps from `from` to `to`, or undefined when a step is missing. */
export function planMigration(from: number, to: number = STATE_LAYOUT_VERSION): MigrationStep[] | undefined {
  const steps: MigrationStep[] = [];
  for (let at = from; at < to; at += 1) {
    const step = MIGRATION_STEPS.find((s) => s.from === at);
    if (!step) return undefined;
    steps.push(step);
  }
  return steps;
}
