/**
 * Every user-facing error is declared once here (fastify-style): its code, the CLI's exit code and the status
 * API's HTTP status. User mistakes are printed without a stack trace; the CLI maps `exitCode` to the process
 * exit code and the API maps the code to its HTTP status through the same declaration.
 */
export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
/** EX_SOFTWARE: a bug, not the user's mistake (bin/multiverse.js exits with it on an unexpected error). */
export const EXIT_INTERNAL = 70;

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

export interface ErrorDeclaration {
  readonly code: string;
  /** The CLI's process exit code. */
  readonly exit: number;
  /** The status API's HTTP status. */
  readonly http: number;
}

export type ErrorFactory = ErrorDeclaration & ((message: string, options?: { location?: ErrorLocation; details?: string[]; cause?: unknown }) => MultiverseError);

function declare(code: string, { exit, http }: { exit: number; http: number }): ErrorFactory {
  const factory = (message: string, options: { location?: ErrorLocation; details?: string[]; cause?: unknown } = {}) => new MultiverseError(code, message, { ...options, exitCode: exit });
  return Object.assign(factory, { code, exit, http });
}

export const Errors = {
  yamlSyntax: declare("MV_YAML_SYNTAX", { exit: EXIT_BAD_INPUT, http: 400 }),
  schema: declare("MV_SCHEMA", { exit: EXIT_BAD_INPUT, http: 400 }),
  fileNotFound: declare("MV_FILE_NOT_FOUND", { exit: EXIT_BAD_INPUT, http: 404 }),
  unknownDataset: declare("MV_UNKNOWN_DATASET", { exit: EXIT_BAD_INPUT, http: 400 }),
  unknownModel: declare("MV_UNKNOWN_MODEL", { exit: EXIT_BAD_INPUT, http: 400 }),
  hyperparameters: declare("MV_HYPERPARAMETERS", { exit: EXIT_BAD_INPUT, http: 400 }),
  modalities: declare("MV_MODALITIES", { exit: EXIT_BAD_INPUT, http: 400 }),
  badDataset: declare("MV_BAD_DATASET", { exit: EXIT_BAD_INPUT, http: 400 }),
  badModel: declare("MV_BAD_MODEL", { exit: EXIT_BAD_INPUT, http: 400 }),
  /** A model the local executor would run has no environment yet (`multiverse models setup <slug>` makes it). */
  environmentMissing: declare("MV_ENVIRONMENT_MISSING", { exit: EXIT_BAD_INPUT, http: 400 }),
  pathEscape: declare("MV_PATH_ESCAPE", { exit: EXIT_BAD_INPUT, http: 400 }),
  strictImage: declare("MV_UNVERIFIED_IMAGE", { exit: EXIT_BAD_INPUT, http: 400 }),
  /** An image pinned by its declared digest that is not present and may not be pulled (--no-image-pull), or that its registry does not serve. */
  imageUnavailable: declare("MV_IMAGE_UNAVAILABLE", { exit: EXIT_BAD_INPUT, http: 400 }),
  notFound: declare("MV_NOT_FOUND", { exit: EXIT_BAD_INPUT, http: 404 }),
  ambiguous: declare("MV_AMBIGUOUS", { exit: EXIT_BAD_INPUT, http: 409 }),
  /** The same kind/name declared twice (two documents of a file, or two files of a watched directory). */
  duplicate: declare("MV_DUPLICATE", { exit: EXIT_BAD_INPUT, http: 409 }),
  /** A watched file that declares nothing (empty, only comments): not a deletion. */
  emptyFile: declare("MV_EMPTY_FILE", { exit: EXIT_BAD_INPUT, http: 400 }),
  usage: declare("MV_USAGE", { exit: EXIT_BAD_INPUT, http: 400 }),
  /** An HTTP request the status API cannot answer as asked (a parameter, a header, the URL). */
  badRequest: declare("MV_BAD_REQUEST", { exit: EXIT_BAD_INPUT, http: 400 }),
  /** Request headers beyond what the HTTP server reads (Node's limit, 16 KiB by default). */
  headersTooLarge: declare("MV_HEADERS_TOO_LARGE", { exit: EXIT_BAD_INPUT, http: 431 }),
  /** A client that did not finish sending its request in time. */
  requestTimeout: declare("MV_REQUEST_TIMEOUT", { exit: EXIT_BAD_INPUT, http: 408 }),
  /** A mutating API call without a bearer token. */
  unauthorized: declare("MV_UNAUTHORIZED", { exit: EXIT_BAD_INPUT, http: 401 }),
  /** A mutating API call with a bearer token that is not the server's. */
  forbidden: declare("MV_FORBIDDEN", { exit: EXIT_BAD_INPUT, http: 403 }),
  /** The controller is starting (journal, adoption, first read of its sources) or stopping. */
  notReady: declare("MV_NOT_READY", { exit: EXIT_RUN_FAILED, http: 503 }),
  journalCorrupt: declare("MV_JOURNAL_CORRUPT", { exit: EXIT_RUN_FAILED, http: 500 }),
  /** The journal cannot be written (a full disk, a read-only or immutable file): nothing can be recorded, so nothing acts. */
  /** The state root (or a file in it) cannot be opened or written: a read-only or full file system, permissions. */
  stateUnusable: declare("MV_STATE_UNUSABLE", { exit: EXIT_BAD_INPUT, http: 503 }),
  journalUnwritable: declare("MV_JOURNAL_UNWRITABLE", { exit: EXIT_RUN_FAILED, http: 503 }),
  engineUnavailable: declare("MV_ENGINE_UNAVAILABLE", { exit: EXIT_RUN_FAILED, http: 503 }),
  stateLocked: declare("MV_STATE_LOCKED", { exit: EXIT_BAD_INPUT, http: 409 }),
  /** A mutating API call to a server that only reads its state root (multiverse serve) and has no controller to ask. */
  readOnly: declare("MV_READ_ONLY", { exit: EXIT_BAD_INPUT, http: 409 }),
  indexDrift: declare("MV_INDEX_DRIFT", { exit: EXIT_RUN_FAILED, http: 503 }),
  timeout: declare("MV_TIMEOUT", { exit: EXIT_RUN_FAILED, http: 504 }),
  /** A file's bytes differ from the checksum its bundle manifest records (export, verification). */
  checksumMismatch: declare("MV_CHECKSUM_MISMATCH", { exit: EXIT_RUN_FAILED, http: 500 }),
  /** The state root was written by an older layout version: `multiverse migrate` brings it up to date. */
  stateNeedsMigration: declare("MV_STATE_NEEDS_MIGRATION", { exit: EXIT_BAD_INPUT, http: 409 }),
  /** The state root was written by a newer multiverse than this one. */
  stateTooNew: declare("MV_STATE_TOO_NEW", { exit: EXIT_BAD_INPUT, http: 409 }),
  /** `multiverse migrate` on a state root that is already at the current version. */
  alreadyMigrated: declare("MV_ALREADY_MIGRATED", { exit: EXIT_BAD_INPUT, http: 409 }),
  /** The evaluator crashed or left unusable outputs: every ready member is evaluation_failed (src/evaluation). */
  evaluationFailed: declare("MV_EVALUATION_FAILED", { exit: EXIT_RUN_FAILED, http: 500 }),
  /** A launch has no evaluation (yet): `multiverse evaluate` makes one. */
  notEvaluated: declare("MV_NOT_EVALUATED", { exit: EXIT_BAD_INPUT, http: 404 }),
  /** `--source kubernetes`: no API server answers at the kubeconfig's address (or it refuses the credentials). */
  kubernetesUnreachable: declare("MV_KUBERNETES_UNREACHABLE", { exit: EXIT_BAD_INPUT, http: 503 }),
  /** `--source kubernetes`: the API server does not serve the multiverse.io custom resources (crds/ not applied). */
  crdsMissing: declare("MV_CRDS_MISSING", { exit: EXIT_BAD_INPUT, http: 503 }),
  /** Leader election: the Lease was lost; the process stops reconciling and exits so that it is restarted. */
  leadershipLost: declare("MV_LEADERSHIP_LOST", { exit: EXIT_RUN_FAILED, http: 503 }),
  /** Not a user mistake: a bug, reported without its stack to API clients. */
  internal: declare("MV_INTERNAL", { exit: EXIT_INTERNAL, http: 500 }),
} as const;

export type ErrorName = keyof typeof Errors;

const DECLARED_BY_CODE: ReadonlyMap<string, ErrorDeclaration> = new Map(Object.values(Errors).map((factory) => [factory.code, factory]));

/** The declaration of a code (undefined for a code nobody declared, e.g. one read back from an old journal). */
export function declarationOf(code: string): ErrorDeclaration | undefined {
  return DECLARED_BY_CODE.get(code);
}

export function isMultiverseError(error: unknown): error is MultiverseError {
  return error instanceof MultiverseError;
}
