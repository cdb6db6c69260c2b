// The page skeleton. Element ids are a contract with the end-to-end tests:
// #editor #run #verdict #verdict-reason #grid #result-meta #error #schema #status,
// #cancel, #database, #policy-banner (#policy-banner-text), #audit-toggle and #audit-panel,
// #verdict-elevations (Request elevation buttons), #pending-run (#pending-run-text and
// #pending-run-cancel: a query that runs once its elevation is granted), #elevation-banner (#elevation-banner-text) and
// #session-banner (#session-banner-text: an AWS sign-in that ended), #problems (#problems-count,
// #problems-list: every diagnostic of the text), #tabs (role tablist) and #new-tab,
// #history-toggle and #history-panel, #saved-toggle and #saved-panel, #format, #explain,
// #chart-toggle, #chart-kind and #chart, #approvals-toggle and #approvals-panel (AWS workspaces).
import { runShortcut } from "./verdict";

export interface Layout {
  schema: HTMLElement;
  editor: HTMLElement;
  run: HTMLButtonElement;
  cancel: HTMLButtonElement;
  database: HTMLSelectElement;
  /** The workgroup picker (Athena workspaces only). */
  workgroup: HTMLSelectElement;
  verdict: HTMLElement;
  reason: HTMLElement;
  reads: HTMLElement;
  error: HTMLElement;
  errorText: HTMLElement;
  meta: HTMLElement;
  /** A passing confirmation ("Copied 3 rows as TSV."), read out by screen readers. */
  note: HTMLElement;
  runDetails: HTMLElement;
  exportButton: HTMLButtonElement;
  grid: HTMLElement;
  status: HTMLElement;
  banner: HTMLElement;
  bannerText: HTMLElement;
  /** Request elevation buttons, inside the verdict box. */
  elevations: HTMLElement;
  /** The front tab's query waiting for its grant to run ("Request and run"), with Don't run. */
  pendingRun: HTMLElement;
  pendingRunText: HTMLElement;
  pendingRunCancel: HTMLButtonElement;
  elevationBanner: HTMLElement;
  elevationBannerText: HTMLElement;
  elevationBannerClose: HTMLButtonElement;
  auditToggle: HTMLButtonElement;
  audit: HTMLElement;
  /** An AWS session that ended by itself. */
  sessionBanner: HTMLElement;
  sessionBannerText: HTMLElement;
  problemsCount: HTMLElement;
  problemsList: HTMLElement;
  /** The tab strip (role tablist) and its New tab button. */
  tabs: HTMLElement;
  newTab: HTMLButtonElement;
  historyToggle: HTMLButtonElement;
  savedToggle: HTMLButtonElement;
  /** Grid or chart (pressed) for the result. */
  chartToggle: HTMLButtonElement;
  chartKind: HTMLSelectElement;
  chart: HTMLElement;
  saved: HTMLElement;
  /** Lays the text out (the backend's formatter). */
  format: HTMLButtonElement;
  /** Runs EXPLAIN of the statement at the cursor. */
  explain: HTMLButtonElement;
  history: HTMLElement;
  /** The Approvals panel's toggle: shown on AWS workspaces only. */
  approvalsToggle: HTMLButtonElement;
  approvals: HTMLElement;
}

