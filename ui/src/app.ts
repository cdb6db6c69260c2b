// Wires the page together: editor, verdict, results, schema, status bar,
// policy banner, elevations and audit panel.
import * as api from "./api";
import type { EditorState } from "@codemirror/state";
import { pickedDatabase, renderDatabases } from "./database";
import { ApprovalsPanel } from "./approvals";
import { AuditPanel } from "./audit";
import { renderBanner } from "./banner";
import { Checker, type CheckOutcome } from "./checker";
import { createEditor, type RunScope, type SqlEditor } from "./editor";
import { Elevations } from "./elevation";
import { describeError, isWorkspaceUnavailable } from "./errors";
import { renderRunDetails, runOfError } from "./run-details";
import { arrivingMeta, arrivingResult, watchProgress } from "./progress";
import { copyText } from "./clipboard";
import { ExportDialog, exportedText } from "./export-dialog";
import { ParameterDialog } from "./parameter-dialog";
import { resultMeta } from "./format";
import { ResultGrid } from "./grid";
import { HistoryPanel } from "./history";
import { mountLayout, showError, showNote, type Layout } from "./layout";
import { PendingRuns } from "./pending-run";
import { renderProblems } from "./problems";
import { renderSchema, renderSchemaError } from "./schema";
import { renderWorkgroups, renderWorkgroupsError, wireWorkgroups } from "./workgroup";
import { SignIn } from "./signin";
import { splitStatements } from "./statements";
import { keptStore, nextTitle, readTabs, saveTabs, TabStrip, type SavedTab, type SavedTabs } from "./tabs";
import { describeBundle, describeBundleError, renderStatus, renderStatusError } from "./status";
import { throttle } from "./throttle";
import { describeVerdict, renderVerdict, runShortcut, type VerdictDisplay, type VerdictState } from "./verdict";
import { element } from "./dom";
import { renderWelcome } from "./welcome";
import { WorkspaceDialog } from "./workspace-dialog";
import { SavedPanel } from "./saved";
import { ChartView, type ChartKind } from "./chart";
import { showValue } from "./cell-viewer";

/** Test hook on `window.__warden`. */
export interface WardenHandle {
  setSql(text: string): void;
  getSql(): string;
  /** Runs the statement at the cursor or the selection; `script`: the whole text. */
  run(scope?: RunScope): Promise<void>;
}

/** One query tab: its own text, database, verdict and result. */
interface Tab {
  id: number;
  title: string;
  /** Its editor state while another tab is in front (the editor holds the front tab's). */
  state: EditorState | null;
  database: string | null;
  display: VerdictDisplay | null;
  report: api.LintReport | null;
  /** The text `report` was made for: another text of the tab is not settled by it. */
  reportText: string | null;
  result: api.QueryResult | null;
  meta: string;
  metaTitle: string;
  /** What is known of its last run (also of one that failed or was cancelled). */
  details: api.RunDetails | null;
  running: boolean;
}

export interface App extends WardenHandle {
  readonly editor: SqlEditor;
  readonly layout: Layout;
  readonly grid: ResultGrid;
  readonly audit: AuditPanel;
  readonly history: HistoryPanel;
  readonly approvals: ApprovalsPanel;
  readonly elevations: Elevations;
  readonly signIn: SignIn;
  /** The tabs' titles, in order, and the index of the one in front. */
  tabs(): { titles: string[]; active: number };
  newTab(text?: string): void;
  closeTab(): void;
  nextTab(step?: number): void;
  /** Stops listening to focus and backend events. */
  dispose(): void;
}

/** Focus refreshes the policy bundle at most this often. */
export const FOCUS_REFRESH_MS = 30_000;
/** How long the text rests before its scan is measured (listing S3 is not for every key). */
export const SCAN_MEASURE_DELAY_MS = 800;
/** How long after the last key the tabs are kept (structural changes are kept at once). */
export const TYPED_SAVE_DELAY_MS = 300;
/** How many closed tabs Ctrl+Shift+T can bring back, newest first. */
export const CLOSED_TABS_KEPT = 20;

/** Whether the bundle in force differs in a way that changes what may run. */
function policyMoved(before: api.PolicyStatus | null, after: api.PolicyStatus): boolean {
  return before === null || before.revision !== after.revision || before.health !== after.health || before.name !== after.name;
}

function toState(outcome: CheckOutcome): VerdictState {
  return outcome.kind === "checked" ? { kind: "checked", report: outcome.report } : outcome;
}

