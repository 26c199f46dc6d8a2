/** The dashboard's entry module: the header (live state, API token), and a hash router between the two views. */
import { storedToken, storeToken } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { LiveStream } from "./live.js";
import { benchmarksView, type View } from "./benchmarks-view.js";
import { runView } from "./run-view.js";

/** `#/run/<id>` -> the run page; anything else -> the benchmarks. */
export function route(hash: string): { page: "benchmarks" } | { page: "run"; runId: string } {
  const match = /^#\/run\/([^/?#]+)/.exec(hash);
  return match ? { page: "run", runId: decodeURIComponent(match[1]!) } : { page: "benchmarks" };
}

function tokenControl(): HTMLElement {
  const input = h("input", { type: "password", id: "token", name: "token", placeholder: "API token", autocomplete: "off", "aria-label": "API token" });
  const state = h("span", { class: "muted token-state" });
  const show = () => {
    state.textContent = storedToken() ? "token set" : "read-only";
    input.value = "";
  };
  const form = h(
    "form",
    { class: "token", "data-testid": "token-form", onsubmit: (event: Event) => {
      event.preventDefault();
      storeToken(input.value.trim() || null);
      show();
    } },
    state,
    input,
    h("button", { type: "submit" }, "Use token"),
  );
  show();
  return form;
}

function start(): void {
  const liveState = h("span", { class: "live", "data-state": "connecting", "data-testid": "live" }, "connecting");
  const live = new LiveStream((state) => {
    liveState.dataset.state = state;
    liveState.textContent = state;
  });
  const view = h("main", { id: "view" });
  document.body.replaceChildren(
    h("header", { class: "top" }, h("a", { class: "brand", href: "#/" }, h("span", { class: "logo" }, "◈"), "multiverse"), h("span", { class: "subtitle" }, "benchmark dashboard"), h("span", { class: "spacer" }), liveState, tokenControl()),
    view,
  );
  let current: View | undefined;
  const show = () => {
    current?.dispose();
    const target = route(location.hash);
    current = target.page === "run" ? runView(target.runId, live) : benchmarksView(live);
    replaceChildren(view, current.element);
    window.scrollTo(0, 0);
  };
  window.addEventListener("hashchange", show);
  live.start();
  show();
}

if (typeof document !== "undefined") start();
