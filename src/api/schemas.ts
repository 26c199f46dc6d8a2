/** Request and response schemas of the status API (validated by Fastify's ajv, serialized fast, and the OpenAPI document). */
import { RUN_PHASES } from "../domain/run-states.js";

const nullableString = { type: ["string", "null"] } as const;

/** Names, ids and filters: any characters but control characters (a NUL or a newline is never part of a name). */
export const PRINTABLE_PATTERN = "^[^\\u0000-\\u001F\\u007F]+$";
export const CURSOR_PATTERN = "^[A-Za-z0-9_-]+$";

/** What each pattern asks for, in words, for the 400 that names the parameter. */
export const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [PRINTABLE_PATTERN]: "no control characters",
  [CURSOR_PATTERN]: "the letters, digits, - and _ of a cursor (base64url)",
};

const printableString = (maxLength: number) => ({ type: "string", minLength: 1, maxLength, pattern: PRINTABLE_PATTERN }) as const;

export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: { type: "array", items: { type: "string" } } },
    },
  },
} as const;

export const conditionSchema = {
  type: "object",
  properties: {
    type: { type: "string" },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    reason: { type: "string" },
    message: { type: "string" },
    lastTransitionTime: { type: "string" },
    observedGeneration: { type: "integer" },
  },
} as const;

export const runSchema = {
  type: "object",
  properties: {
    runId: { type: "string" },
    name: { type: "string" },
    benchmark: { type: "string" },
    jobName: { type: "string" },
    dataset: { type: "string" },
    model: { type: "string" },
    modelVersion: { type: "string" },
    seed: { type: "integer" },
    paramsHash: { type: "string" },
    params: { type: "string" },
    imageReference: { type: "string" },
    imageDigest: { type: "string" },
    imageKind: { type: "string" },
    backend: { type: "string" },
    phase: { type: "string" },
    reason: nullableString,
    message: nullableString,
    attempt: { type: "integer" },
    attemptId: nullableString,
    artifactDir: nullableString,
    workspaceDir: nullableString,
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
  },
} as const;

export const runsQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    benchmark: printableString(253),
    phase: { type: "string", enum: [...RUN_PHASES] },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
    offset: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
    cursor: { type: "string", minLength: 1, maxLength: 2048, pattern: CURSOR_PATTERN, description: "nextCursor of the previous page (instead of offset)" },
  },
} as const;

export const runListSchema = {
  type: "object",
  properties: {
    items: { type: "array", items: runSchema },
    total: { type: "integer", description: "runs matching the filter" },
    limit: { type: "integer" },
    offset: { type: ["integer", "null"], description: "null when the page was asked for by cursor" },
    next: { type: ["integer", "null"], description: "offset of the next page; null on the last page and with cursors" },
    nextCursor: { type: ["string", "null"], description: "cursor of the next page; null on the last page" },
  },
} as const;

export const idParamsSchema = {
  type: "object",
  required: ["id"],
  properties: { id: printableString(253) },
} as const;

export const nameParamsSchema = {
  type: "object",
  required: ["name"],
  properties: { name: printableString(253) },
} as const;

export const artifactSchema = {
  type: "object",
  properties: { path: { type: "string" }, role: { type: "string" }, size_bytes: { type: "integer" }, sha256: { type: "string" } },
} as const;

export const runDetailSchema = {
  type: "object",
  properties: {
    run: runSchema,
    attempts: {
      type: "array",
      items: {
        type: "object",
        properties: {
          attemptId: { type: "string" },
          attempt: { type: "integer" },
          executor: nullableString,
          handle: nullableString,
          workspaceDir: nullableString,
          phase: nullableString,
          reason: nullableString,
          exitCode: { type: ["integer", "null"] },
          oomKilled: { type: "boolean" },
          startedAt: nullableString,
          finishedAt: nullableString,
          launchedAt: nullableString,
        },
      },
    },
    transitions: {
      type: "array",
      items: {
        type: "object",
        properties: { seq: { type: "integer" }, attemptId: nullableString, event: { type: "string" }, from: { type: "string" }, to: { type: "string" }, reason: nullableString, message: nullableString, ts: { type: "string" } },
      },
    },
    artifacts: { type: ["array", "null"], items: artifactSchema },
    manifestSha256: nullableString,
    manifestMatchesSidecar: { type: ["boolean", "null"] },
    artifactProblems: { type: "array", items: { type: "string" } },
    tracking: {
      type: "array",
      description: "the MLflow projection of each attempt: pending (retried with backoff), synced, or failed with the reason",
      items: {
        type: "object",
        properties: {
          attemptId: { type: "string" },
          target: { type: "string" },
          state: { type: "string", enum: ["pending", "synced", "failed"] },
          trackingUri: { type: "string" },
          experimentName: { type: "string" },
          experimentId: nullableString,
          mlflowRunId: nullableString,
          message: nullableString,
          updatedAt: { type: "string" },
        },
      },
    },
  },
} as const;

export const benchmarkSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    generation: { type: "integer" },
    observedGeneration: { type: ["integer", "null"] },
    specHash: { type: "string" },
    file: { type: "string" },
    line: { type: "integer" },
    jobs: { type: "integer" },
    deleted: { type: "boolean" },
    conditions: { type: "array", items: conditionSchema },
    runIds: { type: "array", items: { type: "string" } },
    phaseCounts: { type: "object", additionalProperties: { type: "integer" } },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
  },
} as const;

export const logsQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    source: { type: "string", enum: ["model", "container", "orchestrator"], default: "model" },
    follow: { type: "boolean", default: false },
    attempt: { ...printableString(253), description: "attempt number (1, 2, ...) or attempt id; default the latest" },
  },
} as const;

export const eventsQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: { since: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "replay the records after this seq (Last-Event-ID wins)" } },
} as const;

export const cancelResponseSchema = {
  type: "object",
  properties: { runId: { type: "string" }, phase: { type: "string" } },
} as const;
