import { invoke } from "@tauri-apps/api/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { elevationStatus, grant, policyStatus } from "./testing";
import type { AuditEvent, AuditStatus, Catalog, ElevationStatus, LintReport, PolicyStatus, QueryResult, WorkspaceInfo } from "./api";
import { CLOSED_TABS_KEPT, FOCUS_REFRESH_MS, SCAN_MEASURE_DELAY_MS, startApp, TYPED_SAVE_DELAY_MS, type App } from "./app";
import { NOTE_MS } from "./layout";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

// jsdom has no canvas: the chart library is replaced by one that records what it was given.
const charts = vi.hoisted(() => [] as unknown[][][]);
vi.mock("uplot", () => ({
  default: class {
    static paths = { bars: () => "bars" };
    constructor(_opts: unknown, data: unknown[][]) {
      charts.push(data);
    }
    destroy() {}
    setSize() {}
  },
}));

// Backend events: tests fire them through `emitEvent`.
const events = vi.hoisted(() => new Map<string, (event: { payload: unknown }) => void>());
vi.mock("@tauri-apps/api/event", () => ({
  listen: vi.fn(async (name: string, handler: (event: { payload: unknown }) => void) => {
    events.set(name, handler);
    return () => events.delete(name);
  }),
}));

function emitEvent(name: string, payload: unknown): void {
  const handler = events.get(name);
  if (!handler) throw new Error(`nobody listens to ${name}`);
  handler({ payload });
}

// Local noon, so the date reads the same in any time zone.
const EXPIRES = new Date(2026, 11, 21, 12, 0).toISOString();

function policy(extra: Partial<PolicyStatus> = {}): PolicyStatus {
  return policyStatus({ expiresAt: EXPIRES, ...extra });
}

const AUDIT_STATUS: AuditStatus = {
  deviceId: "dev-1",
  journal: "/home/ana/.local/share/warden/workspaces/demo/audit/journal.sqlite",
  events: 2,
  lastSeq: 2,
  store: "s3://audit/journals",
  lastSyncedSeq: 1,
  pending: 1,
  lastSuccess: null,
  lastError: null,
  lastErrorAt: null,
};

const AUDIT_EVENTS: AuditEvent[] = [
  { seq: 2, id: "e2", at: "2026-11-21T10:01:00Z", kind: "query_finished", actor: "ana", workspace: "demo", summary: "3 rows", payload: { rows: 3 } },
  { seq: 1, id: "e1", at: "2026-11-21T10:00:00Z", kind: "app_started", actor: "ana", workspace: "demo", summary: "Warden started", payload: {} },
];

const INFO: WorkspaceInfo = {
  workspace: "demo",
  engine: "datafusion",
  policyName: "demo-analyst",
  policyFingerprint: "sha256:0123456789abcdef",
  defaultDatabase: "sales",
  home: "/tmp/warden",
};

const CATALOG: Catalog = {
  databases: [
    {
      name: "sales",
      tables: [{ name: "orders", columns: [{ name: "order_id", dataType: "bigint", partitionKey: false, tags: [], unlisted: false }], unlisted: false, missing: false }],
    },
  ],
  readAt: "2026-12-04T20:00:00Z",
  fromCache: false,
};

const RESULT: QueryResult = {
  resultId: "r1",
  columns: [{ name: "order_id", dataType: "bigint" }],
  rowCount: 3,
  bytesScanned: 12_345_678,
  durationMs: 45,
  queryId: "q1",
  engine: "datafusion",
  run: {
    state: "succeeded",
    engine: "datafusion",
    queryId: "q1",
    workgroup: null,
    rows: 3,
    bytesScanned: 12_345_678,
    costUsd: null,
    durationMs: 45,
  },
};

function verdictFor(sql: string): LintReport {
  if (/delete/i.test(sql)) {
    return { verdict: "deny", elevations: [], reads: [], reason: "Only SELECT statements are allowed.", diagnostics: [], parameters: [], catalogNotes: [], scan: null };
  }
  const at = sql.indexOf("email");
  if (at >= 0) {
    return {
      verdict: "elevate",
      elevations: ["pii-read"],
      reads: ["sales.customers"],
      reason: "It reads a column tagged pii.",
      catalogNotes: [],
      scan: null,
      diagnostics: [
        {
          rule: "pii-column",
          severity: "warning",
          message: "Column email is tagged pii.",
          from: at,
          to: at + 5,
          line: 1,
          column: at + 1,
          endLine: 1,
          endColumn: at + 6,
          unlockedBy: ["pii-read"],
          fix: null,
        },
      ],
      parameters: [],
    };
  }
  // Each ? is a parameter; one after `dt = ` is compared with dt.
  const parameters = [...sql.matchAll(/\?/g)].map((m, i) => ({
    number: i + 1,
    column: /dt\s*=\s*$/.test(sql.slice(0, m.index)) ? "dt" : null,
    from: m.index ?? 0,
    to: (m.index ?? 0) + 1,
  }));
  return { verdict: "allow", elevations: [], reads: ["sales.orders"], reason: null, diagnostics: [], parameters, catalogNotes: [], scan: null };
}

type Handler = (args: Record<string, unknown>) => unknown;

let handlers: Record<string, Handler>;
const invokeMock = vi.mocked(invoke);
let app: App;

function calls(command: string) {
  return invokeMock.mock.calls.filter((call) => call[0] === command).map((call) => call[1]);
}

function element(id: string): HTMLElement {
  return document.getElementById(id) as HTMLElement;
}

/** What the backend keeps of the tabs (`keep_tabs`), across restarts within a test. */
let keptTabsText: string | null = null;

beforeEach(() => {
  keptTabsText = null;
  handlers = {
    workspace_info: () => INFO,
    kept_tabs: () => keptTabsText,
    keep_tabs: (args) => {
      keptTabsText = String(args.text);
      return null;
    },
    catalog: () => CATALOG,
    workgroups: () => null,
    lint: (args) => verdictFor(String(args.sql)),
    run_query: () => RESULT,
    fetch_rows: (args) => ({ rows: Array.from({ length: Number(args.limit) }, (_, i) => [Number(args.offset) + i]) }),
    policy_status: () => policy(),
    refresh_policy: () => policy(),
    audit_status: () => AUDIT_STATUS,
    audit_events: () => AUDIT_EVENTS,
    audit_sync: () => ({ ...AUDIT_STATUS, pending: 0, lastSyncedSeq: 2, lastSuccess: "2026-11-21T10:02:00Z" }),
  };
  invokeMock.mockReset();
  invokeMock.mockImplementation(async (command: string, args?: unknown) => {
    const handler = handlers[command];
    if (!handler) throw { kind: "internal", message: `no handler for ${command}` };
    return handler((args ?? {}) as Record<string, unknown>);
  });
  document.body.innerHTML = `<div id="app"></div>`;
});

afterEach(() => {
  vi.useRealTimers();
  app?.dispose();
  app?.grid.destroy();
  app?.editor.view.destroy();
  document.body.innerHTML = "";
});

/** Starts the app on a workspace that could not be opened: no schema will come. */
async function startClosed(): Promise<App> {
  app = await startApp(element("app"), "Linux x86_64");
  return app;
}

async function start(): Promise<App> {
  app = await startApp(element("app"), "Linux x86_64");
  await vi.waitFor(() => expect(document.querySelector(".schema-table-name")).not.toBeNull());
  return app;
}

