/**
 * Where the orchestrator's CPU goes, from a V8 CPU profile (node:inspector in this process, or a .cpuprofile that
 * `node --cpu-prof` wrote): each sample is charged to the nearest frame of the project's own code on its stack, and
 * that file to a part of the machinery. Samples with no project frame (node's start, GC, idle) are told apart.
 */
import { Session } from "node:inspector";

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The parts, first match wins: a path fragment of the compiled tree (dist/...) and the part it is charged to. */
const PARTS: [RegExp, string][] = [
  [/\/(reconcilers|src\/manifest|src\/catalog|src\/schemas)\/|\/controllers\/run\/plan-applier/, "planning"],
  [/\/src\/identity\//, "hashing"],
  [/\/src\/journal\//, "journal"],
  [/\/src\/index\/|better-sqlite3/, "index"],
  [/\/src\/(validation|h5)\//, "validation"],
  [/\/src\/artifacts\//, "promotion"],
  [/\/src\/executors\//, "executor"],
  [/\/src\/tracking\/|\/controllers\/tracking-projector/, "tracking"],
  [/\/controllers\//, "controller"],
  [/\/src\/|\/bin\//, "other project code"],
];

export function partOf(url: string): string | undefined {
  if (!url.includes("/dist/") && !url.includes("better-sqlite3") && !url.includes("/bin/multiverse")) return undefined;
  for (const [pattern, part] of PARTS) if (pattern.test(url)) return part;
  return undefined;
}

/**
 * Milliseconds of the main thread's busy time per part ("(idle)" left out; samples without a project frame are
 * "node, GC, start"). A sample is wall time on the main thread: a blocking syscall (fsync) counts, a thread of the
 * HDF5 reader pool does not, and on a loaded machine a preempted thread counts too. Compare the shares, not the sum.
 */
export function attribute(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const charged = new Map<number, string>();
  const chargeOf = (id: number): string => {
    const known = charged.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    const part = name === "(idle)" ? "(idle)" : partOf(node.callFrame.url) ?? (parent.has(id) ? chargeOf(parent.get(id)!) : "node, GC, start");
    charged.set(id, part);
    return part;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const part = chargeOf(id);
    if (part === "(idle)") return;
    totals.set(part, (totals.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return totals;
}

/** Profiles `work` in this process (sampling every 200 µs). */
export async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  const post = <R>(method: string, params?: object) =>
    new Promise<R>((resolve, reject) => session.post(method, params ?? {}, (error, value) => (error ? reject(error) : resolve(value as R))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 200 });
  await post("Profiler.start");
  try {
    const result = await work();
    const { profile } = await post<{ profile: CpuProfile }>("Profiler.stop");
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

/** Each part's share of the busy time, in percent, largest first. */
export function shares(totals: Map<string, number>): Record<string, number> {
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).map(([part, ms]) => [part, (100 * ms) / sum]));
}
