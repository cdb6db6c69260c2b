import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditEvent, AuditFilter } from "./api";
import { hashedText, HistoryPanel, loadRuns, matches, runFacts, toRun } from "./history";

// Shapes as the journal records them (ui/src/gen/fixtures.json, `audit`).
function finished(seq: number, sql: string | null, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    seq,
    id: `e${seq}`,
    at: "2026-12-04T14:11:57.760Z",
    kind: "query_finished",
    actor: "ana",
    workspace: "demo",
    summary: "finished",
    payload: {
      bytes_scanned: 2621,
      duration_ms: 17,
      engine: { engine: "datafusion", query_id: "q" },
      query: {
        active_elevations: [],
        bundle_revision: 1,
        rule_ids: [],
        sql: sql === null ? { sha256: "72a2da9fcb6f518ead71fe4a7e31ddb3" } : { sha256: "72a2da9fcb6f518ead71fe4a7e31ddb3", text: sql },
        verdict: "allow",
      },
      rows: 14,
    },
    ...extra,
  };
}

const BLOCKED: AuditEvent = {
  seq: 4,
  id: "e4",
  at: "2026-12-04T14:12:00.000Z",
  kind: "query_blocked",
  actor: "ana",
  workspace: "prod",
  summary: "blocked (restricted)",
  payload: { query: { active_elevations: [], bundle_revision: 1, rule_ids: ["restricted"], sql: { sha256: "fd4b", text: "SELECT ssn FROM sales.customers" }, verdict: "deny" } },
};

const FAILED: AuditEvent = {
  ...BLOCKED,
  seq: 5,
  kind: "query_failed",
  workspace: "demo",
  payload: { engine: { engine: "datafusion", query_id: null }, error: "table not found", duration_ms: 3, query: { rule_ids: [], sql: { sha256: "ab", text: "SELECT * FROM nowhere" }, verdict: "allow" } },
};

describe("runs from the journal", () => {
  it("reads text, time, verdict, rows, bytes, duration and workspace", () => {
    const run = toRun(finished(3, "SELECT 1"));
    expect(run).toMatchObject({ seq: 3, text: "SELECT 1", verdict: "allow", rows: 14, bytes: 2621, durationMs: 17, workspace: "demo" });
    expect(runFacts(run!)).toEqual(["Finished", "allowed", "14 rows", "2.6 KB scanned", "17 ms", "demo"]);
    expect(runFacts(toRun(BLOCKED)!)).toEqual(["Blocked", "denied", "prod"]);
    expect(toRun(BLOCKED)?.detail).toBe("rules: restricted");
    expect(toRun(FAILED)?.detail).toBe("table not found");
  });

  it("says when the policy keeps only a hash", () => {
    const run = toRun(finished(3, null))!;
    expect(run.text).toBeNull();
    expect(hashedText(run)).toBe("Text not kept: the policy records only a hash of the query (SHA-256 72a2da9fcb6f…).");
  });

  it("skips other events and malformed payloads", () => {
    expect(toRun({ ...BLOCKED, kind: "app_started" })).toBeNull();
    expect(toRun({ ...BLOCKED, payload: null })).toBeNull();
    expect(toRun({ ...BLOCKED, payload: { query: "x" } })).toBeNull();
  });

  it("reads each run kind and merges them newest first", async () => {
    const events = vi.fn(async (filter: AuditFilter) =>
      filter.kind === "query_finished" ? [finished(3, "SELECT 1")] : filter.kind === "query_blocked" ? [BLOCKED] : filter.kind === "query_failed" ? [FAILED] : [],
    );
    const runs = await loadRuns(events);
    expect(runs.map((run) => run.seq)).toEqual([5, 4, 3]);
    expect(events.mock.calls.map(([filter]) => filter.kind).sort()).toEqual(["query_blocked", "query_cancelled", "query_failed", "query_finished"]);
  });

  it("searches text, outcome and workspace, every word", () => {
    const run = toRun(BLOCKED)!;
    expect(matches(run, "ssn prod")).toBe(true);
    expect(matches(run, "blocked")).toBe(true);
    expect(matches(run, "ssn demo")).toBe(false);
    expect(matches(run, "  ")).toBe(true);
  });
});

describe("the History panel", () => {
  let reopen: ReturnType<typeof vi.fn>;
  let panel: HistoryPanel;
  let answer: () => Promise<AuditEvent[]>;

  beforeEach(() => {
    document.body.innerHTML = `<button id="toggle"></button><aside id="history-panel"></aside>`;
    reopen = vi.fn();
    answer = async () => [];
    panel = new HistoryPanel(
      document.getElementById("history-panel") as HTMLElement,
      document.getElementById("toggle") as HTMLButtonElement,
      async (filter) => (filter.kind === "query_finished" ? answer() : []),
      reopen,
    );
  });

  const rows = () => [...document.querySelectorAll<HTMLElement>(".history-row")];

  it("opens from its toggle, lists runs and reopens a text with a click", async () => {
    answer = async () => [finished(7, "SELECT country FROM sales.customers"), finished(6, null)];
    (document.getElementById("toggle") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(rows()).toHaveLength(2));
    expect(document.getElementById("toggle")?.getAttribute("aria-expanded")).toBe("true");
    const [first, hashed] = rows();
    expect(first.querySelector(".history-text")?.textContent).toBe("SELECT country FROM sales.customers");
    expect(first.querySelector(".history-facts")?.textContent).toBe("Finished · allowed · 14 rows · 2.6 KB scanned · 17 ms · demo");
    (first.querySelector("button") as HTMLButtonElement).click();
    expect(reopen).toHaveBeenCalledWith("SELECT country FROM sales.customers");
    const hashedButton = hashed.querySelector("button") as HTMLButtonElement;
    expect(hashedButton.disabled).toBe(true);
    expect(hashed.querySelector(".history-text")?.textContent).toContain("Text not kept");
  });

  it("filters as you type and says when nothing matches", async () => {
    answer = async () => [finished(7, "SELECT country FROM sales.customers"), finished(6, "SELECT 1")];
    await panel.setOpen(true);
    panel.search.value = "country";
    panel.search.dispatchEvent(new Event("input"));
    expect(rows().map((row) => row.dataset.seq)).toEqual(["7"]);
    panel.search.value = "nothing like this";
    panel.search.dispatchEvent(new Event("input"));
    expect(document.querySelector(".audit-empty")?.textContent).toBe("No runs match this search.");
  });

  it("says so when the journal cannot be read, and reads again on change while open", async () => {
    answer = async () => {
      throw { kind: "internal", message: "journal locked" };
    };
    await panel.setOpen(true);
    expect(document.querySelector(".audit-empty.is-error")?.textContent).toContain("Could not read the history");
    answer = async () => [finished(8, "SELECT 2")];
    panel.changed();
    await vi.waitFor(() => expect(rows()).toHaveLength(1));
  });
});
