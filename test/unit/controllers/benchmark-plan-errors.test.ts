/**
 * Controller mode: a Benchmark whose dataset is missing, unreadable or unknown gets an error that names the
 * Benchmark's own file, the line and the field (spec.jobs[i].dataset), as `multiverse run` does; the .h5mu the
 * error is about stays in its details. Planned by the controller's real planner (dataset inspection included) on
 * the FakeExecutor, and seen in the Benchmark's Ready condition.
 */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BenchmarkController } from "../../../controllers/benchmark-controller.js";
import { isMultiverseError } from "../../../src/domain/errors.js";
import { benchmarkPlanner } from "../../../src/services/benchmark-planner.js";
import { loadResourceDocuments } from "../../../src/sources/load-documents.js";
import type { FileSourcedResource } from "../../../src/sources/resource-source.js";
import type { BenchmarkResource, DatasetResource, ModelResource } from "../../../src/domain/resources.js";
import { JournalStatusSink } from "../../../src/status/journal-status-sink.js";
import { StatusSinks, type BenchmarkStatusUpdate, type StatusSink } from "../../../src/status/status-sink.js";
import { eventually, fakeWorld, openFakeSession, type FakeWorld } from "../../helpers/fake-controller.js";
import type { ControllerSession } from "../../../src/services/controller-session.js";

function benchmarkText(dataset: string, datasetDoc?: string): string {
  return [
    ...(datasetDoc ? [datasetDoc, "---"] : []),
    "apiVersion: multiverse.io/v1alpha1",
    "kind: Benchmark",
    "metadata: {name: demo}",
    "spec:",
    "  experimentName: demo",
    "  jobs:",
    "    - name: first",
    "      dataset: tiny",
    "      model: pca",
    "      seeds: [0]",
    "    - name: second",
    `      dataset: ${dataset}`,
    "      model: pca",
    "      seeds: [0]",
    "",
  ].join("\n");
}

const datasetDoc = (path: string) => ["apiVersion: multiverse.io/v1alpha1", "kind: Dataset", "metadata: {name: broken}", "spec:", `  path: ${path}`].join("\n");

describe("controller-mode dataset errors point into the Benchmark", () => {
  let world: FakeWorld | undefined;
  let session: ControllerSession | undefined;
  let controller: BenchmarkController | undefined;
  afterEach(async () => {
    await controller?.stop();
    await session?.controller.stop();
    session?.close();
    world?.cleanup();
    world = undefined;
    controller = undefined;
    session = undefined;
  });

  async function plan(text: string, junk?: string) {
    world = await fakeWorld("bench-errs");
    const file = join(dirname(world.stateRoot), "bench.yaml");
    if (junk) writeFileSync(join(dirname(world.stateRoot), junk), "this is not HDF5\n");
    const tiny = ["apiVersion: multiverse.io/v1alpha1", "kind: Dataset", "metadata: {name: tiny}", "spec:", `  path: ${world.datasetPath}`, ""].join("\n");
    const full = `${tiny}---\n${text}`;
    const loaded = loadResourceDocuments(full, file);
    assert.deepEqual(loaded.problems, []);
    const benchmark = loaded.resources.find((r) => r.kind === "Benchmark")!;
    const declared = {
      datasets: loaded.resources.filter((r) => r.kind === "Dataset").map((r) => r.resource as DatasetResource),
      models: loaded.resources.filter((r) => r.kind === "Model").map((r) => r.resource as ModelResource),
    };
    const w = world;
    const planner = benchmarkPlanner({ stateRoot: w.stateRoot, defaultBackend: "docker", executorFor: () => w.fake });
    try {
      await planner.plan(benchmark.resource as BenchmarkResource, declared, benchmark.jobOrigins);
    } catch (error) {
      assert.ok(isMultiverseError(error), String(error));
      return { error, file, line: lineOf(full, "      dataset: ") };
    }
    throw new Error("the plan did not fail");
  }

  /** The line of the last line starting with `prefix` (the second job's dataset field). */
  function lineOf(text: string, prefix: string): number {
    const lines = text.split("\n");
    for (let i = lines.length - 1; i >= 0; i -= 1) if (lines[i]!.startsWith(prefix)) return i + 1;
    throw new Error(`no line starts with ${prefix}`);
  }

  test("a Dataset whose file is missing: the Benchmark's line and field, the missing file in the details", async () => {
    const { error, file, line } = await plan(benchmarkText("broken", datasetDoc("missing.h5mu")));
    assert.equal(error.location.file, file);
    assert.equal(error.location.line, line);
    assert.equal(error.location.field, "spec.jobs[1].dataset");
    assert.ok(error.details.some((d) => d.includes("missing.h5mu")) || error.message.includes("missing.h5mu"), error.details.join("; "));
  });

  test("a Dataset whose file is not HDF5", async () => {
    const { error, file, line } = await plan(benchmarkText("broken", datasetDoc("not-hdf5.h5mu")), "not-hdf5.h5mu");
    assert.equal(error.location.file, file);
    assert.equal(error.location.line, line);
    assert.equal(error.location.field, "spec.jobs[1].dataset");
  });

  test("an unknown dataset", async () => {
    const { error, file, line } = await plan(benchmarkText("nowhere"));
    assert.equal(error.location.file, file);
    assert.equal(error.location.line, line);
    assert.equal(error.location.field, "spec.jobs[1].dataset");
  });

  test("the Benchmark's Ready condition says where", async () => {
    world = await fakeWorld("bench-errs-ctl");
    const w = world;
    const file = join(dirname(w.stateRoot), "bench.yaml");
    writeFileSync(join(dirname(w.stateRoot), "garbage.h5mu"), "this is not HDF5\n");
    const tiny = ["apiVersion: multiverse.io/v1alpha1", "kind: Dataset", "metadata: {name: tiny}", "spec:", `  path: ${w.datasetPath}`, ""].join("\n");
    const full = `${tiny}---\n${benchmarkText("broken", datasetDoc("garbage.h5mu"))}`;
    const loaded = loadResourceDocuments(full, file);
    assert.deepEqual(loaded.problems, []);
    session = openFakeSession(w);
    const updates: BenchmarkStatusUpdate[] = [];
    const sink: StatusSink = { benchmarkStatus: (u) => void updates.push(u), runStatus: () => undefined };
    controller = new BenchmarkController({
      runs: session.controller,
      writer: session.writer,
      status: new StatusSinks().add(new JournalStatusSink(session.writer)).add(sink),
      planner: benchmarkPlanner({ stateRoot: w.stateRoot, defaultBackend: "docker", executorFor: () => w.fake }),
      deletionGraceMs: 0,
    });
    session.controller.start();
    controller.start();
    controller.setDesired({ revision: 1, resources: loaded.resources as FileSourcedResource[], problems: [] });
    const ready = await eventually("a Ready=False condition", () => updates.flatMap((u) => u.conditions).find((c) => c.type === "Ready" && c.status === "False"));
    assert.match(ready.message ?? "", new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${lineOf(full, "      dataset: ")}:\\d+ spec\\.jobs\\[1\\]\\.dataset: `));
    assert.match(ready.message ?? "", /garbage\.h5mu/);
  });
});