export async function startApp(root: HTMLElement, platform = navigator.platform): Promise<App> {
  document.title = "Warden";
  const layout = mountLayout(root, platform);
  const shortcut = runShortcut(platform);
  const reopenKeys = /mac|iphone|ipad/i.test(platform) ? "⇧⌘T" : "Ctrl+Shift+T";
  const checker = new Checker(api.lint);
  const grid = new ResultGrid(layout.grid, {
    fetchRows: api.fetchRows,
    onError: (message) => showError(layout, message),
    copy: copyText,
    onCopied: (message) => showNote(layout, message),
    // A double-clicked cell: its whole value, JSON laid out; focus back to the grid after.
    onExpand: (column, value) => void showValue(root, column, value, copyText).then(() => layout.grid.focus()),
  });

  // "Request and run": a refused query remembered with its tab, run through `run` below once its
  // elevation is granted (if still the same text and allowed). Its hooks only run after the
  // window is set up (a dialog's button, a status, a tab closed).
  const pendingRuns = new PendingRuns({
    current: (tabId) => {
      const tab = tabs.find((candidate) => candidate.id === tabId);
      return tab ? { text: textOf(tab), database: tab.database } : null;
    },
    idle: async () => {
      while (running) await running;
    },
    busy: () => running !== null,
    // Never a remembered verdict: the one from before the grant would say elevate again.
    lint: (sql, database) => new Checker(api.lint).check(sql, database),
    run: (tabId, sql) => {
      const tab = tabs.find((candidate) => candidate.id === tabId);
      if (tab) void run("statement", sql, tab);
    },
    tell: (tabId, message, notRun) => {
      const tab = tabs.find((candidate) => candidate.id === tabId);
      const text = tab && tab !== front ? `${tab.title}: ${message}` : message;
      if (notRun) showError(layout, text);
      else showNote(layout, text);
    },
    changed: () => {
      paintPending();
      renderTabs();
    },
  });
  /** The front tab's pending run, with its Don't run button. */
  const paintPending = () => {
    const pending = pendingRuns.of(front.id);
    layout.pendingRun.hidden = pending === null;
    if (pending === null) return;
    layout.pendingRunText.textContent = `Runs once ${pending.elevation} is granted`;
    layout.pendingRun.title = `The query runs by itself once ${pending.elevation} is granted: checked again first, and only if its text is still the same.`;
    layout.pendingRunCancel.setAttribute("aria-label", `Don't run the query when ${pending.elevation} is granted`);
  };
  layout.pendingRunCancel.addEventListener("click", () => {
    pendingRuns.cancel(front.id);
    editor.view.focus();
  });

  // Its hooks run on a grant, an end or an event: all after the checks below exist.
  const elevations = new Elevations(
    {
      host: root,
      buttons: layout.elevations,
      banner: layout.elevationBanner,
      bannerText: layout.elevationBannerText,
      bannerClose: layout.elevationBannerClose,
    },
    { status: api.elevationStatus, request: api.requestElevation, end: api.endElevation },
    {
      // What the editor may read changed: the remembered verdicts are out of date.
      accessChanged: () => {
        checker.forget();
        recheck();
      },
      error: (message) => showError(layout, message),
      // The dialog closed and the Request button that opened it is gone (granted): back to the text.
      restoreFocus: () => editor.view.focus(),
      // "Request and run" remembers what Run would run in the tab the dialog was opened from.
      runAfter: (name) => {
        const tab = front;
        if (textOf(tab).trim() === "" || signIn.locked) return null;
        return () => {
          const whole = textOf(tab);
          const several = tab === front && splitStatements(whole).length > 1;
          return pendingRuns.ask({ tabId: tab.id, text: whole, database: tab.database, sql: several ? editor.runText("statement") : whole, elevation: name });
        };
      },
      statusChanged: (status) => pendingRuns.status(status),
    },
  );

  let tabSeq = 0;
  const makeTab = (title: string, database: string | null, state: EditorState | null): Tab => ({
    id: ++tabSeq,
    title,
    state,
    database,
    display: null,
    report: null,
    reportText: null,
    result: null,
    meta: "",
    metaTitle: "",
    details: null,
    running: false,
  });
  /** Until the workspace is read, one empty tab; the kept ones replace it then. */
  let tabs: Tab[] = [makeTab("Query 1", null, null)];
  let front = tabs[0];
  let busy = false;
  /** The run Cancel applies to, while one is running. */
  let currentRun: string | null = null;
  let runs = 0;
  let running: Promise<void> | null = null;
  /** Bumped when the policy changes, so answers under the old one are dropped. */
  let generation = 0;

  /**
   * Why the kept tabs could not be read, while they could not: the file is then never written
   * (it may hold the analyst's texts), until they choose to replace it from the status bar.
   */
  let tabsUnreadable: string | null = null;
  let info: api.WorkspaceInfo | null = null;
  let infoError: string | null = null;
  let policy: api.PolicyStatus | null = null;
  let policyError: string | null = null;

  /** Writes what was typed in the last moments now, and waits for the tabs' last write. */
  let flushTabs: () => Promise<void> = () => Promise.resolve();
  // AWS sign-in: the status bar item, the code dialog, the banner when a session ends.
  const signIn = new SignIn(
    { banner: layout.sessionBanner, bannerText: layout.sessionBannerText },
    {
      status: api.signInStatus,
      signIn: api.signIn,
      signOut: api.signOut,
      workspaces: api.workspaces,
      // The window leaves this workspace: its tabs are kept first, the last keys included.
      switchWorkspace: async (name) => {
        await flushTabs();
        return api.switchWorkspace(name);
      },
    },
    {
      lockChanged: () => {
        paint();
        if (signIn.locked) pendingRuns.signedOut();
      },
      error: (message) => showError(layout, message),
    },
  );

  const paint = () => {
    if (!front.display) return;
    renderVerdict(layout, front.display, { busy, shortcut });
    // Several statements: Run takes the one at the cursor, which is checked on its own when
    // run, so the whole script's verdict does not decide the button.
    if (!busy && splitStatements(editor.getSql()).length > 1) {
      layout.run.disabled = false;
      layout.run.title = `Run the statement at the cursor or the selection (${shortcut})`;
    }
    // A signed-out AWS workspace runs nothing, whatever the verdict.
    if (signIn.locked) layout.run.disabled = true;
  };
  const problems = { count: layout.problemsCount, list: layout.problemsList };
  /** `measured`: the report of a measured lint, which is not measured again. */
  const setVerdict = (state: VerdictState, measured = false) => {
    front.display = describeVerdict(state, front.display);
    paint();
    const diagnostics = state.kind === "checked" ? state.report.diagnostics : state.kind === "pending" ? null : [];
    renderProblems(problems, diagnostics, (from, to) => editor.jump(from, to));
    // While a new check is pending the buttons stay, like the dimmed reason.
    if (state.kind === "checked") {
      front.report = state.report;
      front.reportText = editor.getSql();
    } else if (state.kind !== "pending") {
      front.report = null;
      front.reportText = null;
    }
    elevations.showReport(front.report);
    if (state.kind === "checked" && !measured) measureScan(state.report);
  };
  // On Athena the budget as typed is judged on the policy's stats; once the text rests, the
  // text is linted again as a run would lint it (its partitions and S3 object sizes measured),
  // and that verdict, estimate and Problems list replace the typed ones: the objects may be over
  // a budget the stats are under (Run would refuse), or the other way round (Run would allow).
  let measuring = 0;
  const measureScan = (report: api.LintReport) => {
    const ticket = ++measuring;
    if (!report.scan || info?.engine !== "athena") return;
    const tab = front;
    const sql = editor.getSql();
    setTimeout(() => {
      if (ticket !== measuring) return;
      api.lintMeasured(sql, tab.database).then(
        (measured) => {
          if (ticket !== measuring || tab !== front || tab.report !== report || editor.getSql() !== sql) return;
          setVerdict({ kind: "checked", report: measured }, true);
          editor.showDiagnostics(measured);
        },
        () => undefined, // The run measures again, and refuses with the reason if it must.
      );
    }, SCAN_MEASURE_DELAY_MS);
  };
  // Add AWS workspace: a form the backend checks and writes into config.toml.
  const openWorkspaceDialog = () =>
    new WorkspaceDialog(root, {
      profiles: api.awsProfiles,
      add: api.addWorkspace,
      done: (name, entries) => {
        signIn.showWorkspaces(entries);
        showNote(layout, `Added the ${name} workspace: pick it in the status bar to open it.`);
      },
    });
  // Named by the words it shows (a voice command says what it reads), as in the welcome panel.
  const addWorkspaceButton = element("button", "status-button", "Add AWS workspace…");
  addWorkspaceButton.type = "button";
  addWorkspaceButton.id = "add-workspace";
  addWorkspaceButton.title = "Add an AWS workspace to config.toml";
  addWorkspaceButton.addEventListener("click", () => void openWorkspaceDialog());

  // Kept tabs that could not be read: this session's tabs are not kept. Two clicks (as Delete in
  // the Saved panel) replace the unreadable file with them.
  const tabsButton = element("button", "status-button", "Tabs not kept");
  tabsButton.type = "button";
  tabsButton.id = "tabs-not-kept";
  let replacingTabs = false;
  const paintTabsButton = () => {
    tabsButton.textContent = replacingTabs ? "Replace the kept tabs?" : "Tabs not kept";
    tabsButton.title = replacingTabs
      ? "Click again to write these tabs over the file that could not be read: what it held is lost"
      : `Your tabs are not kept while the kept tabs file cannot be read (${tabsUnreadable ?? ""}). Click to replace it with these tabs.`;
  };
  // Armed by one click, disarmed when the focus leaves: a stray click much later does not write.
  tabsButton.addEventListener("blur", () => {
    if (!replacingTabs) return;
    replacingTabs = false;
    paintTabsButton();
  });
  tabsButton.addEventListener("click", () => {
    if (!replacingTabs) {
      replacingTabs = true;
      return paintTabsButton();
    }
    tabsUnreadable = null;
    tabsButton.remove();
    persistTabs();
    showNote(layout, "Your tabs are kept again: the file that could not be read was replaced.");
    editor.view.focus();
  });

  // An unreadable workspace takes the whole status bar, as before.
  const paintStatus = () => {
    if (infoError !== null) renderStatusError(layout.status, infoError);
    else if (info) {
      const bundle = policy ? describeBundle(policy) : policyError !== null ? describeBundleError(policyError) : null;
      renderStatus(layout.status, info, bundle);
    }
    layout.status.append(elevations.item, signIn.item, signIn.picker, addWorkspaceButton);
    if (tabsUnreadable !== null) layout.status.append(tabsButton);
  };

  // Listening before the first status is read, so no change in between is lost; what arrives
  // before the window is ready waits (only the newest matters: each event is a whole status).
  let elevationsReady = false;
  let earlyElevation: api.ElevationStatus | null = null;
  const elevationListening = api
    .onElevationChanged((status) => {
      if (elevationsReady) elevations.update(status);
      else if (earlyElevation === null || status.version >= earlyElevation.version) earlyElevation = status;
    })
    .catch(() => null); // Outside the app (tests, plain browser) there may be no event bridge.

  const [infoAnswer, policyAnswer, elevationAnswer] = await Promise.allSettled([
    api.workspaceInfo(),
    api.policyStatus(),
    elevationListening.then(() => api.elevationStatus()),
  ]);
  if (infoAnswer.status === "fulfilled") {
    info = infoAnswer.value;
  } else {
    infoError = "Workspace unavailable";
    // "The workspace cannot be opened: <why>" says it all; anything else gets a lead.
    const why = describeError(infoAnswer.reason);
    showError(layout, isWorkspaceUnavailable(infoAnswer.reason) ? why : `Could not read the workspace. ${why}`);
  }
  if (policyAnswer.status === "fulfilled") policy = policyAnswer.value;
  else policyError = describeError(policyAnswer.reason);
  await signIn.load();
  paintStatus();
  renderBanner(layout, policy);

  // Declared ahead: the checks and runs below are only called once it exists.
  let editor: SqlEditor;

  let tabsKeepFailed = false;
  // Tabs kept from the last session on this workspace (a file of the app's data folder, written
  // after every change, so a killed app keeps them too), or one empty tab. A file that cannot be
  // read is reported and left as it is, never overwritten (as the saved queries' file).
  const tabsWorkspace = info?.workspace ?? "default";
  const separator = info && info.home.includes("\\") && !info.home.includes("/") ? "\\" : "/";
  const tabsFile = info ? [info.home, "tabs", `${info.workspace}.json`].join(separator) : null;
  let keptText: string | null = null;
  let kept: SavedTabs | null = null;
  // A workspace that could not be opened has no tabs to read: its own error stays the one shown,
  // and nothing is kept (the backend would refuse it for the same reason).
  const workspaceClosed = infoError !== null;
  try {
    if (!workspaceClosed) {
      keptText = await api.keptTabs();
      const read = readTabs(keptText);
      if (read.kind === "kept") kept = read.saved;
      else if (read.kind === "unreadable") tabsUnreadable = `${tabsFile ?? "the file"}: ${read.why}`;
    }
  } catch (e) {
    // The backend's message names the file (read refused, too large).
    tabsUnreadable = describeError(e);
  }
  if (tabsUnreadable !== null) {
    showError(
      layout,
      `Your kept tabs could not be read (${tabsUnreadable}). The file is left untouched and the tabs of this session are not kept: move the file aside to keep tabs again, or use “Tabs not kept” in the status bar to replace it.`,
    );
    paintTabsButton();
    paintStatus();
  }
  /** The tabs' last write, so leaving the workspace can wait for it. */
  let lastKeep: Promise<void> = Promise.resolve();
  const storage = keptStore(
    keptText,
    (text) =>
      (lastKeep = api.keepTabs(text).catch((e: unknown) => {
        // Said once: the tabs stay open, only a restart would lose them.
        if (tabsKeepFailed) return;
        tabsKeepFailed = true;
        showError(layout, `Your tabs could not be kept for the next start. ${describeError(e)}`);
      })),
  );
  const defaultDatabase = info?.defaultDatabase ?? null;
  const keptTabs: SavedTab[] = kept?.tabs ?? [{ title: "Query 1", text: "", database: defaultDatabase }];
  tabs = keptTabs.map((saved) => makeTab(saved.title, saved.database ?? defaultDatabase, null));
  front = tabs[kept?.active ?? 0];
  const textOf = (tab: Tab) => (tab === front ? editor.getSql() : (tab.state?.doc.toString() ?? ""));
  /** A keystroke's save waits for a pause in typing: one write (and fsync) per pause, not per key. */
  let typedSave: ReturnType<typeof setTimeout> | null = null;
  const persistTabs = () => {
    if (typedSave !== null) clearTimeout(typedSave);
    typedSave = null;
    if (tabsUnreadable !== null || workspaceClosed) return;
    saveTabs(storage, tabsWorkspace, {
      tabs: tabs.map((tab) => ({ title: tab.title, text: textOf(tab), database: tab.database })),
      active: tabs.indexOf(front),
    });
  };
  const persistTabsSoon = () => {
    if (typedSave !== null) clearTimeout(typedSave);
    typedSave = setTimeout(persistTabs, TYPED_SAVE_DELAY_MS);
  };
  /** What was typed last is kept, not dropped with the pending save (quit, reload, workspace switch). */
  const flushTypedSave = () => {
    if (typedSave !== null) persistTabs();
  };
  flushTabs = () => {
    flushTypedSave();
    return lastKeep;
  };
  // The window closing or reloading (a workspace switch may reload it): the write starts now.
  window.addEventListener("pagehide", flushTypedSave);
  window.addEventListener("beforeunload", flushTypedSave);

  /** The newest check: an answer to an older one is dropped, even if it comes last. */
  let checks = 0;
  /** Lints `sql` and shows the verdict if it is the newest check and the text is still current. */
  const check = async (sql: string) => {
    const asked = generation;
    const ticket = ++checks;
    const tab = front;
    const outcome = await checker.check(sql, tab.database);
    if (asked === generation && ticket === checks && tab === front && editor.getSql() === sql) setVerdict(toState(outcome));
    return outcome;
  };

  // The result as a chart instead of the grid, while Chart is pressed (for every tab).
  const chart = new ChartView(layout.chart, api.fetchRows);
  let charting = false;
  const paintChart = () => {
    layout.chartToggle.setAttribute("aria-pressed", String(charting));
    layout.chartToggle.classList.toggle("is-active", charting);
    layout.chartKind.hidden = !charting;
    layout.chart.hidden = !charting;
    layout.grid.hidden = charting;
    if (!charting) return chart.clear();
    if (front.result) void chart.show(front.result, layout.chartKind.value as ChartKind);
    else chart.clear();
  };
  layout.chartToggle.addEventListener("click", () => {
    charting = !charting;
    paintChart();
  });
  layout.chartKind.addEventListener("change", () => paintChart());

  /** Shows `tab`'s result, or that it has none. */
  const showResult = (tab: Tab) => {
    if (charting) paintChart();
    if (tab.result) grid.show(tab.result);
    else grid.clear(tab.meta === "" ? undefined : "No results.");
    layout.meta.textContent = tab.meta;
    if (tab.metaTitle) layout.meta.title = tab.metaTitle;
    else layout.meta.removeAttribute("title");
    renderRunDetails(layout.runDetails, tab.details, copyText);
    paintExport();
  };
  /** Export is for a finished result of the front tab, not while it runs. */
  const paintExport = () => {
    layout.exportButton.disabled = front.result === null || front.running;
  };
  let exportDialog: ExportDialog | null = null;
  const openExport = () => {
    const tab = front;
    const result = tab.result;
    if (result === null || tab.running || exportDialog?.isOpen) return;
    exportDialog = new ExportDialog(document.body, result.rowCount, {
      write: (path, format) => api.exportResult(result.resultId, path, format),
      done: (done) => setMeta(tab, exportedText(done), tab.metaTitle),
      choose: api.chooseExportPath,
    });
  };
  layout.exportButton.addEventListener("click", openExport);
  const setDetails = (tab: Tab, details: api.RunDetails | null) => {
    tab.details = details;
    if (tab === front) renderRunDetails(layout.runDetails, details, copyText);
  };
  const setMeta = (tab: Tab, meta: string, title = "") => {
    tab.meta = meta;
    tab.metaTitle = title;
    if (tab === front) {
      layout.meta.textContent = meta;
      if (title) layout.meta.title = title;
      else layout.meta.removeAttribute("title");
    }
  };

  /**
   * Runs EXPLAIN of the statement at the cursor or the selection: the plan lands in the grid.
   * The EXPLAIN text is checked like any other, so it runs only where the policy allows explain.
   */
  const explain = (): Promise<void> => {
    const picked = editor.runText("statement").trim().replace(/;\s*$/, "");
    if (picked === "") return Promise.resolve();
    return run("statement", /^explain\b/i.test(picked) ? picked : `EXPLAIN ${picked}`);
  };

  /** Lays the front tab's text out, unless it changed meanwhile; a refusal says why. */
  const format = async () => {
    const sql = editor.getSql();
    if (sql.trim() === "") return;
    const tab = front;
    try {
      const formatted = await api.formatSql(sql, tab.database);
      // One change, undone with Ctrl+Z like any edit.
      if (tab === front && editor.getSql() === sql && formatted !== sql) editor.setSql(formatted);
    } catch (error) {
      showError(layout, describeError(error));
    }
  };

  /** The first-run panel, while it is shown. */
  let welcome: HTMLElement | null = null;

  /** The tab whose query runs, while one does. */
  let runTab: Tab | null = null;

  /**
   * The values last run with each text that has `?` parameters, offered again: this session's
   * runs, and a run reopened from the History with the values the journal kept.
   */
  const lastValues = new Map<string, string[]>();

  /**
   * The values of `sql`'s `?` parameters from the dialog, or null when it was cancelled; an
   * empty list for a text without.
   */
  const askParameters = async (sql: string, parameters: api.LintParameter[]): Promise<string[] | null> => {
    if (parameters.length === 0) return [];
    const dialog = new ParameterDialog(document.body, parameters, { check: api.checkParameter }, lastValues.get(sql) ?? []);
    const values = await dialog.values;
    if (values) lastValues.set(sql, values);
    return values;
  };

  /**
   * Runs `scope` of the front tab's text, or `text` instead when given (Explain, a pending run),
   * checked on its own; in `target` when given (a pending run of a tab behind).
   */
  const run = (scope: RunScope = "statement", text?: string, target?: Tab): Promise<void> => {
    if (running) return running;
    // The result lands in the tab the run started in, whichever tab is in front by then.
    const tab = target ?? front;
    const whole = textOf(tab);
    const picked = text ?? editor.runText(scope);
    if (picked.trim() === "" || signIn.locked) return Promise.resolve();
    // The whole text is the one the verdict shows (and shares its lint with); a statement or a
    // selection is checked on its own, and the gate checks it again when it runs.
    const sql = picked.trim() === whole.trim() ? whole : picked;
    // The engines run one statement per query: a script of several runs them one after the
    // other, each checked again on its own, stopping at the first that fails.
    const spans = scope === "script" ? splitStatements(whole) : [];
    const pieces = spans.length > 1 ? spans.map((span) => whole.slice(span.from, span.to)) : [sql];
    let step = 0;
    const stepLabel = () => (pieces.length > 1 ? `Statement ${step + 1} of ${pieces.length}` : "");
    running = (async () => {
      busy = true;
      paint();
      try {
        const outcome = sql === whole && tab === front ? await check(sql) : await checker.check(sql, tab.database);
        if (sql !== whole && outcome.kind === "checked" && outcome.report.verdict !== "allow") {
          const verdict = describeVerdict({ kind: "checked", report: outcome.report }, null);
          showError(layout, `Not run: ${scope === "script" ? "the script" : "the statement"} is ${verdict.label.toLowerCase()}. ${verdict.reason}`);
        } else if (sql !== whole && outcome.kind === "unchecked") {
          showError(layout, `Not run: Warden could not check the statement: ${outcome.message}`);
        }
        // Only what is allowed runs: an elevate verdict waits for its grant.
        if (outcome.kind !== "checked" || outcome.report.verdict !== "allow") return;
        // A statement with `?` parameters runs with the values the dialog gives (checked
        // there as they are typed, and by the gate again); a script runs none of them.
        let values: string[] = [];
        if (pieces.length === 1) {
          const asked = await askParameters(pieces[0], outcome.report.parameters ?? []);
          if (asked === null) return;
          values = asked;
        }
        // A script's statements are each checked on their own before any runs: one that is
        // refused, or has `?` parameters (a script asks no values), stops the whole script
        // before its first statement, not halfway through it. The gate checks each again.
        if (pieces.length > 1) {
          for (step = 0; step < pieces.length; step += 1) {
            const each = await checker.check(pieces[step], tab.database);
            if (each.kind === "checked" && each.report.verdict === "allow" && (each.report.parameters ?? []).length > 0) {
              showError(
                layout,
                `Not run: ${stepLabel().toLowerCase()} has ? parameters and a script runs none of them. Run that statement on its own (${shortcut}) to give their values.`,
              );
              return;
            }
            if (each.kind !== "checked" || each.report.verdict !== "allow") {
              const why =
                each.kind === "checked"
                  ? describeVerdict({ kind: "checked", report: each.report }, null).reason
                  : each.kind === "unchecked"
                    ? `Warden could not check it: ${each.message}`
                    : "";
              showError(layout, `Not run: ${stepLabel().toLowerCase()} is not allowed on its own. ${why}`);
              return;
            }
          }
        }
        showError(layout, null);
        welcome?.remove();
        welcome = null;
        runTab = tab;
        tab.running = true;
        paintExport();
        renderTabs();
        for (step = 0; step < pieces.length; step += 1) {
          const piece = pieces[step];
          setMeta(tab, pieces.length > 1 ? `${stepLabel()}: running…` : "Running…");
          runs += 1;
          currentRun = `${Date.now().toString(36)}-${runs}`;
          layout.cancel.hidden = false;
          layout.cancel.disabled = false;
          paintCancel();
          setDetails(tab, null);
          const progress = watchProgress(currentRun, api.runProgress, ({ run, arriving }) => {
            const details = tab.details;
            if (run.state !== details?.state || run.queryId !== details?.queryId || run.rows !== details?.rows) setDetails(tab, run);
            // The first page while the rest still arrives; the finished result keeps its id.
            if (arriving === null) return;
            setMeta(tab, arrivingMeta(arriving.rowCount));
            const shown = grid.result;
            if (tab === front && (shown?.resultId !== arriving.resultId || shown.rowCount < arriving.rowCount)) {
              grid.show(arrivingResult(arriving, run));
            }
          });
          let result: api.QueryResult;
          try {
            result = await api.runQuery(piece, tab.database, currentRun, values);
          } finally {
            progress.stop();
          }
          // Each statement's rows replace the last: the script's result is its last statement's.
          tab.result = result;
          setDetails(tab, result.run);
          paintExport();
          if (tab === front) {
            grid.show(result);
            if (charting) paintChart();
          }
          const meta = resultMeta(result.rowCount, result.bytesScanned, result.durationMs);
          setMeta(tab, pieces.length > 1 ? `${stepLabel()}: ${meta}` : meta, `Query ${result.queryId} on ${result.engine}`);
        }
      } catch (error) {
        tab.result = null;
        if (tab === front) grid.clear("No results.");
        setMeta(tab, "");
        setDetails(tab, runOfError(error));
        paintExport();
        const where = pieces.length > 1 ? `${stepLabel()} failed. ` : "";
        // A run in a tab behind is named, as its pending-run messages are.
        const whose = tab !== front ? `${tab.title}: ` : "";
        showError(layout, `${whose}${where}${describeError(error)}`);
      } finally {
        currentRun = null;
        runTab = null;
        if (tab.running) {
          tab.running = false;
          renderTabs();
        }
        paintExport();
        layout.cancel.hidden = true;
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
    doc: keptTabs[tabs.indexOf(front)].text,
    onChange: (sql) => {
      setVerdict(sql.trim() === "" ? { kind: "empty" } : { kind: "pending" });
      persistTabsSoon();
    },
    onRun: (scope) => void run(scope),
    onFormat: () => void format(),
    // The editor's own Esc (collapsing a selection) would take the key first: a run is stopped
    // by the first Esc, whatever is selected.
    // Only the front tab's own run: Esc in another tab's text is that text's key.
    onEscape: () => {
      if (currentRun === null || runTab !== front || document.querySelector('[role="dialog"][aria-modal="true"]')) return false;
      cancel();
      return true;
    },
  });
  layout.format.addEventListener("click", () => void format());
  layout.explain.addEventListener("click", () => void explain());
  tabs.forEach((tab, index) => {
    if (tab !== front) tab.state = editor.createState(keptTabs[index].text);
  });

  const strip = new TabStrip(layout.tabs, layout.newTab, layout.editor, {
    select: (id) => {
      const tab = tabs.find((candidate) => candidate.id === id);
      if (tab) activate(tab);
    },
    close: (id) => {
      const tab = tabs.find((candidate) => candidate.id === id);
      if (tab) closeTab(tab);
    },
    add: () => newTab(),
  });
  function renderTabs(focus = false) {
    strip.render(
      tabs.map((tab) => ({ id: tab.id, title: tab.title, running: tab.running, waiting: pendingRuns.of(tab.id)?.elevation ?? null })),
      front.id,
      focus,
    );
  }

  /** Brings `tab` to the front: its text, database, verdict and result. */
  function activate(tab: Tab) {
    if (tab === front) return;
    front.state = editor.swap(tab.state ?? editor.createState(""));
    tab.state = null;
    front = tab;
    if (catalog) {
      editor.setCatalog(catalog, tab.database);
      renderDatabases(layout.database, catalog.databases.map((d) => d.name), tab.database);
    }
    const sql = editor.getSql();
    if (sql.trim() === "") setVerdict({ kind: "empty" });
    else {
      // The last verdict shows until the text is checked again under the policy of now, if it was
      // made for this text; one of an older text (edited, then left before its check answered)
      // shows pending, as while typing.
      setVerdict(tab.report && tab.reportText === sql ? { kind: "checked", report: tab.report } : { kind: "pending" });
      void check(sql);
    }
    showResult(tab);
    renderTabs();
    paintPending();
    paintCancel();
    persistTabs();
  }

  /** Cancel names the tab whose run it stops when that tab is not in front. */
  function paintCancel() {
    const other = runTab !== null && runTab !== front ? runTab : null;
    layout.cancel.textContent = other ? `Cancel ${other.title}` : "Cancel";
    layout.cancel.title = other ? `Stop the query running in ${other.title}` : "Stop the running query";
  }

  function newTab(text = "", database = front.database ?? defaultDatabase) {
    const tab = makeTab(nextTitle(tabs.map((t) => t.title)), database, editor.createState(text));
    tabs.splice(tabs.indexOf(front) + 1, 0, tab);
    activate(tab);
    editor.view.focus();
  }

  /**
   * Tabs closed with text in them, the newest last, for Ctrl+Shift+T: their title, database and
   * editor state (text, cursor, undo history). Kept in memory only, so for this session and
   * workspace (switching workspaces restarts the window); their results are not kept.
   */
  const closedTabs: { title: string; database: string | null; state: EditorState; index: number }[] = [];

  /** Closes `tab`; closing the last one leaves an empty one, so there is always a tab to type in. */
  function closeTab(tab: Tab) {
    if (tab.running) {
      const how = tab === front ? "Esc or Cancel" : `Cancel ${tab.title}, or Esc in that tab`;
      showError(layout, `${tab.title} is running a query: cancel it (${how}) before closing the tab.`);
      return;
    }
    // Its query does not run once the elevation it waits for is granted.
    pendingRuns.closed(tab.id);
    const text = textOf(tab);
    if (tabs.length === 1) {
      const fresh = makeTab(nextTitle([]), defaultDatabase, editor.createState(""));
      tabs = [tab, fresh];
    }
    const index = tabs.indexOf(tab);
    if (tab === front) activate(tabs[index + 1] ?? tabs[index - 1]);
    tabs = tabs.filter((candidate) => candidate !== tab);
    renderTabs();
    persistTabs();
    // An empty tab loses nothing; one with text can be brought back, and the note says how.
    if (text.trim() === "") return;
    closedTabs.push({ title: tab.title, database: tab.database, state: tab.state ?? editor.createState(text), index });
    if (closedTabs.length > CLOSED_TABS_KEPT) closedTabs.shift();
    showNote(layout, `Closed ${tab.title}: ${reopenKeys} reopens it.`);
  }

  /** Ctrl+Shift+T: the tab closed last, where it was, with its text, database and cursor. */
  function reopenTab() {
    const closed = closedTabs.pop();
    if (!closed) {
      showNote(layout, "No closed tab to reopen.");
      return;
    }
    // The empty tab that closing the last one left gives its place, if still untouched.
    const only = tabs.length === 1 ? front : null;
    const blank = only && textOf(only).trim() === "" && only.result === null && only.details === null && !only.running ? only : null;
    const others = tabs.filter((tab) => tab !== blank);
    const titles = others.map((tab) => tab.title);
    // "Query N" may have been given again since; a saved query's name stays.
    const title = titles.includes(closed.title) && /^Query \d+$/.test(closed.title) ? nextTitle(titles) : closed.title;
    const tab = makeTab(title, closed.database, closed.state);
    others.splice(Math.min(closed.index, others.length), 0, tab);
    tabs = blank ? [...others, blank] : others;
    activate(tab);
    if (blank) {
      tabs = tabs.filter((candidate) => candidate !== blank);
      renderTabs();
      persistTabs();
    }
    editor.view.focus();
  }

  function nextTab(step = 1) {
    const index = tabs.indexOf(front);
    activate(tabs[(index + step + tabs.length) % tabs.length]);
  }

  /**
   * Ctrl+T, Ctrl+W, Ctrl+Shift+T (reopen), Ctrl+Tab (Ctrl+Shift+Tab back), Ctrl+S, wherever the
   * focus is, unless a dialog is open.
   */
  const onTabKeys = (event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    if (document.querySelector('[role="dialog"][aria-modal="true"]')) return;
    const key = event.key.toLowerCase();
    if (key === "t" && !event.shiftKey) newTab();
    else if (key === "t") reopenTab();
    else if (key === "w" && !event.shiftKey) closeTab(front);
    else if (key === "tab") nextTab(event.shiftKey ? -1 : 1);
    else if (key === "s" && !event.shiftKey) {
      void saved.startSave().then(() => onlyOpen(saved));
    }
    else return;
    event.preventDefault();
    event.stopPropagation();
  };
  document.addEventListener("keydown", onTabKeys, true);
  renderTabs();
  setVerdict(editor.getSql().trim() === "" ? { kind: "empty" } : { kind: "pending" });
  layout.run.addEventListener("click", () => void run());
  const cancel = () => {
    const target = currentRun;
    const tab = runTab;
    if (target === null || tab === null || layout.cancel.disabled) return;
    layout.cancel.disabled = true;
    setMeta(tab, "Cancelling…");
    // The run's own error path reports the outcome ("the query was cancelled").
    api.cancelQuery(target).then(
      (stopped) => {
        // Not running (yet): the backend keeps the cancel for it; if this run goes on, say so.
        if (!stopped && currentRun === target) {
          setMeta(tab, "Running…");
          layout.cancel.disabled = false;
        }
      },
      (error: unknown) => {
        if (currentRun === target) layout.cancel.disabled = false;
        showError(layout, describeError(error));
      },
    );
  };
  layout.cancel.addEventListener("click", cancel);
  // Esc stops the front tab's running query, unless something else used the key (a completion
  // list, a dialog); another tab's run goes on. In the editor it is the editor's `onEscape` above
  // that stops it.
  const onEscape = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || event.defaultPrevented || currentRun === null || runTab !== front) return;
    if (document.querySelector('[role="dialog"][aria-modal="true"]')) return;
    event.preventDefault();
    cancel();
  };
  document.addEventListener("keydown", onEscape);

  let catalog: api.Catalog | null = null;
  const showCatalog = (loaded: api.Catalog) => {
    catalog = loaded;
    renderSchema(layout.schema, loaded, (text) => editor.insert(text), refreshCatalog);
    editor.setCatalog(loaded, front.database);
    renderDatabases(layout.database, loaded.databases.map((d) => d.name), front.database);
  };
  // A failed refresh keeps the schema shown; the panel says why.
  const refreshCatalog = (): Promise<void> => api.refreshCatalog().then(showCatalog);
  const loadCatalog = () =>
    api.catalog().then(showCatalog, (error: unknown) =>
      renderSchemaError(layout.schema, `Could not load the schema. ${describeError(error)}`),
    );
  // A workspace that could not be opened has no schema or workgroups: its error, under the
  // editor, is said once rather than again in every panel that would have asked.
  if (workspaceClosed) renderSchemaError(layout.schema, "No schema: the workspace could not be opened.");
  else void loadCatalog();

  // Athena workspaces: where baseline runs go. A refused pick says why in the error line.
  const loadWorkgroups = () =>
    api.workgroups().then(
      (picker) => renderWorkgroups(layout.workgroup, picker),
      (error: unknown) => renderWorkgroupsError(layout.workgroup, error),
    );
  wireWorkgroups(layout.workgroup, api.chooseWorkgroup, api.workgroups, (message) =>
    showError(layout, `The workgroup was not changed. ${message}`),
  );
  if (!workspaceClosed) void loadWorkgroups();

  /** Checks the current text again now, without waiting for an edit. */
  const recheck = () => {
    generation += 1;
    const sql = editor.getSql();
    if (sql.trim() !== "") {
      setVerdict({ kind: "pending" });
      void check(sql);
      editor.relint();
    }
  };

  layout.database.addEventListener("change", () => {
    front.database = pickedDatabase(layout.database.value);
    if (catalog) editor.setCatalog(catalog, front.database);
    persistTabs();
    recheck();
  });

  /** The policy in force changed: check the text again and reload what it may see. */
  const policyChanged = () => {
    checker.forget();
    recheck();
    void loadCatalog();
    // The elevations' own workgroups are not offered: another policy may name others.
    void loadWorkgroups();
    // Another policy may define other elevations (or end the ones in force).
    void elevations.reload();
    // The workspace's policy name and fingerprint follow the bundle.
    api.workspaceInfo().then(
      (fresh) => {
        info = fresh;
        infoError = null;
        paintStatus();
      },
      () => undefined,
    );
  };

  /** Shows a status; `announced` is a `policy-changed` event, which always re-checks unless nothing differs. */
  const showPolicy = (status: api.PolicyStatus, announced: boolean) => {
    const same = policy !== null && JSON.stringify(policy) === JSON.stringify(status);
    const moved = announced ? !same : policyMoved(policy, status);
    policy = status;
    policyError = null;
    paintStatus();
    renderBanner(layout, status);
    if (moved) policyChanged();
  };

  let refreshing = false;
  const refreshOnFocus = throttle(() => {
    if (refreshing) return;
    refreshing = true;
    api
      .refreshPolicy()
      .then(
        (status) => showPolicy(status, false),
        () => undefined, // A failed fetch resolves; a rejection changes nothing shown.
      )
      .finally(() => {
        refreshing = false;
      });
  }, FOCUS_REFRESH_MS);
  // Elevations unreadable (at start or since): asked again on focus, as often as the policy.
  let retryingElevations = false;
  const retryElevations = throttle(() => {
    retryingElevations = true;
    void elevations.reload().finally(() => {
      retryingElevations = false;
    });
  }, FOCUS_REFRESH_MS);
  const onFocus = () => {
    void refreshOnFocus();
    if (!elevations.readable && !retryingElevations) void retryElevations();
  };
  window.addEventListener("focus", onFocus);

  // Applied only now: a grant already in force re-checks, which needs `recheck`.
  // Unreadable at start: no options, so no buttons (a note says requests are
  // unavailable); the rest of the window works. Refusals in the first status
  // that predate the window are old news and not shown.
  if (elevationAnswer.status === "fulfilled") elevations.update(elevationAnswer.value);
  else elevations.unavailable();
  elevationsReady = true;
  if (earlyElevation !== null) elevations.update(earlyElevation);

  const audit = new AuditPanel(layout.audit, layout.auditToggle, {
    events: api.auditEvents,
    status: api.auditStatus,
    sync: api.auditSync,
  });
  const saved = new SavedPanel(
    layout.saved,
    layout.savedToggle,
    { list: api.savedQueries, save: api.saveQuery, remove: api.deleteSavedQuery, named: api.namedQueries },
    {
      open: (query) => {
        // Created on its own database, so the picker, the completions, the lint and a run all
        // start from it; one saved without takes the front tab's, like a new tab.
        newTab(query.sql, query.database ?? undefined);
        front.title = query.name;
        renderTabs();
        persistTabs();
      },
      // The tab Ctrl+S was pressed in, whichever is in front now (unless it was closed since).
      saved: (name, tabId) => {
        const tab = tabs.find((candidate) => candidate.id === tabId);
        if (!tab) return;
        tab.title = name;
        renderTabs();
        paintCancel();
        persistTabs();
      },
    },
  );
  saved.saveFrom((id) => {
    const tab = id === undefined ? front : tabs.find((candidate) => candidate.id === id);
    return tab ? { tab: tab.id, sql: textOf(tab), database: tab.database, name: tab.title } : null;
  });
  const history = new HistoryPanel(layout.history, layout.historyToggle, api.auditEvents, (text, values, database) => {
    // The dialog offers the values the run had; they are checked again like typed ones.
    if (values) lastValues.set(text, values);
    // On the run's database; one the journal did not record takes the front tab's (the row says so).
    newTab(text, database ?? undefined);
  });
  // Approvers decide in the bucket of an AWS workspace; the demo decides in its own window.
  const approvals = new ApprovalsPanel(layout.approvals, layout.approvalsToggle, { list: api.approvals, act: api.actOnApproval });
  layout.approvalsToggle.hidden = info?.engine !== "athena";
  // One side panel at a time: they share the column right of the editor.
  const sidePanels = [audit, history, saved, approvals];
  const onlyOpen = (keep: { isOpen: boolean }) => {
    if (!keep.isOpen) return;
    for (const panel of sidePanels) if (panel !== keep && panel.isOpen) void panel.setOpen(false);
  };
  layout.historyToggle.addEventListener("click", () => onlyOpen(history));
  layout.auditToggle.addEventListener("click", () => onlyOpen(audit));
  layout.savedToggle.addEventListener("click", () => onlyOpen(saved));
  layout.approvalsToggle.addEventListener("click", () => onlyOpen(approvals));

  // Outside the app (tests, plain browser) there may be no event bridge.
  const listening = [
    api.onPolicyChanged((status) => showPolicy(status, true)),
    api.onAuditChanged((status) => {
      audit.statusChanged(status);
      history.changed();
    }),
    api.onSignInCode((code) => signIn.showDeviceCode(code)),
    api.onSessionEnded((ended) => signIn.sessionEnded(ended)),
    // The close button: the last keys are written before the window goes (a close within the
    // typing pause would lose them); the window closes even if the write fails.
    api.onCloseRequested(() => {
      void flushTabs()
        .catch(() => undefined)
        .then(() => api.readyToClose())
        // Unanswered, the app closes the window on its own after a short wait.
        .catch(() => undefined);
    }),
  ].map((unlisten) => unlisten.catch(() => null));
  listening.push(elevationListening);
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    // What was typed last is kept, not dropped with the pending save.
    flushTypedSave();
    window.removeEventListener("pagehide", flushTypedSave);
    window.removeEventListener("beforeunload", flushTypedSave);
    window.removeEventListener("focus", onFocus);
    document.removeEventListener("keydown", onTabKeys, true);
    document.removeEventListener("keydown", onEscape);
    elevations.dispose();
    pendingRuns.clear();
    for (const unlisten of listening) void unlisten.then((stop) => stop?.());
  };

  // First start on the demo workspace (no tabs kept yet): a short welcome in the results area,
  // until it is closed or a query runs.
  if (kept === null && tabsUnreadable === null && info?.engine === "datafusion") {
    welcome = renderWelcome({
      open: (sql) => {
        if (editor.getSql().trim() === "") editor.setSql(sql);
        else newTab(sql);
        editor.view.focus();
      },
      addWorkspace: () => void openWorkspaceDialog(),
      closed: () => {
        welcome = null;
        // Something kept: the next start is not a first start.
        persistTabs();
        editor.view.focus();
      },
    });
    layout.grid.before(welcome);
  }

  editor.view.focus();
  return {
    editor,
    layout,
    grid,
    audit,
    history,
    approvals,
    elevations,
    signIn,
    dispose,
    tabs: () => ({ titles: tabs.map((tab) => tab.title), active: tabs.indexOf(front) }),
    newTab: (text) => newTab(text),
    closeTab: () => closeTab(front),
    nextTab: (step) => nextTab(step),
    setSql: (text) => editor.setSql(text),
    getSql: () => editor.getSql(),
    run: (scope) => run(scope),
  };
}
