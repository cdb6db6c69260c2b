// The "Request elevation" dialog: duration, justification and (when the
// policy asks for one) a ticket, checked here before the request goes out.
// It exists in the page only while open (`#elevation-dialog`). A grant or a
// request left waiting for an approver closes it; a refusal stays in it (or,
// when the dialog was closed meanwhile, goes to `hooks.error`). While open, a
// document-level key listener handles Escape and keeps Tab inside, wherever
// focus went (the backdrop or plain text leave it on the body).
//
// Opened from a refused query's verdict, it also offers "Request and run" (`hooks.andRun`): the
// same request, and the query it was opened for runs by itself once granted (pending-run.ts).
import type { ElevationDecision, ElevationOption, ElevationRequest } from "./api";
import {
  approvalText,
  checkRequest,
  clockTime,
  durationChoices,
  durationLabel,
  extensionChoices,
  ticketHint,
} from "./elevation-text";
import { describeError } from "./errors";
import type { PendingAsk } from "./pending-run";

export interface DialogHooks {
  request(request: ElevationRequest): Promise<ElevationDecision>;
  /** Every decision, whether or not the dialog is still open. */
  decided(decision: ElevationDecision): void;
  /** A refusal or failure that arrived after the dialog was closed, in plain words. */
  error?(message: string): void;
  /** Called on close when the element focused before the dialog opened is gone (or was the body). */
  restoreFocus?(): void;
  /**
   * Offers "Request and run": called when it is pressed and the fields are right, just before
   * the request goes out; it remembers the query and is told the request's fate.
   */
  andRun?(): PendingAsk;
  /** Why the query needs the elevation (the verdict's reason), shown in the dialog. */
  because?: string;
  /**
   * Extend mode: more time on the held grant `requestId` (ending at `expiresAtMs`), asked for
   * like a request and approved by the same rules.
   */
  extend?: { requestId: string; expiresAtMs: number };
}

const OUTCOMES = new Set(["granted", "pending", "denied"]);

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: { id?: string; className?: string; text?: string } = {}): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.id) node.id = props.id;
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  return node;
}

function field(label: string, hint: string, control: HTMLElement): HTMLElement {
  const wrap = element("div", { className: "dialog-field" });
  const caption = element("label", { className: "dialog-label", text: label });
  caption.htmlFor = control.id;
  if (hint) caption.append(" ", element("span", { className: "dialog-hint", text: hint }));
  wrap.append(caption, control);
  return wrap;
}

/** A rejected request in plain words: an invalid one is the backend's own sentence. */
function rejection(error: unknown): string {
  if (typeof error === "object" && error !== null && (error as { kind?: unknown }).kind === "invalid") {
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string" && message.trim() !== "") return message.trim();
  }
  return describeError(error);
}

export class ElevationDialog {
  readonly overlay: HTMLElement;
  readonly dialog: HTMLElement;
  readonly duration: HTMLSelectElement;
  readonly justification: HTMLTextAreaElement;
  readonly ticket: HTMLInputElement | null;
  readonly error: HTMLElement;
  readonly submit: HTMLButtonElement;
  /** "Request and run", when the dialog was opened for a query (`hooks.andRun`). */
  readonly submitRun: HTMLButtonElement | null;
  readonly cancel: HTMLButtonElement;

  /** "Request", or "Extend" in extend mode. */
  readonly verb: string;
  private submitting = false;
  private closed = false;
  private readonly returnFocus: Element | null;
  private readonly onKey = (event: KeyboardEvent) => this.key(event);

