import { invoke } from "@tauri-apps/api/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Catalog, LintReport, QueryResult, WorkspaceInfo } from "./api";
import { startApp, type App } from "./app";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

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
      tables: [{ name: "orders", columns: [{ name: "order_id", dataType: "bigint", partitionKey: false, tags: [] }] }],
    },
  ],
};

const RESULT: QueryResult = {
  resultId: "r1",
  columns: [{ name: "order_id", dataType: "bigint" }],
  rowCount: 3,
  bytesScanned: 12_345_678,
  durationMs: 45,
  queryId: "q1",
  engine: "datafusion",
};

function verdictFor(sql: string): LintReport {
  if (/delete/i.test(sql)) {
    return { verdict: "deny", elevations: [], reads: [], reason: "Only SELECT statements are allowed.", diagnostics: [] };
  }
  const at = sql.indexOf("email");
  if (at >= 0) {
    return {
      verdict: "elevate",
      elevations: ["pii-read"],
      reads: ["sales.customers"],
      reason: "It reads a column tagged pii.",
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
    };
  }
  return { verdict: "allow", elevations: [], reads: ["sales.orders"], reason: null, diagnostics: [] };
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

beforeEach(() => {
  handlers = {
    workspace_info: () => INFO,
    catalog: () => CATALOG,
    lint: (args) => verdictFor(String(args.sql)),
    run_query: () => RESULT,
    fetch_rows: (args) => ({ rows: Array.from({ length: Number(args.limit) }, (_, i) => [Number(args.offset) + i]) }),
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
  app?.grid.destroy();
  app?.editor.view.destroy();
  document.body.innerHTML = "";
});

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
    expect(element("run").hasAttribute("disabled")).toBe(false);
  });

  it("runs an allowed query and shows the rows with the meta line", async () => {
    await start();
    // jsdom has no layout: give the grid a viewport so rows come into view.
    Object.defineProperty(element("grid"), "clientHeight", { configurable: true, get: () => 300 });
    app.setSql("SELECT order_id FROM sales.orders");
    await app.run();
    expect(calls("run_query")).toEqual([{ sql: "SELECT order_id FROM sales.orders", database: "sales" }]);
    expect(element("result-meta").textContent).toBe("3 rows · 12.3 MB scanned · 45 ms");
    await vi.waitFor(() => expect(document.querySelectorAll("#grid .grid-row")).toHaveLength(3));
    expect(calls("fetch_rows")).toEqual([{ resultId: "r1", offset: 0, limit: 3 }]);
    // The run's own check is shared with the live linter: one lint per text.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls("lint")).toHaveLength(1);
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
    handlers.workspace_info = () => {
      throw "Workspace not found at /tmp/warden.";
    };
    await start();
    expect(element("status").textContent).toBe("Workspace unavailable");
    expect(element("error").textContent?.trim()).toBe("Could not read the workspace. Workspace not found at /tmp/warden.");
    app.setSql("SELECT 1");
    await app.run();
    expect(calls("run_query")).toEqual([{ sql: "SELECT 1", database: null }]);
  });
});
