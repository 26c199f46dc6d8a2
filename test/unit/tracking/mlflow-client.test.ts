/** The client's transport against a real local HTTP server that misbehaves on purpose (MLflow itself: integration). */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MlflowClient, proxiedArtifactPath } from "../../../src/tracking/mlflow-client.js";
import { MlflowApiError, MlflowProtocolError, MlflowUnreachableError, isTransientTrackingError } from "../../../src/tracking/mlflow-errors.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe("MLflow client transport", () => {
  let server: Server;
  let uri: string;
  let handler: Handler = (_req, res) => res.end("{}");
  const seen: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url}`);
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new MlflowClient({ trackingUri: `${uri}/`, retries: 2, baseDelayMs: 1 });

  test("5xx is retried with backoff, then succeeds", async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      if (calls < 3) {
        res.statusCode = 503;
        res.end(JSON.stringify({ error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" }));
      } else res.end(JSON.stringify({ run: { info: { run_id: "r", experiment_id: "1", status: "RUNNING", artifact_uri: "mlflow-artifacts:/1/r/artifacts", start_time: "5" }, data: { params: [{ key: "p", value: "v" }] } } }));
    };
    const run = await client().getRun("r");
    assert.equal(calls, 3);
    assert.equal(run.info.runId, "r");
    assert.equal(run.info.startTime, 5, "int64 as string is decoded");
    assert.deepEqual(run.params, { p: "v" });
  });

  test("4xx is not retried and carries the HTTP status and MLflow's error_code", async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      res.statusCode = 400;
      res.end(JSON.stringify({ error_code: "INVALID_PARAMETER_VALUE", message: "Changing param values is not allowed" }));
    };
    await assert.rejects(client().logBatch("r", { params: [{ key: "p", value: "x" }] }), (error: unknown) => {
      assert.ok(error instanceof MlflowApiError);
      assert.equal(error.status, 400);
      assert.equal(error.errorCode, "INVALID_PARAMETER_VALUE");
      assert.equal(isTransientTrackingError(error), false);
      return true;
    });
    assert.equal(calls, 1);
  });

  test("retries give up after the configured number and the error stays transient", async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      res.statusCode = 500;
      res.end("oops");
    };
    await assert.rejects(client().setTag("r", "k", "v"), (error: unknown) => error instanceof MlflowApiError && error.status === 500 && error.errorCode === "INTERNAL_ERROR" && isTransientTrackingError(error));
    assert.equal(calls, 3);
  });

  test("a missing experiment is undefined; a non-JSON answer is a protocol error", async () => {
    handler = (_req, res) => {
      res.statusCode = 404;
      res.end(JSON.stringify({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" }));
    };
    assert.equal(await client().getExperimentByName("x y"), undefined);
    assert.match(seen.at(-1)!, /experiments\/get-by-name\?experiment_name=x\+y/);
    handler = (_req, res) => res.end("<html>proxy</html>");
    await assert.rejects(client().getRun("r"), MlflowProtocolError);
  });

  test("log-batch is split into calls within MLflow's limits", async () => {
    const bodies: { metrics: unknown[]; params: unknown[] }[] = [];
    handler = (_req, res, body) => {
      bodies.push(JSON.parse(body) as { metrics: unknown[]; params: unknown[] });
      res.end("{}");
    };
    await client().logBatch("r", { metrics: Array.from({ length: 1500 }, (_, i) => ({ key: "m", value: i, timestamp: 0, step: i })), params: Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: "v" })) });
    assert.deepEqual(bodies.map((b) => [b.params.length, b.metrics.length]), [[100, 900], [50, 600]]);
  });

  test("artifacts go through the proxy path of the run's artifact URI", async () => {
    let put = "";
    handler = (req, res, body) => {
      put = `${req.method} ${req.url} ${body}`;
      res.end("");
    };
    await client().uploadArtifact({ runId: "r", runName: "", experimentId: "1", status: "RUNNING", artifactUri: "mlflow-artifacts:/1/r/artifacts", lifecycleStage: "active" }, "evidence/run log.txt", Buffer.from("hi"));
    assert.equal(put, "PUT /api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/evidence/run%20log.txt hi");
    assert.equal(proxiedArtifactPath("mlflow-artifacts://host:5000/2/x/artifacts/"), "2/x/artifacts");
    assert.throws(() => proxiedArtifactPath("/srv/mlruns/1/x/artifacts"), /artifact proxy/);
  });

  test("no server: unreachable, transient, retried", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = new MlflowClient({ trackingUri: `http://127.0.0.1:${port}`, retries: 1, baseDelayMs: 1 });
    await assert.rejects(down.getRun("r"), (error: unknown) => error instanceof MlflowUnreachableError && /refused/.test(error.message) && isTransientTrackingError(error));
    assert.equal(await down.health(200), false);
  });

  test("a tracking URI that is not http(s) is refused at construction", () => {
    assert.throws(() => new MlflowClient({ trackingUri: "file:///tmp/mlruns" }), /http\(s\)/);
  });
});
