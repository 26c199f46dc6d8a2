/** One run: identity, params, failure evidence, pictures, files with checksums, timeline, attempts, tracking, logs. */
import { ApiFailure, cancelRun, getRunDetail, getTrials, storedToken } from "./api.js";
import { facts, h, replaceChildren, type Child } from "./dom.js";
import { formatBytes, formatDuration, formatTime, shortId } from "./format.js";
import { debounce, type LiveStream } from "./live.js";
import { LogPanel } from "./logs.js";
import { isActivePhase, isCancellable, isTerminalPhase, phaseClass, phaseLabel } from "./phases.js";
import { elapsedSeconds, failureFacts, fileUrl, mlflowLinks, paramPairs, pictures, studyFacts, timeline } from "./run-facts.js";
import type { RunDetail, SweepTrial } from "./types.js";
import type { View } from "./benchmarks-view.js";
import { notice, phaseBadge } from "./widgets.js";

const mono = (text: string | null | undefined): HTMLElement => h("code", {}, text ?? "-");

function card(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, title)), ...children);
}

function identity(detail: RunDetail): HTMLElement {
  const { run } = detail;
  return card(
    "Identity",
    facts([
      ["run id", mono(run.runId)],
      ["benchmark", h("a", { href: "#/" }, run.benchmark)],
      ["job", run.jobName],
      ["model", `${run.model} ${run.modelVersion}`],
      ["dataset", run.dataset],
      ["seed", String(run.seed)],
      ["backend", run.backend],
      ["image", [mono(run.imageReference), " ", h("span", { class: "muted" }, run.imageKind)]],
      ["image digest", mono(run.imageDigest)],
      ["params hash", mono(run.paramsHash)],
      ["attempt", run.attemptId ? [String(run.attempt), " ", mono(run.attemptId)] : "-"],
      ["bundle", mono(run.artifactDir)],
      ["workspace", mono(run.workspaceDir)],
    ]),
  );
}

function params(detail: RunDetail): HTMLElement {
  const pairs = paramPairs(detail.run.params);
  return card("Params", pairs.length > 0 ? facts(pairs.map(([k, v]) => [k, mono(v)])) : h("p", { class: "muted" }, "defaults only"));
}

function failure(detail: RunDetail): HTMLElement | null {
  const f = failureFacts(detail);
  if (!f) return null;
  return h(
    "section",
    { class: `card failure ${phaseClass(detail.run.phase)}`, "data-testid": "failure" },
    h("div", { class: "card-head" }, h("h2", {}, detail.run.phase === "RECOVERY_PENDING" ? "Waiting for a recovery decision" : `Why it ${detail.run.phase === "CANCELLED" ? "was cancelled" : "failed"}`)),
    h("p", { class: "failure-reason" }, h("strong", { "data-testid": "failure-reason" }, f.reason), f.failureClass ? h("span", { class: "muted" }, ` (${f.failureClass})`) : null),
    f.message ? h("p", { class: "failure-message", "data-testid": "failure-message" }, f.message) : null,
    facts([
      ["exit code", f.exitCode === null ? "-" : String(f.exitCode)],
      ["OOM killed", f.oomKilled ? "yes" : "no"],
      ["failed by", f.failedBy ? `${f.failedBy.event} from ${phaseLabel(f.failedBy.from)} at ${formatTime(f.failedBy.ts)}` : "-"],
      ["evidence kept in", mono(f.workspaceDir)],
    ]),
    detail.run.phase === "RECOVERY_PENDING" ? h("p", { class: "muted" }, `decide with: multiverse recover adopt|discard ${detail.run.name}`) : null,
  );
}

function picture(detail: RunDetail, path: string, role: string): HTMLElement {
  const image = h("img", { src: fileUrl(detail.run.runId, path), alt: `${path} of ${detail.run.name}`, "data-testid": role === "umap" ? "umap" : "picture" });
  // A listed file the API refuses to serve (missing, or not a regular file) is said so, not shown as a broken image.
  image.addEventListener("error", () => image.replaceWith(h("div", { class: "unavailable" }, `${path} cannot be shown: the API does not serve it (missing or not a regular file in the bundle)`)));
  return image;
}

