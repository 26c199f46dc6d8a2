/**
 * Finds the first word of a command line that names no command (`multiverse nonsense --help`, `get nonsense`)
 * before commander reads it: commander prints the general help for `nonsense --help` and exits 0, and a typo
 * must be an error (exit 2) with a suggestion instead.
 */
import type { Command } from "commander";
import { Errors, type MultiverseError } from "../domain/errors.js";
import { suggest } from "./suggest.js";

export interface CommandTree {
  name: string;
  aliases: string[];
  children: CommandTree[];
}

export function commandTree(command: Command): CommandTree {
  return { name: command.name(), aliases: command.aliases(), children: command.commands.map(commandTree) };
}

export interface UnknownCommand {
  /** The commands before the unknown word: [] for `multiverse nonsense`, ["get"] for `multiverse get nonsense`. */
  parent: string[];
  word: string;
  known: string[];
  suggestions: string[];
}

const HELP = "help";

/**
 * Pure. Walks the words while the current command has subcommands: options are skipped (a command that has
 * subcommands takes no option values), `help` may name a subcommand, and the first other word must be a
 * subcommand. The walk stops at a command without subcommands: its arguments are commander's to check.
 */
export function findUnknownCommand(tree: CommandTree, argv: readonly string[]): UnknownCommand | undefined {
  let node = tree;
  const parent: string[] = [];
  for (const word of argv) {
    if (node.children.length === 0 || word === "--") return undefined;
    if (word.startsWith("-")) continue;
    if (word === HELP) continue; // `help get runs` is the help of `get runs`
    const child = node.children.find((c) => c.name === word || c.aliases.includes(word));
    if (!child) {
      const known = [...node.children.map((c) => c.name), HELP];
      return { parent, word, known, suggestions: suggest(word, [...known, ...node.children.flatMap((c) => c.aliases)]) };
    }
    node = child;
    parent.push(child.name);
  }
  return undefined;
}

export function unknownCommandError(unknown: UnknownCommand): MultiverseError {
  const where = ["multiverse", ...unknown.parent].join(" ");
  const what = unknown.parent.length === 0 ? `unknown command "${unknown.word}"` : `unknown subcommand "${unknown.word}" of ${where}`;
  const hint = unknown.suggestions.length > 0 ? `; did you mean ${unknown.suggestions.map((s) => `"${s}"`).join(" or ")}?` : "";
  return Errors.usage(`${what}${hint}`, { details: [`commands of ${where}: ${unknown.known.join(", ")}`, `see: ${where} --help`] });
}