describe("the window", () => {
  it("starts with the title, status bar, schema and an idle Run button", async () => {
    await start();
    expect(document.title).toBe("Warden");
    expect(element("status").textContent).toContain("demo-analyst (01234567)");
    expect(element("schema").textContent).toContain("orders");
    expect(element("verdict").dataset.verdict).toBe("pending");
    expect(element("run").hasAttribute("disabled")).toBe(true);
    expect(element("error").hidden).toBe(true);
    expect(document.querySelector("#editor .cm-content")).not.toBeNull();
  });

  it("lints as you type and underlines diagnostics", async () => {
    await start();
    app.setSql("SELECT email FROM sales.customers");
    expect(element("verdict").dataset.verdict).toBe("pending");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("elevate"), { timeout: 3000 });
    expect(element("verdict").textContent).toBe("Needs elevation: pii-read");
    expect(calls("lint")).toEqual([{ sql: "SELECT email FROM sales.customers", database: "sales" }]);
    await vi.waitFor(() => expect(document.querySelector(".cm-lintRange-warning")?.textContent).toBe("email"));
    // Not until the elevation is granted.
    expect(element("run").hasAttribute("disabled")).toBe(true);
    expect(element("run").title).toBe("It reads a column tagged pii.");
  });

  it("does not run a query that needs an elevation, not even with the shortcut", async () => {
    await start();
    app.setSql("SELECT email FROM sales.customers");
    await app.run();
    expect(element("verdict").dataset.verdict).toBe("elevate");
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(0);
  });

  it("asks for the values of ? parameters, checked by the backend, and runs with them", async () => {
    handlers.check_parameter = (args) => (String(args.value).includes(" OR ") ? "1 OR true is 3 tokens, not one literal" : null);
    await start();
    const sql = "SELECT order_id FROM sales.orders WHERE dt = ? AND order_id > ?";
    app.setSql(sql);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    const running = app.run();
    await vi.waitFor(() => expect(document.querySelector("#parameter-dialog")).not.toBeNull());
    expect(calls("run_query")).toHaveLength(0);
    expect(document.querySelector("label[for=parameter-1]")?.textContent).toBe("Parameter 1 (dt)");
    const first = element("parameter-1") as HTMLInputElement;
    const second = element("parameter-2") as HTMLInputElement;
    first.value = "'2024-01-01'";
    second.value = "1 OR true";
    second.dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(element("parameter-2-problem").textContent).toBe("1 OR true is 3 tokens, not one literal"));
    element("parameter-submit").click();
    // Run checks every value again and stays open on the refused one.
    await vi.waitFor(() => expect(document.activeElement).toBe(second));
    expect(calls("check_parameter")).toContainEqual({ number: 1, value: "'2024-01-01'" });
    expect(calls("run_query")).toHaveLength(0);
    second.value = "10";
    element("parameter-submit").click();
    await running;
    expect(calls("run_query")).toEqual([{ sql, database: "sales", runId: expect.any(String), parameters: ["'2024-01-01'", "10"] }]);
    expect(document.querySelector("#parameter-dialog")).toBeNull();
    // The next run offers the same values; cancelling runs nothing.
    const again = app.run();
    await vi.waitFor(() => expect((element("parameter-1") as HTMLInputElement).value).toBe("'2024-01-01'"));
    element("parameter-cancel").click();
    await again;
    expect(calls("run_query")).toHaveLength(1);
  });

  it("runs an allowed query and shows the rows with the meta line", async () => {
    await start();
    // jsdom has no layout: give the grid a viewport so rows come into view.
    Object.defineProperty(element("grid"), "clientHeight", { configurable: true, get: () => 300 });
    app.setSql("SELECT order_id FROM sales.orders");
    await app.run();
    expect(calls("run_query")).toEqual([{ sql: "SELECT order_id FROM sales.orders", database: "sales", runId: expect.any(String) }]);
    expect(element("result-meta").textContent).toBe("3 rows · 12.3 MB scanned · 45 ms");
    expect(element("run-details").hidden).toBe(false);
    expect(element("run-details").querySelector("[data-state]")?.textContent).toBe("Succeeded");
    await vi.waitFor(() => expect(document.querySelectorAll("#grid .grid-row")).toHaveLength(3));
    expect(calls("fetch_rows")).toEqual([{ resultId: "r1", offset: 0, limit: 3 }]);
    // The run's own check is shared with the live linter: one lint per text.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls("lint")).toHaveLength(1);
  });

  it("confirms a copy from the grid in the results bar, then clears it", async () => {
    await start();
    Object.defineProperty(element("grid"), "clientHeight", { configurable: true, get: () => 300 });
    const writeText = vi.fn((_: string) => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText } });
    app.setSql("SELECT order_id FROM sales.orders");
    await app.run();
    await vi.waitFor(() => expect(document.querySelectorAll("#grid .grid-row")).toHaveLength(3));
    vi.useFakeTimers();
    try {
      document.querySelector<HTMLElement>('#grid .grid-row[data-index="0"] .grid-rownum')?.click();
      element("grid").dispatchEvent(new KeyboardEvent("keydown", { key: "c", ctrlKey: true, bubbles: true }));
      await vi.waitFor(() => expect(element("result-note").textContent).toBe("Copied the cell."));
      expect(writeText).toHaveBeenCalledTimes(1);
      expect(element("result-note").getAttribute("role")).toBe("status");
      vi.advanceTimersByTime(NOTE_MS);
      expect(element("result-note").textContent).toBe("");
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not run a denied query and says why", async () => {
    await start();
    app.setSql("DELETE FROM sales.orders");
    await app.run();
    expect(calls("run_query")).toHaveLength(0);
    expect(element("verdict").dataset.verdict).toBe("deny");
    expect(element("verdict-reason").textContent).toBe("Only SELECT statements are allowed.");
    expect(element("run").hasAttribute("disabled")).toBe(true);
    expect(element("run").title).toBe("Only SELECT statements are allowed.");
  });

  it("fails closed when the query cannot be checked", async () => {
    handlers.lint = () => {
      throw { kind: "internal", message: "The policy bundle could not be verified." };
    };
    await start();
    app.setSql("SELECT 1");
    await app.run();
    expect(calls("run_query")).toHaveLength(0);
    expect(element("verdict").dataset.verdict).toBe("deny");
    expect(element("verdict-reason").textContent).toContain("The policy bundle could not be verified.");
  });

  it("shows a refused run in plain words", async () => {
    handlers.run_query = () => {
      throw { kind: "blocked", message: "The scan budget of 1 GB would be exceeded." };
    };
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    await app.run();
    expect(element("error").hidden).toBe(false);
    expect(element("error").textContent?.trim()).toBe("Not allowed: The scan budget of 1 GB would be exceeded.");
    expect(element("result-meta").textContent).toBe("");
  });

  it("never dumps an unknown error shape", async () => {
    handlers.run_query = () => {
      throw { code: 17, details: { inner: ["x"] } };
    };
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    await app.run();
    expect(element("error").textContent?.trim()).toBe("Something went wrong.");
  });

  it("exports the front tab's whole result through the dialog", async () => {
    handlers.export_result = (args) => ({ rows: 3, path: (args as { path: string }).path });
    await start();
    const button = element("export") as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    app.setSql("SELECT order_id FROM sales.orders");
    await app.run();
    expect(button.disabled).toBe(false);
    button.click();
    const path = document.querySelector<HTMLInputElement>("#export-path");
    expect(path).not.toBeNull();
    if (path) path.value = "/home/ana/orders.csv";
    document.querySelector<HTMLButtonElement>("#export-submit")?.click();
    await vi.waitFor(() => expect(element("result-meta").textContent).toBe("Exported 3 rows to /home/ana/orders.csv"));
    expect(calls("export_result")).toEqual([{ resultId: "r1", path: "/home/ana/orders.csv", format: "csv" }]);
    expect(document.querySelector("#export-dialog")).toBeNull();
  });

  it("clears the error on the next successful run", async () => {
    handlers.run_query = () => {
      throw { kind: "engine", message: "Table nowhere does not exist." };
    };
    await start();
    app.setSql("SELECT 1 FROM nowhere");
    await app.run();
    expect(element("error").textContent?.trim()).toBe("The query failed: Table nowhere does not exist.");
    handlers.run_query = () => RESULT;
    await app.run();
    expect(element("error").hidden).toBe(true);
  });

  it("offers Cancel while a query runs and reports the cancellation", async () => {
    let reject: (reason: unknown) => void = () => {};
    handlers.run_query = () => new Promise((_, no) => (reject = no));
    handlers.cancel_query = () => {
      reject({
        kind: "cancelled",
        message: "the query was cancelled",
        run: { ...RESULT.run, state: "cancelled", engine: "athena", queryId: "athena-7", workgroup: "primary", rows: null, bytesScanned: 2_000_000, costUsd: 0.00001 },
      });
      return true;
    };
    await start();
    expect(element("cancel").hidden).toBe(true);
    app.setSql("SELECT order_id FROM sales.orders");
    const running = app.run();
    await vi.waitFor(() => expect(element("cancel").hidden).toBe(false));
    expect(element("result-meta").textContent).toBe("Running…");
    element("cancel").click();
    expect(element("cancel").hasAttribute("disabled")).toBe(true);
    await running;
    expect(calls("cancel_query")).toEqual([{ runId: (calls("run_query")[0] as { runId: string }).runId }]);
    expect(element("cancel").hidden).toBe(true);
    expect(element("error").textContent?.trim()).toBe("The query was cancelled.");
    // The run details of the cancelled run: what Athena scanned until the stop, and its id.
    const details = element("run-details");
    expect(details.hidden).toBe(false);
    expect(details.querySelector('[data-state="cancelled"]')?.textContent).toBe("Cancelled");
    expect(details.textContent).toContain("2.0 MB");
    expect(details.querySelector("code")?.textContent).toBe("athena-7");
  });

  it("shows the first rows while the rest of the result is still read, then the whole result", async () => {
    let finish: (result: QueryResult) => void = () => {};
    handlers.run_query = () => new Promise((done) => (finish = done));
    const reading = { ...RESULT.run, state: "reading", engine: "athena", queryId: "athena-9", workgroup: "primary", rows: 1_000, bytesScanned: null };
    handlers.run_progress = () => ({ run: reading, arriving: { resultId: "r1", columns: RESULT.columns, rowCount: 1_000 } });
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    const running = app.run();
    await vi.waitFor(() => expect(element("result-meta").textContent).toBe("Reading… 1,000 rows so far"), { timeout: 3000 });
    // The grid pages the rows stored so far (jsdom lays nothing out, so no row is drawn here).
    expect(app.grid.result).toMatchObject({ resultId: "r1", rowCount: 1_000, queryId: "athena-9" });
    expect(element("grid").getAttribute("aria-rowcount")).toBe("1001");
    expect(element("run-details").querySelector('[data-state="reading"]')).not.toBeNull();
    // Export waits for the whole result.
    expect(element("export").hasAttribute("disabled")).toBe(true);
    finish({ ...RESULT, engine: "athena", rowCount: 5_000, run: { ...RESULT.run, rows: 5_000 } });
    await running;
    expect(app.grid.result?.rowCount).toBe(5_000);
    expect(element("result-meta").textContent).toMatch(/^5,000 rows/);
  });

  it("keeps Cancel usable when the backend had nothing to cancel yet", async () => {
    let finish: (value: unknown) => void = () => {};
    handlers.run_query = () => new Promise((yes) => (finish = yes));
    handlers.cancel_query = () => false;
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    const running = app.run();
    await vi.waitFor(() => expect(element("cancel").hidden).toBe(false));
    element("cancel").click();
    await vi.waitFor(() => expect(element("cancel").hasAttribute("disabled")).toBe(false));
    expect(element("result-meta").textContent).toBe("Running…");
    finish(RESULT);
    await running;
    expect(element("cancel").hidden).toBe(true);
  });

  it("lints and runs in the database picked in the toolbar", async () => {
    handlers.catalog = () => ({
      databases: [...CATALOG.databases, { name: "web", tables: [{ name: "events", columns: [] }] }],
    });
    await start();
    const picker = element("database") as HTMLSelectElement;
    await vi.waitFor(() => expect(Array.from(picker.options).map((o) => o.value)).toEqual(["sales", "web"]));
    expect(picker.value).toBe("sales");
    app.setSql("SELECT order_id FROM orders");
    await vi.waitFor(() => expect(calls("lint")).toContainEqual({ sql: "SELECT order_id FROM orders", database: "sales" }), { timeout: 3000 });
    picker.value = "web";
    picker.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(calls("lint")).toContainEqual({ sql: "SELECT order_id FROM orders", database: "web" }));
    await app.run();
    expect(calls("run_query")).toEqual([{ sql: "SELECT order_id FROM orders", database: "web", runId: expect.any(String) }]);
  });

  it("runs with Ctrl+Enter", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
  });

  it("inserts a table's qualified name when it is clicked in the schema", async () => {
    await start();
    app.setSql("SELECT * FROM");
    (document.querySelector(".schema-table-name") as HTMLButtonElement).click();
    expect(app.getSql()).toBe("SELECT * FROM sales.orders");
  });

  it("still opens when the workspace cannot be read", async () => {
    // The backend's every command fails alike when the workspace cannot be opened.
    const closed = () => {
      throw "Workspace not found at /tmp/warden.";
    };
    handlers.workspace_info = closed;
    handlers.kept_tabs = closed;
    handlers.keep_tabs = closed;
    await startClosed();
    expect(element("status").textContent).toBe("Workspace unavailableAdd AWS workspace…");
    // Its own error, not one about the kept tabs, which were never the problem.
    expect(element("error").textContent?.trim()).toBe("Could not read the workspace. Workspace not found at /tmp/warden.");
    expect(calls("kept_tabs")).toEqual([]);
    expect(document.getElementById("tabs-not-kept")).toBeNull();
    // Said once: no panel asks again and repeats it.
    expect(calls("catalog")).toEqual([]);
    expect(calls("workgroups")).toEqual([]);
    expect(element("schema").textContent).toContain("No schema: the workspace could not be opened.");
    expect((element("workgroup") as HTMLSelectElement).hidden).toBe(true);
    app.setSql("SELECT 1");
    await app.run();
    expect(calls("run_query")).toEqual([{ sql: "SELECT 1", database: null, runId: expect.any(String) }]);
    app.dispose();
    expect(calls("keep_tabs")).toEqual([]);
  });

  it("says plainly, once, why a workspace cannot be opened", async () => {
    const why =
      "the demo data lake could not be created: the demo workspace's engine (warden-demo-engine) is not installed. Install the warden-demo package next to warden, or add an AWS workspace";
    const closed = () => {
      throw { kind: "unavailable", message: why };
    };
    for (const command of ["workspace_info", "policy_status", "kept_tabs", "keep_tabs", "catalog", "workgroups", "lint"]) {
      handlers[command] = closed;
    }
    await startClosed();
    expect(element("error").textContent?.trim()).toBe(`The workspace cannot be opened: ${why}`);
    expect(element("schema").textContent).not.toContain("warden-demo-engine");
    expect((element("workgroup") as HTMLSelectElement).hidden).toBe(true);
    app.setSql("SELECT 1");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"), { timeout: 3000 });
    expect(element("verdict-reason").textContent).toBe(`Warden could not check this query: The workspace cannot be opened: ${why}`);
    app.dispose();
  });
});