  constructor(
    host: HTMLElement,
    readonly option: ElevationOption,
    private readonly hooks: DialogHooks,
  ) {
    this.returnFocus = document.activeElement;
    this.overlay = element("div", { className: "dialog-backdrop" });
    this.dialog = element("div", { id: "elevation-dialog", className: "dialog" });
    this.dialog.setAttribute("role", "dialog");
    this.dialog.setAttribute("aria-modal", "true");
    this.dialog.setAttribute("aria-labelledby", "elevation-title");
    this.dialog.dataset.elevation = option.name;

    const extend = hooks.extend;
    this.verb = extend ? "Extend" : "Request";
    if (extend) this.dialog.dataset.extends = extend.requestId;
    const heading = extend ? `Extend ${option.name}` : `Request elevation ${option.name}`;
    const title = element("h2", { id: "elevation-title", className: "dialog-title", text: heading });
    const description = element("p", { id: "elevation-description", className: "dialog-text", text: option.description });
    description.hidden = option.description.trim() === "";
    if (!description.hidden) this.dialog.setAttribute("aria-describedby", description.id);
    const approval = element("p", { id: "elevation-approval", className: "elevation-approval", text: approvalText(option.approval) });
    approval.dataset.approval = option.approval;
    const reasonText = extend
      ? `It ends at ${clockTime(extend.expiresAtMs)}. More time on the same grant: running queries carry on; it may end at most ${durationLabel(option.maxDurationS)} from now.`
      : (hooks.because?.trim() ?? "");
    const because = element("p", { id: "elevation-because", className: "dialog-text", text: reasonText });
    because.hidden = because.textContent === "";

    this.duration = element("select", { id: "elevation-duration", className: "dialog-input" });
    const choices = extend ? extensionChoices(option, extend.expiresAtMs, Date.now()) : durationChoices(option);
    // Extending: the default, or the most that still fits.
    const preferred = extend ? Math.max(0, ...choices.filter((seconds) => seconds <= option.defaultDurationS)) || choices[choices.length - 1] : option.defaultDurationS;
    for (const seconds of choices) {
      const choice = element("option", { text: extend ? `${durationLabel(seconds)} more` : durationLabel(seconds) });
      choice.value = String(seconds);
      choice.selected = seconds === preferred;
      this.duration.append(choice);
    }

    const required = option.justification === "required";
    this.justification = element("textarea", { id: "elevation-justification", className: "dialog-input" });
    this.justification.rows = 3;
    this.justification.required = required;
    this.justification.setAttribute("aria-required", String(required));
    this.justification.placeholder = "What you need it for";

    const fields = [
      field("Duration", "", this.duration),
      field("Justification", required ? "(required)" : "(optional)", this.justification),
    ];
    if (option.ticketPattern !== null) {
      this.ticket = element("input", { id: "elevation-ticket", className: "dialog-input" });
      this.ticket.type = "text";
      this.ticket.autocomplete = "off";
      this.ticket.spellcheck = false;
      fields.push(field("Ticket", ticketHint(option.ticketPattern), this.ticket));
    } else {
      this.ticket = null;
    }

    this.error = element("p", { id: "elevation-error", className: "dialog-error" });
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;

    this.cancel = element("button", { id: "elevation-cancel", className: "dialog-button", text: "Cancel" });
    this.cancel.type = "button";
    this.submit = element("button", { id: "elevation-submit", className: "dialog-button is-primary", text: this.verb });
    this.submit.type = "submit";
    const actions = element("div", { className: "dialog-actions" });
    actions.append(this.cancel, this.submit);
    if (hooks.andRun && !extend) {
      // Request stays the default (Enter); this one is beside it, a Tab away.
      this.submitRun = element("button", { id: "elevation-submit-run", className: "dialog-button", text: "Request and run" });
      this.submitRun.type = "button";
      this.submitRun.title = `Request ${option.name}, then run the query by itself once it is granted (checked again first, and only if its text has not changed)`;
      this.submitRun.addEventListener("click", () => void this.send(true));
      actions.append(this.submitRun);
    } else {
      this.submitRun = null;
    }

    const form = element("form", { className: "dialog-form" });
    form.noValidate = true; // The checks below speak plainer words than the browser's.
    form.append(...fields, this.error, actions);
    this.dialog.append(title, description, because, approval, form);
    this.overlay.append(this.dialog);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    this.cancel.addEventListener("click", () => this.close());
    // On the document, in the capture phase: it works wherever focus is, even on the body.
    document.addEventListener("keydown", this.onKey, true);
    // Once the fields are right again, the complaint about them goes away.
    for (const control of [this.justification, this.ticket]) control?.addEventListener("input", () => this.recheck());

    if (extend && choices.length === 0) {
      // Nothing fits: say so rather than offer what the backend would refuse.
      this.duration.disabled = true;
      this.submit.disabled = true;
      this.showError(`${option.name} already holds as long as the policy allows (${durationLabel(option.maxDurationS)} from now); ask again once it is nearer its end.`);
    }
    host.append(this.overlay);
    (required ? this.justification : this.duration).focus();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Removes the dialog; a request already sent is still decided (`hooks.decided`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    document.removeEventListener("keydown", this.onKey, true);
    this.overlay.remove();
    const back = this.returnFocus;
    if (back instanceof HTMLElement && back.isConnected && back !== document.body) back.focus();
    else this.hooks.restoreFocus?.();
  }

  private showError(message: string | null): void {
    this.error.textContent = message ?? "";
    this.error.hidden = message === null;
  }

  /** An answer that refuses the request: in the dialog, or, once it is closed, through `hooks.error`. */
  private fail(message: string, closedMessage: string): void {
    if (this.closed) this.hooks.error?.(closedMessage);
    else this.showError(message);
  }

  private recheck(): void {
    if (this.error.hidden || this.submitting) return;
    const problem = checkRequest(this.option, { justification: this.justification.value, ticket: this.ticket?.value ?? "" });
    if (problem === null) {
      this.markInvalid(null, false);
      this.showError(null);
    }
  }

  private markInvalid(target: HTMLElement | null, focus = true): void {
    for (const control of [this.justification, this.ticket]) control?.removeAttribute("aria-invalid");
    if (target) {
      target.setAttribute("aria-invalid", "true");
      if (focus) target.focus();
    }
  }

  /** Checks the fields, sends the request and acts on the answer; `andRun`: "Request and run". */
  async send(andRun = false): Promise<void> {
    if (this.submitting || this.closed || this.submit.disabled) return;
    const problem = checkRequest(this.option, { justification: this.justification.value, ticket: this.ticket?.value ?? "" });
    if (problem) {
      this.showError(problem.message);
      this.markInvalid(problem.field === "ticket" ? this.ticket : this.justification);
      return;
    }
    this.markInvalid(null);
    this.showError(null);
    const chosen = Number(this.duration.value);
    const request: ElevationRequest = {
      name: this.option.name,
      durationS: Number.isFinite(chosen) && chosen > 0 ? chosen : null,
      justification: this.justification.value.trim(),
      ticket: this.ticket ? this.ticket.value.trim() || null : null,
    };
    if (this.hooks.extend) request.extends = this.hooks.extend.requestId;
    const pending = andRun && this.hooks.andRun ? this.hooks.andRun() : null;
    const pressed = pending && this.submitRun ? this.submitRun : this.submit;
    this.submitting = true;
    this.submit.disabled = true;
    if (this.submitRun) this.submitRun.disabled = true;
    pressed.textContent = this.hooks.extend ? "Extending…" : "Requesting…";
    try {
      const decision = await this.hooks.request(request);
      if (!decision || !OUTCOMES.has(decision.outcome)) {
        pending?.failed();
        const message = "Warden did not understand the answer to this request.";
        this.fail(message, `Could not request ${this.option.name}. ${message}`);
        return;
      }
      this.hooks.decided(decision);
      pending?.answered(decision);
      if (decision.outcome === "denied") {
        const message = decision.message?.trim() || `The ${this.hooks.extend ? "extension" : "request"} for ${this.option.name} was denied.`;
        this.fail(message, `${this.option.name} was not granted: ${message}`);
      } else {
        this.close();
      }
    } catch (error) {
      pending?.failed();
      const message = rejection(error);
      this.fail(message, `Could not request ${this.option.name}. ${message}`);
    } finally {
      this.submitting = false;
      this.submit.disabled = false;
      this.submit.textContent = this.verb;
      if (this.submitRun) {
        this.submitRun.disabled = false;
        this.submitRun.textContent = "Request and run";
      }
    }
  }

  private key(event: KeyboardEvent): void {
    if (this.closed) return;
    // Taken out of the page without close() (the host was emptied): stop listening, leave the key alone.
    if (!this.overlay.isConnected) {
      this.close();
      return;
    }
    // Escape while an input method composes text cancels the composition, not the dialog.
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      return;
    }
    if (event.key !== "Tab") return;
    // Keeps Tab inside the dialog while it is open (aria-modal).
    const focusable = [...this.dialog.querySelectorAll<HTMLElement>("select, textarea, input, button")].filter(
      (node) => !(node as HTMLButtonElement).disabled && !node.hidden,
    );
    if (focusable.length === 0) {
      event.preventDefault();
      return;
    }
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const at = document.activeElement;
    if (!(at instanceof Node) || !this.dialog.contains(at)) {
      // Focus is outside (on the body after a click on the backdrop or on text): back in at the near end.
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    } else if (event.shiftKey && at === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && at === last) {
      event.preventDefault();
      first.focus();
    }
  }
}
