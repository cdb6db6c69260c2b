// Wires the page together: editor, verdict, results, schema and status.
import * as api from "./api";
import { Checker, type CheckOutcome } from "./checker";
import { createEditor, type SqlEditor } from "./editor";
import { describeError } from "./errors";
import { resultMeta } from "./format";
import { ResultGrid } from "./grid";
import { mountLayout, showError, type Layout } from "./layout";
import { renderSchema, renderSchemaError } from "./schema";
import { renderStatus, renderStatusError } from "./status";
import { describeVerdict, renderVerdict, runShortcut, type VerdictDisplay, type VerdictState } from "./verdict";

/** Test hook on `window.__warden`. */
export interface WardenHandle {
  setSql(text: string): void;
  getSql(): string;
  run(): Promise<void>;
}

export interface App extends WardenHandle {
  readonly editor: SqlEditor;
  readonly layout: Layout;
  readonly grid: ResultGrid;
}

function toState(outcome: CheckOutcome): VerdictState {
  return outcome.kind === "checked" ? { kind: "checked", report: outcome.report } : outcome;
}

export async function startApp(root: HTMLElement, platform = navigator.platform): Promise<App> {
  document.title = "Warden";
  const layout = mountLayout(root, platform);
  const shortcut = runShortcut(platform);
  const checker = new Checker(api.lint);
  const grid = new ResultGrid(layout.grid, {
    fetchRows: api.fetchRows,
    onError: (message) => showError(layout, message),
  });

  let database: string | null = null;
  let display: VerdictDisplay | null = null;
  let busy = false;
  let running: Promise<void> | null = null;

  const paint = () => {
    if (display) renderVerdict(layout, display, { busy, shortcut });
  };
  const setVerdict = (state: VerdictState) => {
    display = describeVerdict(state, display);
    paint();
  };

  try {
    const info = await api.workspaceInfo();
    database = info.defaultDatabase;
    renderStatus(layout.status, info);
  } catch (error) {
    renderStatusError(layout.status, "Workspace unavailable");
    showError(layout, `Could not read the workspace. ${describeError(error)}`);
  }

  // Declared ahead: the checks and runs below are only called once it exists.
  let editor: SqlEditor;

  /** Lints `sql` and shows the verdict if the text is still current. */
  const check = async (sql: string) => {
    const outcome = await checker.check(sql, database);
    if (editor.getSql() === sql) setVerdict(toState(outcome));
    return outcome;
  };

  const run = (): Promise<void> => {
    if (running) return running;
    const sql = editor.getSql();
    if (sql.trim() === "") return Promise.resolve();
    running = (async () => {
      busy = true;
      paint();
      try {
        const outcome = await check(sql);
        if (outcome.kind !== "checked" || outcome.report.verdict === "deny") return;
        showError(layout, null);
        layout.meta.textContent = "Running…";
        const result = await api.runQuery(sql, database);
        grid.show(result);
        layout.meta.textContent = resultMeta(result.rowCount, result.bytesScanned, result.durationMs);
        layout.meta.title = `Query ${result.queryId} on ${result.engine}`;
      } catch (error) {
        grid.clear("No results.");
        layout.meta.textContent = "";
        layout.meta.removeAttribute("title");
        showError(layout, describeError(error));
      } finally {
        busy = false;
        running = null;
        paint();
      }
    })();
    return running;
  };

  editor = createEditor({
    parent: layout.editor,
    check: async (sql) => {
      const outcome = await check(sql);
      return outcome.kind === "checked" ? outcome.report : null;
    },
    onChange: (sql) => setVerdict(sql.trim() === "" ? { kind: "empty" } : { kind: "pending" }),
    onRun: () => void run(),
  });
  setVerdict(editor.getSql().trim() === "" ? { kind: "empty" } : { kind: "pending" });
  layout.run.addEventListener("click", () => void run());

  api.catalog().then(
    (catalog) => {
      renderSchema(layout.schema, catalog, (text) => editor.insert(text));
      editor.setCatalog(catalog, database);
    },
    (error: unknown) => renderSchemaError(layout.schema, `Could not load the schema. ${describeError(error)}`),
  );

  editor.view.focus();
  return {
    editor,
    layout,
    grid,
    setSql: (text) => editor.setSql(text),
    getSql: () => editor.getSql(),
    run,
  };
}