describe("schema and workgroups from Athena", () => {
  it("refreshes the schema from the catalog on Refresh and shows the new one", async () => {
    handlers.catalog = () => ({ ...CATALOG, fromCache: true });
    handlers.refresh_catalog = () => ({
      ...CATALOG,
      databases: [{ name: "sales", tables: [...CATALOG.databases[0].tables, { name: "refunds", columns: [], unlisted: true, missing: false }] }],
    });
    await start();
    expect(element("schema").querySelector(".schema-read")?.textContent).toContain("kept on this machine");
    element("schema").querySelector<HTMLButtonElement>(".schema-refresh")?.click();
    await vi.waitFor(() => expect(element("schema").textContent).toContain("refunds"));
    expect(calls("refresh_catalog")).toHaveLength(1);
    expect(element("schema").querySelector(".schema-read")?.textContent).not.toContain("kept on this machine");
  });

  it("hides the workgroup picker on a workspace without workgroups", async () => {
    await start();
    await vi.waitFor(() => expect(calls("workgroups")).toHaveLength(1));
    expect((element("workgroup") as HTMLSelectElement).hidden).toBe(true);
  });

  it("lists an Athena workspace's workgroups and switches through the backend, or says why not", async () => {
    const picker = {
      workgroups: [
        { name: "adhoc", description: "", cutoffBytes: 10_000_000_000 },
        { name: "primary", description: "", cutoffBytes: null },
      ],
      current: "primary",
      defaultWorkgroup: "primary",
      note: null,
    };
    handlers.workgroups = () => picker;
    handlers.choose_workgroup = (args) => ({ ...picker, current: String(args.name) });
    await start();
    const select = element("workgroup") as HTMLSelectElement;
    await vi.waitFor(() => expect(select.hidden).toBe(false));
    expect([...select.options].map((o) => o.textContent)).toEqual(["adhoc · cutoff 10.0 GB", "primary · no scan cutoff (default)"]);
    select.value = "adhoc";
    select.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(calls("choose_workgroup")).toEqual([{ name: "adhoc" }]));
    await vi.waitFor(() => expect(select.value).toBe("adhoc"));

    handlers.choose_workgroup = () => {
      throw { kind: "blocked", message: "not switched: workgroup primary is gone; pick one of: adhoc" };
    };
    handlers.workgroups = () => ({ ...picker, current: "adhoc" });
    select.value = "primary";
    select.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(element("error").hidden).toBe(false));
    expect(element("error").textContent).toContain("The workgroup was not changed.");
    expect(element("error").textContent).toContain("workgroup primary is gone");
    await vi.waitFor(() => expect(select.value).toBe("adhoc"));
  });
});

describe("the policy bundle", () => {
  function bundleItem(): HTMLElement {
    return document.querySelector('#status .status-item[data-item="bundle"]') as HTMLElement;
  }

  it("shows the bundle in the status bar and no banner while valid", async () => {
    await start();
    expect(calls("policy_status")).toHaveLength(1);
    expect(bundleItem().textContent).toBe("Bundledemo r3 · expires 21 Dec 2026");
    expect(bundleItem().title).toContain("Source: https://policy.example.com/demo.bundle");
    expect(element("policy-banner").hidden).toBe(true);
    expect(element("policy-banner").dataset.health).toBe("valid");
  });

  it("says nothing can run when the bundle is blocked", async () => {
    handlers.policy_status = () => policy({ health: "blocked", reason: "the bundle signature does not verify" });
    await start();
    expect(element("policy-banner").hidden).toBe(false);
    expect(element("policy-banner").dataset.health).toBe("blocked");
    expect(element("policy-banner").classList.contains("is-error")).toBe(true);
    expect(element("policy-banner-text").textContent).toBe("Nothing can run: the bundle signature does not verify");
    expect(bundleItem().classList.contains("is-error")).toBe(true);
  });

  it("still opens when the policy status cannot be read", async () => {
    handlers.policy_status = () => {
      throw { kind: "internal", message: "The bundle cache is unreadable." };
    };
    await start();
    expect(bundleItem().textContent).toBe("Bundlestatus unknown");
    expect(bundleItem().classList.contains("is-error")).toBe(true);
    expect(bundleItem().title).toContain("The bundle cache is unreadable.");
    expect(element("policy-banner").hidden).toBe(true);
    expect(element("error").hidden).toBe(true);
  });

  it("refreshes on window focus at most once per 30 s", async () => {
    let fetches = 0;
    handlers.refresh_policy = () => {
      fetches += 1;
      return policy({ lastFetch: { at: "2026-11-21T11:00:00Z", result: "unchanged", message: `fetch number ${fetches}` } });
    };
    await start();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start0 = new Date(2026, 10, 21, 12, 0, 0).getTime();
    vi.setSystemTime(start0);
    const focus = () => window.dispatchEvent(new Event("focus"));

    focus();
    // Settled and shown: later focus events are not merely waiting on it.
    await vi.waitFor(() => expect(bundleItem().title).toContain("fetch number 1"));
    vi.setSystemTime(start0 + 1_000);
    focus();
    vi.setSystemTime(start0 + FOCUS_REFRESH_MS - 1);
    focus();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls("refresh_policy")).toHaveLength(1);

    vi.setSystemTime(start0 + FOCUS_REFRESH_MS);
    focus();
    await vi.waitFor(() => expect(bundleItem().title).toContain("fetch number 2"));
    focus();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls("refresh_policy")).toHaveLength(2);
  });

  it("shows a refused bundle found on focus without checking the query again", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    handlers.refresh_policy = () =>
      policy({ lastFetch: { at: "2026-11-21T11:00:00Z", result: "refused", message: "signed by an untrusted key" } });
    window.dispatchEvent(new Event("focus"));
    await vi.waitFor(() => expect(element("policy-banner").hidden).toBe(false));
    expect(element("policy-banner-text").textContent).toBe(
      "A new policy bundle was refused: signed by an untrusted key. The previous revision 3 stays in force.",
    );
    expect(element("policy-banner").classList.contains("is-warning")).toBe(true);
    expect(calls("lint")).toHaveLength(1);
    expect(calls("catalog")).toHaveLength(1);
  });

  it("on policy-changed re-renders, re-checks the text at once and reloads the schema", async () => {
    await start();
    app.setSql("SELECT email FROM sales.customers");
    await vi.waitFor(() => expect(document.querySelector(".cm-lintRange-warning")).not.toBeNull(), { timeout: 3000 });
    expect(calls("lint")).toHaveLength(1);

    handlers.lint = () => ({ verdict: "deny", elevations: [], reads: [], reason: "No valid policy is in force.", diagnostics: [], catalogNotes: [], scan: null });
    emitEvent("policy-changed", policy({ health: "blocked", reason: "the bundle expired two days ago" }));

    // At once, not after the editor's lint delay.
    expect(calls("lint")).toEqual([
      { sql: "SELECT email FROM sales.customers", database: "sales" },
      { sql: "SELECT email FROM sales.customers", database: "sales" },
    ]);
    expect(element("policy-banner-text").textContent).toBe("Nothing can run: the bundle expired two days ago");
    expect(element("policy-banner").hidden).toBe(false);
    expect(bundleItem().classList.contains("is-error")).toBe(true);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    expect(element("verdict-reason").textContent).toBe("No valid policy is in force.");
    expect(element("run").hasAttribute("disabled")).toBe(true);
    // The editor's marks follow the new answer, which the editor shares.
    await vi.waitFor(() => expect(document.querySelector(".cm-lintRange-warning")).toBeNull());
    await vi.waitFor(() => expect(calls("catalog")).toHaveLength(2));
    expect(calls("workspace_info")).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls("lint")).toHaveLength(2);
  });

  it("ignores a policy-changed that repeats what is shown", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    emitEvent("policy-changed", policy());
    expect(calls("lint")).toHaveLength(1);
    emitEvent("policy-changed", policy({ revision: 4, name: "demo" }));
    expect(calls("lint")).toHaveLength(2);
    expect(bundleItem().textContent).toContain("demo r4");
  });

  it("returns to no banner when a valid bundle arrives", async () => {
    handlers.policy_status = () => policy({ health: "grace", warning: "the policy bundle expired" });
    await start();
    expect(element("policy-banner-text").textContent).toBe("The policy bundle expired");
    expect(bundleItem().classList.contains("is-warning")).toBe(true);
    emitEvent("policy-changed", policy({ revision: 4 }));
    expect(element("policy-banner").hidden).toBe(true);
    expect(bundleItem().classList.contains("is-warning")).toBe(false);
  });
});

describe("the audit panel in the window", () => {
  it("opens from the toolbar, lists events and follows audit-changed", async () => {
    await start();
    expect(element("audit-panel").hidden).toBe(true);
    expect(calls("audit_events")).toHaveLength(0);
    element("audit-toggle").click();
    await vi.waitFor(() => expect(document.querySelectorAll("#audit-events .audit-row")).toHaveLength(2));
    expect(calls("audit_events")).toEqual([{ kind: null, since: null, limit: 200 }]);
    expect(element("audit-pending").textContent).toBe("1 event waiting");
    expect(element("audit-last-sync").textContent).toBe("never");

    emitEvent("audit-changed", { ...AUDIT_STATUS, pending: 0, lastSyncedSeq: 2, lastSuccess: new Date().toISOString() });
    expect(element("audit-pending").textContent).toBe("all synced");
    await vi.waitFor(() => expect(calls("audit_events")).toHaveLength(2));

    element("audit-sync").click();
    await vi.waitFor(() => expect(calls("audit_sync")).toHaveLength(1));
  });
});

