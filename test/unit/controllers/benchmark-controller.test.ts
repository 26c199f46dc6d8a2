/**
 * The Benchmark controller on a real journal with the FakeExecutor behind its runs: a declared Benchmark is planned
 * into runs and ends Ready; one that stops being declared waits out the deletion grace (and is left alone when it
 * comes back in time), is deleted at once when deleted on purpose, and its cancelled work runs again when it is
 * declared again. Status goes to every sink with observedGeneration and phase counts.
 */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BenchmarkController } from "../../../controllers/benchmark-controller.js";
import { readJournal } from "../../../src/journal/journal.js";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";
import type { DesiredState, FileSourcedResource } from "../../../src/sources/resource-source.js";
import { mergeDeclarations } from "../../../src/sources/merge-declarations.js";
import { JournalStatusSink } from "../../../src/status/journal-status-sink.js";
import { StatusSinks, type BenchmarkStatusUpdate, type StatusSink } from "../../../src/status/status-sink.js";
import type { ControllerSession } from "../../../src/services/controller-session.js";
import { eventually, fakeWorld, openFakeSession, plannedRun, type FakeWorld } from "../../helpers/fake-controller.js";

const RUN = "aaaabbbbccccddddaaaabbbbccccdddd";

function declaring(world: FakeWorld, revision: number): DesiredState {
  const text = [
    "apiVersion: multiverse.io/v1alpha1",
    "kind: Benchmark",
    "metadata: {name: demo}",
    "spec:",
    "  experimentName: demo",
    "  jobs:",
    `    - {name: job, dataset: tiny, model: pca, seeds: [0]}`,
    "",
  ].join("\n");
  const loaded = loadResourceDocuments(text, `${world.stateRoot}/../demo.yaml`);
  assert.deepEqual(loaded.problems, []);
  return { revision, resources: loaded.resources, problems: [] };
}

class RecordingSink implements StatusSink {
  readonly updates: BenchmarkStatusUpdate[] = [];
  benchmarkStatus(update: BenchmarkStatusUpdate): void {
    this.updates.push(update);
  }
  runStatus(): void {}
}

