/** Multi-document YAML with source positions, so that every error can name its file, line and column. */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import { Errors } from "../domain/errors.js";
import { DEFAULT_MANIFEST_LIMITS, raiseHint, type ManifestLimits } from "./limits.js";

export interface LoadedDocument {
  file: string;
  index: number;
  /** Line where the document starts (1-based). */
  line: number;
  value: unknown;
  document: Document.Parsed;
  lineCounter: LineCounter;
}

export function parseYamlDocuments(text: string, file: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): LoadedDocument[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(documents)) {
    // an empty stream yields an EmptyStream object
    return [];
  }
  if (documents.length > limits.maxDocuments) {
    const first = documents[limits.maxDocuments]!;
    throw Errors.schema(`the file holds ${documents.length} YAML documents, more than a manifest may hold`, {
      location: { file, line: lineCounter.linePos(first.range[0]).line, column: 1, field: "(document)" },
      details: [raiseHint("maxDocuments", limits, documents.length)],
    });
  }
  const loaded: LoadedDocument[] = [];
  documents.forEach((document, index) => {
    const problem = document.errors[0];
    if (problem) {
      const offset = problem.code === "MISSING_CHAR" ? unclosedQuote(text, problem.message, problem.pos[0]) ?? problem.pos[0] : problem.pos[0];
      const { line, col } = lineCounter.linePos(offset);
      let reason = problem.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "invalid YAML";
      if (offset !== problem.pos[0]) reason = `${reason}: the quoted string that starts here is never closed`;
      throw Errors.yamlSyntax(`YAML syntax error: ${reason}`, {
        location: { file, line, column: col },
        details: document.errors.slice(1, 4).map((e) => {
          const p = lineCounter.linePos(e.pos[0]);
          return `line ${p.line}, column ${p.col}: ${e.message.split("\n")[0]}`;
        }),
      });
    }
    if (document.contents === null && index > 0) return; // a trailing `---`
    const start = document.contents?.range?.[0] ?? 0;
    const line = lineCounter.linePos(start).line;
    loaded.push({ file, index, line, value: toValue(document, file, line, limits), document, lineCounter });
  });
  return loaded;
}

/** The document as plain data; aliases that expand beyond the limit (a "billion laughs" file) are a located error. */
function toValue(document: Document.Parsed, file: string, line: number, limits: ManifestLimits): unknown {
  try {
    return document.toJS({ maxAliasCount: limits.maxAliases });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw Errors.yamlSyntax("YAML aliases in this document expand to too much data (an alias bomb?); write the values out, or use fewer nested aliases", {
        location: { file, line, column: 1, field: "(document)" },
        details: [raiseHint("maxAliases", limits)],
      });
    }
    throw Errors.yamlSyntax(`YAML document cannot be read: ${(error as Error).message}`, { location: { file, line, column: 1, field: "(document)" } });
  }
}

/**
 * The yaml parser reports an unclosed quote at the end of the file; the useful place is where the quote opened.
 * An unclosed quoted scalar runs to the end of the input, so its opening quote is the last unescaped one before that.
 */
function unclosedQuote(text: string, message: string, end: number): number | undefined {
  const quote = message.includes('"quote') ? '"' : message.includes("'quote") ? "'" : undefined;
  if (!quote) return undefined;
  for (let i = Math.min(end, text.length) - 1; i >= 0; i -= 1) {
    if (text[i] !== quote) continue;
    if (quote === '"' && text[i - 1] === "\\") continue;
    if (quote === "'" && (text[i - 1] === "'" || text[i + 1] === "'")) continue;
    return i;
  }
  return undefined;
}

/** Line and column of the node at `path` (or of its key, or of the nearest existing ancestor). */
export function locate(doc: LoadedDocument, path: (string | number)[]): { line: number; column: number } {
  let node: Node | null = (doc.document.contents as Node | null) ?? null;
  let position = node?.range?.[0] ?? 0;
  for (const segment of path) {
    if (node && isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const key = pair.key as Node;
      position = key.range?.[0] ?? position;
      node = (pair.value as Node | null) ?? null;
      if (node?.range && !isMap(node) && !isSeq(node)) position = node.range[0];
    } else if (node && isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      node = item;
      position = item.range?.[0] ?? position;
    } else {
      break;
    }
  }
  const { line, col } = doc.lineCounter.linePos(position);
  return { line, column: col };
}
