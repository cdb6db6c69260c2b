// Elevations in the window: a "Request elevation" button in the verdict box
// for each elevation an `elevate` verdict needs, the status bar item
// (`data-item="elevation"`: what is active, for how long, what waits for an
// approver, with an End button per grant and a Withdraw button per waiting
// request) and `#elevation-banner`, which says when a request was refused,
// warns before a grant ends and says when one has ended.
//
// Without a readable status there are no options, hence no buttons (fail
// closed), only a note that requests are unavailable; the backend enforces
// every grant again when a query runs. A grant is never shown past its end:
// it is dropped here at its expiry even if the backend says nothing.
import type {
  ActiveElevation,
  ElevationDecision,
  ElevationOption,
  ElevationRefusal,
  ElevationRequest,
  ElevationStatus,
  LintReport,
} from "./api";
import { ElevationDialog } from "./elevation-dialog";
import {
  UNAVAILABLE_NOTE,
  WAITING_LABEL,
  describeElevations,
  endedText,
  endingSoon,
  extendedText,
  listNames,
  pendingNote,
  pendingNoteTitle,
  refusalText,
  warningText,
} from "./elevation-text";
import { sentence } from "./diagnostics";
import { describeError } from "./errors";
import type { PendingAsk } from "./pending-run";

/** How often the time left is redrawn while an elevation is active. */
export const TICK_MS = 15_000;
/** How long "… has ended" stays up unless dismissed. */
export const ENDED_NOTICE_MS = 60_000;
/** The longest delay setTimeout takes as such (longer ones fire at once). */
const MAX_TIMER_MS = 2_147_483_647;
/** How soon an unreadable elevation status is asked for again. */
export const RETRY_MS = 15_000;

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
  /** Ends the grant `name`, or withdraws a request of that name still waiting for an approver. */
  end(name: string): Promise<ElevationStatus>;
}

export interface ElevationHooks {
  /** What the editor may read changed (a grant began or ended): check the text again. */
  accessChanged(): void;
  /** A failure outside the dialog, in plain words. */
  error(message: string): void;
  /** Where focus goes when the dialog closes and what had it before is gone (the editor). */
  restoreFocus?(): void;
  /**
   * For a dialog opened from the verdict: what "Request and run" does for elevation `name`
   * (remember the query and follow the request), or null to offer only "Request".
   */
  runAfter?(name: string): (() => PendingAsk) | null;
  /** Every status taken (from the backend, or the one shown taken again), after `accessChanged`. */
  statusChanged?(status: ElevationStatus): void;
}

const EMPTY: ElevationStatus = { options: [], active: [], pending: [], refusals: [], warnBeforeS: 300, version: 0 };

/** Identifies one grant: a renewed grant of the same name is a new one. */
const grantKey = (grant: ActiveElevation) => `${grant.name}@${grant.grantedAtMs}:${grant.expiresAtMs}`;
const grantKeys = (grants: readonly ActiveElevation[]) => grants.map(grantKey).sort().join("|");

/** `status` without the grants that have ended by `now`. */
function live(status: ElevationStatus, now: number): ElevationStatus {
  const active = status.active.filter((grant) => grant.expiresAtMs > now);
  return active.length === status.active.length ? status : { ...status, active };
}

export class Elevations {
  /** The status bar item; the app puts it into `#status` whenever it repaints the bar. */
  readonly item: HTMLElement;

  /** What is shown: the latest status, without grants past their end. */
  private status: ElevationStatus = EMPTY;
  /** Whether the latest attempt to read the status succeeded. */
  private statusRead = false;
  /** Whether a status has been read at all: refusals in the first one are old news, unless made since `openedAtMs`. */
  private primed = false;
  /** When the window started taking statuses. */
  private readonly openedAtMs = Date.now();
  private needed: string[] = [];
  /** The elevate verdict's reason, shown in the dialog it opens. */
  private because = "";
  private dialog: ElevationDialog | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private endedTimer: ReturnType<typeof setTimeout> | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Names whose end the banner announces, until dismissed or timed out. */
  private ended: string[] = [];
  /** Refusals the banner shows, until dismissed. */
  private refused: ElevationRefusal[] = [];
  /** Request ids of refusals already seen (shown, or in the first status). */
  private seenRefusals = new Set<string>();
  /** Request ids whose refusal this window already told (denied in the dialog). */
  private readonly toldRefusals = new Set<string>();
  /** Statuses taken from the backend so far, so a late failed read cannot undo a newer one. */
  private backendStatuses = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Grants whose warning was dismissed. */
  private readonly quieted = new Set<string>();
  private readonly ending = new Set<string>();
  private reloading = false;
  private disposed = false;
  /** "pii-read extended until 14:20.", shown until dismissed or timed out. */
  private extendedNote: string | null = null;
  private readonly onBannerClose = () => this.dismissBanner();

