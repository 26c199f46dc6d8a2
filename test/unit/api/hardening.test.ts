/**
 * Careless and hostile requests over real HTTP on loopback, against a real journal and SQLite index: every bad
 * numeric parameter, id, header and byte stream is a 4xx in the API's one error shape naming what was expected,
 * never a 500 and never a hang.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { Journal } from "../../../src/journal/journal.js";
import type { JournalRecord, NewJournalRecord } from "../../../src/journal/records.js";
import { indexPath, RunIndex } from "../../../src/index/run-index.js";
import { createApiServer, type ApiServer } from "../../../src/api/server.js";
import { checkListenOptions } from "../../../src/api/listen-options.js";
import type { ControllerPort } from "../../../src/status/controller-port.js";
import { tempDir } from "../../helpers/fixtures.js";
import { launch, move, plan } from "../index/fixtures.js";

const RUN = "a".repeat(24);
const ATTEMPT = `${RUN.slice(0, 12)}-own1-a1`;
const TOKEN = "s3cret";
const NOT_INTEGERS = ["1e20", "1e308", "18446744073709551616", "-1", "1.5", "abc", "0x10", "1e2", "%2B5", "%20", "%E2%91%A0"];

class RecordingPort implements ControllerPort {
  readonly listeners = new Set<(records: readonly JournalRecord[]) => void>();
  readonly cancelled: string[] = [];
  constructor(readonly journal: Journal, readonly index: RunIndex) {}
  append(records: NewJournalRecord[]): void {
    const written = this.journal.append(records);
    this.index.apply(written);
    for (const listener of this.listeners) listener(written);
  }
  ready() {
    return true;
  }
  metrics() {
    return { queueDepth: 0, reconcileSeconds: [], journalSeq: this.journal.lastSeq, indexSeq: this.index.lastAppliedSeq };
  }
  subscribe(listener: (records: readonly JournalRecord[]) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async cancelRun(idOrName: string) {
    const row = this.index.getRun(idOrName);
    this.cancelled.push(row.runId);
    return { runId: row.runId, phase: row.phase };
  }
}

type ErrorBody = { error: { code: string; message: string; details?: string[] } };

describe("status API hardening", { timeout: 60_000 }, () => {
  let root: string;
  let cleanup: () => void;
  let port: RecordingPort;
  let server: ApiServer;
  let base: string;

  before(async () => {
    ({ dir: root, cleanup } = tempDir("api-hardening"));
    port = new RecordingPort(Journal.open(root), RunIndex.open(indexPath(root)));
    const workspace = join(root, "workspaces", ATTEMPT);
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, "run.log"), "epoch 1\n");
    port.append([
      plan(RUN, { benchmark: "demo", jobName: "pca" }),
      move(RUN, "PENDING", "ADMITTED", "ADMIT", { attempt: 1, attemptId: ATTEMPT }),
      { ...launch(RUN, ATTEMPT), workspaceDir: workspace } as NewJournalRecord,
      move(RUN, "ADMITTED", "RUNNING", "STARTED", { attempt: 1, attemptId: ATTEMPT }),
    ]);
    server = await createApiServer({ stateRoot: root, controller: port, port: 0, token: TOKEN, heartbeatMs: 60_000, followIntervalMs: 60_000 });
    base = server.address;
  });

  after(async () => {
    await server.close();
    port.index.close();
    port.journal.close();
    cleanup();
  });

  async function refused(path: string, status = 400, init: RequestInit = {}): Promise<ErrorBody> {
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    assert.equal(response.status, status, `${path}: ${text}`);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/, path);
    const body = JSON.parse(text) as ErrorBody;
    assert.equal(typeof body.error.code, "string", text);
    assert.equal(typeof body.error.message, "string", text);
    return body;
  }

  for (const [route, parameter, range] of [
    ["/api/v1/runs", "offset", "0 to 9007199254740991"],
    ["/api/v1/runs", "limit", "1 to 1000"],
    ["/api/v1/events", "since", "0 to 9007199254740991"],
  ] as const) {
    for (const value of NOT_INTEGERS) {
      test(`${route}?${parameter}=${value} is a 400 naming the parameter and the range`, async () => {
        const body = await refused(`${route}?${parameter}=${value}`);
        assert.equal(body.error.code, "MV_BAD_REQUEST");
        assert.equal(body.error.message, `querystring.${parameter}: expected an integer from ${range} in decimal digits, got ${JSON.stringify(decodeURIComponent(value))}`);
      });
    }
    test(`${route}?${parameter} given twice is a 400 saying so`, async () => {
      assert.equal((await refused(`${route}?${parameter}=1&${parameter}=2`)).error.message, `querystring.${parameter}: given 2 times; give it once`);
    });
  }

  test("any parameter given twice is a 400 saying so; a boolean is true or false", async () => {
    assert.equal((await refused("/api/v1/runs?benchmark=a&benchmark=b")).error.message, "querystring.benchmark: given 2 times; give it once");
    assert.equal((await refused(`/api/v1/runs/${RUN}/logs?source=model&source=container`)).error.message, "querystring.source: given 2 times; give it once");
    for (const follow of ["1", "TRUE", "", "yes"]) {
      assert.equal((await refused(`/api/v1/runs/${RUN}/logs?follow=${follow}`)).error.message, "querystring.follow: expected true or false", follow);
    }
  });

  test("the largest offset and since still work: an empty page, an open stream", async () => {
    const page = (await (await fetch(`${base}/api/v1/runs?offset=9007199254740991`)).json()) as { items: unknown[]; offset: number; total: number };
    assert.deepEqual([page.items.length, page.offset, page.total], [0, 9007199254740991, 1]);
    const abort = new AbortController();
    const stream = await fetch(`${base}/api/v1/events?since=9007199254740991`, { signal: abort.signal });
    assert.equal(stream.status, 200);
    abort.abort();
  });

  test("a cursor whose position is not a run's (a seed of 1e20 or 1.5, too few fields) is a 400 naming the cursor", async () => {
    for (const position of ['["demo","pca",1e20,"r"]', '["demo","pca",1.5,"r"]', '["demo","pca",0]', '["demo",null,0,"r"]']) {
      const cursor = Buffer.from(position).toString("base64url");
      assert.match((await refused(`/api/v1/runs?cursor=${cursor}`)).error.message, /^querystring\.cursor: not a cursor returned by this API/, position);
    }
  });

  test("an attempt of 1e20 or one that does not exist is a 404 naming it; one with control characters is a 400", async () => {
    assert.match((await refused(`/api/v1/runs/${RUN}/logs?attempt=1e20`, 404)).error.message, /has no attempt 1e20/);
    assert.match((await refused(`/api/v1/runs/${RUN}/logs?attempt=2`, 404)).error.message, /has no attempt 2/);
    assert.equal((await refused(`/api/v1/runs/${RUN}/logs?attempt=1%0A`)).error.message, "querystring.attempt: expected no control characters");
    assert.equal(await (await fetch(`${base}/api/v1/runs/${RUN}/logs?attempt=1`)).text(), "epoch 1\n");
  });

  test("ids and names with control characters are a 400 naming the parameter; other odd characters are looked up", async () => {
    for (const id of ["%00", "a%0Ab", "%7F", "x%1B%5B31m"]) {
      assert.equal((await refused(`/api/v1/runs/${id}`)).error.message, "params.id: expected no control characters", id);
      assert.equal((await refused(`/api/v1/runs/${id}/cancel`, 400, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).error.message, "params.id: expected no control characters", id);
    }
    assert.equal((await refused("/api/v1/benchmarks/%00")).error.message, "params.name: expected no control characters");
    assert.equal((await refused("/api/v1/runs?benchmark=%0A")).error.message, "querystring.benchmark: expected no control characters");
    for (const [id, shown] of [["a%2Fb", "a/b"], ["%25", "%"], ["...", "..."], ["%E2%9C%93", "✓"], ["'%3B%20DROP%20TABLE%20runs", "'; DROP TABLE runs"]]) {
      assert.equal((await refused(`/api/v1/runs/${id}`, 404)).error.message, `no run matches "${shown}"`, id);
    }
    assert.equal((await refused("/api/v1/benchmarks/a%2Fb", 404)).error.message, 'no benchmark named "a/b"');
  });

  test("an id longer than any name is a 400 naming the limit, however long (never 'no route')", async () => {
    for (const length of [254, 1000, 9000]) {
      assert.equal((await refused(`/api/v1/runs/${"x".repeat(length)}`)).error.message, "params.id: must NOT have more than 253 characters", String(length));
    }
    assert.equal((await refused(`/api/v1/benchmarks/${"x".repeat(300)}`)).error.message, "params.name: must NOT have more than 253 characters");
  });

  test("a %-escape that does not decode is a 400 in the one error shape", async () => {
    for (const path of ["/api/v1/runs/%ZZ", "/api/v1/runs/%E2%9C", "/api/v1/benchmarks/%"]) {
      const body = await refused(path);
      assert.equal(body.error.code, "MV_BAD_REQUEST", path);
      assert.match(body.error.message, /%-escape that is not valid UTF-8/, path);
    }
  });

  test("headers beyond the server's limit are a 431 in the one error shape", async () => {
    const body = await refused(`/api/v1/runs/${RUN}/cancel`, 431, { method: "POST", headers: { authorization: `Bearer ${"a".repeat(20_000)}` } });
    assert.equal(body.error.code, "MV_HEADERS_TOO_LARGE");
    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-filler-${i}`, "y".repeat(40)]));
    assert.equal((await refused("/healthz", 431, { headers: many })).error.code, "MV_HEADERS_TOO_LARGE");
    assert.equal((await fetch(`${base}/healthz`)).status, 200, "the server goes on serving");
  });

  test("bytes that are not HTTP get a 400 in the one error shape and a closed connection", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(base).port), "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString("utf8")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
      socket.write("\u0016\u0003\u0001 not http at all\r\n\r\n");
    });
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)) as ErrorBody;
    assert.deepEqual(body, { error: { code: "MV_BAD_REQUEST", message: "the request is not valid HTTP/1.1" } });
  });

  test("the Bearer scheme is case-insensitive and may be followed by several spaces; the token itself is exact", async () => {
    const cancel = (authorization: string) => fetch(`${base}/api/v1/runs/${RUN}/cancel`, { method: "POST", headers: { authorization } });
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEARER"]) assert.equal((await cancel(`${scheme} ${TOKEN}`)).status, 202, scheme);
    assert.equal((await cancel(`Bearer    ${TOKEN}`)).status, 202, "1*SP between scheme and token");
    for (const wrong of ["S3CRET", `${TOKEN}x`, `${TOKEN.slice(0, -1)}`, `${TOKEN} ${TOKEN}`, "a".repeat(10_000)]) {
      const response = await cancel(`Bearer ${wrong}`);
      assert.equal(response.status, 403, wrong.slice(0, 20));
      assert.equal(((await response.json()) as ErrorBody).error.code, "MV_FORBIDDEN");
    }
    assert.equal(port.cancelled.length, 5);
  });

  test("no token, an empty one or another scheme is a 401 with WWW-Authenticate; the header is never echoed", async () => {
    const cancel = (headers: Record<string, string>) => fetch(`${base}/api/v1/runs/${RUN}/cancel`, { method: "POST", headers });
    const variants: Record<string, string>[] = [{}, { authorization: "Bearer" }, { authorization: "Bearer   " }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }, { authorization: `Bearer\t${TOKEN}` }];
    for (const headers of variants) {
      const response = await cancel(headers);
      const text = await response.text();
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="multiverse"');
      assert.equal((JSON.parse(text) as ErrorBody).error.code, "MV_UNAUTHORIZED");
      assert.ok(!text.includes(TOKEN), text);
    }
  });

  for (const [token, problem] of [
    ["", /is empty/],
    ["s3 cret", /whitespace at character 3/],
    ["s3cret\n", /whitespace at character 7/],
    ["\ts3cret", /whitespace at character 1/],
    ["s3cr\u00e9t", /beyond ASCII/],
  ] as const) {
    test(`a server token ${JSON.stringify(token)} no client could send is refused before listening`, async () => {
      await assert.rejects(createApiServer({ stateRoot: root, controller: port, port: 0, token }), (error: Error & { code?: string; exitCode?: number }) => {
        return error.code === "MV_USAGE" && error.exitCode === 2 && problem.test(error.message);
      });
    });
  }

  test("the same checks can run before anything starts (a command validating its flags)", () => {
    assert.throws(() => checkListenOptions({ host: "0.0.0.0" }), /off loopback: give a bearer token/);
    assert.throws(() => checkListenOptions({ host: "127.0.0.1", token: "a b" }), /whitespace at character 2/);
    assert.doesNotThrow(() => checkListenOptions({ host: "0.0.0.0", token: TOKEN }));
    assert.doesNotThrow(() => checkListenOptions({}));
  });

  /** A request with headers fetch() will not send as given (Host). */
  function raw(method: string, path: string, headers: Record<string, string>, to = base): Promise<{ status: number; body: ErrorBody }> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, to);
      const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as ErrorBody }));
      });
      request.on("error", reject);
      request.end();
    });
  }

  test("a cancel a browser sends from another site is refused, whatever the token; from the API's own origin it passes", async () => {
    const host = new URL(base).host;
    const before = port.cancelled.length;
    const crossSiteHeaders: Record<string, string>[] = [{ origin: "https://attacker.example" }, { origin: "null" }, { origin: "http://localhost:3000" }, { "sec-fetch-site": "cross-site" }];
    for (const headers of crossSiteHeaders) {
      const { status, body } = await raw("POST", `/api/v1/runs/${RUN}/cancel`, { ...headers, authorization: `Bearer ${TOKEN}` });
      assert.equal(status, 403, JSON.stringify(headers));
      assert.match(body.error.message, /from another (origin|site)/);
    }
    assert.equal(port.cancelled.length, before, "nothing was cancelled");
    const same = await raw("POST", `/api/v1/runs/${RUN}/cancel`, { origin: `http://${host}`, "sec-fetch-site": "same-origin", authorization: `Bearer ${TOKEN}` });
    assert.equal(same.status, 202);
    assert.equal(port.cancelled.length, before + 1);
  });

  test("bound to loopback, a request addressed to another name (DNS rebinding) is refused; off loopback any name is served", async () => {
    const rebound = await raw("GET", "/api/v1/runs", { host: "rebound.attacker.example" });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body.error.message, /bound to loopback/);
    for (const host of [`localhost:${new URL(base).port}`, "127.0.0.1", "[::1]:1"]) assert.equal((await raw("GET", "/healthz", { host })).status, 200, host);
    const open = await createApiServer({ stateRoot: root, controller: port, host: "0.0.0.0", port: 0, token: TOKEN });
    try {
      assert.equal((await raw("GET", "/healthz", { host: "multiverse.cluster.local" }, `http://127.0.0.1:${new URL(open.address).port}`)).status, 200);
    } finally {
      await open.close();
    }
  });

  test("HEAD of a stream answers at once with the stream's media type, holding nothing open", async () => {
    const listeners = port.listeners.size;
    const events = await fetch(`${base}/api/v1/events`, { method: "HEAD" });
    assert.equal(events.status, 200);
    assert.equal(events.headers.get("content-type"), "text/event-stream");
    const follow = await fetch(`${base}/api/v1/runs/${RUN}/logs?follow=true`, { method: "HEAD" });
    assert.equal(follow.status, 200);
    assert.match(follow.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(port.listeners.size, listeners, "no subscription was left behind");
  });

  test("a route that does not exist is a 404 naming it, cut short when the URL is long", async () => {
    assert.equal((await refused("/api/v1/nothing", 404)).error.message, "no route GET /api/v1/nothing");
    const long = await refused(`/api/v2/${"z".repeat(5000)}`, 404);
    assert.ok(long.error.message.length < 260, long.error.message.slice(0, 80));
    assert.equal((await refused("/api/v1/runs", 404, { method: "DELETE" })).error.message, "no route DELETE /api/v1/runs");
  });
});
