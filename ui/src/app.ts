// Wires the page together: editor, verdict, results, schema, status bar,
// policy banner, elevations and audit panel.
import * as api from "./api";
import { renderDatabases } from "./database";
import { AuditPanel } from "./audit";
import { renderBanner } from "./banner";
import { Checker, type CheckOutcome } from "./checker";
import { createEditor, type SqlEditor } from "./editor";
import { Elevations } from "./elevation";
import { describeError } from "./errors";
import { resultMeta } from "./format";
import { ResultGrid } from "./grid";
import { mountLayout, showError, type Layout } from "./layout";
import { renderProblems } from "./problems";
import { renderSchema, renderSchemaError } from "./schema";
import { SignIn } from "./signin";
import { describeBundle, describeBundleError, renderStatus, renderStatusError } from "./status";
import { throttle } from "./throttle";
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
  readonly audit: AuditPanel;
  readonly elevations: Elevations;
  readonly signIn: SignIn;
  /** Stops listening to focus and backend events. */
  dispose(): void;
}

/** Focus refreshes the policy bundle at most this often. */
export const FOCUS_REFRESH_MS = 30_000;

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
  const checker = new Checker(api.lint);
  const grid = new ResultGrid(layout.grid, {
    fetchRows: api.fetchRows,
    onError: (message) => showError(layout, message),
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
    },
  );

  let database: string | null = null;
  let display: VerdictDisplay | null = null;
  let busy = false;
  /** The run Cancel applies to, while one is running. */
  let currentRun: string | null = null;
  let runs = 0;
  let running: Promise<void> | null = null;
  /** Bumped when the policy changes, so answers under the old one are dropped. */
  let generation = 0;

  let info: api.WorkspaceInfo | null = null;
  let infoError: string | null = null;
  let policy: api.PolicyStatus | null = null;
  let policyError: string | null = null;
  /** The report the verdict shows, for its Request elevation buttons. */
  let report: api.LintReport | null = null;

  // AWS sign-in: the status bar item, the code dialog, the banner when a session ends.
  const signIn = new SignIn(
    { banner: layout.sessionBanner, bannerText: layout.sessionBannerText },
    {
      status: api.signInStatus,
      signIn: api.signIn,
      signOut: api.signOut,
      workspaces: api.workspaces,
      switchWorkspace: api.switchWorkspace,
    },
    { lockChanged: () => paint(), error: (message) => showError(layout, message) },
  );

  const paint = () => {
    if (display) renderVerdict(layout, display, { busy, shortcut });
    // A signed-out AWS workspace runs nothing, whatever the verdict.
    if (signIn.locked) layout.run.disabled = true;
  };
  const problems = { count: layout.problemsCount, list: layout.problemsList };
  const setVerdict = (state: VerdictState) => {
    display = describeVerdict(state, display);
    paint();
    const diagnostics = state.kind === "checked" ? state.report.diagnostics : state.kind === "pending" ? null : [];
    renderProblems(problems, diagnostics, (from, to) => editor.jump(from, to));
    // While a new check is pending the buttons stay, like the dimmed reason.
    if (state.kind === "checked") report = state.report;
    else if (state.kind !== "pending") report = null;
    elevations.showReport(report);
  };
  // An unreadable workspace takes the whole status bar, as before.
  const paintStatus = () => {
    if (infoError !== null) renderStatusError(layout.status, infoError);
    else if (info) {
      const bundle = policy ? describeBundle(policy) : policyError !== null ? describeBundleError(policyError) : null;
      renderStatus(layout.status, info, bundle);
    }
    layout.status.append(elevations.item, signIn.item, signIn.picker);
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
    database = info.defaultDatabase;
  } else {
    infoError = "Workspace unavailable";
    showError(layout, `Could not read the workspace. ${describeError(infoAnswer.reason)}`);
  }
  if (policyAnswer.status === "fulfilled") policy = policyAnswer.value;
  else policyError = describeError(policyAnswer.reason);
  await signIn.load();
  paintStatus();
  renderBanner(layout, policy);

  // Declared ahead: the checks and runs below are only called once it exists.
  let editor: SqlEditor;

  /** The newest check: an answer to an older one is dropped, even if it comes last. */
  let checks = 0;
  /** Lints `sql` and shows the verdict if it is the newest check and the text is still current. */
  const check = async (sql: string) => {
    const asked = generation;
    const ticket = ++checks;
    const outcome = await checker.check(sql, database);
    if (asked === generation && ticket === checks && editor.getSql() === sql) setVerdict(toState(outcome));
    return outcome;
  };

  const run = (): Promise<void> => {
    if (running) return running;
    const sql = editor.getSql();
    if (sql.trim() === "" || signIn.locked) return Promise.resolve();
    running = (async () => {
      busy = true;
      paint();
      try {
        const outcome = await check(sql);
        // Only what is allowed runs: an elevate verdict waits for its grant.
        if (outcome.kind !== "checked" || outcome.report.verdict !== "allow") return;
        showError(layout, null);
        layout.meta.textContent = "Running…";
        runs += 1;
        currentRun = `${Date.now().toString(36)}-${runs}`;
        layout.cancel.hidden = false;
        layout.cancel.disabled = false;
        const result = await api.runQuery(sql, database, currentRun);
        grid.show(result);
        layout.meta.textContent = resultMeta(result.rowCount, result.bytesScanned, result.durationMs);
        layout.meta.title = `Query ${result.queryId} on ${result.engine}`;
      } catch (error) {
        grid.clear("No results.");
        layout.meta.textContent = "";
        layout.meta.removeAttribute("title");
        showError(layout, describeError(error));
      } finally {
        currentRun = null;
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
    onChange: (sql) => setVerdict(sql.trim() === "" ? { kind: "empty" } : { kind: "pending" }),
    onRun: () => void run(),
  });
  setVerdict(editor.getSql().trim() === "" ? { kind: "empty" } : { kind: "pending" });
  layout.run.addEventListener("click", () => void run());
  layout.cancel.addEventListener("click", () => {
    const target = currentRun;
    if (target === null) return;
    layout.cancel.disabled = true;
    layout.meta.textContent = "Cancelling…";
    // The run's own error path reports the outcome ("the query was cancelled").
    api.cancelQuery(target).then(
      (stopped) => {
        // Not running (yet): the backend keeps the cancel for it; if this run goes on, say so.
        if (!stopped && currentRun === target) {
          layout.meta.textContent = "Running…";
          layout.cancel.disabled = false;
        }
      },
      (error: unknown) => {
        if (currentRun === target) layout.cancel.disabled = false;
        showError(layout, describeError(error));
      },
    );
  });

  let catalog: api.Catalog | null = null;
  const loadCatalog = () =>
    api.catalog().then(
      (loaded) => {
        catalog = loaded;
        renderSchema(layout.schema, loaded, (text) => editor.insert(text));
        editor.setCatalog(loaded, database);
        renderDatabases(layout.database, loaded.databases.map((d) => d.name), database);
      },
      (error: unknown) => renderSchemaError(layout.schema, `Could not load the schema. ${describeError(error)}`),
    );
  void loadCatalog();

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
    database = layout.database.value || null;
    if (catalog) editor.setCatalog(catalog, database);
    recheck();
  });

  /** The policy in force changed: check the text again and reload what it may see. */
  const policyChanged = () => {
    checker.forget();
    recheck();
    void loadCatalog();
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

  // Outside the app (tests, plain browser) there may be no event bridge.
  const listening = [
    api.onPolicyChanged((status) => showPolicy(status, true)),
    api.onAuditChanged((status) => audit.statusChanged(status)),
    api.onSignInCode((code) => signIn.showDeviceCode(code)),
    api.onSessionEnded((ended) => signIn.sessionEnded(ended)),
  ].map((unlisten) => unlisten.catch(() => null));
  listening.push(elevationListening);
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    window.removeEventListener("focus", onFocus);
    elevations.dispose();
    for (const unlisten of listening) void unlisten.then((stop) => stop?.());
  };

  editor.view.focus();
  return {
    editor,
    layout,
    grid,
    audit,
    elevations,
    signIn,
    dispose,
    setSql: (text) => editor.setSql(text),
    getSql: () => editor.getSql(),
    run,
  };
}