describe("Benchmark controller on the FakeExecutor", () => {
  let world: FakeWorld | undefined;
  let session: ControllerSession | undefined;
  let benchmarks: BenchmarkController | undefined;
  afterEach(async () => {
    await benchmarks?.stop();
    await session?.controller.stop();
    session?.close();
    world?.cleanup();
    world = undefined;
  });

  async function start(graceMs: number) {
    world = await fakeWorld("bench-ctl");
    // As the controller service wires it: a run's transition is a look at its Benchmark.
    session = openFakeSession(world, { onTransition: (run) => benchmarks?.runChanged(run.spec.benchmark) });
    const sink = new RecordingSink();
    const logged: string[] = [];
    const w = world;
    benchmarks = new BenchmarkController({
      runs: session.controller,
      writer: session.writer,
      status: new StatusSinks().add(new JournalStatusSink(session.writer)).add(sink),
      planner: { plan: async () => ({ runs: [plannedRun(w, RUN, { benchmark: "demo" })], sweeps: [] }) },
      deletionGraceMs: graceMs,
      log: (line) => logged.push(line),
    });
    const view = benchmarks;
    session.writer.subscribe((records) => view.observe(records));
    session.controller.start();
    benchmarks.start();
    return { sink, logged, w, s: session, b: benchmarks };
  }

  const phase = (s: ControllerSession) => s.store.get(RUN)?.snapshot.value;
  const records = (w: FakeWorld, type: string) => readJournal(w.stateRoot).records.filter((r) => r.type === type).length;

  test("a declared Benchmark is planned into runs and ends Ready; every sink hears its status", async () => {
    const { sink, w, s, b } = await start(60_000);
    b.setDesired(declaring(w, 1));
    await eventually("Ready", () => sink.updates.some((u) => u.conditions.some((c) => c.type === "Ready" && c.status === "True")));
    assert.equal(phase(s), "ARTIFACT_SUCCESS");
    const last = sink.updates.at(-1)!;
    assert.deepEqual([last.name, last.observedGeneration, last.phaseCounts], ["demo", 1, { ARTIFACT_SUCCESS: 1 }]);
    assert.equal(last.origin?.kind, "file");
    assert.equal(records(w, "BENCHMARK_STATUS"), sink.updates.length, "the journal sink journaled every status");
  });

  test("declared in two files: the one acted on says so in its status, naming the ignored file and line", async () => {
    const { sink, w, b } = await start(60_000);
    const first = declaring(w, 1);
    const other = loadResourceDocuments(`# a comment\n${["apiVersion: multiverse.io/v1alpha1", "kind: Benchmark", "metadata: {name: demo}", "spec: {experimentName: demo, jobs: [{name: job, dataset: tiny, model: pca, seeds: [5]}]}", ""].join("\n")}`, `${w.stateRoot}/../z/other.yaml`);
    const merged = mergeDeclarations([
      { file: first.resources[0]!.file!, resources: first.resources as FileSourcedResource[], problems: [], stale: false },
      { file: other.resources[0]!.file, resources: other.resources, problems: other.problems, stale: false },
    ]);
    b.setDesired({ revision: 1, ...merged });
    const source = await eventually("SourceValid False", () => sink.updates.flatMap((u) => u.conditions).find((c) => c.type === "SourceValid" && c.status === "False"));
    assert.equal(source.reason, "DuplicateDeclaration");
    assert.match(source.message, new RegExp(`also in ${other.resources[0]!.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2 \\(ignored\\)`));
  });

  test("no longer declared: nothing happens during the grace, and a Benchmark back in time is not deleted", async () => {
    const { logged, w, s, b } = await start(60_000);
    w.fake.scriptRun(RUN, { kind: "hang" });
    b.setDesired(declaring(w, 1));
    await eventually("running", () => phase(s) === "RUNNING");
    b.setDesired({ revision: 2, resources: [], problems: [] });
    await eventually("the grace announced", () => logged.some((l) => /no longer declared: deleted in 60 s/.test(l)));
    b.setDesired(declaring(w, 3));
    await eventually("declared again", () => logged.some((l) => /declared again within the grace: not deleted/.test(l)));
    assert.equal(records(w, "BENCHMARK_DELETED"), 0);
    assert.equal(phase(s), "RUNNING");
  });

  test("deleted on purpose: no grace; declared again: the cancelled run runs again", async () => {
    const { w, s, b } = await start(60_000);
    w.fake.scriptRun(RUN, { kind: "hang" }, { kind: "succeed" });
    b.setDesired(declaring(w, 1));
    await eventually("running", () => phase(s) === "RUNNING");
    b.setDesired({ revision: 2, resources: [], problems: [] });
    b.deleteNow("demo");
    await eventually("deleted and cancelled", () => records(w, "BENCHMARK_DELETED") === 1 && phase(s) === "CANCELLED");
    b.setDesired(declaring(w, 3));
    await eventually("the run asked for again and promoted", () => phase(s) === "ARTIFACT_SUCCESS");
    assert.equal(w.fake.launchesOf(RUN).filter((l) => l.result === "started").length, 2);
    assert.equal(b.knownBenchmark("demo")?.generation, 3, "declared, deleted, declared again: three generations");
  });

  test("without a grace, a Benchmark that is no longer declared is deleted at once", async () => {
    const { w, s, b } = await start(0);
    w.fake.scriptRun(RUN, { kind: "hang" });
    b.setDesired(declaring(w, 1));
    await eventually("running", () => phase(s) === "RUNNING");
    b.setDesired({ revision: 2, resources: [], problems: [] });
    await eventually("cancelled", () => phase(s) === "CANCELLED");
    assert.equal(records(w, "BENCHMARK_DELETED"), 1);
  });
});