function figures(detail: RunDetail): HTMLElement | null {
  const images = pictures(detail.artifacts);
  if (images.length === 0) return null;
  return card(
    "UMAP",
    h(
      "div",
      { class: "figures" },
      images.map((a) => h("figure", {}, h("a", { href: fileUrl(detail.run.runId, a.path), target: "_blank", rel: "noopener" }, picture(detail, a.path, a.role)), h("figcaption", {}, a.path))),
    ),
  );
}

function files(detail: RunDetail): HTMLElement {
  const problems = detail.artifactProblems.length > 0 ? h("ul", { class: "problems" }, detail.artifactProblems.map((p) => h("li", {}, p))) : null;
  if (!detail.artifacts) return card("Bundle files", detail.run.artifactDir ? problems : h("p", { class: "muted" }, "no promoted bundle"));
  const sidecar = detail.manifestMatchesSidecar === true ? h("span", { class: "ok" }, "matches its sidecar") : detail.manifestMatchesSidecar === false ? h("span", { class: "bad" }, "does NOT match its sidecar") : h("span", { class: "muted" }, "no sidecar");
  return card(
    "Bundle files",
    h("p", { class: "muted" }, "artifact_manifest.json sha256 ", mono(detail.manifestSha256), " ", sidecar),
    h(
      "div",
      { class: "table-scroll" },
      h(
      "table",
      { class: "files", "data-testid": "files" },
      h("thead", {}, h("tr", {}, h("th", {}, "path"), h("th", {}, "role"), h("th", { class: "num" }, "size"), h("th", {}, "sha256"))),
      h("tbody", {}, detail.artifacts.map((a) => h("tr", {}, h("td", {}, h("a", { href: fileUrl(detail.run.runId, a.path), target: "_blank", rel: "noopener" }, a.path)), h("td", {}, a.role), h("td", { class: "num" }, formatBytes(a.size_bytes)), h("td", {}, h("code", { class: "sha", title: a.sha256 }, a.sha256))))),
      ),
    ),
    problems,
  );
}

function timelineCard(detail: RunDetail): HTMLElement {
  const entries = timeline(detail.transitions);
  return card(
    "Timeline",
    entries.length === 0
      ? h("p", { class: "muted" }, "planned, no transition yet")
      : h(
          "ol",
          { class: "timeline", "data-testid": "timeline" },
          entries.map((e) =>
            h(
              "li",
              {},
              h("i", { class: `dot ${phaseClass(e.to)}` }),
              h("span", { class: "when mono" }, formatTime(e.ts)),
              h("span", { class: "what" }, h("b", {}, phaseLabel(e.to)), h("span", { class: "muted" }, ` ${e.event}${e.afterSeconds !== null ? ` · +${formatDuration(e.afterSeconds)}` : ""}`)),
              e.reason || e.message ? h("span", { class: "why" }, [e.reason, e.message].filter(Boolean).join(": ")) : null,
            ),
          ),
        ),
  );
}

function attemptsCard(detail: RunDetail): HTMLElement | null {
  if (detail.attempts.length === 0) return null;
  return card(
    "Attempts",
    h(
      "div",
      { class: "table-scroll" },
      h(
      "table",
      { class: "files" },
      h("thead", {}, h("tr", {}, ["#", "attempt", "executor", "phase", "exit", "OOM", "started", "finished"].map((t) => h("th", {}, t)))),
      h("tbody", {}, detail.attempts.map((a) => h("tr", {}, h("td", {}, String(a.attempt)), h("td", {}, mono(a.attemptId)), h("td", {}, a.executor ?? "-"), h("td", {}, a.phase ? phaseBadge(a.phase, a.reason) : "-"), h("td", {}, a.exitCode === null ? "-" : String(a.exitCode)), h("td", {}, a.oomKilled ? "yes" : "no"), h("td", { class: "when" }, formatTime(a.startedAt)), h("td", { class: "when" }, formatTime(a.finishedAt))))),
      ),
    ),
  );
}