describe("elevations in the window", () => {
  let elevation: ElevationStatus;
  const MIN = 60_000;

  const requestButton = () => document.querySelector<HTMLButtonElement>('#verdict-elevations button.request-elevation[data-elevation="pii-read"]');
  const elevationItem = () => document.querySelector<HTMLElement>('#status .status-item[data-item="elevation"]');

  beforeEach(() => {
    elevation = elevationStatus();
    handlers.elevation_status = () => elevation;
    // The linter allows the pii column while pii-read is active.
    handlers.lint = (args) => {
      const report = verdictFor(String(args.sql));
      return elevation.active.some((active) => active.name === "pii-read") && report.verdict === "elevate"
        ? { ...report, verdict: "allow", elevations: [], reason: null }
        : report;
    };
    handlers.request_elevation = () => {
      elevation = elevationStatus({ active: [grant("pii-read", Date.now(), 15 * MIN)] });
      return { outcome: "granted", name: "pii-read", message: "pii-read is active for 15 min.", expiresAtMs: Date.now() + 15 * MIN, requestId: null, status: elevation };
    };
    handlers.end_elevation = () => {
      elevation = elevationStatus();
      return elevation;
    };
  });

  async function elevateVerdict(): Promise<void> {
    app.setSql("SELECT email FROM sales.customers");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("elevate"), { timeout: 3000 });
  }

  it("offers Request elevation for an elevate verdict, and after a grant checks again and allows", async () => {
    await start();
    await elevateVerdict();
    expect(requestButton()?.textContent).toBe("Request elevation pii-read");
    expect(calls("lint")).toHaveLength(1);

    requestButton()?.click();
    expect(element("elevation-dialog").getAttribute("aria-modal")).toBe("true");
    (element("elevation-justification") as HTMLTextAreaElement).value = "Quarterly audit";
    (element("elevation-ticket") as HTMLInputElement).value = "INC-42";
    element("elevation-submit").click();

    await vi.waitFor(() => expect(element("elevation-dialog")).toBeNull());
    expect(calls("request_elevation")).toEqual([
      { request: { name: "pii-read", durationS: 900, justification: "Quarterly audit", ticket: "INC-42" } },
    ]);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    expect(calls("lint")).toHaveLength(2);
    expect(requestButton()).toBeNull();
    expect(elevationItem()?.hidden).toBe(false);
    expect(elevationItem()?.textContent).toBe("Elevatedpii-read · 15 min left Extend End");
  });

  it("checks again when elevation-changed shows a grant gone, and says so", async () => {
    elevation = elevationStatus({ active: [grant("pii-read", Date.now(), 15 * MIN)] });
    await start();
    app.setSql("SELECT email FROM sales.customers");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    expect(calls("lint")).toHaveLength(1);

    elevation = elevationStatus();
    emitEvent("elevation-changed", elevation);
    // At once, as for a policy change.
    expect(calls("lint")).toHaveLength(2);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("elevate"));
    expect(requestButton()).not.toBeNull();
    expect(element("elevation-banner").hidden).toBe(false);
    expect(element("elevation-banner-text").textContent).toBe("pii-read has ended; the editor is back to your usual access.");
    expect(elevationItem()?.hidden).toBe(true);
  });

  it("ends a grant from the status bar", async () => {
    elevation = elevationStatus({ active: [grant("pii-read", Date.now(), 15 * MIN)] });
    await start();
    document.querySelector<HTMLButtonElement>('#status button.end-elevation[data-elevation="pii-read"]')?.click();
    await vi.waitFor(() => expect(elevationItem()?.hidden).toBe(true));
    expect(calls("end_elevation")).toEqual([{ name: "pii-read" }]);
  });

  it("keeps the item when the status bar is repainted", async () => {
    elevation = elevationStatus({ pending: [{ requestId: "req-2", name: "large-scan", requestedAtMs: Date.now() }] });
    await start();
    expect(elevationItem()?.textContent).toBe("Elevationwaiting for approval: large-scan Withdraw");
    emitEvent("policy-changed", policy({ revision: 4 }));
    await vi.waitFor(() => expect(calls("workspace_info")).toHaveLength(2));
    await vi.waitFor(() => expect(element("status").textContent).toContain("demo r4"));
    expect(elevationItem()?.textContent).toBe("Elevationwaiting for approval: large-scan Withdraw");
  });

  it("reads the elevations again when the policy changes", async () => {
    await start();
    expect(calls("elevation_status")).toHaveLength(1);
    emitEvent("policy-changed", policy({ revision: 4 }));
    await vi.waitFor(() => expect(calls("elevation_status")).toHaveLength(2));
  });

  it("works without buttons when the elevation status cannot be read, and says requests are unavailable", async () => {
    handlers.elevation_status = () => {
      throw { kind: "internal", message: "no gate" };
    };
    await start();
    await elevateVerdict();
    expect(requestButton()).toBeNull();
    expect(element("verdict-elevations").hidden).toBe(false);
    expect(element("verdict-elevations").querySelector(".elevation-unavailable")?.textContent).toBe(
      "Elevation requests are unavailable right now",
    );
    expect(element("error").hidden).toBe(true);
    expect(elevationItem()?.hidden).toBe(true);
  });

  it("reads the elevations again on focus when they could not be read at start, at most once per 30 s", async () => {
    let readable = false;
    handlers.elevation_status = () => {
      if (!readable) throw { kind: "internal", message: "no gate" };
      return elevation;
    };
    await start();
    await elevateVerdict();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start0 = new Date(2026, 10, 21, 12, 0, 0).getTime();
    vi.setSystemTime(start0);
    const focus = () => window.dispatchEvent(new Event("focus"));

    focus();
    await vi.waitFor(() => expect(calls("elevation_status")).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 30));
    readable = true;
    vi.setSystemTime(start0 + 1_000);
    focus();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls("elevation_status")).toHaveLength(2);

    vi.setSystemTime(start0 + FOCUS_REFRESH_MS);
    focus();
    await vi.waitFor(() => expect(requestButton()).not.toBeNull());
    expect(element("verdict-elevations").querySelector(".elevation-unavailable")).toBeNull();
    expect(calls("elevation_status")).toHaveLength(3);
    // Readable now: focus no longer asks.
    vi.setSystemTime(start0 + 3 * FOCUS_REFRESH_MS);
    focus();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls("elevation_status")).toHaveLength(3);
  });

  it("keeps a change announced while the first status is being read", async () => {
    handlers.elevation_status = () => {
      // The grant is announced before the (older) answer arrives.
      emitEvent("elevation-changed", elevationStatus({ active: [grant("pii-read", Date.now(), 15 * MIN)], version: 2 }));
      return elevationStatus({ version: 1 });
    };
    await start();
    expect(elevationItem()?.textContent).toBe("Elevatedpii-read · 15 min left Extend End");
  });

  it("shows a refusal announced later, but none from before the window opened", async () => {
    const old = { requestId: "req-1", name: "large-scan", reason: "timed out after 1 hour", atMs: Date.now() - 3_600_000 };
    elevation = elevationStatus({ refusals: [old], pending: [{ requestId: "req-2", name: "large-scan", requestedAtMs: Date.now() }], version: 1 });
    await start();
    expect(element("elevation-banner").hidden).toBe(true);
    const denied = { requestId: "req-2", name: "large-scan", reason: "denied by alice: use the sample table", atMs: Date.now() };
    emitEvent("elevation-changed", elevationStatus({ refusals: [denied, old], version: 2 }));
    expect(element("elevation-banner").hidden).toBe(false);
    expect(element("elevation-banner").classList.contains("is-warning")).toBe(true);
    expect(element("elevation-banner-text").textContent).toBe("large-scan was not granted: Denied by alice: use the sample table.");
    (document.querySelector("#elevation-banner .banner-close") as HTMLButtonElement).click();
    emitEvent("elevation-changed", elevationStatus({ refusals: [denied, old], version: 3 }));
    expect(element("elevation-banner").hidden).toBe(true);
  });

  it("withdraws a waiting request from the status bar", async () => {
    elevation = elevationStatus({ pending: [{ requestId: "req-2", name: "large-scan", requestedAtMs: Date.now() }], version: 1 });
    handlers.end_elevation = () => {
      elevation = elevationStatus({ version: 2 });
      return elevation;
    };
    await start();
    document.querySelector<HTMLButtonElement>('#status button.withdraw-elevation[data-elevation="large-scan"]')?.click();
    await vi.waitFor(() => expect(elevationItem()?.hidden).toBe(true));
    expect(calls("end_elevation")).toEqual([{ name: "large-scan" }]);
  });

  it("puts focus back in the editor once a grant took the Request button away", async () => {
    await start();
    await elevateVerdict();
    requestButton()?.focus();
    requestButton()?.click();
    (element("elevation-justification") as HTMLTextAreaElement).value = "Quarterly audit";
    (element("elevation-ticket") as HTMLInputElement).value = "INC-42";
    element("elevation-submit").click();
    await vi.waitFor(() => expect(element("elevation-dialog")).toBeNull());
    expect(element("editor").contains(document.activeElement)).toBe(true);
  });

  it("checks again when a grant runs out, even if the backend says nothing", async () => {
    elevation = elevationStatus({ active: [grant("pii-read", Date.now(), 400)], version: 1 });
    // The backend is silent, and its answers still claim the grant.
    const stale = elevation;
    handlers.elevation_status = () => stale;
    await start();
    app.setSql("SELECT email FROM sales.customers");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    elevation = elevationStatus({ version: 1 }); // What the linter goes by from now on.
    await vi.waitFor(() => expect(elevationItem()?.hidden).toBe(true), { timeout: 3000 });
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("elevate"));
    expect(element("elevation-banner-text").textContent).toContain("pii-read has ended");
    expect(calls("elevation_status").length).toBeGreaterThanOrEqual(2);
  });

  it("stops its countdown on dispose", async () => {
    elevation = elevationStatus({ active: [grant("pii-read", Date.now(), 15 * MIN)] });
    const clear = vi.spyOn(globalThis, "clearInterval");
    await start();
    app.dispose();
    expect(clear).toHaveBeenCalled();
    clear.mockRestore();
  });
});

