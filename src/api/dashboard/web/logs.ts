/**
 * A run's log in the page: the model's run.log, the container's output or the orchestrator's log, read once for a
 * finished run and followed (the API streams until the run is terminal) while it runs. The tail is kept within a
 * bound so that a chatty model cannot eat the tab's memory.
 */
import { h, replaceChildren } from "./dom.js";

export type LogSource = "model" | "container" | "orchestrator";
export const LOG_SOURCES: { source: LogSource; label: string }[] = [
  { source: "model", label: "run.log" },
  { source: "container", label: "container.log" },
  { source: "orchestrator", label: "orchestrator.log" },
];

const MAX_CHARS = 512 * 1024;

export class LogPanel {
  readonly element: HTMLElement;
  private readonly pre: HTMLPreElement;
  private readonly status: HTMLElement;
  private readonly tabs: HTMLElement;
  private source: LogSource = "model";
  private abort: AbortController | undefined;
  /** What the current read is for: run, attempt, source and whether it follows. */
  private key = "";

  constructor(private readonly runId: string) {
    this.pre = h("pre", { class: "log", "data-testid": "log" });
    this.status = h("span", { class: "muted log-status" });
    this.tabs = h("div", { class: "tabs", role: "tablist" });
    this.element = h("section", { class: "card logs" }, h("div", { class: "card-head" }, h("h2", {}, "Logs"), this.tabs, this.status), this.pre);
  }

  /**
   * Reads (or follows) the log of the run's latest attempt, once it has a workspace (it was launched); does nothing
   * when that read is already under way.
   */
  show(attemptId: string | null, launched: boolean, follow: boolean, source: LogSource = this.source): void {
    const key = `${this.runId}|${attemptId ?? ""}|${launched}|${source}|${follow}`;
    if (key === this.key) return;
    this.key = key;
    this.source = source;
    this.renderTabs(attemptId, launched, follow);
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.pre.textContent = "";
    if (!attemptId || !launched) {
      this.status.textContent = "not launched yet";
      return;
    }
    this.status.textContent = follow ? "following…" : "";
    void this.read(source, follow, abort.signal);
  }

  stop(): void {
    this.abort?.abort();
  }

  private renderTabs(attemptId: string | null, launched: boolean, follow: boolean): void {
    replaceChildren(
      this.tabs,
      LOG_SOURCES.map(({ source, label }) =>
        h("button", { type: "button", role: "tab", class: source === this.source ? "tab active" : "tab", "aria-selected": String(source === this.source), onclick: () => this.show(attemptId, launched, follow, source) }, label),
      ),
    );
  }

  private async read(source: LogSource, follow: boolean, signal: AbortSignal): Promise<void> {
    try {
      const response = await fetch(`/api/v1/runs/${encodeURIComponent(this.runId)}/logs?source=${source}&follow=${follow}`, { signal });
      if (!response.ok) {
        const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
        this.status.textContent = body?.error?.message ?? `${response.status} ${response.statusText}`;
        return;
      }
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.appendText(value);
      }
      if (!signal.aborted) this.status.textContent = this.pre.textContent ? "" : "empty";
    } catch (error) {
      if (!signal.aborted) this.status.textContent = `log stream ended: ${(error as Error).message}`;
    }
  }

  private appendText(text: string): void {
    const atBottom = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 4;
    const next = (this.pre.textContent ?? "") + text;
    this.pre.textContent = next.length > MAX_CHARS ? `… (earlier lines left out)\n${next.slice(next.length - MAX_CHARS)}` : next;
    if (atBottom) this.pre.scrollTop = this.pre.scrollHeight;
  }
}
