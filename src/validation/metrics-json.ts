/**
 * metrics.json as Python writes it: json.dump emits NaN, Infinity and -Infinity as bare tokens, which
 * JSON.parse refuses. They are recognised outside strings and reported by JSON path, never silently accepted.
 */
const MARKERS: Record<string, string> = { NaN: "__mv_nan__", Infinity: "__mv_inf__", "-Infinity": "__mv_neginf__" };

export class MetricsTooLargeError extends Error {}

/**
 * `maxEntries` bounds the object keys and array elements (counted by a scan before anything is parsed), so that
 * a hostile file cannot make the parser build millions of objects.
 */
export function parseMetricsJson(text: string, options: { maxEntries?: number } = {}): { value: unknown; nonFinite: string[] } {
  let out = "";
  let inString = false;
  let entries = 0;
  const containers: string[] = [];
  const maxEntries = options.maxEntries ?? Infinity;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === "\\") {
        out += text[i + 1] ?? "";
        i += 1;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    if (ch === "{" || ch === "[") containers.push(ch);
    else if (ch === "}" || ch === "]") containers.pop();
    // A key has one colon; an array element after the first, one comma.
    if (ch === ":" || (ch === "," && containers[containers.length - 1] === "[")) {
      entries += 1;
      if (entries > maxEntries) throw new MetricsTooLargeError(`more than ${maxEntries} keys and array elements`);
    }
    const token = ["-Infinity", "Infinity", "NaN"].find((t) => text.startsWith(t, i));
    if (token) {
      out += `"${MARKERS[token]}"`;
      i += token.length - 1;
      continue;
    }
    out += ch;
  }
  const nonFinite: string[] = [];
  const value = JSON.parse(out, function (this: unknown, _key, v: unknown) {
    return v;
  }) as unknown;
  const markers = new Set(Object.values(MARKERS));
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string" && markers.has(node)) {
      nonFinite.push(path);
      return node === MARKERS.NaN ? Number.NaN : node === MARKERS.Infinity ? Infinity : -Infinity;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`));
    if (node && typeof node === "object") {
      const result: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) result[k] = walk(v, path ? `${path}.${k}` : k);
      return result;
    }
    return node;
  };
  return { value: walk(value, ""), nonFinite };
}
