/**
 * The dashboard in a real browser (Debian's headless Chromium driven by playwright-core) on a real controller
 * running the contract-test model on Docker: the page loads, matrix squares change live over SSE when runs finish,
 * cancel needs the token, run detail shows the UMAP, the bundle's files and the logs, a failed run shows its
 * reason; then `multiverse serve` shows the same state root without the controller. A screenshot of the matrix
 * is written to $MULTIVERSE_SCREENSHOT_DIR (docs/ when refreshing docs/dashboard.png), else to the work directory.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { writeH5mu } from "../../src/h5/index.js";
import { repoRoot } from "../../src/util/paths.js";
import { cliSync } from "../helpers/cli.js";
import { requireDockerOrSkip } from "../helpers/docker.js";
import { makeControllerWorkspace, removeControllerWorkspace, startControllerProcess, type ControllerProcess, type ControllerWorkspace } from "../helpers/controller.js";
import { startServe, type ServeProcess } from "../helpers/serve.js";

const CHROMIUM = process.env.MULTIVERSE_CHROMIUM ?? "/usr/bin/chromium";
const TOKEN = "dashboard-test-token";
const TERMINAL = ["ARTIFACT_SUCCESS", "FAILED", "CANCELLED"];

function browserUnavailable(): string | undefined {
  const docker = requireDockerOrSkip();
  if (docker) return docker;
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set MULTIVERSE_CHROMIUM)`;
  if (process.env.CI) throw new Error(`CI needs a browser: ${reason}`);
  return reason;
}
const skip = browserUnavailable();

const resource = (kind: string, name: string, spec: string[]) => [`apiVersion: multiverse.io/v1alpha1`, `kind: ${kind}`, `metadata: {name: ${name}}`, `spec:`, ...spec.map((l) => `  ${l}`)].join("\n");
const benchmark = (name: string, jobs: string[]) => `${resource("Benchmark", name, [`experimentName: ${name}`, "jobs:", ...jobs.map((j) => `  - ${j}`)])}\n`;

interface ApiRun {
  runId: string;
  name: string;
  jobName: string;
  phase: string;
}

describe("dashboard in a real browser", { skip, timeout: 600_000 }, () => {
  let workspace: ControllerWorkspace;
  let controller: ControllerProcess | undefined;
  let serve: ServeProcess | undefined;
  let context: BrowserContext;
  let base: string;
  let overview: Page;
  let detail: Page;
  const pageErrors: string[] = [];

  const runsOf = async (name: string): Promise<ApiRun[]> => ((await (await fetch(`${base}/api/v1/runs?benchmark=${name}`)).json()) as { items: ApiRun[] }).items;
  const squares = (name: string) => `section.benchmark[data-benchmark="${name}"] a.run`;
  /** Waits, in the page, until the benchmark's squares are `count` and all in one of `phases`. */
  const waitForSquares = (page: Page, name: string, count: number, phases: string[], timeout = 180_000) =>
    page.waitForFunction(
      ({ selector, count, phases }) => {
        const found = [...document.querySelectorAll<HTMLElement>(selector)];
        return found.length === count && found.every((s) => phases.includes(s.dataset.phase ?? ""));
      },
      { selector: squares(name), count, phases },
      { timeout, polling: 100 },
    );
  const phasesShown = (page: Page, name: string) => page.$$eval(squares(name), (found) => found.map((s) => (s as HTMLElement).dataset.phase ?? "").sort());
  const watchErrors = (page: Page, label: string) => {
    page.on("pageerror", (error) => pageErrors.push(`${label}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy|Uncaught/.test(message.text())) pageErrors.push(`${label}: ${message.text()}`);
    });
  };

  before(async () => {
    workspace = await makeControllerWorkspace("mv-dashboard-browser-");
    // A second model (the same image under another name) and a second dataset give the matrix two rows and two columns.
    const alt = join(workspace.work, "contract-alt");
    cpSync(join(repoRoot(), "test/fixtures/models/contract-test"), alt, { recursive: true });
    writeFileSync(join(alt, "model.yaml"), readFileSync(join(alt, "model.yaml"), "utf8").replace(/^name: contract-test$/m, "name: contract-alt"));
    const registered = cliSync(["register-model", join(alt, "model.yaml"), "--state-root", workspace.state]);
    assert.equal(registered.code, 0, registered.stderr);
    const second = join(workspace.work, "bmmc-mini.h5mu");
    await writeH5mu(second, { nObs: 30, modalities: { rna: { nVars: 8 } }, seed: 5 });
    writeFileSync(join(workspace.watch, "datasets.yaml"), `${resource("Dataset", "pbmc-mini", [`path: ${workspace.dataset}`])}\n---\n${resource("Dataset", "bmmc-mini", [`path: ${second}`])}\n`);

    controller = await startControllerProcess(workspace.state, workspace.watch, ["--listen", "127.0.0.1:0", "--token", TOKEN, "--backend", "docker", "--max-concurrent", "1"]);
    await controller.waitForLog(/controller ready/);
    base = controller.apiAddress()!;
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "mv-chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    overview = await context.newPage();
    detail = await context.newPage();
    watchErrors(overview, "overview");
    watchErrors(detail, "detail");
  });

  after(async () => {
    await context?.close();
    await serve?.stop();
    await removeControllerWorkspace(workspace, controller);
  });

  test("the page loads and shows a run that holds the only slot as running", async () => {
    writeFileSync(join(workspace.watch, "holder.yaml"), benchmark("queue-holder", ["{name: hold, dataset: pbmc-mini, model: contract-test, seeds: [0], params: {behavior: sleep, sleep_seconds: 600}}"]));
    await overview.goto(`${base}/dashboard/`);
    await overview.waitForSelector('[data-testid="live"][data-state="live"]');
    await waitForSquares(overview, "queue-holder", 1, ["RUNNING"]);
  });

  test("a benchmark applied while the page is open appears live, its runs queued behind the running one", async () => {
    writeFileSync(
      join(workspace.watch, "integration.yaml"),
      benchmark("integration-demo", [
        "{name: ct-pbmc, dataset: pbmc-mini, model: contract-test, seeds: [0, 1]}",
        "{name: ct-bmmc, dataset: bmmc-mini, model: contract-test, seeds: [0, 1]}",
        "{name: alt-pbmc, dataset: pbmc-mini, model: contract-alt, seeds: [0], params: {behavior: exit1}}",
        "{name: alt-bmmc, dataset: bmmc-mini, model: contract-alt, seeds: [0, 1]}",
      ]),
    );
    await waitForSquares(overview, "integration-demo", 7, ["PENDING", "ADMITTED"]);
    const headers = await overview.$$eval('section.benchmark[data-benchmark="integration-demo"] table.matrix th', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers, ["model \\ dataset", "bmmc-mini", "pbmc-mini", "contract-alt", "contract-test"]);
    await overview.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
  });

  test("cancel needs the token: refused without it, done with it, the phase follows live", async () => {
    const [holder] = await runsOf("queue-holder");
    await detail.goto(`${base}/dashboard/#/run/${holder!.runId}`);
    await detail.click('[data-testid="cancel"]');
    const refused = await detail.waitForSelector(".banner .notice-error");
    assert.match((await refused.textContent())!, /bearer token.*enter the API token/);
    await detail.fill("#token", TOKEN);
    await detail.click('[data-testid="token-form"] button');
    await detail.click('[data-testid="cancel"]');
    await detail.waitForSelector(".banner .notice-ok");
    await detail.waitForSelector('[data-testid="run-phase"] .badge[data-phase="CANCELLED"]', { timeout: 60_000 });
    await detail.waitForSelector('[data-testid="failure-reason"]');
    assert.equal(await detail.textContent('[data-testid="failure-reason"]'), "cancelled");
  });

  test("the matrix squares change in place as the queued runs finish (no reload)", async () => {
    await waitForSquares(overview, "integration-demo", 7, TERMINAL);
    assert.deepEqual(await phasesShown(overview, "integration-demo"), ["ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS", "ARTIFACT_SUCCESS", "FAILED"]);
    assert.deepEqual(await phasesShown(overview, "queue-holder"), ["CANCELLED"]);
    assert.equal(await overview.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, "the same page, updated over SSE");
    assert.match((await overview.textContent('section.benchmark[data-benchmark="integration-demo"] .counts'))!, /7 runs.*6 artifact success.*1 failed/);
  });

  test("run detail shows the UMAP, the bundle's files with their checksums, and the logs", async () => {
    const ok = (await runsOf("integration-demo")).find((r) => r.jobName === "ct-pbmc")!;
    await detail.goto(`${base}/dashboard/#/run/${ok.runId}`);
    await detail.waitForFunction(() => {
      const image = document.querySelector<HTMLImageElement>('img[data-testid="umap"]');
      return image !== null && image.complete && image.naturalWidth > 0;
    });
    const apiDetail = (await (await fetch(`${base}/api/v1/runs/${ok.runId}`)).json()) as { artifacts: { path: string; sha256: string }[] };
    const rows = await detail.$$eval('[data-testid="files"] tbody tr', (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.querySelector("code.sha")!.getAttribute("title")]));
    assert.deepEqual(rows, apiDetail.artifacts.map((a) => [a.path, a.sha256]));
    assert.ok(rows.some(([path]) => path === "umap.png"));
    await detail.waitForFunction(() => /done/.test(document.querySelector('[data-testid="log"]')?.textContent ?? ""));
    await detail.click('.logs button:has-text("container.log")');
    await detail.waitForFunction(() => /contract-test done/.test(document.querySelector('[data-testid="log"]')?.textContent ?? ""));
    assert.ok((await detail.$$('[data-testid="timeline"] li')).length >= 4);
    await detail.screenshot({ path: join(workspace.work, "dashboard-run.png"), fullPage: true }); // kept with MULTIVERSE_KEEP_TEST_DIRS
  });

  test("a failed run shows its reason, the exit code and its log", async () => {
    const failed = (await runsOf("integration-demo")).find((r) => r.phase === "FAILED")!;
    await detail.goto(`${base}/dashboard/#/run/${failed.runId}`);
    await detail.waitForSelector('[data-testid="failure-reason"]');
    assert.equal(await detail.textContent('[data-testid="failure-reason"]'), "nonzero_exit");
    assert.match((await detail.textContent('[data-testid="failure"]'))!, /exit code\s*1/);
    await detail.waitForFunction(() => /failing on purpose/.test(document.querySelector('[data-testid="log"]')?.textContent ?? ""));
    assert.equal(await detail.$('[data-testid="cancel"]'), null, "no cancel for a finished run");
  });

  test("screenshot of the matrix with a run in progress", async () => {
    writeFileSync(join(workspace.watch, "later.yaml"), benchmark("still-running", ["{name: slow, dataset: bmmc-mini, model: contract-alt, seeds: [0], params: {behavior: sleep, sleep_seconds: 600}}"]));
    await waitForSquares(overview, "still-running", 1, ["RUNNING"]);
    const dir = process.env.MULTIVERSE_SCREENSHOT_DIR ?? workspace.work;
    const file = join(dir, "dashboard.png");
    await overview.screenshot({ path: file, fullPage: true });
    assert.deepEqual([...readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test("multiverse serve shows the same state root without the controller", async () => {
    // Stopped while a Docker attempt runs: the attempt is left running, the page under serve shows it so.
    assert.equal(await controller!.stop("SIGTERM"), 0);
    serve = await startServe(["--state-root", workspace.state, "--listen", "127.0.0.1:0"]);
    const page = await context.newPage();
    watchErrors(page, "serve");
    await page.goto(`${serve.address}/dashboard/`);
    await waitForSquares(page, "integration-demo", 7, TERMINAL);
    assert.deepEqual(await phasesShown(page, "integration-demo"), await phasesShown(overview, "integration-demo"));
    await waitForSquares(page, "still-running", 1, ["RUNNING"]);
    const running = (await (await fetch(`${serve.address}/api/v1/runs?benchmark=still-running`)).json()) as { items: ApiRun[] };
    await page.goto(`${serve.address}/dashboard/#/run/${running.items[0]!.runId}`);
    await page.fill("#token", "any");
    await page.click('[data-testid="token-form"] button');
    await page.click('[data-testid="cancel"]');
    const refused = await page.waitForSelector(".banner .notice-error");
    assert.match((await refused.textContent())!, /multiverse serve, which only reads/);
  });

  test("no script error or CSP violation on any page", () => {
    assert.deepEqual(pageErrors, []);
  });
});