describe("Request and run in the window", () => {
  let elevation: ElevationStatus;
  const MIN = 60_000;
  const PII = "SELECT email FROM sales.customers";
  const requestButton = () => document.querySelector<HTMLButtonElement>('#verdict-elevations button.request-elevation[data-elevation="pii-read"]');

  beforeEach(() => {
    elevation = elevationStatus({ version: 1 });
    handlers.elevation_status = () => elevation;
    handlers.lint = (args) => {
      const report = verdictFor(String(args.sql));
      return elevation.active.some((active) => active.name === "pii-read") && report.verdict === "elevate"
        ? { ...report, verdict: "allow", elevations: [], reason: null }
        : report;
    };
    // An approver decides: the request waits.
    handlers.request_elevation = () => {
      elevation = elevationStatus({ pending: [{ requestId: "req-7", name: "pii-read", requestedAtMs: Date.now() }], version: 2 });
      return { outcome: "pending", name: "pii-read", message: "Waiting for an approver", expiresAtMs: null, requestId: "req-7", status: elevation };
    };
  });

  /** Opens the dialog from the verdict, fills it in and presses Request and run. */
  async function requestAndRun(): Promise<void> {
    await vi.waitFor(() => expect(requestButton()).not.toBeNull(), { timeout: 3000 });
    requestButton()?.click();
    (element("elevation-justification") as HTMLTextAreaElement).value = "Quarterly audit";
    (element("elevation-ticket") as HTMLInputElement).value = "INC-42";
    const button = element("elevation-submit-run");
    expect(button.textContent).toBe("Request and run");
    button.click();
    await vi.waitFor(() => expect(element("elevation-dialog")).toBeNull());
  }

  /** An approver grants request req-7 (the gate's next check tells the window). */
  function approve(): void {
    elevation = elevationStatus({ active: [{ ...grant("pii-read", Date.now(), 15 * MIN), requestId: "req-7" }], version: 3 });
    emitEvent("elevation-changed", elevation);
  }

  it("runs the query once when the policy grants it at once, without Run being pressed", async () => {
    handlers.request_elevation = () => {
      elevation = elevationStatus({ active: [grant("pii-read", Date.now(), 15 * MIN)], version: 2 });
      return { outcome: "granted", name: "pii-read", message: "pii-read is active for 15 min.", expiresAtMs: Date.now() + 15 * MIN, requestId: null, status: elevation };
    };
    await start();
    app.setSql(PII);
    await requestAndRun();
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    expect(calls("run_query")[0]).toMatchObject({ sql: PII, database: "sales" });
    await vi.waitFor(() => expect(element("result-meta").textContent).toContain("3 rows"));
    expect(element("result-note").textContent).toBe("pii-read granted; running the query you asked for.");
    expect(element("pending-run").hidden).toBe(true);
    // The event that follows the grant runs nothing more.
    emitEvent("elevation-changed", { ...elevation, version: 3 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(1);
  });

  it("shows what waits, with Don't run, and runs when an approver's grant arrives", async () => {
    await start();
    app.setSql(PII);
    await requestAndRun();
    expect(element("pending-run").hidden).toBe(false);
    expect(element("pending-run-text").textContent).toBe("Runs once pii-read is granted");
    expect(element("pending-run-cancel").getAttribute("aria-label")).toBe("Don't run the query when pii-read is granted");
    expect(calls("run_query")).toHaveLength(0);

    approve();
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    expect(calls("run_query")[0]).toMatchObject({ sql: PII });
    expect(element("pending-run").hidden).toBe(true);
  });

  it("does not run a query that changed since, and says so", async () => {
    await start();
    app.setSql(PII);
    await requestAndRun();
    app.setSql(`${PII} LIMIT 5`);
    approve();
    await vi.waitFor(() => expect(element("error").hidden).toBe(false));
    expect(document.querySelector("#error .error-text")?.textContent).toBe("pii-read granted; the query changed since you asked, so it did not run.");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(0);
  });

  it("does not run after Don't run", async () => {
    await start();
    app.setSql(PII);
    await requestAndRun();
    element("pending-run-cancel").click();
    expect(element("pending-run").hidden).toBe(true);
    approve();
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(0);
  });

  it("does not run once its tab is closed", async () => {
    await start();
    app.newTab(PII);
    await requestAndRun();
    app.closeTab();
    approve();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(0);
    expect(element("error").hidden).toBe(true);
  });

  it("does not run when an approver denies it, saying why", async () => {
    await start();
    app.setSql(PII);
    await requestAndRun();
    emitEvent("elevation-changed", elevationStatus({ refusals: [{ requestId: "req-7", name: "pii-read", reason: "denied by bob: not now", atMs: Date.now() }], version: 3 }));
    expect(document.querySelector("#error .error-text")?.textContent).toBe("pii-read was not granted (denied by bob: not now), so the query did not run.");
    expect(element("pending-run").hidden).toBe(true);
  });

  it("does not run once the AWS session ends, and says so", async () => {
    let signedIn = true;
    handlers.sign_in_status = () => ({
      workspace: "prod",
      needed: true,
      signedIn,
      identity: signedIn ? "arn:aws:sts::123456789012:assumed-role/WardenAnalyst/ana@example.com" : null,
      accountId: "123456789012",
      roleName: "WardenAnalyst",
      expiresAtMs: null,
      problem: null,
    });
    handlers.workspaces = () => [];
    await start();
    app.setSql(PII);
    await requestAndRun();
    signedIn = false;
    emitEvent("session-ended", { workspace: "prod", reason: "the sign-in ran out" });
    await vi.waitFor(() => expect(element("pending-run").hidden).toBe(true));
    expect(document.querySelector("#error .error-text")?.textContent).toBe("You signed out, so the query waiting for pii-read will not run.");
    approve();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(0);
  });

  it("runs in its own tab when another is in front, and says which", async () => {
    await start();
    app.setSql(PII);
    await requestAndRun();
    app.newTab("SELECT order_id FROM sales.orders");
    expect(element("pending-run").hidden).toBe(true);
    // The tab strip says which tab waits.
    expect(document.querySelector("#tabs .tab-title.is-waiting")?.textContent).toBe("Query 1");
    approve();
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    expect(calls("run_query")[0]).toMatchObject({ sql: PII });
    expect(element("result-note").textContent).toBe("Query 1: pii-read granted; running the query you asked for.");
    // The rows are the first tab's: the one in front shows none.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(element("result-meta").textContent).toBe("");
    app.nextTab(-1);
    await vi.waitFor(() => expect(element("result-meta").textContent).toContain("3 rows"));
  });
});

describe("the verdict line and Problems list", () => {
  it("lists every diagnostic under the editor and jumps to one when clicked", async () => {
    await start();
    app.setSql("SELECT email FROM sales.customers");
    await vi.waitFor(() => expect(document.querySelectorAll("#problems-list .problem")).toHaveLength(1));
    expect(element("problems-count").textContent).toBe("1 problem");
    const row = document.querySelector<HTMLButtonElement>("#problems-list .problem") as HTMLButtonElement;
    expect(row.querySelector(".problem-rule")?.textContent).toBe("pii-column");
    expect(row.querySelector(".problem-position")?.textContent).toBe("1:8");
    row.click();
    const { from, to } = app.editor.view.state.selection.main;
    expect(app.editor.view.state.sliceDoc(from, to)).toBe("email");
  });

  it("drops a late answer for older text: the newest check decides", async () => {
    await start();
    const answers = new Map<string, (report: LintReport) => void>();
    handlers.lint = (args) => new Promise<LintReport>((resolve) => answers.set(String(args.sql), resolve));
    app.setSql("DELETE FROM sales.orders");
    await vi.waitFor(() => expect(answers.has("DELETE FROM sales.orders")).toBe(true));
    app.setSql("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(answers.has("SELECT order_id FROM sales.orders")).toBe(true));
    answers.get("SELECT order_id FROM sales.orders")?.(verdictFor("SELECT order_id FROM sales.orders"));
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    // The older text's deny arrives last and changes nothing.
    answers.get("DELETE FROM sales.orders")?.(verdictFor("DELETE FROM sales.orders"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(element("verdict").dataset.verdict).toBe("allow");
    expect(document.querySelectorAll(".cm-lintRange-error")).toHaveLength(0);
  });
});

describe("tabs", () => {
  function key(init: KeyboardEventInit): void {
    (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init }));
  }
  const selected = () => document.querySelector('[role="tab"][aria-selected="true"]')?.textContent;

  it("gives each tab its own text, database and verdict; Ctrl+T, Ctrl+Tab and Ctrl+W work anywhere", async () => {
    await start();
    expect(document.querySelector('[role="tablist"]')?.getAttribute("aria-label")).toBe("Queries");
    app.setSql("DELETE FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    key({ key: "t", ctrlKey: true });
    expect(selected()).toBe("Query 2");
    expect(app.getSql()).toBe("");
    expect(element("verdict").textContent).toBe("Nothing to run");
    app.setSql("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    key({ key: "Tab", ctrlKey: true });
    expect(selected()).toBe("Query 1");
    expect(app.getSql()).toBe("DELETE FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    key({ key: "Tab", ctrlKey: true, shiftKey: true });
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders");
    key({ key: "w", ctrlKey: true });
    expect(app.tabs()).toEqual({ titles: ["Query 1"], active: 0 });
    expect(app.getSql()).toBe("DELETE FROM sales.orders");
    // Closing the last tab leaves an empty one.
    key({ key: "w", ctrlKey: true });
    expect(app.tabs().titles).toHaveLength(1);
    expect(app.getSql()).toBe("");
  });

  it("keeps each tab's result, and a run's result in the tab it started in", async () => {
    await start();
    Object.defineProperty(element("grid"), "clientHeight", { configurable: true, get: () => 300 });
    app.newTab("SELECT order_id FROM sales.orders");
    await app.run();
    expect(element("result-meta").textContent).toBe("3 rows · 12.3 MB scanned · 45 ms");
    app.nextTab();
    expect(element("result-meta").textContent).toBe("");
    expect(document.querySelectorAll("#grid .grid-row")).toHaveLength(0);
    app.nextTab();
    expect(element("result-meta").textContent).toBe("3 rows · 12.3 MB scanned · 45 ms");
    await vi.waitFor(() => expect(document.querySelectorAll("#grid .grid-row")).toHaveLength(3));
  });

  it("shows a tab edited just before it was left as pending, not its older text's verdict", async () => {
    const waiting: (() => void)[] = [];
    handlers.lint = (args) => {
      const sql = String(args.sql);
      if (!sql.startsWith("SELECT order_id")) return verdictFor(sql);
      return new Promise((resolve) => waiting.push(() => resolve(verdictFor(sql))));
    };
    await start();
    app.setSql("DELETE FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    app.setSql("SELECT order_id FROM sales.orders");
    app.newTab();
    app.nextTab(-1);
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders");
    expect(element("verdict").dataset.verdict).toBe("pending");
    expect(element("verdict").textContent).not.toBe("Denied");
    await vi.waitFor(() => expect(waiting.length).toBeGreaterThan(0));
    for (const release of waiting) release();
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
  });

  it("lints and runs each tab in its own database", async () => {
    handlers.catalog = () => ({ databases: [...CATALOG.databases, { name: "web", tables: [] }] });
    await start();
    const select = element("database") as HTMLSelectElement;
    select.value = "web";
    select.dispatchEvent(new Event("change"));
    app.newTab("SELECT 1");
    expect(select.value).toBe("web");
    select.value = "sales";
    select.dispatchEvent(new Event("change"));
    app.nextTab();
    expect(select.value).toBe("web");
    app.setSql("SELECT 2");
    await app.run();
    expect(calls("run_query").at(-1)).toMatchObject({ sql: "SELECT 2", database: "web" });
  });

  it("shows a tab without a database as such, and picking the first database is a change", async () => {
    handlers.workspace_info = () => ({ ...INFO, engine: "athena", defaultDatabase: null });
    handlers.catalog = () => ({ databases: [...CATALOG.databases, { name: "web", tables: [] }] });
    await start();
    const select = element("database") as HTMLSelectElement;
    expect(select.value).toBe("");
    expect(select.selectedOptions[0]?.textContent).toBe("(no database)");
    app.setSql("SELECT 1");
    await vi.waitFor(() => expect(calls("lint")).toContainEqual({ sql: "SELECT 1", database: null }));
    select.value = "sales";
    select.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(calls("lint")).toContainEqual({ sql: "SELECT 1", database: "sales" }));
    select.value = "";
    select.dispatchEvent(new Event("change"));
    await app.run();
    expect(calls("run_query").at(-1)).toMatchObject({ sql: "SELECT 1", database: null });
  });

  it("restores the tabs' texts and databases after a restart, the same tab in front", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    app.newTab("SELECT 2");
    app.newTab("SELECT 3");
    app.nextTab(-1);
    app.dispose();
    app.editor.view.destroy();
    document.body.innerHTML = `<div id="app"></div>`;
    await start();
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 2", "Query 3"], active: 1 });
    expect(app.getSql()).toBe("SELECT 2");
    app.nextTab(-1);
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders");
    const kept = JSON.parse(keptTabsText ?? "{}");
    expect(kept.tabs.map((tab: { database: string }) => tab.database)).toEqual(["sales", "sales", "sales"]);
  });

  it("keeps typed text after a pause in typing, with one write for many keys", async () => {
    await start();
    vi.useFakeTimers();
    const before = calls("keep_tabs").length;
    app.setSql("SELECT 1");
    app.setSql("SELECT 12");
    app.setSql("SELECT 123");
    expect(calls("keep_tabs")).toHaveLength(before);
    vi.advanceTimersByTime(TYPED_SAVE_DELAY_MS);
    expect(calls("keep_tabs")).toHaveLength(before + 1);
    expect(JSON.parse((calls("keep_tabs").at(-1) as { text: string }).text).tabs[0].text).toBe("SELECT 123");
    app.setSql("SELECT 1234");
    app.dispose();
    expect(JSON.parse((calls("keep_tabs").at(-1) as { text: string }).text).tabs[0].text).toBe("SELECT 1234");
  });

  it("answers the close button only once the last keys are written", async () => {
    const order: string[] = [];
    let written: () => void = () => undefined;
    handlers.keep_tabs = (args) => {
      keptTabsText = String(args.text);
      order.push(`keep ${JSON.parse(keptTabsText).tabs[0].text}`);
      return new Promise((resolve) => (written = () => {
        order.push("written");
        resolve(null);
      }));
    };
    handlers.ready_to_close = () => {
      order.push("ready");
      return null;
    };
    await start();
    order.length = 0;
    app.setSql("SELECT 7");
    emitEvent("close-requested", null);
    expect(order).toEqual(["keep SELECT 7"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual(["keep SELECT 7"]);
    written();
    await vi.waitFor(() => expect(order).toEqual(["keep SELECT 7", "written", "ready"]));
  });

  it("answers the close button even when the tabs cannot be written", async () => {
    handlers.keep_tabs = () => Promise.reject({ kind: "internal", message: "cannot write the kept tabs: disk full" });
    handlers.ready_to_close = () => null;
    await start();
    app.setSql("SELECT 7");
    emitEvent("close-requested", null);
    await vi.waitFor(() => expect(calls("ready_to_close")).toHaveLength(1));
  });

  it("keeps the last keys when the window goes away or switches workspace", async () => {
    handlers.sign_in_status = () => ({ workspace: "demo", needed: false, signedIn: false, identity: null, accountId: null, roleName: null, expiresAtMs: null, problem: null });
    handlers.workspaces = () => [
      { name: "demo", kind: "demo", current: true },
      { name: "sandbox", kind: "athena", current: false },
    ];
    const order: string[] = [];
    // A write that takes its time: the switch must wait for it, not only start it.
    let written: () => void = () => undefined;
    handlers.keep_tabs = (args) => {
      keptTabsText = String(args.text);
      const text = JSON.parse(keptTabsText).tabs[0].text;
      order.push(`keep ${text}`);
      if (text !== "SELECT 123") return null;
      return new Promise((resolve) => (written = () => {
        order.push("written");
        resolve(null);
      }));
    };
    handlers.switch_workspace = (args) => {
      order.push(`switch ${String(args.name)}`);
      return null;
    };
    await start();
    app.setSql("SELECT 1");
    window.dispatchEvent(new Event("pagehide"));
    expect(order).toEqual(["keep SELECT 1"]);
    app.setSql("SELECT 12");
    window.dispatchEvent(new Event("beforeunload"));
    expect(order).toEqual(["keep SELECT 1", "keep SELECT 12"]);
    app.setSql("SELECT 123");
    const picker = element("workspace-picker") as HTMLSelectElement;
    picker.value = "sandbox";
    picker.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(order).toEqual(["keep SELECT 1", "keep SELECT 12", "keep SELECT 123"]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).not.toContain("switch sandbox");
    written();
    await vi.waitFor(() => expect(order).toEqual(["keep SELECT 1", "keep SELECT 12", "keep SELECT 123", "written", "switch sandbox"]));
  });

  it("keeps working when the tabs cannot be kept, and says so once", async () => {
    handlers.keep_tabs = () => Promise.reject({ kind: "internal", message: "cannot write the kept tabs: disk full" });
    await start();
    app.newTab("SELECT 2");
    app.newTab("SELECT 3");
    await vi.waitFor(() => expect(element("error").textContent).toContain("Your tabs could not be kept"));
    expect(element("error").textContent).toContain("disk full");
    expect(app.tabs().titles).toEqual(["Query 1", "Query 2", "Query 3"]);
  });

  it("reports kept tabs it cannot read and never writes over them, unless asked to", async () => {
    keptTabsText = '{"version": 9, "windows": []}';
    await start();
    expect(element("error").hidden).toBe(false);
    expect(element("error").textContent).toContain("Your kept tabs could not be read (/tmp/warden/tabs/demo.json: it is not in a format");
    expect(element("error").textContent).toContain("The file is left untouched");
    // No first-run panel: this is not a first start.
    expect(document.querySelector(".welcome")).toBeNull();
    app.setSql("SELECT 1");
    app.newTab("SELECT 2");
    app.nextTab();
    app.closeTab();
    await new Promise((resolve) => setTimeout(resolve, TYPED_SAVE_DELAY_MS + 50));
    app.dispose();
    expect(calls("keep_tabs")).toEqual([]);
    expect(keptTabsText).toBe('{"version": 9, "windows": []}');
    // Two clicks in the status bar replace the file with the tabs of now.
    const button = element("tabs-not-kept");
    button.click();
    expect(calls("keep_tabs")).toEqual([]);
    expect(button.textContent).toBe("Replace the kept tabs?");
    // The focus leaving disarms it: a click much later starts over.
    button.dispatchEvent(new FocusEvent("blur"));
    expect(button.textContent).toBe("Tabs not kept");
    button.click();
    expect(calls("keep_tabs")).toEqual([]);
    button.click();
    expect(JSON.parse(keptTabsText ?? "{}").tabs.map((tab: { text: string }) => tab.text)).toEqual(["SELECT 2"]);
    expect(document.getElementById("tabs-not-kept")).toBeNull();
  });

  it("reports kept tabs the backend cannot read, naming its reason, and keeps nothing", async () => {
    handlers.kept_tabs = () => Promise.reject({ kind: "internal", message: "cannot read the kept tabs at /tmp/warden/tabs/demo.json: permission denied" });
    await start();
    expect(element("error").textContent).toContain("permission denied");
    expect(element("error").textContent).toContain("/tmp/warden/tabs/demo.json");
    app.newTab("SELECT 2");
    app.setSql("SELECT 3");
    await new Promise((resolve) => setTimeout(resolve, TYPED_SAVE_DELAY_MS + 50));
    expect(calls("keep_tabs")).toEqual([]);
  });

  it("reopens closed tabs with Ctrl+Shift+T, the last closed first, where they were", async () => {
    handlers.catalog = () => ({ databases: [...CATALOG.databases, { name: "web", tables: [] }] });
    await start();
    const select = element("database") as HTMLSelectElement;
    app.setSql("SELECT 1");
    key({ key: "t", ctrlKey: true });
    app.setSql("SELECT order_id FROM sales.orders");
    select.value = "web";
    select.dispatchEvent(new Event("change"));
    key({ key: "t", ctrlKey: true });
    app.setSql("SELECT 3");
    key({ key: "Tab", ctrlKey: true, shiftKey: true });
    expect(selected()).toBe("Query 2");
    key({ key: "w", ctrlKey: true });
    expect(element("result-note").textContent).toBe("Closed Query 2: Ctrl+Shift+T reopens it.");
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 3"], active: 1 });
    key({ key: "w", ctrlKey: true });
    expect(app.tabs()).toEqual({ titles: ["Query 1"], active: 0 });

    key({ key: "T", ctrlKey: true, shiftKey: true });
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 3"], active: 1 });
    expect(app.getSql()).toBe("SELECT 3");
    key({ key: "T", ctrlKey: true, shiftKey: true });
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 2", "Query 3"], active: 1 });
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders");
    expect(select.value).toBe("web");
    // Checked again like any tab brought to the front, in its own database.
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    expect(calls("lint").at(-1)).toMatchObject({ sql: "SELECT order_id FROM sales.orders", database: "web" });
    expect(document.activeElement?.closest("#editor")).not.toBeNull();
    // Kept for the next start like any other tab.
    expect(JSON.parse(keptTabsText ?? "{}").tabs.map((tab: { text: string }) => tab.text)).toEqual(["SELECT 1", "SELECT order_id FROM sales.orders", "SELECT 3"]);

    key({ key: "T", ctrlKey: true, shiftKey: true });
    expect(app.tabs().titles).toHaveLength(3);
    expect(element("result-note").textContent).toBe("No closed tab to reopen.");
  });

  it("brings the last tab back in place of the empty one its close left, cursor and undo included", async () => {
    await start();
    app.setSql("SELECT 12");
    app.editor.view.dispatch({ selection: { anchor: 3 } });
    key({ key: "w", ctrlKey: true });
    expect(app.getSql()).toBe("");
    key({ key: "T", ctrlKey: true, shiftKey: true });
    expect(app.tabs()).toEqual({ titles: ["Query 1"], active: 0 });
    expect(app.getSql()).toBe("SELECT 12");
    expect(app.editor.view.state.selection.main.head).toBe(3);
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "z", ctrlKey: true, bubbles: true, cancelable: true }));
    // Its own history: the typing is undone (a fresh tab with that text would have none to undo).
    expect(app.getSql()).toBe("");
  });

  it("gives a reopened tab a new number when its own was given again since", async () => {
    await start();
    app.newTab("SELECT 2");
    key({ key: "w", ctrlKey: true });
    key({ key: "t", ctrlKey: true });
    expect(app.tabs().titles).toEqual(["Query 1", "Query 2"]);
    key({ key: "T", ctrlKey: true, shiftKey: true });
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 3", "Query 2"], active: 1 });
    expect(app.getSql()).toBe("SELECT 2");
  });

  it("keeps the last closed tabs that had text, not empty ones, up to a limit", async () => {
    await start();
    app.setSql("SELECT 0");
    for (let i = 1; i <= CLOSED_TABS_KEPT; i += 1) app.newTab(`SELECT ${i}`);
    app.newTab();
    // Closes the empty tab first, then every other from the last.
    for (let i = 0; i <= CLOSED_TABS_KEPT + 1; i += 1) key({ key: "w", ctrlKey: true });
    expect(app.tabs().titles).toEqual(["Query 1"]);
    expect(app.getSql()).toBe("");
    const reopened: string[] = [];
    for (let i = 0; i <= CLOSED_TABS_KEPT; i += 1) {
      key({ key: "T", ctrlKey: true, shiftKey: true });
      reopened.push(app.getSql());
    }
    // The oldest (SELECT 20, closed first) was dropped; the empty tab was never kept.
    expect(reopened.slice(0, CLOSED_TABS_KEPT)).toEqual(Array.from({ length: CLOSED_TABS_KEPT }, (_, i) => `SELECT ${i}`));
    expect(element("result-note").textContent).toBe("No closed tab to reopen.");
  });

  it("does not close a tab whose query is running", async () => {
    await start();
    let finish: (result: QueryResult) => void = () => undefined;
    handlers.run_query = () => new Promise<QueryResult>((resolve) => (finish = resolve));
    app.setSql("SELECT order_id FROM sales.orders");
    const running = app.run();
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    app.closeTab();
    expect(app.tabs().titles).toEqual(["Query 1"]);
    expect(element("error").textContent).toContain("Query 1 is running a query");
    finish(RESULT);
    await running;
  });
});

describe("accessibility", () => {
  /** The name a screen reader announces for `el` (the parts of the accessible-name rules used here). */
  function accessibleName(el: HTMLElement): string {
    const labelledBy = el.getAttribute("aria-labelledby");
    if (labelledBy) return labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" ").trim();
    const label = el.getAttribute("aria-label");
    if (label) return label.trim();
    if (el.id) {
      const forLabel = document.querySelector(`label[for="${el.id}"]`);
      if (forLabel?.textContent?.trim()) return forLabel.textContent.trim();
    }
    if (el instanceof HTMLButtonElement) return (el.textContent ?? "").trim();
    return (el.getAttribute("title") ?? "").trim();
  }

  it("gives every control of the window an accessible name", async () => {
    await start();
    // The side panels build their controls when opened.
    element("history-toggle").click();
    element("saved-toggle").click();
    element("audit-toggle").click();
    await vi.waitFor(() => expect(element("audit-panel").hidden).toBe(false));
    const controls = [...document.querySelectorAll<HTMLElement>("button, select, input, textarea, [role=tab]")];
    expect(controls.length).toBeGreaterThan(15);
    const unnamed = controls.filter((el) => accessibleName(el) === "").map((el) => el.outerHTML.slice(0, 120));
    expect(unnamed).toEqual([]);
  });

  it("names every button with words that contain the ones it shows (WCAG label in name)", async () => {
    await start();
    element("history-toggle").click();
    element("saved-toggle").click();
    element("audit-toggle").click();
    await vi.waitFor(() => expect(element("audit-panel").hidden).toBe(false));
    const words = (text: string) => text.replace(/[…\s]+/g, " ").trim().toLowerCase();
    const buttons = [...document.querySelectorAll<HTMLElement>("button, [role=tab]")].filter((el) => /[a-z]/i.test(el.textContent ?? ""));
    expect(buttons.map((el) => el.id)).toContain("add-workspace");
    const mismatched = buttons
      .filter((el) => !words(accessibleName(el)).includes(words(el.textContent ?? "")))
      .map((el) => `${JSON.stringify(el.textContent)} named ${JSON.stringify(accessibleName(el))}`);
    expect(mismatched).toEqual([]);
  });
});

describe("the chart view", () => {
  it("shows the result as a chart instead of the grid, and back", async () => {
    handlers.run_query = () => ({ ...RESULT, columns: [{ name: "country", dataType: "varchar" }, { name: "n", dataType: "bigint" }] });
    handlers.fetch_rows = () => ({ rows: [["DE", 3], ["FR", 2]] });
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    await app.run();
    element("chart-toggle").click();
    expect(element("chart-toggle").getAttribute("aria-pressed")).toBe("true");
    expect(element("grid").hidden).toBe(true);
    expect(element("chart").hidden).toBe(false);
    expect(element("chart-kind").hidden).toBe(false);
    await vi.waitFor(() => expect(charts.at(-1)).toEqual([[0, 1], [3, 2]]));
    element("chart-toggle").click();
    expect(element("grid").hidden).toBe(false);
    expect(element("chart").hidden).toBe(true);
  });
});

describe("saved queries in the window", () => {
  it("saves the front tab with Ctrl+S under its new name, and reopens it in a tab", async () => {
    let list: unknown[] = [];
    handlers.saved_queries = () => list;
    handlers.save_query = (args) => {
      const q = args.query as { name: string; description: string; sql: string; database: string | null };
      list = [{ ...q, savedAt: 1 }];
      return list;
    };
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "s", ctrlKey: true, bubbles: true }));
    await vi.waitFor(() => expect(element("saved-panel").hidden).toBe(false));
    const name = element("save-name") as HTMLInputElement;
    expect(name.value).toBe("Query 1");
    name.value = "Orders";
    element("save-submit").click();
    await vi.waitFor(() => expect(app.tabs().titles).toEqual(["Orders"]));
    expect(calls("save_query")).toEqual([{ query: { name: "Orders", description: "", sql: "SELECT order_id FROM sales.orders", database: "sales" } }]);
    expect(JSON.parse(keptTabsText ?? "{}").tabs[0].title).toBe("Orders");

    await vi.waitFor(() => expect(document.querySelector("#saved-list .saved-row")).not.toBeNull());
    document.querySelector<HTMLButtonElement>("#saved-list .saved-row .history-open")?.click();
    expect(app.tabs()).toEqual({ titles: ["Orders", "Orders"], active: 1 });
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders");
  });

  it("fills Ctrl+S's description from the saved query of the tab's name, else leaves it empty", async () => {
    let list: { name: string; description: string; sql: string; database: string | null; savedAt: number }[] = [];
    handlers.saved_queries = () => list;
    handlers.save_query = (args) => {
      const q = args.query as { name: string; description: string; sql: string; database: string | null };
      list = [...list.filter((s) => s.name.toLowerCase() !== q.name.toLowerCase()), { ...q, savedAt: 1 }];
      return list;
    };
    const ctrlS = () =>
      (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent("keydown", { key: "s", ctrlKey: true, bubbles: true, cancelable: true }));
    await start();
    const description = element("save-description") as HTMLTextAreaElement;
    app.setSql("SELECT order_id FROM sales.orders");
    ctrlS();
    await vi.waitFor(() => expect(element("saved-panel").hidden).toBe(false));
    (element("save-name") as HTMLInputElement).value = "Orders";
    description.value = "for the Monday meeting";
    element("save-submit").click();
    await vi.waitFor(() => expect(app.tabs().titles).toEqual(["Orders"]));

    // A second tab: its save starts without the first query's description.
    app.editor.view.focus();
    document.activeElement?.dispatchEvent(new KeyboardEvent("keydown", { key: "t", ctrlKey: true, bubbles: true, cancelable: true }));
    app.setSql("SELECT 2");
    ctrlS();
    await vi.waitFor(() => expect((element("save-name") as HTMLInputElement).value).toBe("Query 1"));
    expect(description.value).toBe("");
    element("save-submit").click();
    await vi.waitFor(() => expect(calls("save_query")).toHaveLength(2));
    expect(calls("save_query")[1]).toEqual({ query: { name: "Query 1", description: "", sql: "SELECT 2", database: "sales" } });

    // Opened from Saved and saved again: it keeps its own description.
    await vi.waitFor(() => expect(document.querySelector('#saved-list [data-name="Orders"] .history-open')).not.toBeNull());
    document.querySelector<HTMLButtonElement>('#saved-list [data-name="Orders"] .history-open')?.click();
    expect(app.tabs().titles).toEqual(["Orders", "Query 1", "Orders"]);
    app.editor.view.focus();
    ctrlS();
    await vi.waitFor(() => expect(description.value).toBe("for the Monday meeting"));
    element("save-submit").click();
    await vi.waitFor(() => expect(calls("save_query")).toHaveLength(3));
    expect(calls("save_query")[2]).toEqual({
      query: { name: "Orders", description: "for the Monday meeting", sql: "SELECT order_id FROM sales.orders", database: "sales" },
    });
  });

  it("saves and renames the tab Ctrl+S was pressed in, not the one in front when Save is pressed", async () => {
    handlers.saved_queries = () => [];
    handlers.save_query = (args) => [{ ...(args.query as object), savedAt: 1 }];
    await start();
    app.setSql("SELECT 1");
    app.newTab("SELECT 2");
    app.nextTab(-1);
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "s", ctrlKey: true, bubbles: true }));
    await vi.waitFor(() => expect(element("saved-panel").hidden).toBe(false));
    app.nextTab();
    expect(app.getSql()).toBe("SELECT 2");
    (element("save-name") as HTMLInputElement).value = "First";
    element("save-submit").click();
    await vi.waitFor(() => expect(app.tabs().titles).toEqual(["First", "Query 2"]));
    expect(calls("save_query")).toEqual([{ query: { name: "First", description: "", sql: "SELECT 1", database: "sales" } }]);
  });

  it("opens a saved query on its own database: picker, lint and run agree", async () => {
    handlers.catalog = () => ({ databases: [...CATALOG.databases, { name: "web", tables: [] }] });
    handlers.saved_queries = () => [{ name: "Visits", description: "", sql: "SELECT 7", database: "web", savedAt: 1 }];
    await start();
    element("saved-toggle").click();
    await vi.waitFor(() => expect(document.querySelector("#saved-list .saved-row .history-open")).not.toBeNull());
    document.querySelector<HTMLButtonElement>("#saved-list .saved-row .history-open")?.click();
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Visits"], active: 1 });
    expect((element("database") as HTMLSelectElement).value).toBe("web");
    await vi.waitFor(() => expect(calls("lint")).toContainEqual({ sql: "SELECT 7", database: "web" }));
    await app.run();
    expect(calls("run_query").at(-1)).toMatchObject({ sql: "SELECT 7", database: "web" });
  });

  it("shares the side column: opening Saved closes History", async () => {
    handlers.saved_queries = () => [];
    await start();
    element("history-toggle").click();
    await vi.waitFor(() => expect(element("history-panel").hidden).toBe(false));
    element("saved-toggle").click();
    await vi.waitFor(() => expect(element("saved-panel").hidden).toBe(false));
    expect(element("history-panel").hidden).toBe(true);
  });
});

