/**
 * Every user-facing error is declared once here with a code and an exit status (fastify-style).
 * User mistakes are printed without a stack trace; the CLI maps `exitCode` to the process exit code.
 */
export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
}

export class MultiverseError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly location: ErrorLocation;
  readonly details: string[];

  constructor(code: string, message: string, options: { exitCode?: number; location?: ErrorLocation; details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MultiverseError";
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT_BAD_INPUT;
    this.location = options.location ?? {};
    this.details = options.details ?? [];
  }

  /** `file:line: field: message` in the style of compilers, so editors can jump to it. */
  format(): string {
    const { file, line, column, field } = this.location;
    const where = file ? `${file}${line ? `:${line}${column ? `:${column}` : ""}` : ""}: ` : "";
    const what = field ? `${field}: ` : "";
    const details = this.details.length ? `\n${this.details.map((d) => `  - ${d}`).join("\n")}` : "";
    return `${where}${what}${this.message} [${this.code}]${details}`;
  }
}

type ErrorFactory = (message: string, options?: { location?: ErrorLocation; details?: string[]; cause?: unknown }) => MultiverseError;

function declare(code: string, exitCode: number): ErrorFactory {
  return (message, options = {}) => new MultiverseError(code, message, { ...options, exitCode });
}

export const Errors = {
  yamlSyntax: declare("MV_YAML_SYNTAX", EXIT_BAD_INPUT),
  schema: declare("MV_SCHEMA", EXIT_BAD_INPUT),
  fileNotFound: declare("MV_FILE_NOT_FOUND", EXIT_BAD_INPUT),
  unknownDataset: declare("MV_UNKNOWN_DATASET", EXIT_BAD_INPUT),
  unknownModel: declare("MV_UNKNOWN_MODEL", EXIT_BAD_INPUT),
  hyperparameters: declare("MV_HYPERPARAMETERS", EXIT_BAD_INPUT),
  modalities: declare("MV_MODALITIES", EXIT_BAD_INPUT),
  badDataset: declare("MV_BAD_DATASET", EXIT_BAD_INPUT),
  badModel: declare("MV_BAD_MODEL", EXIT_BAD_INPUT),
  /** A model the local executor would run has no environment yet (`multiverse models setup <slug>` makes it). */
  environmentMissing: declare("MV_ENVIRONMENT_MISSING", EXIT_BAD_INPUT),
  pathEscape: declare("MV_PATH_ESCAPE", EXIT_BAD_INPUT),
  strictImage: declare("MV_UNVERIFIED_IMAGE", EXIT_BAD_INPUT),
  notFound: declare("MV_NOT_FOUND", EXIT_BAD_INPUT),
  ambiguous: declare("MV_AMBIGUOUS", EXIT_BAD_INPUT),
  /** The same kind/name declared twice (two documents of a file, or two files of a watched directory). */
  duplicate: declare("MV_DUPLICATE", EXIT_BAD_INPUT),
  usage: declare("MV_USAGE", EXIT_BAD_INPUT),
  journalCorrupt: declare("MV_JOURNAL_CORRUPT", EXIT_RUN_FAILED),
  engineUnavailable: declare("MV_ENGINE_UNAVAILABLE", EXIT_RUN_FAILED),
  stateLocked: declare("MV_STATE_LOCKED", EXIT_BAD_INPUT),
  indexDrift: declare("MV_INDEX_DRIFT", EXIT_RUN_FAILED),
  timeout: declare("MV_TIMEOUT", EXIT_RUN_FAILED),
} as const;

export function isMultiverseError(error: unknown): error is MultiverseError {
  return error instanceof MultiverseError;
}
