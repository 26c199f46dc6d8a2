/**
 * The dashboard's routes and multiverse serve's read-only port over real HTTP: the page and its modules, bundle
 * files (only what the manifest lists, never through a symlink), sweep trials, SSE fed by another writer of the
 * state root, and cancel refused without a controller and handed to one that holds the state root.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiServer, type ApiServer } from "../../../src/api/server.js";
import { openReadOnlyPort, type ReadOnlyPort } from "../../../src/api/dashboard/read-only-port.js";
import { requestsDir } from "../../../src/services/controller-service.js";
import { acquireStateLock } from "../../../src/state/state-root.js";
import { sha256Hex } from "../../../src/identity/hash.js";
import { move } from "../index/fixtures.js";
import { attemptOf, FAILED_RUN, OK_RUN, RUNNING_RUN, writeDashboardStateRoot, type DashboardFixture } from "./dashboard-fixture.js";

let root: string;
let fixture: DashboardFixture;
let port: ReadOnlyPort;
let server: ApiServer;
let base: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "mv-dashboard-"));
  fixture = writeDashboardStateRoot(root);
  port = openReadOnlyPort({ stateRoot: root, pollMs: 20 });
  server = await createApiServer({ stateRoot: root, controller: port, port: 0, token: "s3cret", heartbeatMs: 200, followIntervalMs: 50 });
  base = server.address;
});

after(async () => {
  await server.close();
  port.close();
  fixture.close();
  rmSync(root, { recursive: true, force: true });
});

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe("dashboard page", { timeout: 30_000 }, () => {
  test("/ and /dashboard lead to the page; the page has a strict CSP and revalidates by ETag", async () => {
    for (const path of ["/", "/dashboard"]) {
      const response = await fetch(`${base}${path}`, { redirect: "manual" });
      assert.equal(response.status, 302, path);
      assert.equal(response.headers.get("location"), "/dashboard/");
    }
    const page = await fetch(`${base}/dashboard/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    assert.match(page.headers.get("content-security-policy")!, /default-src 'self'.*script-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="main.js">/);
    const again = await fetch(`${base}/dashboard/`, { headers: { "if-none-match": page.headers.get("etag")! } });
    assert.equal(again.status, 304);
  });

  test("the browser modules tsc compiled, each import of theirs served too; nothing else", async () => {
    const main = await fetch(`${base}/dashboard/main.js`);
    assert.equal(main.status, 200);
    assert.match(main.headers.get("content-type")!, /^text\/javascript/);
    const pending = [await main.text()];
    const seen = new Set(["main.js"]);
    while (pending.length > 0) {
      for (const [, name] of pending.pop()!.matchAll(/from "\.\/([\w-]+\.js)"/g)) {
        if (seen.has(name!)) continue;
        seen.add(name!);
        const module = await fetch(`${base}/dashboard/${name}`);
        assert.equal(module.status, 200, name);
        pending.push(await module.text());
      }
    }
    assert.ok(seen.has("run-view.js") && seen.has("benchmarks-view.js"), [...seen].join(" "));
    assert.equal((await fetch(`${base}/dashboard/style.css`)).status, 200);
    for (const name of ["main.js.map", "main.ts", "nope.js", "..%2Fserver.js", "index.html%00"]) {
      const response = await fetch(`${base}/dashboard/${name}`);
      assert.equal(response.status, 404, name);
      assert.equal((await errorOf(response)).code, "MV_NOT_FOUND");
    }
  });
});

describe("bundle files", { timeout: 30_000 }, () => {
  test("umap.png as the bundle holds it, inline, sandboxed", async () => {
    const response = await fetch(`${base}/api/v1/runs/${OK_RUN}/files/umap.png`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.match(response.headers.get("content-security-policy")!, /^sandbox/);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), fixture.umap);
    const etag = response.headers.get("etag")!;
    assert.equal(etag, `"${sha256Hex(fixture.umap)}"`, "the manifest's digest");
    assert.equal((await fetch(`${base}/api/v1/runs/${OK_RUN}/files/umap.png`, { headers: { "if-none-match": etag } })).status, 304);
    const manifest = await fetch(`${base}/api/v1/runs/${OK_RUN.slice(0, 6)}/files/artifact_manifest.json`);
    assert.equal(manifest.status, 200, "by id prefix, and the manifest itself");
    assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), readFileSync(join(fixture.bundle, "artifact_manifest.json")));
  });

  test("refused: an unlisted file, a listed symlink, an escape, a run without a bundle, an unknown run", async () => {
    const cases: [string, RegExp][] = [
      [`${OK_RUN}/files/secret.txt`, /does not list it/],
      [`${OK_RUN}/files/link.png`, /not a regular file inside the bundle/],
      [`${OK_RUN}/files/%2e%2e%2f%2e%2e%2fjournal`, /does not list it/],
      [`${OK_RUN}/files/..%2Fsecret.txt`, /does not list it/],
      [`${FAILED_RUN}/files/umap.png`, /has no promoted bundle \(phase FAILED, nonzero_exit\)/],
      [`nosuchrun/files/umap.png`, /nosuchrun/],
    ];
    for (const [path, message] of cases) {
      const response = await fetch(`${base}/api/v1/runs/${path}`);
      assert.equal(response.status, 404, path);
      const error = await errorOf(response);
      assert.equal(error.code, "MV_NOT_FOUND", path);
      assert.match(error.message, message, path);
    }
  });

  test("run detail lists the files with checksums; sweep trials name the Optuna study", async () => {
    const detail = (await (await fetch(`${base}/api/v1/runs/${OK_RUN}`)).json()) as { artifacts: { path: string; sha256: string }[]; tracking: { mlflowRunId: string }[] };
    assert.deepEqual(detail.artifacts.map((a) => a.path), ["umap.png", "metrics.json", "link.png"]);
    assert.equal(detail.tracking[0]!.mlflowRunId, "f00dcafe1234");
    const trials = (await (await fetch(`${base}/api/v1/runs/${OK_RUN}/trials`)).json()) as { items: { study: string; trialNumber: number; storage: string; state: string }[] };
    assert.deepEqual(trials.items.map((t) => [t.study, t.trialNumber, t.storage, t.state]), [["demo-pca", 3, "sqlite:///studies.db", "RUNNING"]]);
    assert.deepEqual(((await (await fetch(`${base}/api/v1/runs/${FAILED_RUN}/trials`)).json()) as { items: unknown[] }).items, []);
  });

  test("the OpenAPI document declares the dashboard's endpoints", async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, object> };
    for (const path of ["/api/v1/runs/{id}/files/*", "/api/v1/runs/{id}/trials", "/dashboard/"]) assert.ok(document.paths[path], path);
  });
});

describe("multiverse serve's read-only port", { timeout: 30_000 }, () => {
  test("records another process appends reach SSE clients once indexed, in order", async () => {
    const abort = new AbortController();
    const events = await fetch(`${base}/api/v1/events`, { signal: abort.signal });
    const reader = events.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("retry:")) text += decoder.decode((await reader.read()).value);
    const a = { attempt: 1, attemptId: attemptOf(RUNNING_RUN) };
    fixture.append([move(RUNNING_RUN, "RUNNING", "TRAINING_SUCCEEDED", "EXITED", a)]);
    fixture.append([move(RUNNING_RUN, "TRAINING_SUCCEEDED", "EVALUATING", "VALIDATE", a)]);
    while (!text.includes('"to":"EVALUATING"')) text += decoder.decode((await reader.read()).value);
    abort.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(ids.length, 2, text);
    assert.equal(ids[1], ids[0]! + 1);
    assert.match(text, /event: RUN_TRANSITION\ndata: \{[^\n]*"to":"TRAINING_SUCCEEDED"/);
    assert.equal(port.metrics().journalSeq, fixture.journal.lastSeq);
  });

  test("cancel without a controller: 401 without the token, then 409 saying serve only reads", async () => {
    assert.equal((await fetch(`${base}/api/v1/runs/${RUNNING_RUN}/cancel`, { method: "POST" })).status, 401);
    const response = await fetch(`${base}/api/v1/runs/${RUNNING_RUN}/cancel`, { method: "POST", headers: { authorization: "Bearer s3cret" } });
    assert.equal(response.status, 409);
    const error = await errorOf(response);
    assert.equal(error.code, "MV_READ_ONLY");
    assert.match(error.message, /multiverse serve, which only reads/);
    assert.equal((await fetch(`${base}/api/v1/runs/nosuchrun/cancel`, { method: "POST", headers: { authorization: "Bearer s3cret" } })).status, 404);
  });

  test("cancel with a controller holding the state root: handed over as a request file", async () => {
    const lock = acquireStateLock(root, "multiverse controller");
    try {
      const response = await fetch(`${base}/api/v1/runs/${RUNNING_RUN.slice(0, 8)}/cancel`, { method: "POST", headers: { authorization: "Bearer s3cret" } });
      assert.equal(response.status, 202);
      assert.equal(((await response.json()) as { runId: string }).runId, RUNNING_RUN);
      const files = readdirSync(requestsDir(root)).filter((f) => f.endsWith(".json"));
      assert.equal(files.length, 1);
      const request = JSON.parse(readFileSync(join(requestsDir(root), files[0]!), "utf8")) as { kind: string; name: string };
      assert.deepEqual([request.kind, request.name], ["run", RUNNING_RUN]);
    } finally {
      lock.release();
    }
  });
});
