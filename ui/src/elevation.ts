// Elevations in the window: a "Request elevation" button in the verdict box
// for each elevation an `elevate` verdict needs, the status bar item
// (`data-item="elevation"`: what is active, for how long, what waits for an
// approver, with an End button per grant) and `#elevation-banner`, which
// warns before a grant ends and says when one has ended.
//
// Without a readable status there are no options, hence no buttons (fail
// closed); the backend enforces every grant again when a query runs.
import type { ActiveElevation, ElevationDecision, ElevationOption, ElevationRequest, ElevationStatus, LintReport } from "./api";
import { ElevationDialog } from "./elevation-dialog";
import { describeElevations, endedText, endingSoon, pendingNote, warningText } from "./elevation-text";
import { describeError } from "./errors";

/** How often the time left is redrawn while an elevation is active. */
export const TICK_MS = 15_000;
/** How long "… has ended" stays up unless dismissed. */
export const ENDED_NOTICE_MS = 60_000;

export interface ElevationElements {
  /** Where the dialog is mounted (the app root). */
  host: HTMLElement;
  /** `#verdict-elevations` in the verdict box. */
  buttons: HTMLElement;
  banner: HTMLElement;
  bannerText: HTMLElement;
  bannerClose: HTMLButtonElement;
}

export interface ElevationSource {
  status(): Promise<ElevationStatus>;
  request(request: ElevationRequest): Promise<ElevationDecision>;
  end(name: string): Promise<ElevationStatus>;
}

export interface ElevationHooks {
  /** What the editor may read changed (a grant began or ended): check the text again. */
  accessChanged(): void;
  /** A failure outside the dialog, in plain words. */
  error(message: string): void;
}

const EMPTY: ElevationStatus = { options: [], active: [], pending: [], warnBeforeS: 300, version: 0 };

/** Identifies one grant: a renewed grant of the same name is a new one. */
const grantKey = (grant: ActiveElevation) => `${grant.name}@${grant.grantedAtMs}:${grant.expiresAtMs}`;
const grantKeys = (grants: readonly ActiveElevation[]) => grants.map(grantKey).sort().join("|");

export class Elevations {
  /** The status bar item; the app puts it into `#status` whenever it repaints the bar. */
  readonly item: HTMLElement;

  private status: ElevationStatus = EMPTY;
  private needed: string[] = [];
  private dialog: ElevationDialog | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private endedTimer: ReturnType<typeof setTimeout> | null = null;
  /** Names whose end the banner announces, until dismissed or timed out. */
  private ended: string[] = [];
  /** Grants whose warning was dismissed. */
  private readonly quieted = new Set<string>();
  private readonly ending = new Set<string>();
  private reloading = false;
  private disposed = false;

  constructor(
    private readonly elements: ElevationElements,
    private readonly source: ElevationSource,
    private readonly hooks: ElevationHooks,
  ) {
    this.item = document.createElement("span");
    this.item.className = "status-item";
    this.item.dataset.item = "elevation";
    this.item.hidden = true;
    elements.bannerClose.addEventListener("click", () => this.dismissBanner());
    this.render();
  }

  /** The status in force; calls `accessChanged` when the active grants differ from before. */
  update(status: ElevationStatus): void {
    if (this.apply(status)) this.hooks.accessChanged();
  }

  /** The status could not be read: nothing can be requested; what was active stays shown. */
  unavailable(): void {
    this.status = { ...this.status, options: [] };
    this.render();
  }

  /** Reads the status again (the policy changed, or a grant ran out without word from the backend). */
  reload(): Promise<void> {
    return this.source.status().then(
      (status) => this.update(status),
      () => this.unavailable(),
    );
  }

  /** The current verdict's report, or null when there is none to act on. */
  showReport(report: LintReport | null): void {
    this.needed = report?.verdict === "elevate" ? [...new Set(report.elevations ?? [])] : [];
    this.renderButtons();
  }

  /** Opens the request dialog for `name` (a no-op for a name the policy does not define). */
  open(name: string): ElevationDialog | null {
    const option = this.status.options.find((candidate) => candidate.name === name);
    if (!option || this.disposed) return null;
    this.dialog?.close();
    this.dialog = new ElevationDialog(this.elements.host, option, {
      request: (request) => this.source.request(request),
      decided: (decision) => this.decided(decision),
    });
    return this.dialog;
  }

  /** The open dialog, if any. */
  get openDialog(): ElevationDialog | null {
    return this.dialog?.isOpen ? this.dialog : null;
  }

  /** Ends the grant `name` now. */
  end(name: string): Promise<void> {
    if (this.ending.has(name)) return Promise.resolve();
    this.ending.add(name);
    this.renderItem();
    return this.source
      .end(name)
      .then(
        (status) => this.update(status),
        (error: unknown) => this.hooks.error(`Could not end ${name}. ${describeError(error)}`),
      )
      .finally(() => {
        this.ending.delete(name);
        this.renderItem();
      });
  }

