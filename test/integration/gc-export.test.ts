/**
 * gc and export on a real state root made by real runs on Docker: every retention rule, a live attempt present (its
 * workspace kept, --apply refused while its run holds the lock), the index in sync afterwards; export verifies every
 * checksum, writes a tar whose RO-Crate describes each file by size and sha256, and is what gc --apply-to-promoted
 * requires before it removes a bundle.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, chmodSync, truncateSync, appendFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { CLI, cli, cliSync, parseJson } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { journalRecords } from "../helpers/journal.js";

const skip = requireDockerOrSkip();

interface GcJson {
  applied: boolean;
  decisions: { collect: boolean; rule: string; runId?: string; candidate: { kind: string; path: string; bytes: number; attemptId?: string } }[];
  totals: { collected: { count: number; bytes: number } };
}

interface Summary {
  runs: { job: string; phase: string; attemptId: string | null; runId?: string }[];
}

interface Crate {
  "@context": string;
  "@graph": (Record<string, unknown> & { "@id": string; "@type": string })[];
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function byPath(report: GcJson): Record<string, [boolean, string]> {
  return Object.fromEntries(report.decisions.map((d) => [d.candidate.path, [d.collect, d.rule]]));
}

describe("gc and export on a real state root", { skip }, () => {
  let work: string;
  let out: string;
  let okAttempt: string;
  let badAttempt: string;
  const model = join(repoRoot(), "test/fixtures/models/contract-test/model.yaml");

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mv-gc-"));
    out = join(work, "out");
    const dataset = join(work, "d.h5mu");
    await writeH5mu(dataset, { nObs: 15, modalities: { rna: { nVars: 6 } }, seed: 3 });
    assert.equal(cliSync(["register-model", model, "--state-root", out]).code, 0);
    const manifest = join(work, "m.yaml");
    writeFileSync(manifest, `globals:\n  experiment_name: gcx\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - name: ok\n    dataset_slug: d\n    model_name: contract-test\n  - name: bad\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: exit1 }\n`);
    const result = await cli(["run", "--manifest", manifest, "--output", out, "--json"]);
    const runs = parseJson<Summary>(result).runs;
    okAttempt = runs.find((r) => r.job === "ok")!.attemptId!;
    badAttempt = runs.find((r) => r.job === "bad")!.attemptId!;
    writeFileSync(join(work, "slow.yaml"), `globals:\n  experiment_name: gclive\ndatasets:\n  d:\n    path: ${dataset}\njobs:\n  - name: slow\n    dataset_slug: d\n    model_name: contract-test\n    model_params: { behavior: sleep, sleep_seconds: 120 }\n`);
  });
  after(() => {
    spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  test("a live attempt is never touched; retentions decide the rest; the index agrees afterwards", async () => {
    const child = spawn(process.execPath, [CLI, "run", "--manifest", join(work, "slow.yaml"), "--output", out, "--json"], { stdio: "ignore" });
    const deadline = Date.now() + 60_000;
    while (journalRecords(out).filter((r) => r.event === "STARTED").length < 3) {
      if (Date.now() > deadline) throw new Error("the slow run never started");
      await new Promise((r) => setTimeout(r, 100));
    }
    const slowAttempt = journalRecords(out).filter((r) => r.type === "LAUNCH_INTENT").at(-1)!.attemptId!;
    const ws = (a: string) => `store/workspaces/${a}`;

    const dry = parseJson<GcJson>(cliSync(["gc", "--state-root", out, "--retention-failed", "0", "--retention-cancelled", "0", "--json"]));
    assert.equal(dry.applied, false);
    const decided = byPath(dry);
    assert.deepEqual(decided[ws(slowAttempt)], [false, "live"]);
    assert.deepEqual(decided[ws(badAttempt)], [true, "failed-retention"]);
    assert.deepEqual(decided[ws(okAttempt)], [true, "promoted-copy"]);
    assert.deepEqual(decided[`store/artifacts/${okAttempt}`], [false, "promoted"]);
    assert.ok(existsSync(join(out, ws(badAttempt))), "a dry run removes nothing");

    const locked = cliSync(["gc", "--state-root", out, "--apply", "--retention-failed", "0"]);
    assert.equal(locked.code, 2);
    assert.match(locked.stderr, /MV_STATE_LOCKED/);

    child.kill("SIGINT");
    assert.equal(await new Promise<number | null>((resolve) => child.on("close", resolve)), 1);

    const keepAll = parseJson<GcJson>(cliSync(["gc", "--state-root", out, "--apply", "--retention-failed", "86400", "--retention-cancelled", "86400", "--json"]));
    assert.deepEqual(keepAll.decisions.filter((d) => d.collect).map((d) => d.candidate.path), [ws(okAttempt)]);
    assert.equal(existsSync(join(out, ws(okAttempt))), false);
    assert.deepEqual(byPath(keepAll)[ws(slowAttempt)], [false, "cancelled-retention"]);

    const cancelledOnly = parseJson<GcJson>(cliSync(["gc", "--state-root", out, "--apply", "--retention-failed", "86400", "--retention-cancelled", "0", "--json"]));
    assert.deepEqual(cancelledOnly.decisions.filter((d) => d.collect).map((d) => [d.candidate.path, d.rule]), [[ws(slowAttempt), "cancelled-retention"]]);

    const sizeBefore = byPath(dry)[ws(badAttempt)] ? dry.decisions.find((d) => d.candidate.path === ws(badAttempt))!.candidate.bytes : 0;
    const failed = parseJson<GcJson>(cliSync(["gc", "--state-root", out, "--apply", "--retention-failed", "0", "--json"]));
    assert.deepEqual(failed.decisions.filter((d) => d.collect).map((d) => d.candidate.path), [ws(badAttempt)]);
    assert.equal(failed.totals.collected.bytes, sizeBefore);
    assert.equal(existsSync(join(out, ws(badAttempt))), false);

    const collected = journalRecords(out).filter((r) => r.type === "GC_COLLECTED");
    assert.equal(collected.length, 3);
    assert.equal(cliSync(["rebuild-index", "--verify", "--state-root", out]).code, 0);
    const text = cliSync(["gc", "--state-root", out]);
    assert.match(text.stdout, /would free 0 B in 0 directories/);
  });

  test("export verifies every checksum, writes an RO-Crate tar, and only then lets gc remove the bundle", () => {
    const bundle = join(out, "store/artifacts", okAttempt);
    const notExported = parseJson<GcJson>(cliSync(["gc", "--state-root", out, "--apply", "--apply-to-promoted", "--json"]));
    assert.deepEqual(byPath(notExported)[`store/artifacts/${okAttempt}`], [false, "not-exported"]);

    // A changed byte in the bundle: nothing is exported, no marker is written.
    const metrics = join(bundle, "metrics.json");
    const size = statSync(metrics).size;
    chmodSync(bundle, 0o755);
    chmodSync(metrics, 0o644);
    appendFileSync(metrics, " ");
    const damaged = cliSync(["export", "run", "ok", "--state-root", out, "--to", join(work, "bad.tar")]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /MV_CHECKSUM_MISMATCH/);
    assert.match(damaged.stderr, /metrics\.json/);
    assert.equal(existsSync(join(work, "bad.tar")), false);
    assert.deepEqual(readdirSync(work).filter((n) => n.includes("partial")), []);
    truncateSync(metrics, size);

    const tar = join(work, "ok.tar");
    const exported = cliSync(["export", "run", "ok", "--state-root", out, "--to", tar, "--json"]);
    assert.equal(exported.code, 0, exported.stderr);
    const listing = spawnSync("tar", ["-tf", tar], { encoding: "utf8" });
    assert.equal(listing.status, 0, listing.stderr);
    assert.ok(listing.stdout.split("\n").includes("ro-crate-metadata.json"));
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    assert.equal(spawnSync("tar", ["-xf", tar, "-C", unpacked]).status, 0);

    const crate = JSON.parse(readFileSync(join(unpacked, "ro-crate-metadata.json"), "utf8")) as Crate;
    assert.equal(crate["@context"], "https://w3id.org/ro/crate/1.1/context");
    const entity = (id: string) => crate["@graph"].find((e) => e["@id"] === id);
    assert.deepEqual(entity("ro-crate-metadata.json"), { "@id": "ro-crate-metadata.json", "@type": "CreativeWork", conformsTo: { "@id": "https://w3id.org/ro/crate/1.1" }, about: { "@id": "./" } });
    const root = entity("./");
    assert.equal(root?.["@type"], "Dataset");
    assert.ok(typeof root?.datePublished === "string");
    assert.deepEqual(root?.hasPart, [{ "@id": `bundles/${okAttempt}/` }]);
    const files = crate["@graph"].filter((e) => e["@type"] === "File");
    const bundleFiles = readdirSync(bundle).sort();
    assert.deepEqual(files.map((f) => f.name).sort(), bundleFiles);
    for (const file of files) {
      const path = join(unpacked, file["@id"]);
      assert.equal(file.sha256, sha256(path), file["@id"]);
      assert.equal(file.contentSize, String(statSync(path).size));
      assert.equal(typeof file.encodingFormat, "string");
      assert.equal(sha256(path), sha256(join(bundle, String(file.name))));
    }
    const manifest = JSON.parse(readFileSync(join(bundle, "artifact_manifest.json"), "utf8")) as { image: { digest: string }; dataset: { fingerprint: string } };
    assert.ok(crate["@graph"].some((e) => e["@type"] === "SoftwareApplication" && e.identifier === manifest.image.digest));
    assert.ok(crate["@graph"].some((e) => e["@type"] === "Dataset" && e.identifier === manifest.dataset.fingerprint));
    assert.ok(crate["@graph"].some((e) => e["@type"] === "CreateAction" && JSON.stringify(e.result) === JSON.stringify({ "@id": `bundles/${okAttempt}/` })));

    assert.ok(existsSync(join(out, "store/exported", `${okAttempt}.EXPORTED.json`)));
    assert.equal(journalRecords(out).filter((r) => r.type === "BUNDLE_EXPORTED").length, 1);
    assert.equal(cliSync(["export", "run", "ok", "--state-root", out, "--to", tar]).code, 2, "an existing destination is refused");

    const removed = parseJson<GcJson>(cliSync(["gc", "--state-root", out, "--apply", "--apply-to-promoted", "--json"]));
    assert.deepEqual(byPath(removed)[`store/artifacts/${okAttempt}`], [true, "promoted-exported"]);
    assert.equal(existsSync(bundle), false);
    assert.equal(cliSync(["rebuild-index", "--verify", "--state-root", out]).code, 0);
    assert.equal(cliSync(["get", "runs", "--state-root", out]).code, 0);
  });
});