const MARKUP = `
<aside id="schema" class="schema" aria-label="Schema"></aside>
<main class="workbench">
  <div class="toolbar">
    <button id="run" class="run-button" type="button" disabled>
      <svg class="run-icon" viewBox="0 0 12 12" aria-hidden="true"><path d="M3 1.8v8.4L10 6z"/></svg>
      <span>Run</span>
    </button>
    <button id="cancel" class="tool-button cancel-button" type="button" title="Stop the running query" hidden>Cancel</button>
    <button id="explain" class="tool-button" type="button" title="Show the plan of the statement at the cursor (EXPLAIN)">Explain</button>
    <button id="format" class="tool-button" type="button" title="Lay the query out (Shift+Alt+F)">Format</button>
    <button id="history-toggle" class="tool-button" type="button" title="Show past runs">History</button>
    <button id="saved-toggle" class="tool-button" type="button" title="Saved queries (Ctrl+S saves the current tab under a name)">Saved</button>
    <button id="audit-toggle" class="tool-button" type="button" aria-controls="audit-panel" aria-expanded="false" title="Show the audit journal">Audit</button>
    <button id="approvals-toggle" class="tool-button" type="button" aria-controls="approvals-panel" aria-expanded="false" title="Requests waiting for your decision, and grants you approved" hidden>Approvals</button>
    <select id="database" class="database-select" aria-label="Database" title="Database that unqualified table names resolve in"></select>
    <select id="workgroup" class="database-select workgroup-select" aria-label="Workgroup" title="Athena workgroup of your runs" hidden></select>
    <div class="verdict-box">
      <span id="verdict" class="verdict" data-verdict="pending" role="status" aria-live="polite">Nothing to run</span>
      <span id="verdict-elevations" class="verdict-elevations" hidden></span>
      <span id="pending-run" class="pending-run" role="status" aria-live="polite" hidden>
        <span id="pending-run-text" class="pending-run-text"></span>
        <button id="pending-run-cancel" class="withdraw-elevation" type="button">Don't run</button>
      </span>
    </div>
    <kbd class="shortcut"></kbd>
  </div>
  <div class="verdict-line">
    <span id="verdict-reason" class="verdict-reason" hidden></span>
    <span id="verdict-reads" class="verdict-reads" hidden></span>
  </div>
  <div id="policy-banner" class="policy-banner" role="status" aria-live="polite" hidden>
    <span id="policy-banner-text" class="policy-banner-text"></span>
  </div>
  <div id="session-banner" class="policy-banner" role="alert" hidden>
    <span id="session-banner-text" class="policy-banner-text"></span>
  </div>
  <div id="elevation-banner" class="policy-banner elevation-banner" role="status" aria-live="polite" hidden>
    <span id="elevation-banner-text" class="policy-banner-text"></span>
    <button class="banner-close" type="button" aria-label="Dismiss"></button>
  </div>
  <div class="tabs">
    <div id="tabs" class="tab-list" role="tablist" aria-label="Queries"></div>
    <button id="new-tab" class="tab-new" type="button" aria-label="New tab" title="New tab (Ctrl+T)">+</button>
  </div>
  <div id="editor" class="editor" role="tabpanel"></div>
  <section id="problems" class="problems" aria-label="Problems">
    <h2 class="problems-title">Problems <span id="problems-count" class="problems-count"></span></h2>
    <ol id="problems-list" class="problems-list"></ol>
  </section>
  <div id="error" class="error" role="alert" hidden>
    <span class="error-text"></span>
    <button class="error-close" type="button" aria-label="Dismiss"></button>
  </div>
  <section class="results" aria-label="Results">
    <div class="results-bar">
      <span class="results-title">Results</span>
      <span id="result-meta" class="result-meta"></span>
      <span id="result-note" class="result-note" role="status" aria-live="polite"></span>
      <span class="results-actions">
        <select id="chart-kind" class="database-select chart-kind" aria-label="Chart kind" hidden>
          <option value="bar">Bars</option>
          <option value="line">Lines</option>
        </select>
        <button id="chart-toggle" class="tool-button" type="button" aria-pressed="false" title="Show the result as a chart">Chart</button>
        <button id="export" class="tool-button" type="button" disabled title="Export the whole result to CSV or JSON">Export…</button>
      </span>
    </div>
    <div id="run-details" class="run-details" aria-label="Run details" hidden></div>
    <div id="grid" class="grid"></div>
    <div id="chart" class="chart" hidden></div>
  </section>
</main>
<aside id="audit-panel" class="audit-panel" aria-label="Audit journal" hidden></aside>
<aside id="history-panel" class="audit-panel history-panel" aria-label="History" hidden></aside>
<aside id="saved-panel" class="audit-panel history-panel saved-panel" aria-label="Saved queries" hidden></aside>
<aside id="approvals-panel" class="audit-panel history-panel approvals-panel" aria-label="Approvals" hidden></aside>
<footer id="status" class="statusbar" aria-label="Status"></footer>
`;

function required<T extends HTMLElement>(root: HTMLElement, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`layout is missing ${selector}`);
  return found;
}

