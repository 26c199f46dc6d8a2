/** `multiverse completion bash|zsh`: print the shell completion script for this CLI. */
import { Argument, type Command } from "commander";
import type { Io } from "../output.js";

export const COMPLETION_SHELLS = ["bash", "zsh"] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

export async function completionScript(program: Command, shell: CompletionShell): Promise<string> {
  const [{ completionSpec }, { bashScript, zshScript }] = await Promise.all([import("./spec.js"), import("./scripts.js")]);
  const nodes = completionSpec(program);
  return shell === "bash" ? bashScript(nodes) : zshScript(nodes);
}

export function registerCompletionCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("completion")
    .description("print the shell completion script: source <(multiverse completion bash)")
    .addArgument(new Argument("<shell>", "the shell").choices([...COMPLETION_SHELLS]))
    .action(async (shell: CompletionShell) => {
      io.out(await completionScript(program, shell));
      setExit(0);
    });
}
