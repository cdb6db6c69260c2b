// What the toolbar says about the current query, and whether it may run.
// Only an `allow` verdict runs: `elevate` waits for a grant (the Request
// elevation buttons ask for it). Anything the UI cannot classify is shown as
// "Not allowed" (fail closed); the Rust side enforces the policy again when
// the query is run.
import type { LintReport } from "./api";
import { sentence } from "./diagnostics";

export type VerdictKind = "allow" | "elevate" | "deny" | "pending";

export type VerdictState =
  | { kind: "empty" }
  | { kind: "pending" }
  | { kind: "checked"; report: LintReport }
  | { kind: "unchecked"; message: string };

export interface VerdictDisplay {
  verdict: VerdictKind;
  label: string;
  reason: string;
  reads: string;
  runnable: boolean;
}

export interface VerdictElements {
  verdict: HTMLElement;
  reason: HTMLElement;
  reads: HTMLElement;
  run: HTMLButtonElement;
}

const DENY_FALLBACK = "Warden's policy does not allow this query.";
const ELEVATE_FALLBACK = "This query reads data that needs an elevation first.";

function readsText(report: LintReport): string {
  const reads = [...new Set(report.reads ?? [])];
  const parts = reads.length > 0 ? [`Reads ${reads.join(", ")}`] : [];
  // The estimate the scan budget was judged on: "Scan about 42 GB, budget 1 TB (from …)".
  if (report.scan) parts.push(`Scan ${report.scan}`);
  return parts.join(" · ");
}

/**
 * An allowed text's line: its first warning, if any (a deny's or an elevate's reason, which
 * the backend picks as the one that decides, always comes before any warning).
 */
function warningOf(report: LintReport): string {
  const warning = (report.diagnostics ?? []).find((d) => d.severity === "warning");
  return warning ? `Warning: ${sentence(warning.message)}` : "";
}

/** What the engine's catalog (Glue) says against an allowed text: a table it does not have. */
function catalogNoteOf(report: LintReport): string {
  const note = (report.catalogNotes ?? [])[0];
  return note ? sentence(note) : "";
}

function fromReport(report: LintReport): VerdictDisplay {
  const reason = sentence(report.reason ?? "");
  switch (report.verdict) {
    case "allow":
      return { verdict: "allow", label: "Allowed", reason: reason || catalogNoteOf(report) || warningOf(report), reads: readsText(report), runnable: true };
    case "elevate": {
      const names = (report.elevations ?? []).join(", ");
      return {
        verdict: "elevate",
        label: names ? `Needs elevation: ${names}` : "Needs elevation",
        reason: reason || ELEVATE_FALLBACK,
        reads: readsText(report),
        // Not until the elevation is granted; the Request elevation buttons beside the verdict ask for it.
        runnable: false,
      };
    }
    case "deny":
      return { verdict: "deny", label: "Not allowed", reason: reason || DENY_FALLBACK, reads: readsText(report), runnable: false };
    default:
      return {
        verdict: "deny",
        label: "Not allowed",
        reason: "Warden could not tell whether this query is allowed.",
        reads: "",
        runnable: false,
      };
  }
}

/**
 * The display for a state. While a new check is pending, the previous
 * reason and runnability stay (dimmed) so the toolbar does not flicker on
 * every keystroke; `run()` waits for the fresh verdict anyway.
 */
export function describeVerdict(state: VerdictState, previous: VerdictDisplay | null): VerdictDisplay {
  switch (state.kind) {
    case "empty":
      return { verdict: "pending", label: "Nothing to run", reason: "", reads: "", runnable: false };
    case "pending":
      return {
        verdict: "pending",
        label: "Checking…",
        reason: previous?.reason ?? "",
        reads: "",
        runnable: previous?.runnable ?? false,
      };
    case "checked":
      return fromReport(state.report);
    case "unchecked":
      return {
        verdict: "deny",
        label: "Not allowed",
        reason: `Warden could not check this query: ${state.message}`,
        reads: "",
        runnable: false,
      };
  }
}

export function runShortcut(platform: string): string {
  return /mac|iphone|ipad/i.test(platform) ? "⌘↵" : "Ctrl+Enter";
}

export function renderVerdict(
  elements: VerdictElements,
  display: VerdictDisplay,
  options: { busy: boolean; shortcut: string },
): void {
  const { verdict, reason, reads, run } = elements;
  verdict.dataset.verdict = display.verdict;
  verdict.textContent = display.label;
  reason.textContent = display.reason;
  reason.hidden = display.reason === "";
  reason.classList.toggle("is-stale", display.verdict === "pending");
  reads.textContent = display.reads;
  reads.hidden = display.reads === "";
  run.disabled = options.busy || !display.runnable;
  if (options.busy) {
    run.title = "A query is running";
  } else if (!display.runnable && display.reason) {
    run.title = display.reason;
  } else if (!display.runnable) {
    run.title = display.label;
  } else {
    run.title = `Run (${options.shortcut})`;
  }
}