describe("Explain", () => {
  it("runs EXPLAIN of the statement at the cursor, checked on its own", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders;");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    element("explain").click();
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    expect(calls("run_query")[0]).toMatchObject({ sql: "EXPLAIN SELECT order_id FROM sales.orders", database: "sales" });
    expect(calls("lint").map((c) => (c as { sql: string }).sql)).toContain("EXPLAIN SELECT order_id FROM sales.orders");
    // The text itself is unchanged.
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders;");
  });

  it("runs an EXPLAIN as typed, and nothing the policy refuses", async () => {
    await start();
    app.setSql("explain SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    element("explain").click();
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    expect(calls("run_query")[0]).toMatchObject({ sql: "explain SELECT order_id FROM sales.orders" });

    app.setSql("DELETE FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    element("explain").click();
    await vi.waitFor(() => expect(element("error").hidden).toBe(false));
    expect(element("error").textContent).toContain("Not run");
    expect(calls("run_query")).toHaveLength(1);
  });
});

describe("Format", () => {
  it("lays the text out with the backend's answer, one undoable change", async () => {
    handlers.format_sql = (args) => String(args.sql).replace(" FROM ", "\nFROM ");
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    element("format").click();
    await vi.waitFor(() => expect(app.getSql()).toBe("SELECT order_id\nFROM sales.orders"));
    expect(calls("format_sql")).toEqual([{ sql: "SELECT order_id FROM sales.orders", database: "sales" }]);
  });

  it("says why a text stays as typed", async () => {
    handlers.format_sql = () => {
      throw { kind: "invalid", message: "not formatted: the formatted text would read differently (another verdict), so it is left as typed; format it by hand" };
    };
    await start();
    app.setSql("SELECT U&'\\0041' FROM sales.orders");
    element("format").click();
    await vi.waitFor(() => expect(element("error").hidden).toBe(false));
    expect(element("error").textContent).toContain("the formatted text would read differently");
    expect(app.getSql()).toBe("SELECT U&'\\0041' FROM sales.orders");
  });

  it("does not overwrite what was typed while the answer was on its way", async () => {
    let answer: (text: string) => void = () => undefined;
    handlers.format_sql = () => new Promise<string>((resolve) => (answer = resolve));
    await start();
    app.setSql("SELECT 1");
    element("format").click();
    app.setSql("SELECT 12");
    answer("SELECT\n  1");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(app.getSql()).toBe("SELECT 12");
  });
});

describe("the first-run panel", () => {
  it("welcomes a first start on the demo workspace and opens a query to try", async () => {
    await start();
    const welcome = element("welcome");
    expect(welcome.textContent).toContain("Welcome to Warden");
    const open = welcome.querySelectorAll<HTMLButtonElement>(".welcome-open");
    open[0].click();
    expect(app.getSql()).toContain("FROM sales.customers");
    expect(app.tabs().titles).toEqual(["Query 1"]);
    // The front tab has text now: the next query opens in a tab of its own.
    open[2].click();
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 2"], active: 1 });
    expect(app.getSql()).toContain("ssn");
  });

  it("goes away when a query runs", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
    await app.run();
    expect(document.getElementById("welcome")).toBeNull();
  });

  it("is not shown once tabs were kept, nor on an AWS workspace", async () => {
    await start();
    document.querySelector<HTMLButtonElement>(".welcome-close")?.click();
    expect(document.getElementById("welcome")).toBeNull();
    app.dispose();
    app.editor.view.destroy();
    document.body.innerHTML = `<div id="app"></div>`;
    await start();
    expect(document.getElementById("welcome")).toBeNull();

    app.dispose();
    app.editor.view.destroy();
    document.body.innerHTML = `<div id="app"></div>`;
    keptTabsText = null;
    handlers.workspace_info = () => ({ ...INFO, workspace: "analytics", engine: "athena" });
    await start();
    expect(document.getElementById("welcome")).toBeNull();
  });
});