  dispose(): void {
    this.disposed = true;
    this.dialog?.close();
    this.dialog = null;
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.endedTimer !== null) clearTimeout(this.endedTimer);
    this.ticker = null;
    this.endedTimer = null;
  }

  private decided(decision: ElevationDecision): void {
    if (this.disposed) return;
    let status = decision.status;
    // The note needs the request even if the status sent with it left it out.
    if (decision.outcome === "pending" && !status.pending.some((request) => request.name === decision.name)) {
      status = {
        ...status,
        pending: [...status.pending, { name: decision.name, requestId: decision.requestId ?? "", requestedAtMs: Date.now() }],
      };
    }
    const changed = this.apply(status);
    // The linter now answers with the grant in force: always ask again.
    if (changed || decision.outcome === "granted") this.hooks.accessChanged();
  }

  /** Takes `status`; true when the active grants changed. */
  private apply(status: ElevationStatus): boolean {
    if (this.disposed) return false;
    // An event and a command's answer may arrive out of order: never go back to older news.
    if (status.version < this.status.version) return false;
    const before = this.status.active;
    const stillActive = new Set(status.active.map((grant) => grant.name));
    const gone = before.map((grant) => grant.name).filter((name) => !stillActive.has(name));
    const changed = grantKeys(before) !== grantKeys(status.active);
    this.status = status;
    for (const key of [...this.quieted]) if (!status.active.some((grant) => grantKey(grant) === key)) this.quieted.delete(key);
    this.ended = [...new Set([...this.ended.filter((name) => !stillActive.has(name)), ...gone])];
    if (gone.length > 0) this.restartEndedTimer();
    this.syncTicker();
    this.render();
    return changed;
  }

  private syncTicker(): void {
    if (this.status.active.length > 0 && this.ticker === null) {
      this.ticker = setInterval(() => this.tick(), TICK_MS);
    } else if (this.status.active.length === 0 && this.ticker !== null) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  private tick(): void {
    this.render();
    // A grant past its end should have been announced; ask rather than wait.
    if (!this.reloading && this.status.active.some((grant) => grant.expiresAtMs <= Date.now())) {
      this.reloading = true;
      void this.reload().finally(() => {
        this.reloading = false;
      });
    }
  }

  private restartEndedTimer(): void {
    if (this.endedTimer !== null) clearTimeout(this.endedTimer);
    this.endedTimer = setTimeout(() => {
      this.endedTimer = null;
      this.ended = [];
      this.renderBanner();
    }, ENDED_NOTICE_MS);
  }

  private dismissBanner(): void {
    this.ended = [];
    if (this.endedTimer !== null) clearTimeout(this.endedTimer);
    this.endedTimer = null;
    for (const grant of endingSoon(this.status, Date.now())) this.quieted.add(grantKey(grant));
    this.renderBanner();
  }

  private render(): void {
    this.renderButtons();
    this.renderItem();
    this.renderBanner();
  }

  private renderButtons(): void {
    const active = new Set(this.status.active.map((grant) => grant.name));
    const options = new Map<string, ElevationOption>(this.status.options.map((option) => [option.name, option]));
    const nodes: HTMLElement[] = [];
    for (const name of this.needed) {
      if (active.has(name) || !options.has(name)) continue;
      const waiting = this.status.pending.find((request) => request.name === name);
      if (waiting) {
        const note = document.createElement("span");
        note.className = "elevation-pending";
        note.dataset.elevation = name;
        note.textContent = pendingNote(waiting.requestId);
        nodes.push(note);
        continue;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "request-elevation";
      button.dataset.elevation = name;
      button.textContent = `Request elevation ${name}`;
      button.title = options.get(name)?.description || `Request the ${name} elevation`;
      button.addEventListener("click", () => void this.open(name));
      nodes.push(button);
    }
    this.elements.buttons.replaceChildren(...nodes);
    this.elements.buttons.hidden = nodes.length === 0;
  }

  private renderItem(): void {
    const display = describeElevations(this.status, Date.now());
    this.item.hidden = display === null;
    this.item.classList.toggle("is-warning", display?.warning ?? false);
    if (!display) {
      this.item.replaceChildren();
      this.item.removeAttribute("title");
      return;
    }
    const label = document.createElement("span");
    label.className = "status-label";
    label.textContent = display.label;
    const value = document.createElement("span");
    value.className = "status-value";
    display.grants.forEach((grant, index) => {
      if (index > 0) value.append(", ");
      const text = document.createElement("span");
      text.className = "elevation-grant";
      text.dataset.elevation = grant.name;
      text.textContent = grant.text;
      const end = document.createElement("button");
      end.type = "button";
      end.className = "end-elevation";
      end.dataset.elevation = grant.name;
      end.textContent = "End";
      end.title = `End ${grant.name} now`;
      end.disabled = this.ending.has(grant.name);
      end.addEventListener("click", () => void this.end(grant.name));
      value.append(text, " ", end);
    });
    if (display.pending) {
      if (display.grants.length > 0) value.append("; ");
      const waiting = document.createElement("span");
      waiting.className = "elevation-waiting";
      waiting.textContent = display.pending;
      value.append(waiting);
    }
    this.item.replaceChildren(label, value);
    this.item.title = display.title;
  }

  private renderBanner(): void {
    const { banner, bannerText } = this.elements;
    const soon = endingSoon(this.status, Date.now()).filter((grant) => !this.quieted.has(grantKey(grant)));
    const warning = warningText(soon, Date.now());
    const ended = endedText(this.ended);
    const text = [ended, warning].filter((part): part is string => part !== null).join(" ");
    banner.classList.toggle("is-warning", warning !== null);
    banner.classList.toggle("is-info", warning === null && ended !== null);
    bannerText.textContent = text;
    banner.hidden = text === "";
  }
}
