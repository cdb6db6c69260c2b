// The audit panel: the local audit journal (newest first, filterable by kind
// and time) and the state of its sync to the audit store. It loads when
// opened, when a filter changes, and on `audit-changed` while open.
import { AUDIT_KINDS, type AuditEvent, type AuditFilter, type AuditStatus } from "./api";
import { kindLabel, lastSyncText, payloadText, pendingText, SINCE_CHOICES, sinceFor, storeText, syncErrorText } from "./audit-text";
import { describeError } from "./errors";
import { formatCount } from "./format";
import { formatDateTime, formatRelative } from "./time";
import { element } from "./dom";
import { panelHead } from "./panel_head";

export const AUDIT_LIMIT = 200;

export interface AuditSource {
  events(filter: AuditFilter): Promise<AuditEvent[]>;
  status(): Promise<AuditStatus>;
  sync(): Promise<AuditStatus>;
}

function option(value: string, label: string): HTMLOptionElement {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

export class AuditPanel {
  readonly pending: HTMLElement;
  readonly lastSync: HTMLElement;
  readonly error: HTMLElement;
  readonly store: HTMLElement;
  readonly device: HTMLElement;
  readonly syncButton: HTMLButtonElement;
  readonly kind: HTMLSelectElement;
  readonly since: HTMLSelectElement;
  readonly list: HTMLOListElement;

  private open = false;
  private syncing = false;
  private eventsTicket = 0;
  private statusTicket = 0;
  /** Rows whose payload is shown, kept across reloads. */
  private readonly expanded = new Set<number>();

  constructor(
    private readonly root: HTMLElement,
    private readonly toggleButton: HTMLButtonElement,
    private readonly source: AuditSource,
    private readonly now: () => Date = () => new Date(),
  ) {
    const { head } = panelHead("Audit journal", "Close the audit panel", () => void this.setOpen(false));

    this.pending = element("span", "audit-pending", "…");
    this.pending.id = "audit-pending";
    this.lastSync = element("span", "audit-last-sync", "…");
    this.lastSync.id = "audit-last-sync";
    this.syncButton = element("button", "audit-sync-button", "Sync now");
    this.syncButton.id = "audit-sync";
    this.syncButton.type = "button";
    this.error = element("p", "audit-error");
    this.error.id = "audit-error";
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.store = element("p", "audit-store");
    this.store.id = "audit-store";
    this.device = element("p", "audit-device");
    const lastLine = element("div", "audit-sync-line");
    lastLine.append(element("span", "audit-sync-label", "Last sync"), this.lastSync);
    const syncHead = element("div", "audit-sync-head");
    syncHead.append(this.pending, this.syncButton);
    const sync = element("section", "audit-sync");
    sync.setAttribute("aria-label", "Sync");
    sync.append(syncHead, lastLine, this.error, this.store, this.device);

    this.kind = element("select", "audit-filter");
    this.kind.id = "audit-kind";
    this.kind.setAttribute("aria-label", "Kind of event");
    this.kind.append(option("", "All kinds"), ...AUDIT_KINDS.map((kind) => option(kind, kindLabel(kind))));
    this.since = element("select", "audit-filter");
    this.since.id = "audit-since";
    this.since.setAttribute("aria-label", "Since");
    this.since.append(...SINCE_CHOICES.map((choice) => option(choice.value, choice.label)));
    const filters = element("div", "audit-filters");
    filters.append(this.kind, this.since);

    this.list = element("ol", "audit-events");
    this.list.id = "audit-events";
    this.list.setAttribute("aria-label", "Audit events");

    root.replaceChildren(head, sync, filters, this.list);
    root.hidden = true;
    toggleButton.setAttribute("aria-expanded", "false");
    toggleButton.setAttribute("aria-controls", root.id || "audit-panel");

    toggleButton.addEventListener("click", () => void this.toggle());
    this.kind.addEventListener("change", () => void this.loadEvents());
    this.since.addEventListener("change", () => void this.loadEvents());
    this.syncButton.addEventListener("click", () => void this.sync());
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Opens (and loads) or closes the panel. */
  async setOpen(open: boolean): Promise<void> {
    this.open = open;
    this.root.hidden = !open;
    this.toggleButton.setAttribute("aria-expanded", String(open));
    this.toggleButton.classList.toggle("is-active", open);
    if (open) await this.refresh();
  }

  toggle(): Promise<void> {
    return this.setOpen(!this.open);
  }

  async refresh(): Promise<void> {
    await Promise.all([this.loadStatus(), this.loadEvents()]);
  }

  /** The filter the selects describe right now. */
  filter(): AuditFilter {
    return { kind: this.kind.value || null, since: sinceFor(this.since.value, this.now()), limit: AUDIT_LIMIT };
  }

  /** From `audit-changed`: shows the new state, and reloads the list while open. */
  statusChanged(status: AuditStatus): void {
    this.statusTicket += 1;
    this.showStatus(status);
    if (this.open) void this.loadEvents();
  }

  /** "Sync now": disabled until the sync answers, then shows the new state. */
  async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    this.syncButton.disabled = true;
    this.syncButton.textContent = "Syncing…";
    try {
      const status = await this.source.sync();
      // The freshest state there is: supersedes any status still loading.
      this.statusTicket += 1;
      this.showStatus(status);
    } catch (error) {
      this.showError(`The sync could not start. ${describeError(error)}`);
    } finally {
      this.syncing = false;
      this.syncButton.disabled = false;
      this.syncButton.textContent = "Sync now";
    }
  }

  async loadStatus(): Promise<void> {
    const ticket = ++this.statusTicket;
    try {
      const status = await this.source.status();
      if (ticket === this.statusTicket) this.showStatus(status);
    } catch (error) {
      if (ticket !== this.statusTicket) return;
      this.pending.textContent = "sync state unknown";
      this.lastSync.textContent = "unknown";
      this.showError(`Could not read the sync state. ${describeError(error)}`);
    }
  }

  async loadEvents(): Promise<void> {
    const ticket = ++this.eventsTicket;
    const filter = this.filter();
    this.list.setAttribute("aria-busy", "true");
    try {
      const events = await this.source.events(filter);
      if (ticket === this.eventsTicket) this.showEvents(Array.isArray(events) ? events : [], filter);
    } catch (error) {
      if (ticket === this.eventsTicket) this.showMessage(`Could not load the audit journal. ${describeError(error)}`, true);
    } finally {
      if (ticket === this.eventsTicket) this.list.removeAttribute("aria-busy");
    }
  }

  private showError(message: string | null): void {
    this.error.textContent = message ?? "";
    this.error.hidden = message === null;
  }

  private showStatus(status: AuditStatus): void {
    const now = this.now();
    this.pending.textContent = pendingText(status.pending);
    this.pending.classList.toggle("has-pending", status.pending > 0);
    this.lastSync.textContent = lastSyncText(status.lastSuccess, now);
    this.lastSync.title = status.lastSuccess ?? "";
    this.showError(syncErrorText(status, now));
    this.store.textContent = storeText(status.store);
    this.store.title = status.store ?? "";
    this.device.textContent = `Device ${status.deviceId} · ${formatCount(status.events, "event")} recorded`;
  }

  private showMessage(text: string, failed = false): void {
    const item = element("li", failed ? "audit-empty is-error" : "audit-empty", text);
    this.list.replaceChildren(item);
  }

  private showEvents(events: AuditEvent[], filter: AuditFilter): void {
    if (events.length === 0) {
      const filtered = filter.kind !== null || filter.since !== null;
      this.showMessage(filtered ? "No events match these filters." : "No events recorded yet.");
      return;
    }
    const now = this.now();
    const rows = events.slice(0, AUDIT_LIMIT).map((event) => this.row(event, now));
    if (events.length >= AUDIT_LIMIT) rows.push(element("li", "audit-more", `Showing the newest ${AUDIT_LIMIT} events.`));
    this.list.replaceChildren(...rows);
  }

  private row(event: AuditEvent, now: Date): HTMLLIElement {
    const row = element("li", "audit-row");
    row.dataset.kind = event.kind;
    row.dataset.seq = String(event.seq);

    const head = element("button", "audit-row-head");
    head.type = "button";
    const time = element("time", "audit-time", formatDateTime(event.at, { seconds: true }));
    time.dateTime = event.at;
    time.title = formatRelative(event.at, now);
    const kind = element("span", "audit-kind", kindLabel(event.kind));
    kind.title = event.kind;
    const summary = element("span", "audit-summary", event.summary);
    summary.title = event.summary;
    const actor = element("span", "audit-actor", event.actor);
    head.append(time, kind, summary, actor);

    const payload = element("pre", "audit-payload", payloadText(event.payload));
    const open = this.expanded.has(event.seq);
    payload.hidden = !open;
    row.classList.toggle("is-open", open);
    head.setAttribute("aria-expanded", String(open));

    // The whole row toggles, except clicks inside the payload (to select text).
    row.addEventListener("click", (click) => {
      if (click.target instanceof Node && payload.contains(click.target)) return;
      const show = payload.hidden;
      payload.hidden = !show;
      row.classList.toggle("is-open", show);
      head.setAttribute("aria-expanded", String(show));
      if (show) this.expanded.add(event.seq);
      else this.expanded.delete(event.seq);
    });
    row.append(head, payload);
    return row;
  }
}
