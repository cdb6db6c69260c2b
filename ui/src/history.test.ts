import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditEvent, AuditFilter } from "./api";
import fixtures from "./gen/fixtures.json";
import { hashedText, HistoryPanel, loadRuns, matches, NO_DATABASE, parameterLine, runFacts, toRun } from "./history";

/** The journal's run of the demo's `?` template, as the real backend recorded it. */
const WITH_PARAMETERS = (fixtures.audit.events as unknown as AuditEvent[]).find(
  (event) => event.kind === "query_finished" && (event.payload as { query?: { parameters?: unknown } }).query?.parameters !== undefined,
)!;

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

  it("reads the run's database, and none from a record written before it was kept", () => {
    const event = finished(3, "SELECT 1");
    expect(toRun(event)?.database).toBeNull();
    (event.payload as { query: Record<string, unknown> }).query.database = "sales";
    const run = toRun(event)!;
    expect(run.database).toBe("sales");
    expect(runFacts(run)).toContain("database sales");
    expect(matches(run, "sales")).toBe(true);
    // Not a name: read as not recorded rather than shown.
    (event.payload as { query: Record<string, unknown> }).query.database = 7;
    expect(toRun(event)?.database).toBeNull();
  });

  it("searches text, outcome and workspace, every word", () => {
    const run = toRun(BLOCKED)!;
    expect(matches(run, "ssn prod")).toBe(true);
    expect(matches(run, "blocked")).toBe(true);
    expect(matches(run, "ssn demo")).toBe(false);
    expect(matches(run, "  ")).toBe(true);
  });
});

describe("parameters in the history", () => {
  it("reads the values the journal kept, and finds the run by a value", () => {
    const run = toRun(WITH_PARAMETERS)!;
    expect(run.parameters).toEqual({ count: 2, values: ["'DE'", "0"] });
    expect(parameterLine(run.parameters!)).toBe("2 parameters: 'DE', 0");
    expect(matches(run, "'de'")).toBe(true);
    expect(toRun(finished(3, "SELECT 1"))?.parameters).toBeNull();
  });

  it("says the values were not kept under a hash-only policy", () => {
    const hashed = structuredClone(WITH_PARAMETERS);
    const query = (hashed.payload as { query: Record<string, unknown> }).query;
    query.parameters = { count: 1, bound_sha256: "9405" };
    const run = toRun(hashed)!;
    expect(run.parameters).toEqual({ count: 1, values: null });
    expect(parameterLine(run.parameters!)).toBe("1 parameter (values not kept: the policy records only hashes)");
  });

  it("ignores a malformed record rather than showing the wrong values", () => {
    const odd = structuredClone(WITH_PARAMETERS);
    (odd.payload as { query: Record<string, unknown> }).query.parameters = { count: 2, values: ["'DE'"] };
    expect(toRun(odd)?.parameters).toEqual({ count: 2, values: null });
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
    // Written before the journal kept the database: the current tab's, and the row says so.
    expect(reopen).toHaveBeenCalledWith("SELECT country FROM sales.customers", null, null);
    expect(first.querySelector(".history-no-database")?.textContent).toBe(NO_DATABASE);
    const hashedButton = hashed.querySelector("button") as HTMLButtonElement;
    expect(hashedButton.disabled).toBe(true);
    expect(hashed.querySelector(".history-text")?.textContent).toContain("Text not kept");
  });

  it("shows a run's parameter values and reopens the text with them", async () => {
    answer = async () => [WITH_PARAMETERS];
    await panel.setOpen(true);
    await vi.waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0].querySelector(".history-parameters")?.textContent).toBe("2 parameters: 'DE', 0");
    (rows()[0].querySelector("button") as HTMLButtonElement).click();
    const text = (WITH_PARAMETERS.payload as { query: { sql: { text: string } } }).query.sql.text;
    expect(reopen).toHaveBeenCalledWith(text, ["'DE'", "0"], (WITH_PARAMETERS.payload as { query: { database?: string } }).query.database ?? null);
  });

  it("reopens a run on the database it ran in, whatever the current tab's", async () => {
    const inWeb = finished(9, "SELECT url FROM events WHERE dt = '2026-01-05'");
    (inWeb.payload as { query: Record<string, unknown> }).query.database = "web";
    answer = async () => [inWeb];
    await panel.setOpen(true);
    await vi.waitFor(() => expect(rows()).toHaveLength(1));
    const row = rows()[0];
    expect(row.querySelector(".history-facts")?.textContent).toBe("Finished · allowed · 14 rows · 2.6 KB scanned · 17 ms · demo · database web");
    expect(row.querySelector(".history-no-database")).toBeNull();
    const button = row.querySelector("button") as HTMLButtonElement;
    expect(button.title).toBe("Open in a new tab on web");
    button.click();
    expect(reopen).toHaveBeenCalledWith("SELECT url FROM events WHERE dt = '2026-01-05'", null, "web");
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