function trackingCard(detail: RunDetail, trials: readonly SweepTrial[]): HTMLElement | null {
  const links = mlflowLinks(detail.tracking);
  const studies = studyFacts(trials);
  if (links.length === 0 && studies.length === 0) return null;
  return card(
    "Tracking",
    h(
      "ul",
      { class: "links" },
      links.map((l) => h("li", {}, l.href ? h("a", { href: l.href, target: "_blank", rel: "noopener", "data-testid": "mlflow-link" }, l.label) : l.label, ` · ${l.state}`, l.note ? h("span", { class: "muted" }, ` ${l.note}`) : null)),
      studies.map((s) => h("li", {}, `Optuna study ${s.study} trial ${s.trial} `, h("span", { class: "muted" }, "open with "), mono(s.command))),
    ),
  );
}

export function runView(runId: string, live: LiveStream): View {
  const head = h("div", { class: "page-head" }, h("p", { class: "muted" }, "loading…"));
  const banner = h("div", { class: "banner" });
  const body = h("div", { class: "run-grid" });
  const logs = new LogPanel(runId);
  const element = h("div", { class: "view run" }, head, banner, body, logs.element);
  let disposed = false;
  let trials: SweepTrial[] = [];
  let current: RunDetail | undefined;

  const cancel = async (button: HTMLButtonElement) => {
    if (!current) return;
    button.disabled = true;
    try {
      const result = await cancelRun(current.run.runId, storedToken());
      replaceChildren(banner, notice("ok", `cancel requested: ${current.run.name} is ${phaseLabel(result.phase)}`));
    } catch (error) {
      const hint = error instanceof ApiFailure && (error.status === 401 || error.status === 403) ? " — enter the API token at the top of the page" : "";
      replaceChildren(banner, notice("error", `cancel refused: ${(error as Error).message}${hint}`));
      button.disabled = false;
    }
  };

  const render = (detail: RunDetail) => {
    current = detail;
    const { run } = detail;
    const elapsed = elapsedSeconds(detail, Date.now());
    const cancelButton = isCancellable(run.phase) ? h("button", { type: "button", class: "danger", "data-testid": "cancel", onclick: (event: Event) => void cancel(event.currentTarget as HTMLButtonElement) }, "Cancel run") : null;
    replaceChildren(
      head,
      h("div", {}, h("a", { href: "#/", class: "muted" }, `← ${run.benchmark}`), h("h1", { class: "run-name" }, run.name), h("p", { class: "muted" }, `${run.model} on ${run.dataset}, seed ${run.seed}${elapsed !== null ? ` · ${formatDuration(elapsed)}` : ""}${isActivePhase(run.phase) ? " · live" : ""}`)),
      h("div", { class: "head-actions" }, h("span", { "data-testid": "run-phase" }, phaseBadge(run.phase, run.reason)), cancelButton),
    );
    replaceChildren(
      body,
      h("div", { class: "col" }, failure(detail), figures(detail), identity(detail), params(detail), trackingCard(detail, trials)),
      h("div", { class: "col" }, timelineCard(detail), attemptsCard(detail), files(detail)),
    );
    const launched = detail.attempts.some((a) => a.attemptId === run.attemptId && a.workspaceDir !== null);
    logs.show(run.attemptId, launched, !isTerminalPhase(run.phase) && run.phase !== "RECOVERY_PENDING");
  };

  const load = async () => {
    try {
      const [detail, found] = await Promise.all([getRunDetail(runId), getTrials(runId).catch(() => [])]);
      if (disposed) return;
      trials = found;
      render(detail);
    } catch (error) {
      if (!disposed) replaceChildren(head, notice("error", `cannot show run ${shortId(runId)}: ${(error as Error).message}`));
    }
  };
  const reload = debounce(() => void load(), 150);
  const unsubscribe = live.listen((record) => {
    const mine = current ? record.runId === current.run.runId : record.runId?.startsWith(runId);
    if (mine) reload();
  });
  void load();
  return {
    element,
    dispose: () => {
      disposed = true;
      unsubscribe();
      logs.stop();
    },
  };
}
