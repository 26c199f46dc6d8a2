/**
 * The command line that runs a model's entrypoint as a host process with the contract paths: with bubblewrap,
 * a fresh mount namespace where /input/data.h5mu is the dataset (read-only), /output the workspace, the model
 * directory /app and the worker SDK /multiverse-worker (read-only), no network unless asked; without
 * bubblewrap, the same paths are passed through MULTIVERSE_INPUT_FILE and MULTIVERSE_OUTPUT_DIR.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { requireMount, targetParent, type Mount } from "../mounts.js";

export interface Interpreter {
  /** Real path of the python executable. */
  executable: string;
  /** Directories the interpreter needs (venv prefix and base prefix). */
  prefixes: string[];
}

export interface SandboxInput {
  interpreter: Interpreter;
  /** Entrypoint arguments after the interpreter, relative to the model directory (e.g. ["container/run.py"]). */
  script: string[];
  modelDirectory: string;
  workerSdkDirectory: string;
  /** The contract mounts (input read-only, workspace read-write). */
  mounts: Mount[];
  network: boolean;
  env: Record<string, string>;
}

export interface SandboxCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  isolated: boolean;
}

const SYSTEM_DIRS = ["/usr", "/etc", "/opt"];
const SYSTEM_LINKS: [string, string][] = [["usr/bin", "/bin"], ["usr/sbin", "/sbin"], ["usr/lib", "/lib"], ["usr/lib64", "/lib64"], ["usr/lib32", "/lib32"]];

export function bubblewrapCommand(input: SandboxInput, bwrap = "bwrap"): SandboxCommand {
  const args = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts"];
  if (!input.network) args.push("--unshare-net");
  for (const dir of SYSTEM_DIRS) if (existsSync(dir)) args.push("--ro-bind", dir, dir);
  for (const [target, link] of SYSTEM_LINKS) if (existsSync(link)) args.push("--symlink", target, link);
  // /tmp first: an environment that lives under /tmp must be bound on top of the fresh tmpfs, not hidden by it.
  args.push("--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp");
  // CPU topology, read by thread pools (OpenMP, joblib/loky, torch) to size themselves.
  args.push("--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu");
  for (const prefix of input.interpreter.prefixes) args.push("--ro-bind", prefix, prefix);
  args.push("--ro-bind", input.modelDirectory, "/app");
  args.push("--ro-bind", input.workerSdkDirectory, "/multiverse-worker");
  for (const mount of input.mounts) {
    const parent = targetParent(mount.target);
    if (parent !== "/") args.push("--dir", parent);
    args.push(mount.readOnly ? "--ro-bind" : "--bind", mount.source, mount.target);
  }
  const inputMount = requireMount(input.mounts, "input");
  const workspace = requireMount(input.mounts, "workspace");
  args.push("--chdir", workspace.target);
  args.push("--", input.interpreter.executable, ...input.script.map((a) => (a.endsWith(".py") && !a.startsWith("/") ? join("/app", a) : a)));
  return {
    argv: args,
    env: { ...input.env, PYTHONPATH: "/multiverse-worker", MULTIVERSE_INPUT_DIR: targetParent(inputMount.target), MULTIVERSE_OUTPUT_DIR: workspace.target, HOME: "/tmp", PYTHONDONTWRITEBYTECODE: "1" },
    cwd: workspace.source,
    isolated: true,
  };
}

/** Without bubblewrap there is no mount namespace: the model is told the host paths instead. */
export function plainCommand(input: SandboxInput): SandboxCommand {
  const dataset = requireMount(input.mounts, "input");
  const workspace = requireMount(input.mounts, "workspace");
  return {
    argv: [input.interpreter.executable, ...input.script.map((a) => (a.endsWith(".py") && !a.startsWith("/") ? join(input.modelDirectory, a) : a))],
    env: {
      ...input.env,
      PYTHONPATH: input.workerSdkDirectory,
      MULTIVERSE_INPUT_FILE: dataset.source,
      MULTIVERSE_OUTPUT_DIR: workspace.source,
      PYTHONDONTWRITEBYTECODE: "1",
    },
    cwd: workspace.source,
    isolated: false,
  };
}
