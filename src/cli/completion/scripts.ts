/**
 * The bash and zsh completion scripts, rendered from the completion spec. Both shells share the data functions
 * (plain `case` statements, the same syntax in both); only the function that reads the command line and offers
 * the candidates differs. Words in the spec are plain (spec.ts refuses others), so they need no quoting.
 */
import type { CompletionNode } from "./spec.js";

const key = (path: string[]) => `"${path.join(" ")}"`;

function caseFunction(name: string, nodes: CompletionNode[], words: (node: CompletionNode) => string[]): string {
  const arms = nodes
    .map((node) => ({ node, list: words(node) }))
    .filter(({ list }) => list.length > 0)
    .map(({ node, list }) => `    ${key(node.path)}) printf '%s\\n' "${list.join(" ")}" ;;`);
  return [`${name}() {`, '  case "$1" in', ...arms, "  esac", "}"].join("\n");
}

function choicesFunction(nodes: CompletionNode[]): string {
  const arms: string[] = [];
  for (const node of nodes) {
    for (const flag of node.flags) {
      if (flag.choices.length === 0) continue;
      for (const name of flag.names) arms.push(`    "${node.path.join(" ")}|${name}") printf '%s\\n' "${flag.choices.join(" ")}" ;;`);
    }
  }
  return ["__multiverse_choices() {", '  case "$1|$2" in', ...arms, "  esac", "}"].join("\n");
}

function argumentChoicesFunction(nodes: CompletionNode[]): string {
  const arms = nodes.flatMap((node) =>
    node.argumentChoices.flatMap((choices, index) => (choices.length > 0 ? [`    "${node.path.join(" ")}|${index}") printf '%s\\n' "${choices.join(" ")}" ;;`] : [])),
  );
  return ["__multiverse_argument_choices() {", '  case "$1|$2" in', ...arms, "  esac", "}"].join("\n");
}

function dataFunctions(nodes: CompletionNode[]): string {
  return [
    caseFunction("__multiverse_subcommands", nodes, (n) => n.subcommands),
    caseFunction("__multiverse_flags", nodes, (n) => n.flags.flatMap((f) => f.names)),
    // padded with spaces so that `*" $flag "*` matches whole words
    caseFunction("__multiverse_value_flags", nodes, (n) => {
      const names = n.flags.filter((f) => f.takesValue).flatMap((f) => f.names);
      return names.length > 0 ? ["", ...names, ""] : [];
    }),
    choicesFunction(nodes),
    argumentChoicesFunction(nodes),
  ].join("\n\n");
}

/**
 * Reads the words before the cursor into the command path, skipping flags and the values of flags that take one.
 * Leaves `cmdpath`, `argn` (how many positional arguments come before the cursor) and `skip=1` when the word
 * before the cursor is a flag waiting for its value.
 */
function walk(first: string, words: string, count: string): string {
  return `  local cmdpath="" word i skip=0 argn=0
  for ((i = ${first}; i < ${count}; i++)); do
    word="\${${words}[i]}"
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$word" in
      --) break ;;
      -*=*) continue ;;
      -*) case "$(__multiverse_value_flags "$cmdpath")" in *" $word "*) skip=1 ;; esac; continue ;;
    esac
    case " $(__multiverse_subcommands "$cmdpath") " in
      *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word"; argn=0 ;;
      *) argn=$((argn + 1)) ;;
    esac
  done`;
}

export function bashScript(nodes: CompletionNode[]): string {
  return `# bash completion for multiverse, generated from the CLI's own definition by \`multiverse completion bash\`.
# Use it now:      source <(multiverse completion bash)
# Keep it:         multiverse completion bash > ~/.local/share/bash-completion/completions/multiverse

${dataFunctions(nodes)}

_multiverse() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" candidates
  COMPREPLY=()
${walk("1", "COMP_WORDS", "COMP_CWORD")}
  if [ "$skip" = 1 ]; then
    candidates="$(__multiverse_choices "$cmdpath" "\${COMP_WORDS[COMP_CWORD-1]}")"
    if [ -z "$candidates" ]; then
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
    fi
  elif [[ "$cur" == -* ]]; then
    candidates="$(__multiverse_flags "$cmdpath")"
  else
    candidates="$(__multiverse_subcommands "$cmdpath")"
    [ -n "$candidates" ] || candidates="$(__multiverse_argument_choices "$cmdpath" "$argn")"
    if [ -z "$candidates" ]; then
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
    fi
  fi
  mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
  return 0
}

complete -F _multiverse multiverse
`;
}

export function zshScript(nodes: CompletionNode[]): string {
  return `#compdef multiverse
# zsh completion for multiverse, generated from the CLI's own definition by \`multiverse completion zsh\`.
# Use it now:      source <(multiverse completion zsh)
# Keep it:         multiverse completion zsh > "\${fpath[1]}/_multiverse"   (then restart zsh)

${dataFunctions(nodes)}

_multiverse() {
  local cur="\${words[CURRENT]}" candidates
${walk("2", "words", "CURRENT")}
  if [ "$skip" = 1 ]; then
    candidates="$(__multiverse_choices "$cmdpath" "\${words[CURRENT-1]}")"
    if [ -z "$candidates" ]; then _files; return; fi
  elif [[ "$cur" == -* ]]; then
    candidates="$(__multiverse_flags "$cmdpath")"
  else
    candidates="$(__multiverse_subcommands "$cmdpath")"
    [ -n "$candidates" ] || candidates="$(__multiverse_argument_choices "$cmdpath" "$argn")"
    if [ -z "$candidates" ]; then _files; return; fi
  fi
  compadd -- \${=candidates}
}

if [ "\${funcstack[1]}" = "_multiverse" ]; then
  _multiverse "$@"
else
  compdef _multiverse multiverse
fi
`;
}
