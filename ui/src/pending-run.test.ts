import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ElevationDecision, ElevationStatus, LintReport } from "./api";
import type { CheckOutcome } from "./checker";
import { PendingRuns, type PendingQuery } from "./pending-run";
import { elevationStatus, refusal } from "./testing";

const SQL = "SELECT email FROM sales.customers";
const NOW = Date.now();

function allow(extra: Partial<LintReport> = {}): CheckOutcome {
  return {
    kind: "checked",
    report: { verdict: "allow", elevations: [], reads: ["sales.customers"], reason: null, diagnostics: [], parameters: [], catalogNotes: [], scan: null, ...extra },
  };
}

function elevate(names: string[], reason: string): CheckOutcome {
  return {
    kind: "checked",
    report: { verdict: "elevate", elevations: names, reads: ["sales.customers"], reason, diagnostics: [], parameters: [], catalogNotes: [], scan: null },
  };
}

function granted(name = "pii-read", status: ElevationStatus = elevationStatus()): ElevationDecision {
  return { outcome: "granted", name, message: `${name} is active for 15 min.`, expiresAtMs: NOW + 900_000, requestId: null, status };
}

function waiting(requestId: string, name = "pii-read"): ElevationDecision {
  return { outcome: "pending", name, message: "Waiting for an approver", expiresAtMs: null, requestId, status: statusWith({ pending: [requestId] }) };
}

function denied(name = "pii-read"): ElevationDecision {
  return { outcome: "denied", name, message: "already waiting", expiresAtMs: null, requestId: null, status: elevationStatus() };
}

/** A status where the given request ids of pii-read wait, hold or were refused. */
function statusWith(parts: { pending?: string[]; active?: string[]; refused?: [string, string][]; name?: string; version?: number }): ElevationStatus {
  const name = parts.name ?? "pii-read";
  return elevationStatus({
    pending: (parts.pending ?? []).map((requestId) => ({ requestId, name, requestedAtMs: NOW })),
    active: (parts.active ?? []).map((requestId) => ({ name, requestId, grantedAtMs: NOW, expiresAtMs: NOW + 900_000, approver: "bob" })),
    refusals: (parts.refused ?? []).map(([requestId, reason]) => refusal(requestId, name, reason, NOW)),
    version: parts.version ?? 1,
  });
}

interface Tab {
  text: string;
  database: string | null;
}

let tabs: Map<number, Tab>;
let lint: ReturnType<typeof vi.fn<(sql: string, database: string | null) => Promise<CheckOutcome>>>;
let run: ReturnType<typeof vi.fn<(tabId: number, sql: string) => void>>;
let told: { tabId: number; message: string; notRun: boolean }[];
let changed: number;
let running: Promise<void> | null;
let pending: PendingRuns;

function query(extra: Partial<PendingQuery> = {}): PendingQuery {
  return { tabId: 1, text: SQL, database: "sales", sql: SQL, elevation: "pii-read", ...extra };
}

