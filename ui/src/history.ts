// The History panel: past runs, read from the local audit journal (the events a run leaves:
// finished, failed, cancelled, or blocked by the gate), newest first, searchable; a click opens
// the text in a new tab, on the database the run's unqualified names resolved in (the journal's
// `query.database`; a run journaled before it was recorded opens on the current tab's, and its
// row says so). The journal keeps a query's text only when the policy says
// `audit.sql_text: full`; with `hash` there is no text to show or reopen, and the row says so.
import type { AuditEvent, AuditFilter } from "./api";
import { describeError } from "./errors";
import { formatBytes, formatCount, formatDuration } from "./format";
import { formatDateTime, formatRelative } from "./time";
import { element } from "./dom";
import { panelHead } from "./panel_head";

/** The journal's kinds that end a run (or refuse it). */
export const RUN_KINDS = ["query_finished", "query_failed", "query_cancelled", "query_blocked"] as const;

/** Runs listed, newest first; older ones stay in the Audit panel. */
export const HISTORY_LIMIT = 200;

export interface HistoryRun {
  seq: number;
  at: string;
  kind: string;
  workspace: string;
  /** Null when the journal keeps only the hash. */
  text: string | null;
  sha256: string | null;
  /** The gate's verdict as journaled: allow, warn, elevate or deny. */
  verdict: string | null;
  rows: number | null;
  bytes: number | null;
  durationMs: number | null;
  /** A failure's message, or a refusal's rule ids. */
  detail: string | null;
  /** The run's `?` parameters: how many, and their values when the journal keeps them. */
  parameters: RunParameters | null;
  /** The database its unqualified names resolved in; null when the journal did not record it. */
  database: string | null;
}

export interface RunParameters {
  count: number;
  /** Null when the policy keeps only hashes (`audit.sql_text: hash`). */
  values: string[] | null;
}

type Raw = Record<string, unknown>;

const record = (value: unknown): Raw | null => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Raw) : null);
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);
const count = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null);

/** A run from a journal event, or null for an event that is not a run or is malformed. */
export function toRun(event: AuditEvent): HistoryRun | null {
  if (!(RUN_KINDS as readonly string[]).includes(event.kind)) return null;
  const payload = record(event.payload);
  const query = record(payload?.query);
  if (!payload || !query) return null;
  const sql = record(query.sql);
  const rules = Array.isArray(query.rule_ids) ? query.rule_ids.filter((id): id is string => typeof id === "string") : [];
  return {
    seq: event.seq,
    at: event.at,
    kind: event.kind,
    workspace: event.workspace,
    text: text(sql?.text),
    sha256: text(sql?.sha256),
    verdict: text(query.verdict),
    rows: count(payload.rows),
    bytes: count(payload.bytes_scanned),
    durationMs: count(payload.duration_ms),
    detail: event.kind === "query_failed" ? text(payload.error) : event.kind === "query_blocked" && rules.length > 0 ? `rules: ${rules.join(", ")}` : null,
    parameters: parametersOf(query.parameters),
    database: text(query.database) || null,
  };
}

/** The journal's parameter record (`{count, values?}`), or null for a text without. */
function parametersOf(value: unknown): RunParameters | null {
  const raw = record(value);
  const n = count(raw?.count);
  if (!raw || n === null || n === 0) return null;
  const values = Array.isArray(raw.values) && raw.values.length === n && raw.values.every((v) => typeof v === "string") ? (raw.values as string[]) : null;
  return { count: n, values };
}

/** How the row names the values a run was given. */
export function parameterLine(parameters: RunParameters): string {
  const label = parameters.count === 1 ? "1 parameter" : `${parameters.count} parameters`;
  if (parameters.values === null) return `${label} (values not kept: the policy records only hashes)`;
  return `${label}: ${parameters.values.join(", ")}`;
}

const OUTCOME: Record<string, string> = {
  query_finished: "Finished",
  query_failed: "Failed",
  query_cancelled: "Cancelled",
  query_blocked: "Blocked",
};

const VERDICT: Record<string, string> = { allow: "allowed", warn: "allowed with warnings", elevate: "needed an elevation", deny: "denied" };

/** What the row says besides the text: outcome, verdict, rows, bytes, duration, workspace, database. */
export function runFacts(run: HistoryRun): string[] {
  const facts = [OUTCOME[run.kind] ?? run.kind];
  if (run.verdict) facts.push(VERDICT[run.verdict] ?? run.verdict);
  if (run.rows !== null) facts.push(formatCount(run.rows, "row"));
  if (run.bytes !== null) facts.push(`${formatBytes(run.bytes)} scanned`);
  if (run.durationMs !== null) facts.push(formatDuration(run.durationMs));
  facts.push(run.workspace);
  if (run.database) facts.push(`database ${run.database}`);
  return facts;
}

/** The row's note for a run whose database the journal did not record (written before it was). */
export const NO_DATABASE = "Database not recorded: it opens on the current tab's database.";

/** The line shown in place of a text the journal does not keep. */
export function hashedText(run: HistoryRun): string {
  const digest = run.sha256 ? ` (SHA-256 ${run.sha256.slice(0, 12)}…)` : "";
  return `Text not kept: the policy records only a hash of the query${digest}.`;
}

