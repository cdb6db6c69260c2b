// The run details line under the results bar: what is known of the last run of a tab, whatever
// its end (state, rows, bytes scanned, cost, duration, workgroup and the engine's id for the run,
// which support and CloudTrail know an Athena query by, with a button to copy it).

import type { RunDetails } from "./api";
import { formatBytes, formatCount, formatDuration } from "./format";

export interface RunFact {
  label: string;
  value: string;
}

const STATES: Record<RunDetails["state"], string> = {
  queued: "Queued at Athena",
  running: "Running",
  reading: "Reading the result",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** USD with enough digits that a small Athena scan does not read as free. */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd < 0) return "unknown cost";
  if (usd === 0) return "$0.00";
  if (usd < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(2)}`;
}

/** Whether `run` is still going (queued, running or reading its result). */
export function isGoing(run: RunDetails): boolean {
  return run.state === "queued" || run.state === "running" || run.state === "reading";
}

/** The facts a run has, in the order shown; what does not apply to its engine is left out. */
export function runFacts(run: RunDetails): RunFact[] {
  const facts: RunFact[] = [{ label: "State", value: STATES[run.state] ?? run.state }];
  if (run.rows !== null) facts.push({ label: "Rows", value: formatCount(run.rows, "row") });
  const going = isGoing(run);
  if (!going || run.bytesScanned !== null) {
    facts.push({
      label: "Scanned",
      value: run.bytesScanned === null ? "not reported" : formatBytes(run.bytesScanned),
    });
  }
  if (run.costUsd !== null) facts.push({ label: "Cost", value: `about ${formatCost(run.costUsd)}` });
  // A run still going is redrawn only when its state or id changes (a redraw every tick would
  // take the keyboard focus off its Copy button), so it shows no running time.
  if (!going) facts.push({ label: "Duration", value: formatDuration(run.durationMs) });
  facts.push({ label: "Engine", value: run.engine === "datafusion" ? "demo (DataFusion)" : run.engine });
  if (run.workgroup !== null) facts.push({ label: "Workgroup", value: run.workgroup });
  return facts;
}

/** The label of the run's id: Athena's query execution id, or the demo engine's own. */
export function idLabel(run: RunDetails): string {
  return run.engine === "athena" ? "Athena query id" : "Query id";
}

/** The run details a failed command carries, if it is a run that reached the engine. */
export function runOfError(error: unknown): RunDetails | null {
  if (typeof error !== "object" || error === null || !("run" in error)) return null;
  const run = (error as { run: unknown }).run;
  if (typeof run !== "object" || run === null) return null;
  const state = (run as { state?: unknown }).state;
  return state === "succeeded" || state === "failed" || state === "cancelled" ? (run as RunDetails) : null;
}

/**
 * Draws `run` into `host` (hidden when there is none). `copy` puts text on the clipboard; the
 * button says whether it worked, since a refused clipboard is otherwise silent.
 */
export function renderRunDetails(host: HTMLElement, run: RunDetails | null, copy: (text: string) => Promise<void>): void {
  host.replaceChildren();
  host.hidden = run === null;
  if (run === null) return;
  const list = document.createElement("dl");
  list.className = "run-facts";
  for (const fact of runFacts(run)) {
    const item = document.createElement("div");
    item.className = "run-fact";
    const term = document.createElement("dt");
    term.textContent = fact.label;
    const value = document.createElement("dd");
    value.textContent = fact.value;
    if (fact.label === "State") value.dataset.state = run.state;
    item.append(term, value);
    list.append(item);
  }
  if (run.queryId !== null) {
    const queryId = run.queryId;
    const item = document.createElement("div");
    item.className = "run-fact run-id";
    const term = document.createElement("dt");
    term.textContent = idLabel(run);
    const value = document.createElement("dd");
    const code = document.createElement("code");
    code.textContent = queryId;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-id";
    button.textContent = "Copy";
    button.setAttribute("aria-label", `Copy the ${idLabel(run).replace("Athena", "Athena").toLowerCase()}`);
    button.addEventListener("click", () => {
      copy(queryId).then(
        () => (button.textContent = "Copied"),
        () => (button.textContent = "Copy failed: select the id instead"),
      );
    });
    value.append(code, " ", button);
    item.append(term, value);
    list.append(item);
  }
  host.append(list);
}