/** Lets the pending run's awaits (idle, lint) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

beforeEach(() => {
  tabs = new Map([
    [1, { text: SQL, database: "sales" }],
    [2, { text: "SELECT 1", database: "sales" }],
  ]);
  lint = vi.fn(async () => allow());
  run = vi.fn();
  told = [];
  changed = 0;
  running = null;
  pending = new PendingRuns({
    current: (tabId) => tabs.get(tabId) ?? null,
    idle: async () => {
      while (running) await running;
    },
    busy: () => running !== null,
    lint,
    run,
    tell: (tabId, message, notRun) => told.push({ tabId, message, notRun }),
    changed: () => {
      changed += 1;
    },
  });
});

describe("a query that asked for its elevation with Request and run", () => {
  it("runs once, linted again, when the policy grants the request at once", async () => {
    const ask = pending.ask(query());
    expect(pending.of(1)).toEqual({ elevation: "pii-read", asking: true });
    ask.answered(granted());
    expect(pending.of(1)).toBeNull();
    await settle();
    expect(lint).toHaveBeenCalledWith(SQL, "sales");
    expect(run).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith(1, SQL);
    expect(told).toEqual([{ tabId: 1, message: "pii-read granted; running the query you asked for.", notRun: false }]);
    // A later status with the grant, or the same answer again, runs nothing more.
    pending.status(statusWith({ active: ["req-1"] }));
    ask.answered(granted());
    await settle();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("never follows a waiting answer without a request id, even when a grant of that name comes", async () => {
    const ask = pending.ask(query());
    ask.answered({ ...waiting("req-1"), requestId: null });
    expect(pending.of(1)).toBeNull();
    expect(told).toEqual([
      { tabId: 1, message: "The request for pii-read has no id to follow, so the query will not run by itself.", notRun: true },
    ]);
    pending.status(statusWith({ active: ["req-1"] }));
    await settle();
    expect(run).not.toHaveBeenCalled();
  });

  it("waits for an approver and runs when a status shows its request granted", async () => {
    const ask = pending.ask(query());
    pending.status(statusWith({ pending: ["req-1"] }));
    ask.answered(waiting("req-1"));
    expect(pending.of(1)).toEqual({ elevation: "pii-read", asking: false });
    pending.status(statusWith({ pending: ["req-1"], version: 2 }));
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(lint).not.toHaveBeenCalled();

    pending.status(statusWith({ active: ["req-1"], version: 3 }));
    pending.status(statusWith({ active: ["req-1"], version: 4 }));
    await settle();
    expect(run).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith(1, SQL);
    expect(pending.of(1)).toBeNull();
  });

  it("runs what Run would have run: the statement asked for, not the whole script", async () => {
    const script = `SELECT 1;\n${SQL};`;
    tabs.set(1, { text: script, database: "sales" });
    pending.ask(query({ text: script, sql: SQL })).answered(granted());
    await settle();
    expect(lint).toHaveBeenCalledWith(SQL, "sales");
    expect(run).toHaveBeenCalledWith(1, SQL);
  });

  it("runs in its own tab when another tab is in front", async () => {
    pending.ask(query({ tabId: 2, text: "SELECT 1", sql: "SELECT 1" })).answered(granted());
    await settle();
    expect(run).toHaveBeenCalledWith(2, "SELECT 1");
  });

  it("waits for the query that is running, then runs", async () => {
    let finish = () => {};
    running = new Promise<void>((resolve) => {
      finish = () => {
        running = null;
        resolve();
      };
    });
    pending.ask(query()).answered(granted());
    await settle();
    expect(run).not.toHaveBeenCalled();
    finish();
    await settle();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("waits again when a run started while it was linted", async () => {
    let finish = () => {};
    lint.mockImplementationOnce(async () => {
      running = new Promise<void>((resolve) => {
        finish = () => {
          running = null;
          resolve();
        };
      });
      return allow();
    });
    pending.ask(query()).answered(granted());
    await settle();
    expect(run).not.toHaveBeenCalled();
    finish();
    await settle();
    expect(lint).toHaveBeenCalledTimes(2);
    expect(run).toHaveBeenCalledTimes(1);
  });
});

describe("a pending run that does not run", () => {
  async function grantedAndSettled(): Promise<void> {
    pending.ask(query()).answered(granted());
    await settle();
    expect(run).not.toHaveBeenCalled();
  }

  it("when the text changed since it was asked for", async () => {
    tabs.set(1, { text: `${SQL} LIMIT 5`, database: "sales" });
    await grantedAndSettled();
    expect(lint).not.toHaveBeenCalled();
    expect(told).toEqual([{ tabId: 1, message: "pii-read granted; the query changed since you asked, so it did not run.", notRun: true }]);
  });

  it("when the text changes while it is linted again", async () => {
    lint.mockImplementationOnce(async () => {
      tabs.set(1, { text: "SELECT phone FROM sales.customers", database: "sales" });
      return allow();
    });
    await grantedAndSettled();
    expect(told.map((t) => t.message)).toEqual(["pii-read granted; the query changed since you asked, so it did not run."]);
  });

  it("when the tab's database changed since", async () => {
    tabs.set(1, { text: SQL, database: "web" });
    await grantedAndSettled();
    expect(told.map((t) => t.message)).toEqual(["pii-read granted; the database changed since you asked, so it did not run."]);
  });

  it("when the query still needs another elevation under the grant", async () => {
    lint.mockResolvedValueOnce(elevate(["large-scan"], "It scans 3 TB, over the 1 TB budget."));
    await grantedAndSettled();
    expect(told).toEqual([
      { tabId: 1, message: "pii-read granted; the query still needs large-scan, so it did not run. It scans 3 TB, over the 1 TB budget.", notRun: true },
    ]);
  });

  it("when the query is denied under the grant (the policy changed meanwhile)", async () => {
    lint.mockResolvedValueOnce({
      kind: "checked",
      report: { verdict: "deny", elevations: [], reads: [], reason: "The column ssn is restricted.", diagnostics: [], parameters: [], catalogNotes: [], scan: null },
    });
    await grantedAndSettled();
    expect(told.map((t) => t.message)).toEqual(["pii-read granted; the query is not allowed, so it did not run. The column ssn is restricted."]);
  });

  it("when it cannot be linted again", async () => {
    lint.mockResolvedValueOnce({ kind: "unchecked", message: "the backend did not answer." });
    await grantedAndSettled();
    expect(told.map((t) => t.message)).toEqual([
      "pii-read granted; Warden could not check the query again: the backend did not answer, so it did not run.",
    ]);
  });

  it("when it has ? parameters, whose values only the analyst can give", async () => {
    lint.mockResolvedValueOnce(allow({ parameters: [{ number: 1, column: "dt", from: 40, to: 41 }] }));
    await grantedAndSettled();
    expect(told.map((t) => t.message)).toEqual(["pii-read granted; the query has ? parameters, so it did not run. Press Run to give their values."]);
  });

  it("when its tab was closed, silently", async () => {
    const ask = pending.ask(query());
    pending.closed(1);
    expect(pending.of(1)).toBeNull();
    ask.answered(granted());
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(lint).not.toHaveBeenCalled();
    expect(told).toEqual([]);
  });

  it("when its tab is closed while it is linted again", async () => {
    lint.mockImplementationOnce(async () => {
      tabs.delete(1);
      pending.closed(1);
      return allow();
    });
    await grantedAndSettled();
    expect(told).toEqual([]);
  });

  it("when the request is denied in the dialog (which says why)", async () => {
    const ask = pending.ask(query());
    ask.answered(denied());
    expect(pending.of(1)).toBeNull();
    pending.status(statusWith({ active: ["req-1"] }));
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(told).toEqual([]);
  });

  it("when the request fails", async () => {
    const ask = pending.ask(query());
    ask.failed();
    expect(pending.of(1)).toBeNull();
    ask.answered(granted());
    await settle();
    expect(run).not.toHaveBeenCalled();
  });

  it("when an approver denies it, saying why, and not for a later grant of the same elevation", async () => {
    const ask = pending.ask(query());
    ask.answered(waiting("req-1"));
    pending.status(statusWith({ refused: [["req-1", "denied by bob: not during the freeze"]], version: 2 }));
    expect(pending.of(1)).toBeNull();
    expect(told).toEqual([{ tabId: 1, message: "pii-read was not granted (denied by bob: not during the freeze), so the query did not run.", notRun: true }]);
    pending.status(statusWith({ active: ["req-2"], version: 3 }));
    await settle();
    expect(run).not.toHaveBeenCalled();
  });

  it("when nobody decides in time", async () => {
    const ask = pending.ask(query());
    ask.answered(waiting("req-1"));
    pending.status(statusWith({ refused: [["req-1", "no approver decided within 1 h; ask again"]], version: 2 }));
    expect(told.map((t) => t.message)).toEqual(["pii-read was not granted (no approver decided within 1 h; ask again), so the query did not run."]);
  });

  it("when the request is withdrawn", async () => {
    const ask = pending.ask(query());
    pending.status(statusWith({ pending: ["req-1"] }));
    ask.answered(waiting("req-1"));
    pending.status(statusWith({ version: 2 }));
    expect(pending.of(1)).toBeNull();
    expect(told.map((t) => t.message)).toEqual(["The request for pii-read was withdrawn, so the query will not run."]);
  });

  it("not for the grant of another request of the same elevation", async () => {
    const ask = pending.ask(query());
    ask.answered(waiting("req-1"));
    pending.status(statusWith({ pending: ["req-1"], active: [], version: 2 }));
    pending.status({ ...statusWith({ pending: ["req-1"], version: 3 }), active: statusWith({ active: ["req-other"] }).active });
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(pending.of(1)).not.toBeNull();
  });

  it("when the analyst signs out, saying so", async () => {
    const ask = pending.ask(query());
    ask.answered(waiting("req-1"));
    pending.signedOut();
    expect(pending.of(1)).toBeNull();
    expect(told).toEqual([{ tabId: 1, message: "You signed out, so the query waiting for pii-read will not run.", notRun: true }]);
    pending.status(statusWith({ active: ["req-1"], version: 2 }));
    await settle();
    expect(run).not.toHaveBeenCalled();
  });

  it("when the analyst signs out while it is linted again", async () => {
    lint.mockImplementationOnce(async () => {
      pending.signedOut();
      return allow();
    });
    await grantedAndSettled();
  });

  it("when Don't run was pressed", async () => {
    const ask = pending.ask(query());
    ask.answered(waiting("req-1"));
    pending.cancel(1);
    expect(pending.of(1)).toBeNull();
    pending.status(statusWith({ active: ["req-1"], version: 2 }));
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(told).toEqual([]);
  });

  it("when a newer Request and run in the same tab replaced it: only one per tab", async () => {
    const first = pending.ask(query());
    const second = pending.ask(query({ elevation: "large-scan" }));
    expect(pending.of(1)).toEqual({ elevation: "large-scan", asking: true });
    first.answered(granted());
    await settle();
    expect(run).not.toHaveBeenCalled();
    second.answered(granted("large-scan"));
    await settle();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("waits for the request's answer before a status can run it", async () => {
    pending.ask(query());
    pending.status(statusWith({ active: ["req-1"] }));
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(pending.of(1)).toEqual({ elevation: "pii-read", asking: true });
  });

  it("keeps each tab's own pending run apart", async () => {
    const one = pending.ask(query());
    const two = pending.ask(query({ tabId: 2, text: "SELECT 1", sql: "SELECT 1", elevation: "large-scan" }));
    one.answered(waiting("req-1"));
    two.answered(waiting("req-2"));
    pending.status(statusWith({ active: ["req-2"], pending: ["req-1"], version: 2 }));
    await settle();
    expect(run.mock.calls).toEqual([[2, "SELECT 1"]]);
    expect(pending.of(1)).toEqual({ elevation: "pii-read", asking: false });
    expect(changed).toBeGreaterThan(0);
  });
});