describe("history in the window", () => {
  it("reopens a past run in a new tab, and shares the side column with the audit panel", async () => {
    handlers.audit_events = (args) =>
      args.kind === "query_finished"
        ? [
            {
              seq: 9,
              id: "e9",
              at: "2026-11-21T10:01:00Z",
              kind: "query_finished",
              actor: "ana",
              workspace: "demo",
              summary: "finished",
              payload: { rows: 3, bytes_scanned: 10, duration_ms: 5, query: { verdict: "allow", rule_ids: [], sql: { sha256: "ab", text: "SELECT order_id FROM sales.orders" } } },
            },
          ]
        : [];
    await start();
    app.setSql("SELECT 1");
    element("audit-toggle").click();
    expect(element("audit-panel").hidden).toBe(false);
    element("history-toggle").click();
    expect(element("audit-panel").hidden).toBe(true);
    expect(element("history-panel").hidden).toBe(false);
    await vi.waitFor(() => expect(document.querySelectorAll("#history-list .history-row")).toHaveLength(1));
    (document.querySelector("#history-list .history-open") as HTMLButtonElement).click();
    expect(app.tabs()).toEqual({ titles: ["Query 1", "Query 2"], active: 1 });
    expect(app.getSql()).toBe("SELECT order_id FROM sales.orders");
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"));
  });
});

