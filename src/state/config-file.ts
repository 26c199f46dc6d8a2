/**
 * The user's config file, $XDG_CONFIG_HOME/multiverse/config.yaml (else ~/.config/multiverse/config.yaml):
 *
 *     # where multiverse keeps its state when no --state-root and no $MULTIVERSE_STATE_DIR is given
 *     state_dir: ~/research/multiverse-state
 *
 * A missing file is no config; a file that is not a mapping, or whose state_dir is not a string, is an error
 * naming the file and line.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Errors } from "../domain/errors.js";

// Loaded only when a config file exists: `multiverse --help` and the light commands never load the YAML parser.
type YamlModule = typeof import("yaml");
let yamlModule: YamlModule | undefined;
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)("yaml") as YamlModule;
  return yamlModule;
}

export interface UserConfig {
  file: string;
  stateDir?: string;
}

export function readUserConfig(file: string): UserConfig | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  const { isMap, isScalar, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const first = document.errors[0];
  if (first) {
    throw Errors.yamlSyntax(`config file is not valid YAML: ${first.message.split("\n")[0] ?? ""}`, { location: { file, line: lineCounter.linePos(first.pos[0]).line } });
  }
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { file };
  if (!isMap(root)) throw Errors.schema("config file must be a mapping of keys (state_dir: <dir>)", { location: { file, line: 1 } });
  const node: unknown = root.get("state_dir", true);
  if (node === undefined) return { file };
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value !== "string" || value.trim() === "") {
    const line = isScalar(node) && node.range ? lineCounter.linePos(node.range[0]).line : 1;
    throw Errors.schema("state_dir: expected a directory path (a non-empty string)", { location: { file, line } });
  }
  return { file, stateDir: value };
}
