/** Pieces both views use: phase badges, the phase bar, condition chips, notices. */
import { h } from "./dom.js";
import { orderedCounts, phaseClass, phaseLabel, PHASE_ORDER } from "./phases.js";
import type { Condition } from "./types.js";

export function phaseBadge(phase: string, reason?: string | null): HTMLElement {
  return h("span", { class: `badge ${phaseClass(phase)}`, "data-phase": phase }, phaseLabel(phase), reason ? h("span", { class: "badge-reason" }, reason) : null);
}

/** Sized through the CSSOM: the page's CSP refuses style attributes. */
function grow(element: HTMLElement, weight: number): HTMLElement {
  element.style.flexGrow = String(weight);
  return element;
}

/** A stacked bar of phase counts with its numbers. */
export function phaseBar(counts: Record<string, number>): HTMLElement {
  const entries = orderedCounts(counts);
  const total = entries.reduce((sum, e) => sum + e.count, 0);
  return h(
    "div",
    { class: "phase-summary" },
    h("div", { class: "bar", role: "img", "aria-label": entries.map((e) => `${e.count} ${phaseLabel(e.phase)}`).join(", ") }, entries.map((e) => grow(h("span", { class: phaseClass(e.phase), title: `${e.count} ${phaseLabel(e.phase)}` }), e.count))),
    h("div", { class: "counts" }, h("strong", {}, `${total} runs`), entries.map((e) => h("span", { class: "count" }, h("i", { class: `dot ${phaseClass(e.phase)}` }), `${e.count} ${phaseLabel(e.phase)}`))),
  );
}

export function legend(): HTMLElement {
  return h("div", { class: "legend" }, PHASE_ORDER.map((p) => h("span", { class: "count" }, h("i", { class: `dot ${phaseClass(p)}` }), phaseLabel(p))));
}

/** Ready first and in colour (with its message); the other conditions as quiet chips, their messages as tooltips. */
export function conditionChips(conditions: readonly Condition[]): HTMLElement {
  const ordered = [...conditions].sort((a, b) => Number(b.type === "Ready") - Number(a.type === "Ready"));
  return h(
    "div",
    { class: "conditions" },
    ordered.map((c) => {
      const ready = c.type === "Ready";
      const tone = ready ? (c.status === "True" ? "cond-good" : /Fail/i.test(c.reason ?? "") ? "cond-bad" : "cond-wait") : "cond-quiet";
      return h(
        "span",
        { class: `chip ${tone}`, title: [c.message, c.lastTransitionTime ? `since ${c.lastTransitionTime}` : ""].filter(Boolean).join(" · "), "data-condition": c.type, "data-status": c.status },
        h("b", {}, c.type),
        ` ${c.status === "True" ? "✓" : c.status === "False" ? "✗" : "?"} `,
        c.reason ?? "",
        ready && c.message ? h("span", { class: "chip-message" }, c.message) : null,
      );
    }),
  );
}

export function notice(kind: "error" | "info" | "ok", text: string): HTMLElement {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}