export function mountLayout(root: HTMLElement, platform: string): Layout {
  root.classList.add("app");
  root.innerHTML = MARKUP;
  required(root, ".shortcut").textContent = runShortcut(platform);
  const layout: Layout = {
    schema: required(root, "#schema"),
    editor: required(root, "#editor"),
    run: required<HTMLButtonElement>(root, "#run"),
    cancel: required<HTMLButtonElement>(root, "#cancel"),
    database: required<HTMLSelectElement>(root, "#database"),
    workgroup: required<HTMLSelectElement>(root, "#workgroup"),
    verdict: required(root, "#verdict"),
    reason: required(root, "#verdict-reason"),
    reads: required(root, "#verdict-reads"),
    error: required(root, "#error"),
    errorText: required(root, ".error-text"),
    meta: required(root, "#result-meta"),
    note: required(root, "#result-note"),
    runDetails: required(root, "#run-details"),
    exportButton: required<HTMLButtonElement>(root, "#export"),
    grid: required(root, "#grid"),
    status: required(root, "#status"),
    banner: required(root, "#policy-banner"),
    bannerText: required(root, "#policy-banner-text"),
    elevations: required(root, "#verdict-elevations"),
    pendingRun: required(root, "#pending-run"),
    pendingRunText: required(root, "#pending-run-text"),
    pendingRunCancel: required<HTMLButtonElement>(root, "#pending-run-cancel"),
    elevationBanner: required(root, "#elevation-banner"),
    elevationBannerText: required(root, "#elevation-banner-text"),
    elevationBannerClose: required<HTMLButtonElement>(root, "#elevation-banner .banner-close"),
    auditToggle: required<HTMLButtonElement>(root, "#audit-toggle"),
    audit: required(root, "#audit-panel"),
    sessionBanner: required(root, "#session-banner"),
    sessionBannerText: required(root, "#session-banner-text"),
    problemsCount: required(root, "#problems-count"),
    problemsList: required(root, "#problems-list"),
    tabs: required(root, "#tabs"),
    newTab: required<HTMLButtonElement>(root, "#new-tab"),
    historyToggle: required<HTMLButtonElement>(root, "#history-toggle"),
    format: required<HTMLButtonElement>(root, "#format"),
    savedToggle: required<HTMLButtonElement>(root, "#saved-toggle"),
    chartToggle: required<HTMLButtonElement>(root, "#chart-toggle"),
    chartKind: required<HTMLSelectElement>(root, "#chart-kind"),
    chart: required(root, "#chart"),
    saved: required(root, "#saved-panel"),
    explain: required<HTMLButtonElement>(root, "#explain"),
    history: required(root, "#history-panel"),
    approvalsToggle: required<HTMLButtonElement>(root, "#approvals-toggle"),
    approvals: required(root, "#approvals-panel"),
  };
  required(root, ".error-close").addEventListener("click", () => showError(layout, null));
  return layout;
}

/** How long a short confirmation stays in the results bar. */
export const NOTE_MS = 2500;

/** The longest a note stays, however long (a column copied under a very long name). */
export const NOTE_MAX_MS = 10_000;

/**
 * How long `message` stays: NOTE_MS, or longer for a note with more to read (a copy whose
 * values the formula guard changed says so and how to avoid it), at 60 ms a character, about
 * the pace of slow reading, up to NOTE_MAX_MS.
 */
export function noteMs(message: string): number {
  return Math.min(NOTE_MAX_MS, Math.max(NOTE_MS, message.length * 60));
}

const noteTimers = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

/** Shows a confirmation in the results bar for `noteMs(message)`; a newer one replaces it. */
export function showNote(layout: Pick<Layout, "note">, message: string): void {
  const previous = noteTimers.get(layout.note);
  if (previous !== undefined) clearTimeout(previous);
  layout.note.textContent = message;
  noteTimers.set(
    layout.note,
    setTimeout(() => {
      layout.note.textContent = "";
      noteTimers.delete(layout.note);
    }, noteMs(message)),
  );
}

/** Shows a plain-words message in the error area, or hides it for null. */
export function showError(layout: Pick<Layout, "error" | "errorText">, message: string | null): void {
  layout.errorText.textContent = message ?? "";
  layout.error.hidden = message === null;
}