describe("running a statement, a selection or the script", () => {
  const SCRIPT = "SELECT order_id FROM sales.orders;\nDELETE FROM sales.orders";
  function press(init: KeyboardEventInit): void {
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true, ...init }));
  }

  it("runs only the statement under the cursor with Ctrl+Enter, checked on its own", async () => {
    await start();
    app.setSql(SCRIPT);
    app.editor.view.dispatch({ selection: { anchor: 3 } });
    // The script as a whole is denied (it deletes), yet Run takes the statement at the cursor.
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    expect(element("run").hasAttribute("disabled")).toBe(false);
    press({ ctrlKey: true });
    await vi.waitFor(() => expect(calls("run_query")).toHaveLength(1));
    expect(calls("run_query")[0]).toMatchObject({ sql: "SELECT order_id FROM sales.orders", database: "sales" });
    expect(calls("lint").map((args) => (args as { sql: string }).sql)).toContain("SELECT order_id FROM sales.orders");
  });

  it("refuses a denied statement under the cursor and says why", async () => {
    await start();
    app.setSql(SCRIPT);
    await app.run();
    expect(calls("run_query")).toHaveLength(0);
    expect(element("error").textContent?.trim()).toBe("Not run: the statement is not allowed. Only SELECT statements are allowed.");
  });

  it("runs the selection", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders WHERE order_id > 3");
    app.editor.view.dispatch({ selection: { anchor: 0, head: "SELECT order_id FROM sales.orders".length } });
    await app.run();
    expect(calls("run_query")[0]).toMatchObject({ sql: "SELECT order_id FROM sales.orders" });
  });

  it("runs the whole script with Ctrl+Shift+Enter only when the policy allows it as a whole", async () => {
    await start();
    app.setSql(SCRIPT);
    press({ ctrlKey: true, shiftKey: true });
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("deny"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls("run_query")).toHaveLength(0);
    // Both statements allowed: they run one after the other (an engine runs one per query),
    // and the tab shows the last one's rows.
    app.setSql("SELECT 1;\nSELECT 2");
    await app.run("script");
    expect(calls("run_query").map((args) => (args as { sql: string }).sql)).toEqual(["SELECT 1", "SELECT 2"]);
    expect(element("result-meta").textContent).toBe("Statement 2 of 2: 3 rows · 12.3 MB scanned · 45 ms");
  });

  it("runs nothing of a script when the policy refuses several statements", async () => {
    // As a policy with a single_statement rule answers for a text of two statements.
    handlers.lint = (args) =>
      String(args.sql).includes(";")
        ? { verdict: "deny", elevations: [], reads: [], reason: "only one statement may run at a time", diagnostics: [], catalogNotes: [], scan: null }
        : verdictFor(String(args.sql));
    await start();
    app.setSql("SELECT 1;\nSELECT 2");
    await app.run("script");
    expect(calls("run_query")).toHaveLength(0);
    expect(element("verdict-reason").textContent).toBe("Only one statement may run at a time.");
    // The statement at the cursor still runs on its own.
    await app.run();
    expect(calls("run_query").map((args) => (args as { sql: string }).sql)).toEqual(["SELECT 2"]);
  });

  it("runs nothing of a script when a later statement has ? parameters, and says how to run it", async () => {
    await start();
    app.setSql("SELECT 1;\nSELECT order_id FROM sales.orders WHERE order_id > ?");
    await app.run("script");
    expect(calls("run_query")).toHaveLength(0);
    expect(document.querySelector("#parameter-dialog")).toBeNull();
    expect(element("error").textContent?.trim()).toBe(
      "Not run: statement 2 of 2 has ? parameters and a script runs none of them. Run that statement on its own (Ctrl+Enter) to give their values.",
    );
  });

  it("runs nothing of a script when a later statement is refused on its own", async () => {
    await start();
    handlers.lint = (args) =>
      String(args.sql) === "SELECT 2"
        ? { verdict: "deny", elevations: [], reads: [], reason: "Not this one.", diagnostics: [], parameters: [], catalogNotes: [], scan: null }
        : verdictFor(String(args.sql));
    app.setSql("SELECT 1;\nSELECT 2");
    await app.run("script");
    expect(calls("run_query")).toHaveLength(0);
    expect(element("error").textContent?.trim()).toBe("Not run: statement 2 of 2 is not allowed on its own. Not this one.");
  });

  it("stops a script at the first statement that fails, and says which", async () => {
    await start();
    handlers.run_query = (args) => {
      if (args.sql === "SELECT 1") throw { kind: "engine", message: "table not found" };
      return RESULT;
    };
    app.setSql("SELECT 1;\nSELECT 2");
    await app.run("script");
    expect(calls("run_query")).toHaveLength(1);
    expect(element("error").textContent?.trim()).toMatch(/^Statement 1 of 2 failed\. /);
    expect(element("result-meta").textContent).toBe("");
  });

  it("cancels the running query with Esc", async () => {
    await start();
    let fail: (error: unknown) => void = () => undefined;
    handlers.run_query = () => new Promise((_, reject) => (fail = reject));
    handlers.cancel_query = () => {
      fail({ kind: "cancelled", message: "the query was cancelled" });
      return true;
    };
    app.setSql("SELECT order_id FROM sales.orders");
    const running = app.run();
    await vi.waitFor(() => expect(element("cancel").hidden).toBe(false));
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    await running;
    expect(calls("cancel_query")).toEqual([{ runId: expect.any(String) }]);
    expect(element("cancel").hidden).toBe(true);
  });

  it("cancels a run of a selection on the first Esc pressed in the editor", async () => {
    await start();
    let fail: (error: unknown) => void = () => undefined;
    handlers.run_query = () => new Promise((_, reject) => (fail = reject));
    handlers.cancel_query = () => {
      fail({ kind: "cancelled", message: "the query was cancelled" });
      return true;
    };
    const text = "SELECT order_id FROM sales.orders WHERE order_id > 3";
    app.setSql(text);
    app.editor.view.dispatch({ selection: { anchor: 0, head: "SELECT order_id FROM sales.orders".length } });
    app.editor.view.focus();
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(element("cancel").hidden).toBe(false));
    expect(calls("run_query")[0]).toMatchObject({ sql: "SELECT order_id FROM sales.orders" });
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(calls("cancel_query")).toEqual([{ runId: (calls("run_query")[0] as { runId: string }).runId }]);
    await vi.waitFor(() => expect(element("cancel").hidden).toBe(true));
    expect(element("error").textContent?.trim()).toBe("The query was cancelled.");
  });

  it("leaves another tab's run alone on Esc, and names that tab when its run fails", async () => {
    await start();
    let fail: (error: unknown) => void = () => undefined;
    handlers.run_query = () => new Promise((_, reject) => (fail = reject));
    handlers.cancel_query = () => true;
    app.setSql("SELECT order_id FROM sales.orders");
    const running = app.run();
    await vi.waitFor(() => expect(element("cancel").hidden).toBe(false));
    app.newTab("SELECT 2");
    // Its Cancel still stops that run, and says whose it is.
    expect(element("cancel").textContent).toBe("Cancel Query 1");
    expect(element("cancel").title).toBe("Stop the query running in Query 1");
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(calls("cancel_query")).toEqual([]);
    fail({ kind: "engine", message: "table not found" });
    await running;
    expect(element("error").textContent?.trim()).toMatch(/^Query 1: /);
    expect(element("error").textContent).toContain("table not found");
  });

  it("leaves Esc to the editor when nothing runs: it collapses the selection", async () => {
    await start();
    app.setSql("SELECT order_id FROM sales.orders");
    app.editor.view.dispatch({ selection: { anchor: 0, head: 6 } });
    const content = document.querySelector("#editor .cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(app.editor.view.state.selection.main.empty).toBe(true);
    expect(calls("cancel_query")).toEqual([]);
  });
});

describe("the scan measured once the text rests (Athena)", () => {
  const sql = "SELECT order_id FROM sales.orders WHERE dt = '2025-09-06'";
  const budgetDiagnostic = (message: string) => ({
    rule: "scan-budget",
    severity: "error" as const,
    message,
    from: 0,
    to: 6,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 7,
    unlockedBy: ["large-scan"],
    fix: null,
  });
  const allowed = (scan: string): LintReport => ({ ...verdictFor(sql), scan });
  const overBudget = (scan: string): LintReport => ({
    ...verdictFor(sql),
    verdict: "elevate",
    elevations: ["large-scan"],
    reason: `The query would scan ${scan}.`,
    diagnostics: [budgetDiagnostic(`the query would scan ${scan}`)],
    scan,
  });

  beforeEach(() => {
    handlers.workspace_info = () => ({ ...INFO, workspace: "analytics", engine: "athena" });
  });

  it("shows the verdict Run would get when the objects are over a budget the stats are under", async () => {
    handlers.lint = () => allowed("about 1 KB, budget 1 MB (from the policy's stats)");
    handlers.lint_measured = () => overBudget("about 35 MB, budget 1 MB (from S3 object sizes)");
    await start();
    app.setSql(sql);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    expect(element("run").hasAttribute("disabled")).toBe(false);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("elevate"), { timeout: 3000 });
    expect(calls("lint_measured")).toEqual([{ sql, database: "sales" }]);
    expect(element("verdict-reads").textContent).toContain("from S3 object sizes");
    expect(element("problems-list").textContent).toContain("scan-budget");
    expect(element("run").hasAttribute("disabled")).toBe(true);
    await vi.waitFor(() => expect(document.querySelector(".cm-lintRange-error")).not.toBeNull());
  });

  it("lets Run go when the objects are under a budget the stats are over", async () => {
    handlers.lint = () => overBudget("about 4 GB, budget 1 MB (from the policy's stats)");
    handlers.lint_measured = () => allowed("about 12 KB, budget 1 MB (from S3 object sizes)");
    await start();
    app.setSql(sql);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("elevate"), { timeout: 3000 });
    expect(element("run").hasAttribute("disabled")).toBe(true);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    expect(element("verdict-reads").textContent).toContain("about 12 KB");
    expect(element("problems-list").textContent).not.toContain("scan-budget");
    expect(element("run").hasAttribute("disabled")).toBe(false);
    expect(calls("lint_measured")).toHaveLength(1);
  });

  it("drops a measured verdict for a text that changed meanwhile", async () => {
    handlers.lint = (args) => ({ ...allowed("about 1 KB, budget 1 MB (from the policy's stats)"), reads: [String(args.sql)] });
    let answer: (report: LintReport) => void = () => undefined;
    handlers.lint_measured = () => new Promise<LintReport>((resolve) => (answer = resolve));
    await start();
    app.setSql(sql);
    await vi.waitFor(() => expect(calls("lint_measured")).toHaveLength(1), { timeout: 3000 });
    app.setSql(`${sql} LIMIT 5`);
    answer(overBudget("about 35 MB, budget 1 MB (from S3 object sizes)"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(element("verdict").dataset.verdict).not.toBe("elevate");
    expect(element("problems-list").textContent).not.toContain("scan-budget");
  });

  it("does not measure on the demo workspace, whose engine reads local files", async () => {
    handlers.workspace_info = () => INFO;
    handlers.lint = () => allowed("about 1 KB, budget 1 MB (from the policy's stats)");
    handlers.lint_measured = () => overBudget("about 35 MB, budget 1 MB (from S3 object sizes)");
    await start();
    app.setSql(sql);
    await vi.waitFor(() => expect(element("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, SCAN_MEASURE_DELAY_MS + 200));
    expect(calls("lint_measured")).toEqual([]);
  });
});
