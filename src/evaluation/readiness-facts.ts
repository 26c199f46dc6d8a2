/** The I/O half of readiness: a member's run from the journal, its bundle verified, its dataset looked at. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { MANIFEST_SHA_FILE, parseManifestShaLine } from "../artifacts/manifest.js";
import { verifyBundle } from "../artifacts/verify.js";
import { fingerprintFile } from "../identity/file-hash.js";
import type { RunRecord } from "../journal/run-records.js";
import type { CohortMember } from "./cohort.js";
import { EMBEDDING_FILE, memberReadiness, type BundleFacts, type DatasetFacts, type Readiness } from "./readiness.js";

export interface ReadinessContext {
  runs: ReadonlyMap<string, RunRecord>;
  /** Where bundles are now (a relocated state root keeps bundle names, not paths). */
  artifactsRoot: string;
}

async function bundleFacts(member: CohortMember, run: RunRecord, artifactsRoot: string): Promise<BundleFacts> {
  const recorded = run.snapshot.context.artifactDir ?? run.promotions.at(-1)?.artifactDir ?? member.bundle_dir;
  if (!recorded) return { kind: "none" };
  const dir = existsSync(recorded) ? recorded : join(artifactsRoot, basename(recorded));
  if (!existsSync(dir)) return { kind: "absent", dir: recorded };
  const verification = await verifyBundle(dir);
  if (!verification.ok || !verification.manifest) return { kind: "bad", dir, problems: verification.problems };
  if (verification.manifest.logical_run_id !== member.run_id) {
    return { kind: "bad", dir, problems: [`the manifest belongs to run ${verification.manifest.logical_run_id}, not ${member.run_id}`] };
  }
  const manifestSha256 = parseManifestShaLine(readFileSync(join(dir, MANIFEST_SHA_FILE), "utf8")) ?? "";
  const embedding = verification.manifest.artifacts.find((a) => a.path === EMBEDDING_FILE);
  return { kind: "verified", dir, manifestSha256, embeddingSha256: embedding?.sha256 ?? null };
}

/** Datasets are fingerprinted once per evaluation, however many members share them. */
export class DatasetChecker {
  private readonly fingerprints = new Map<string, Promise<string>>();

  async facts(member: CohortMember): Promise<DatasetFacts> {
    const path = member.dataset_path;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return { kind: "absent", path };
    if (!stat.isFile()) return { kind: "unsupported", path, why: `dataset ${path} is not a file` };
    if (!path.endsWith(".h5mu")) return { kind: "unsupported", path, why: `dataset ${path} is not an .h5mu file (the evaluator reads MuData only)` };
    let fingerprint = this.fingerprints.get(path);
    if (!fingerprint) {
      fingerprint = fingerprintFile(path);
      this.fingerprints.set(path, fingerprint);
    }
    const now = await fingerprint;
    if (now !== member.dataset_fingerprint) {
      return { kind: "unsupported", path, why: `dataset ${path} changed since the run was trained on it (fingerprint ${now.slice(0, 19)}, trained on ${member.dataset_fingerprint.slice(0, 19)})` };
    }
    return { kind: "present", path };
  }
}

export async function readinessOf(member: CohortMember, context: ReadinessContext, datasets: DatasetChecker): Promise<Readiness> {
  const run = context.runs.get(member.run_id);
  if (!run) return memberReadiness({ phase: null, attempts: 0, bundle: { kind: "none" }, dataset: { kind: "present", path: member.dataset_path } });
  const succeeded = run.snapshot.value === "ARTIFACT_SUCCESS";
  return memberReadiness({
    phase: run.snapshot.value,
    attempts: run.launched.size,
    ...(run.snapshot.context.reason ? { failureReason: run.snapshot.context.reason } : {}),
    ...(run.snapshot.context.message ? { failureMessage: run.snapshot.context.message } : {}),
    // Only a succeeded run's bundle and dataset are looked at (nothing else can be ready).
    bundle: succeeded ? await bundleFacts(member, run, context.artifactsRoot) : { kind: "none" },
    dataset: succeeded ? await datasets.facts(member) : { kind: "present", path: member.dataset_path },
  });
}