/** Whether `run` matches every word of `query` (text, outcome, verdict, workspace, detail). */
export function matches(run: HistoryRun, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [run.text ?? "", ...runFacts(run), run.detail ?? "", run.verdict ?? "", ...(run.parameters?.values ?? [])].join(" ").toLowerCase();
  return words.every((word) => haystack.includes(word));
}

export type EventsCall = (filter: AuditFilter) => Promise<AuditEvent[]>;

/** The newest runs of the journal: one read per kind, merged newest first. */
export async function loadRuns(events: EventsCall): Promise<HistoryRun[]> {
  const lists = await Promise.all(RUN_KINDS.map((kind) => events({ kind, since: null, limit: HISTORY_LIMIT })));
  return lists
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .map(toRun)
    .filter((run): run is HistoryRun => run !== null)
    .sort((a, b) => b.seq - a.seq)
    .slice(0, HISTORY_LIMIT);
}

export class HistoryPanel {
  readonly search: HTMLInputElement;
  readonly list: HTMLOListElement;
  private runs: HistoryRun[] = [];
  private open = false;
  private ticket = 0;
  private failed: string | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly toggleButton: HTMLButtonElement,
    private readonly events: EventsCall,
    /**
     * Opens `text` in a new tab on `database` (null: the journal did not record it, so the
     * current tab's); `values` are the run's parameter values, when kept.
     */
    private readonly reopen: (text: string, values: string[] | null, database: string | null) => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    const { head } = panelHead("History", "Close the history", () => void this.setOpen(false));
    this.search = element("input", "history-search");
    this.search.id = "history-search";
    this.search.type = "search";
    this.search.placeholder = "Search text, outcome, workspace";
    this.search.setAttribute("aria-label", "Search the history");
    this.list = element("ol", "history-list");
    this.list.id = "history-list";
    this.list.setAttribute("aria-label", "Past runs");
    root.replaceChildren(head, this.search, this.list);
    root.hidden = true;
    toggleButton.setAttribute("aria-expanded", "false");
    toggleButton.setAttribute("aria-controls", root.id || "history-panel");
    toggleButton.addEventListener("click", () => void this.setOpen(!this.open));
    this.search.addEventListener("input", () => this.render());
  }

  get isOpen(): boolean {
    return this.open;
  }

  async setOpen(open: boolean): Promise<void> {
    this.open = open;
    this.root.hidden = !open;
    this.toggleButton.setAttribute("aria-expanded", String(open));
    this.toggleButton.classList.toggle("is-active", open);
    if (open) {
      this.search.focus();
      await this.load();
    }
  }

  /** From `audit-changed`: a run may have ended; read again while open. */
  changed(): void {
    if (this.open) void this.load();
  }

  async load(): Promise<void> {
    const ticket = ++this.ticket;
    this.list.setAttribute("aria-busy", "true");
    try {
      const runs = await loadRuns(this.events);
      if (ticket !== this.ticket) return;
      this.runs = runs;
      this.failed = null;
    } catch (error) {
      if (ticket !== this.ticket) return;
      this.failed = `Could not read the history from the audit journal. ${describeError(error)}`;
    } finally {
      if (ticket === this.ticket) this.list.removeAttribute("aria-busy");
    }
    this.render();
  }

  private message(content: string, failed = false): void {
    this.list.replaceChildren(element("li", failed ? "audit-empty is-error" : "audit-empty", content));
  }

  private render(): void {
    if (this.failed !== null) return this.message(this.failed, true);
    if (this.runs.length === 0) return this.message("No runs recorded yet.");
    const query = this.search.value;
    const shown = this.runs.filter((run) => matches(run, query));
    if (shown.length === 0) return this.message("No runs match this search.");
    const now = this.now();
    this.list.replaceChildren(...shown.map((run) => this.row(run, now)));
  }

  private row(run: HistoryRun, now: Date): HTMLLIElement {
    const item = element("li", "history-row");
    item.dataset.seq = String(run.seq);
    item.dataset.kind = run.kind;
    const open = element("button", "history-open");
    open.type = "button";
    const sql = element("span", run.text === null ? "history-text is-hashed" : "history-text", run.text ?? hashedText(run));
    const time = element("time", "history-time", formatDateTime(run.at, { seconds: true }));
    time.dateTime = run.at;
    time.title = formatRelative(run.at, now);
    const facts = element("span", "history-facts", runFacts(run).join(" · "));
    open.append(sql, time, facts);
    if (run.parameters) open.append(element("span", "history-parameters", parameterLine(run.parameters)));
    if (run.detail) open.append(element("span", "history-detail", run.detail));
    if (run.database === null && run.text !== null) open.append(element("span", "history-detail history-no-database", NO_DATABASE));
    if (run.text === null) {
      open.disabled = true;
      open.title = "The journal keeps no text to reopen.";
    } else {
      const reopened = run.text;
      const values = run.parameters?.values ?? null;
      const database = run.database;
      const where = database ? ` on ${database}` : "";
      open.title = values ? `Open in a new tab${where} (its parameter values are offered again when it runs)` : `Open in a new tab${where}`;
      open.addEventListener("click", () => this.reopen(reopened, values, database));
    }
    item.append(open);
    return item;
  }
}
