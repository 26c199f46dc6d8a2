import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Manager, type ManagedPart } from "../../../controllers/manager.js";

function part(name: string, events: string[], options: { failStart?: boolean; failStop?: boolean } = {}): ManagedPart {
  return {
    name,
    start: async () => {
      if (options.failStart) throw new Error(`${name} cannot start`);
      events.push(`start ${name}`);
    },
    stop: async () => {
      events.push(`stop ${name}`);
      if (options.failStop) throw new Error(`${name} cannot stop`);
    },
  };
}

describe("Manager", () => {
  test("starts parts in order and stops them in reverse, once", async () => {
    const events: string[] = [];
    const manager = new Manager().add(part("lock", events)).add(part("journal", events)).add(part("api", events));
    await manager.start();
    await Promise.all([manager.stop(), manager.stop()]);
    await manager.stop();
    assert.deepEqual(events, ["start lock", "start journal", "start api", "stop api", "stop journal", "stop lock"]);
  });

  test("a part that fails to start stops the ones already started, in reverse, and the error comes out", async () => {
    const events: string[] = [];
    const manager = new Manager().add(part("lock", events)).add(part("journal", events)).add(part("api", events, { failStart: true })).add(part("never", events));
    await assert.rejects(manager.start(), /api cannot start/);
    assert.deepEqual(events, ["start lock", "start journal", "stop journal", "stop lock"]);
  });

  test("a part that fails to stop is logged and the others still stop", async () => {
    const events: string[] = [];
    const logged: string[] = [];
    const manager = new Manager((line) => logged.push(line)).add(part("lock", events)).add(part("source", events, { failStop: true }));
    await manager.start();
    await manager.stop();
    assert.deepEqual(events, ["start lock", "start source", "stop source", "stop lock"]);
    assert.deepEqual(logged, ["source did not stop cleanly: source cannot stop"]);
  });

  test("startPart starts a part made later and stops it before the earlier ones", async () => {
    const events: string[] = [];
    const manager = new Manager().add(part("lock", events));
    await manager.start();
    const session = await manager.startPart("session", () => ({ id: 7 }), (s) => void events.push(`close session ${s.id}`));
    assert.equal(session.id, 7);
    await manager.stop();
    assert.deepEqual(events, ["start lock", "close session 7", "stop lock"]);
    await assert.rejects(manager.startPart("late", () => 1), /after the manager stopped/);
  });

  test("parts cannot be added after start, and start happens once", async () => {
    const manager = new Manager();
    await manager.start();
    assert.throws(() => manager.add(part("late", [])), /added after the manager started/);
    await assert.rejects(manager.start(), /starts once/);
  });
});