  constructor(
    private readonly elements: ElevationElements,
    private readonly source: ElevationSource,
    private readonly hooks: ElevationHooks,
  ) {
    this.item = document.createElement("span");
    this.item.className = "status-item";
    this.item.dataset.item = "elevation";
    this.item.hidden = true;
    elements.bannerClose.addEventListener("click", this.onBannerClose);
    this.render();
  }

  /** Whether the status could be read the last time it was asked for (false before the first). */
  get readable(): boolean {
    return this.statusRead;
  }

  /** The status in force; calls `accessChanged` when the active grants differ from before. */
  update(status: ElevationStatus): void {
    if (this.apply(status, true)) this.hooks.accessChanged();
    this.told();
  }

  /** The status could not be read: nothing can be requested; what was active stays shown until its end. */
  unavailable(): void {
    if (this.disposed) return;
    this.statusRead = false;
    if (this.apply({ ...this.status, options: [] }, false)) this.hooks.accessChanged();
    this.told();
    // A window that keeps its focus gets no focus retry: ask again on a timer too.
    if (this.retryTimer === null) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.disposed && !this.statusRead) void this.reload();
      }, RETRY_MS);
    }
  }

  /** Reads the status again (the policy changed, or a grant ran out without word from the backend). */
  reload(): Promise<void> {
    const before = this.backendStatuses;
    return this.source.status().then(
      (status) => this.update(status),
      () => {
        // A newer status arrived while this read failed: it stands.
        if (this.backendStatuses === before) this.unavailable();
      },
    );
  }

  /** The current verdict's report, or null when there is none to act on. */
  showReport(report: LintReport | null): void {
    this.needed = report?.verdict === "elevate" ? [...new Set(report.elevations ?? [])] : [];
    this.because = report?.verdict === "elevate" ? sentence(report.reason ?? "") : "";
    this.renderButtons();
  }

  /**
   * Opens the request dialog for `name` (a no-op for a name the policy does not define);
   * `fromVerdict`: opened for the query the verdict is about, so it offers "Request and run".
   */
  open(name: string, fromVerdict = false): ElevationDialog | null {
    const option = this.status.options.find((candidate) => candidate.name === name);
    if (!option || this.disposed) return null;
    this.dialog?.close();
    const andRun = fromVerdict ? (this.hooks.runAfter?.(name) ?? null) : null;
    this.dialog = new ElevationDialog(this.elements.host, option, {
      andRun: andRun ?? undefined,
      because: fromVerdict ? this.because : undefined,
      request: (request) => this.source.request(request),
      decided: (decision) => this.decided(decision),
      error: (message) => {
        if (!this.disposed) this.hooks.error(message);
      },
      restoreFocus: () => this.restoreFocus(name),
    });
    return this.dialog;
  }

  /**
   * Opens the dialog in extend mode for the grant of `name` held now: more time on the same
   * grant (a no-op when none is held or the policy does not define it).
   */
  openExtend(name: string): ElevationDialog | null {
    const option = this.status.options.find((candidate) => candidate.name === name);
    const grant = this.status.active.find((candidate) => candidate.name === name && candidate.expiresAtMs > Date.now());
    if (!option || !grant || this.disposed) return null;
    this.dialog?.close();
    const requestId = grant.requestId;
    this.dialog = new ElevationDialog(this.elements.host, option, {
      extend: { requestId, expiresAtMs: grant.expiresAtMs },
      restoreFocus: () => this.restoreExtendFocus(name),
      request: (request) => this.source.request(request),
      decided: (decision) => {
        this.decided(decision);
        const now = this.status.active.find((candidate) => candidate.requestId === requestId);
        if (decision.outcome === "granted" && now && !this.disposed) {
          this.extendedNote = extendedText(name, now.expiresAtMs);
          this.restartEndedTimer();
          this.renderBanner();
        }
      },
      error: (message) => {
        if (!this.disposed) this.hooks.error(message);
      },
    });
    return this.dialog;
  }

  /** The open dialog, if any. */
  get openDialog(): ElevationDialog | null {
    return this.dialog?.isOpen ? this.dialog : null;
  }

  /** Ends the grant `name` now, or withdraws the request for `name` that waits for an approver. */
  end(name: string): Promise<void> {
    if (this.ending.has(name)) return Promise.resolve();
    const withdrawing = !this.status.active.some((grant) => grant.name === name);
    this.ending.add(name);
    this.renderButtons();
    this.renderItem();
    return this.source
      .end(name)
      .then(
        (status) => this.update(status),
        (error: unknown) => {
          const what = withdrawing ? `Could not withdraw the request for ${name}.` : `Could not end ${name}.`;
          this.hooks.error(`${what} ${describeError(error)}`);
        },
      )
      .finally(() => {
        this.ending.delete(name);
        this.renderButtons();
        this.renderItem();
      });
  }

  dispose(): void {
    this.disposed = true;
    this.dialog?.close();
    this.dialog = null;
    this.elements.bannerClose.removeEventListener("click", this.onBannerClose);
    if (this.ticker !== null) clearInterval(this.ticker);
    if (this.endedTimer !== null) clearTimeout(this.endedTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.ticker = null;
    this.endedTimer = null;
    this.expiryTimer = null;
  }

  private decided(decision: ElevationDecision): void {
    if (this.disposed) return;
    let status = decision.status;
    // The dialog (or the error area) says so already: no banner for the same refusal.
    if (decision.outcome === "denied" && decision.requestId) this.toldRefusals.add(decision.requestId);
    // The note needs the request even if the status sent with it left it out.
    if (decision.outcome === "pending" && !status.pending.some((request) => request.name === decision.name)) {
      status = {
        ...status,
        pending: [...status.pending, { name: decision.name, requestId: decision.requestId ?? "", requestedAtMs: Date.now() }],
      };
    }
    const changed = this.apply(status, true);
    // The linter now answers with the grant in force: always ask again.
    if (changed || decision.outcome === "granted") this.hooks.accessChanged();
    this.told();
  }

  /** Hands the status shown to `statusChanged` (after `accessChanged`, so checks see the grants). */
  private told(): void {
    if (!this.disposed) this.hooks.statusChanged?.(this.status);
  }

  /** Puts focus back on the Request button for `name` if it is there (again), else where the app says. */
  private restoreFocus(name: string): void {
    if (this.disposed) return;
    const again = [...this.elements.buttons.querySelectorAll<HTMLButtonElement>("button.request-elevation")].find(
      (button) => button.dataset.elevation === name,
    );
    if (again) again.focus();
    else this.hooks.restoreFocus?.();
  }

  /** Puts focus back on the Extend button for `name` if it is there (again), else where the app says. */
  private restoreExtendFocus(name: string): void {
    if (this.disposed) return;
    const again = [...this.item.querySelectorAll<HTMLButtonElement>("button.extend-elevation")].find(
      (button) => button.dataset.elevation === name,
    );
    if (again) again.focus();
    else this.hooks.restoreFocus?.();
  }

  /**
   * Takes `status` (`fromBackend`: a status the backend sent, rather than
   * the one shown, taken again); true when the active grants changed.
   * Grants past their end are left out, as if the backend had said so.
   */
  private apply(incoming: ElevationStatus, fromBackend: boolean): boolean {
    if (this.disposed) return false;
    // An event and a command's answer may arrive out of order: never go back to older news.
    if (incoming.version < this.status.version) return false;
    const status = live(incoming, Date.now());
    const before = this.status.active;
    const stillActive = new Set(status.active.map((grant) => grant.name));
    const gone = before.map((grant) => grant.name).filter((name) => !stillActive.has(name));
    const changed = grantKeys(before) !== grantKeys(status.active);
    this.status = status;
    if (fromBackend) {
      this.backendStatuses += 1;
      this.statusRead = true;
      this.takeRefusals(status);
    }
    // A refusal gives way once that elevation is granted (after it) or asked for again; a
    // refused extension stays while the grant it was for runs on.
    const waiting = new Set(status.pending.map((request) => request.name));
    const grantedSince = (refusal: ElevationRefusal) =>
      status.active.some((grant) => grant.name === refusal.name && grant.grantedAtMs >= refusal.atMs);
    this.refused = this.refused.filter((refusal) => !grantedSince(refusal) && !waiting.has(refusal.name));
    for (const key of [...this.quieted]) if (!status.active.some((grant) => grantKey(grant) === key)) this.quieted.delete(key);
    this.ended = [...new Set([...this.ended.filter((name) => !stillActive.has(name)), ...gone])];
    // A grant whose end moved later was extended: here, or (on AWS) by the broker, whose
    // answer comes in a later status, not in the dialog's decision. Told once, either way.
    const extended = status.active.filter((grant) =>
      before.some((old) => old.requestId === grant.requestId && grant.expiresAtMs > old.expiresAtMs + 1000),
    );
    for (const grant of extended) this.extendedNote = extendedText(grant.name, grant.expiresAtMs);
    if (gone.length > 0 || extended.length > 0) this.restartEndedTimer();
    this.syncTicker();
    this.armExpiry();
    this.render();
    return changed;
  }

  /**
   * Notes the refusals in `status`: new ones go to the banner. In the first
   * status read, those from before the window opened are old news (the first
   * read may come late, on a retry, after a refusal made meanwhile).
   */
  private takeRefusals(status: ElevationStatus): void {
    const fresh = status.refusals.filter(
      (refusal) =>
        !this.seenRefusals.has(refusal.requestId) &&
        !this.toldRefusals.has(refusal.requestId) &&
        (this.primed || refusal.atMs > this.openedAtMs),
    );
    this.primed = true;
    // The backend keeps only the latest few: one that dropped out does not come back.
    this.seenRefusals = new Set([...status.refusals.map((refusal) => refusal.requestId), ...this.refused.map((refusal) => refusal.requestId)]);
    if (fresh.length > 0) this.refused = [...fresh, ...this.refused];
  }

  /** Sets the timer for the earliest end among the grants shown. */
  private armExpiry(): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (this.disposed || this.status.active.length === 0) return;
    const earliest = Math.min(...this.status.active.map((grant) => grant.expiresAtMs));
    const delay = Math.min(Math.max(earliest - Date.now(), 0), MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      this.expire();
    }, delay);
  }

  /** Drops the grants past their end, then asks the backend what is in force. */
  private expire(): void {
    if (this.disposed) return;
    const now = Date.now();
    if (!this.status.active.some((grant) => grant.expiresAtMs <= now)) {
      this.armExpiry();
      return;
    }
    if (this.apply(this.status, false)) this.hooks.accessChanged();
    this.told();
    if (this.reloading) return;
    this.reloading = true;
    void this.reload().finally(() => {
      this.reloading = false;
    });
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
    // The expiry timer may be late (a suspended machine): a grant past its end goes now.
    if (this.status.active.some((grant) => grant.expiresAtMs <= Date.now())) this.expire();
  }

  private restartEndedTimer(): void {
    if (this.endedTimer !== null) clearTimeout(this.endedTimer);
    this.endedTimer = setTimeout(() => {
      this.endedTimer = null;
      this.ended = [];
      this.extendedNote = null;
      this.renderBanner();
    }, ENDED_NOTICE_MS);
  }

  private dismissBanner(): void {
    this.ended = [];
    this.extendedNote = null;
    this.refused = [];
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

  private withdrawButton(name: string): HTMLButtonElement {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "withdraw-elevation";
    button.dataset.elevation = name;
    button.textContent = "Withdraw";
    button.title = `Withdraw the request for ${name}`;
    button.disabled = this.ending.has(name);
    button.addEventListener("click", () => void this.end(name));
    return button;
  }

  private renderButtons(): void {
    const active = new Set(this.status.active.map((grant) => grant.name));
    const options = new Map<string, ElevationOption>(this.status.options.map((option) => [option.name, option]));
    const nodes: HTMLElement[] = [];
    const unavailable: string[] = [];
    for (const name of this.needed) {
      if (active.has(name)) continue;
      const waiting = this.status.pending.find((request) => request.name === name);
      if (waiting) {
        const note = document.createElement("span");
        note.className = "elevation-pending";
        note.dataset.elevation = name;
        note.textContent = pendingNote(name);
        note.title = pendingNoteTitle(waiting);
        nodes.push(note, this.withdrawButton(name));
        continue;
      }
      if (!this.statusRead || !options.has(name)) {
        unavailable.push(name);
        continue;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "request-elevation";
      button.dataset.elevation = name;
      button.textContent = `Request elevation ${name}`;
      button.title = options.get(name)?.description || `Request the ${name} elevation`;
      button.addEventListener("click", () => void this.open(name, true));
      nodes.push(button);
    }
    if (unavailable.length > 0) {
      const note = document.createElement("span");
      note.className = "elevation-unavailable";
      note.dataset.elevation = unavailable.join(" ");
      note.textContent = UNAVAILABLE_NOTE;
      note.title = this.statusRead
        ? `The policy in force offers no way to request ${listNames(unavailable)}.`
        : "Warden could not read which elevations can be requested; it tries again when the window gets focus.";
      nodes.push(note);
    }
    const focused = focusedButton(this.elements.buttons);
    this.elements.buttons.replaceChildren(...nodes);
    this.elements.buttons.hidden = nodes.length === 0;
    refocus(this.elements.buttons, focused);
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
    const options = new Set(this.status.options.map((option) => option.name));
    const pending = new Set(this.status.pending.map((request) => request.name));
    const held = new Set(this.status.active.map((grant) => grant.name));
    display.grants.forEach((grant, index) => {
      if (index > 0) value.append(", ");
      const text = document.createElement("span");
      text.className = "elevation-grant";
      text.dataset.elevation = grant.name;
      text.textContent = grant.text;
      // More time on the same grant, while the policy offers the elevation and no extension waits.
      const extendable = this.statusRead && options.has(grant.name) && !pending.has(grant.name);
      if (extendable) {
        const extend = document.createElement("button");
        extend.type = "button";
        extend.className = "extend-elevation";
        extend.dataset.elevation = grant.name;
        extend.textContent = "Extend";
        extend.setAttribute("aria-label", `Extend ${grant.name}`);
        extend.title = `Ask for more time on ${grant.name}; running queries carry on`;
        extend.disabled = this.ending.has(grant.name);
        extend.addEventListener("click", () => void this.openExtend(grant.name));
        value.append(text, " ", extend, " ");
      } else {
        value.append(text, " ");
      }
      const end = document.createElement("button");
      end.type = "button";
      end.className = "end-elevation";
      end.dataset.elevation = grant.name;
      end.textContent = "End";
      end.title = `End ${grant.name} now`;
      end.disabled = this.ending.has(grant.name);
      end.addEventListener("click", () => void this.end(grant.name));
      value.append(end);
    });
    if (display.pending.length > 0) {
      if (display.grants.length > 0) value.append("; ");
      const waiting = document.createElement("span");
      waiting.className = "elevation-waiting";
      waiting.append(`${WAITING_LABEL} `);
      display.pending.forEach((name, index) => {
        if (index > 0) waiting.append(", ");
        const request = document.createElement("span");
        request.className = "elevation-request";
        request.dataset.elevation = name;
        if (held.has(name)) {
          // An extension: "Withdraw" would end the grant itself (ending it voids the extension).
          request.textContent = `${name} (more time)`;
          request.title = `An extension of ${name} waits for an approver; the grant runs on to its current end meanwhile`;
          waiting.append(request);
        } else {
          request.textContent = name;
          waiting.append(request, " ", this.withdrawButton(name));
        }
      });
      value.append(waiting);
    }
    const focused = focusedButton(this.item);
    this.item.replaceChildren(label, value);
    this.item.title = display.title;
    refocus(this.item, focused);
  }

  private renderBanner(): void {
    const { banner, bannerText } = this.elements;
    const soon = endingSoon(this.status, Date.now()).filter((grant) => !this.quieted.has(grantKey(grant)));
    const warning = warningText(soon, Date.now());
    const refused = refusalText(this.refused);
    const ended = endedText(this.ended);
    const extended = this.extendedNote;
    const text = [refused, ended, extended, warning].filter((part): part is string => part !== null).join(" ");
    const warns = warning !== null || refused !== null;
    banner.classList.toggle("is-warning", warns);
    banner.classList.toggle("is-info", !warns && (ended !== null || extended !== null));
    bannerText.textContent = text;
    banner.hidden = text === "";
  }
}

/** The button focused inside `root`, by what it is (class) and which elevation it acts on. */
interface FocusedButton {
  className: string;
  elevation: string | undefined;
}

function focusedButton(root: HTMLElement): FocusedButton | null {
  const active = document.activeElement;
  if (!(active instanceof HTMLButtonElement) || !root.contains(active)) return null;
  return { className: active.className, elevation: active.dataset.elevation };
}

/**
 * Focuses the rebuilt twin of the button that had focus: the status bar and the Request buttons
 * are built anew on every update (every 15 s while a grant is held), and a keyboard user on
 * "End" must not be thrown back to the page.
 */
function refocus(root: HTMLElement, focused: FocusedButton | null): void {
  if (focused === null) return;
  const twin = [...root.querySelectorAll<HTMLButtonElement>("button")].find(
    (button) => button.className === focused.className && button.dataset.elevation === focused.elevation,
  );
  twin?.focus();
}
