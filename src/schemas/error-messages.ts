/** Turns ajv errors into messages a person can act on: the field as a readable path, what was expected, what was found. */
import type { ErrorObject } from "./ajv.js";

export interface SchemaIssue {
  /** JSON path segments of the offending node. */
  path: (string | number)[];
  /** Readable form, e.g. `jobs[2].seeds[0]`. */
  field: string;
  message: string;
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function formatPath(path: (string | number)[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out || "(document)";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

export function suggest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const score = distance(name.toLowerCase(), candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** What the schemas' common patterns mean, in words (the pattern itself helps nobody). */
const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  "^[a-z0-9][a-z0-9._-]{0,62}$": 'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 characters',
  "^[A-Za-z0-9][A-Za-z0-9._-]*$": 'letters, digits, ".", "_" and "-", starting with a letter or digit',
  "^sha256:[0-9a-f]{64}$": "sha256: followed by 64 lowercase hexadecimal digits",
};

export function issuesFromAjv(errors: ErrorObject[] | null | undefined, root: unknown): SchemaIssue[] {
  if (!errors) return [];
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  // anyOf/oneOf produce one error per branch plus a summary; keep the most specific branch errors only
  // (and errors about a property *name* are reported once, by the propertyNames summary)
  const filtered = errors.filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf" && e.keyword !== "if" && e.propertyName === undefined);
  for (const error of filtered.length > 0 ? filtered : errors) {
    const path = pointerToPath(error.instancePath);
    let message: string;
    let issuePath = path;
    switch (error.keyword) {
      case "additionalProperties": {
        const extra = String((error.params as { additionalProperty: string }).additionalProperty);
        issuePath = [...path, extra];
        const schemaProps = Object.keys(((error.parentSchema as { properties?: Record<string, unknown> })?.properties) ?? {});
        const hint = suggest(extra, schemaProps);
        message = `unknown field "${extra}"${hint ? ` (did you mean "${hint}"?)` : schemaProps.length ? ` (allowed: ${schemaProps.join(", ")})` : ""}`;
        break;
      }
      case "required": {
        const missing = String((error.params as { missingProperty: string }).missingProperty);
        message = `missing required field "${missing}"`;
        break;
      }
      case "type": {
        const expected = String((error.params as { type: string | string[] }).type);
        const actual = valueAt(root, path);
        const quote = expected === "string" && (typeof actual === "number" || typeof actual === "boolean") ? " (put the value in quotes to make it a string)" : "";
        message = `expected ${expected.replace(",", " or ")}, got ${describe(actual)}${quote}`;
        break;
      }
      case "enum": {
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
        message = `expected one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(valueAt(root, path))}`;
        break;
      }
      case "const":
        message = `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}, got ${describe(valueAt(root, path))}`;
        break;
      case "minItems":
        message = `must have at least ${(error.params as { limit: number }).limit} item(s)`;
        break;
      case "maxItems":
        message = `must have at most ${(error.params as { limit: number }).limit} item(s)`;
        break;
      case "minLength":
        message = (error.params as { limit: number }).limit === 1 ? "must not be empty" : `must be at least ${(error.params as { limit: number }).limit} characters long`;
        break;
      case "maxLength":
        message = `must be at most ${(error.params as { limit: number }).limit} characters long, got ${String(valueAt(root, path)).length}`;
        break;
      case "propertyNames": {
        const name = String((error.params as { propertyName: string }).propertyName);
        issuePath = [...path, name];
        message = `${JSON.stringify(name)} is not a valid name: use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit`;
        break;
      }
      case "pattern": {
        const pattern = (error.params as { pattern: string }).pattern;
        const expected = PATTERN_DESCRIPTIONS[pattern];
        message = `${describe(valueAt(root, path))} does not match the expected format ${pattern}${expected ? ` (${expected})` : ""}`;
        break;
      }
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        const params = error.params as { comparison: string; limit: number };
        message = `must be ${params.comparison} ${params.limit}, got ${String(valueAt(root, path))}`;
        break;
      }
      default:
        message = `${error.message ?? "is invalid"}, got ${describe(valueAt(root, path))}`;
    }
    const key = `${formatPath(issuePath)}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path: issuePath, field: formatPath(issuePath), message });
  }
  return issues;
}
