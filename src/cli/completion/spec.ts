/**
 * What shell completion knows, read off the commander program itself (as kubectl and helm read theirs off cobra):
 * every command path, its subcommands, its flags, which flags take a value and the values a flag accepts. A
 * command or flag added to the program is completed without touching the completion scripts.
 */
import type { Command } from "commander";

export interface CompletionFlag {
  /** `-o` and `--output-format` */
  names: string[];
  takesValue: boolean;
  choices: string[];
}

export interface CompletionNode {
  /** Words after `multiverse`: [] for the program, ["get", "runs"] for `multiverse get runs`. */
  path: string[];
  subcommands: string[];
  flags: CompletionFlag[];
  /** The values each positional argument accepts, by position ([] where any value goes, e.g. a file). */
  argumentChoices: string[][];
}

/** A word that a generated script may hold unquoted; anything else is a bug in the program's definition. */
const SHELL_SAFE = /^[A-Za-z0-9_.:@/+=-]+$/;

function safe(word: string, where: string): string {
  if (!SHELL_SAFE.test(word)) throw new Error(`completion: ${where} "${word}" is not a plain word`);
  return word;
}

export function completionSpec(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string[]) => {
    const help = command.createHelp();
    const children = help.visibleCommands(command);
    const flags = help.visibleOptions(command).map((option) => ({
      names: [option.short, option.long].filter((n): n is string => typeof n === "string").map((n) => safe(n, `flag of ${path.join(" ") || "multiverse"}`)),
      takesValue: option.required || option.optional,
      choices: (option.argChoices ?? []).map((c) => safe(c, `value of ${option.long ?? option.short}`)),
    }));
    const argumentChoices = command.registeredArguments.map((argument) => (argument.argChoices ?? []).map((c) => safe(c, `value of <${argument.name()}>`)));
    nodes.push({ path, subcommands: children.map((c) => safe(c.name(), "command")), flags, argumentChoices });
    for (const child of children) {
      // The implicit `help [command]` completes the names of its siblings.
      if (child.name() === "help" && child.commands.length === 0) {
        nodes.push({ path: [...path, "help"], subcommands: children.map((c) => c.name()).filter((n) => n !== "help"), flags: [], argumentChoices: [] });
      } else {
        visit(child, [...path, child.name()]);
      }
    }
  };
  visit(program, []);
  return nodes;
}
