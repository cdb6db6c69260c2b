// The Approvals panel (AWS workspaces): requests by others waiting for the signed-in approver,
// with Approve and Deny, and the grants they approved, with Revoke. Each action asks for a
// reason in a dialog (required to deny and to revoke) and goes to the same core code as
// `warden elevation approve|deny|revoke`; the broker judges it at its next pass. It loads when
// opened, on Refresh and after each action. Everything in a request but the requester and the
// times was written by the requester: it is only ever set as text.
import type { ApprovalAction, ApprovalDone, ApprovalRequest, Approvals, ApprovalVerb, ApprovedGrant, ExtensionOf } from "./api";
import { durationLabel } from "./elevation-text";
import { describeError } from "./errors";
import { field, Modal, node } from "./modal";
import { element } from "./dom";
import { panelHead } from "./panel_head";
import { formatDateTime, formatRelative } from "./time";

export interface ApprovalCalls {
  list(): Promise<Approvals>;
  act(action: ApprovalAction): Promise<ApprovalDone>;
}

/** The person in an `aws:userid` (`AROA...:ana@example.com` gives `ana@example.com`). */
export function personOf(userId: string): string {
  const at = userId.lastIndexOf(":");
  return at >= 0 && at < userId.length - 1 ? userId.slice(at + 1) : userId;
}

const VERBS: Record<ApprovalVerb, { title: string; text: string; submit: string; required: boolean }> = {
  approve: {
    title: "Approve",
    text: "The broker grants it at its next pass, for the duration asked. A note is optional.",
    submit: "Approve",
    required: false,
  },
  deny: {
    title: "Deny",
    text: "Say why: the requester sees the reason.",
    submit: "Deny",
    required: true,
  },
  revoke: {
    title: "Revoke",
    text: "The broker ends the grant at its next pass and issues no more credentials for it; a window that holds it locks out within seconds. Say why: the requester sees the reason.",
    submit: "Revoke",
    required: true,
  },
};

/** Shown on a request whose decision by the signed-in approver the broker refused. */
export const REFUSED_YOURS =
  "The broker refused your decision: you may not decide this request (its journal says why, e.g. not in the elevation's approver group). It waits for another approver.";

/** The same, with the broker's own reason when it gave one. */
export function refusedText(why: string | null): string {
  return why ? `The broker refused your decision: ${why}. It waits for another approver.` : REFUSED_YOURS;
}

/** What an extension adds time to: the grant, when it ends now and when it would end. */
export function extensionText(of: ExtensionOf, now: Date): string {
  if (of.endsAtMs === null || of.wouldEndAtMs === null) {
    return `More time on grant ${of.grantId}, which no longer holds (the broker refuses it)`;
  }
  const ends = new Date(of.endsAtMs).toISOString();
  const then = new Date(of.wouldEndAtMs).toISOString();
  return `More time on grant ${of.grantId}: it ends ${formatRelative(ends, now)} (${formatDateTime(ends)}), and would end ${formatDateTime(then)}`;
}

/** Longest reason the backend takes (as `warden elevation deny --reason`). */
export const MAX_REASON_CHARS = 1000;

export class ApprovalsPanel {
  readonly refreshButton: HTMLButtonElement;
  readonly note: HTMLElement;
  readonly requests: HTMLOListElement;
  readonly grants: HTMLOListElement;
  readonly problems: HTMLElement;
  /** The open reason dialog, if any. */
  dialog: Modal | null = null;
  reason: HTMLTextAreaElement | null = null;

  private open = false;
  private current: Approvals | null = null;
  private failed: string | null = null;
  private ticket = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly toggleButton: HTMLButtonElement,
    private readonly calls: ApprovalCalls,
    private readonly now: () => Date = () => new Date(),
  ) {
    const { head } = panelHead("Approvals", "Close the approvals", () => void this.setOpen(false));

    this.refreshButton = element("button", "tool-button approvals-refresh", "Refresh");
    this.refreshButton.id = "approvals-refresh";
    this.refreshButton.type = "button";
    this.note = element("p", "saved-note approvals-note");
    this.note.id = "approvals-note";
    this.note.setAttribute("role", "status");
    this.problems = element("div", "approvals-problems");
    this.problems.id = "approvals-problems";

    this.requests = element("ol", "history-list approvals-list");
    this.requests.id = "approvals-requests";
    this.requests.setAttribute("aria-labelledby", "approvals-requests-title");
    const requestsTitle = element("h3", "approvals-title", "Waiting for a decision");
    requestsTitle.id = "approvals-requests-title";
    this.grants = element("ol", "history-list approvals-list");
    this.grants.id = "approvals-grants";
    this.grants.setAttribute("aria-labelledby", "approvals-grants-title");
    const grantsTitle = element("h3", "approvals-title", "Grants you approved");
    grantsTitle.id = "approvals-grants-title";

    root.replaceChildren(head, this.refreshButton, this.note, this.problems, requestsTitle, this.requests, grantsTitle, this.grants);
    root.hidden = true;
    toggleButton.setAttribute("aria-expanded", "false");
    toggleButton.setAttribute("aria-controls", root.id || "approvals-panel");
    toggleButton.addEventListener("click", () => void this.setOpen(!this.open));
    this.refreshButton.addEventListener("click", () => void this.load());
  }

  get isOpen(): boolean {
    return this.open;
  }

  async setOpen(open: boolean): Promise<void> {
    this.open = open;
    this.root.hidden = !open;
    this.toggleButton.setAttribute("aria-expanded", String(open));
    this.toggleButton.classList.toggle("is-active", open);
    if (!open) this.dialog?.close();
    if (open) await this.load();
  }

  async load(): Promise<void> {
    const ticket = ++this.ticket;
    this.refreshButton.disabled = true;
    try {
      const answer = await this.calls.list();
      if (ticket !== this.ticket) return;
      this.current = answer;
      this.failed = null;
    } catch (error) {
      if (ticket !== this.ticket) return;
      this.current = null;
      this.failed = `Could not read the requests. ${describeError(error)}`;
    } finally {
      if (ticket === this.ticket) this.refreshButton.disabled = false;
    }
    this.render();
  }

  /** Opens the reason dialog for `verb` on `id` (a request, or a grant to revoke). */
  ask(verb: ApprovalVerb, id: string, name: string, requester: string): void {
    this.dialog?.close();
    const spec = VERBS[verb];
    const person = personOf(requester);
    const title = verb === "revoke" ? `${spec.title} ${name} of ${person}` : `${spec.title} ${name} for ${person}`;
    const reason = node("textarea", { id: "approval-reason", className: "dialog-input" });
    reason.rows = 3;
    reason.maxLength = MAX_REASON_CHARS;
    if (spec.required) reason.required = true;
    const modal = new Modal(
      { prefix: "approval", title, text: spec.text, submit: spec.submit },
      () => void this.submit(modal, reason, { id, verb, reason: reason.value.trim() === "" ? null : reason.value.trim() }),
      () => {
        if (this.dialog === modal) {
          this.dialog = null;
          this.reason = null;
        }
      },
    );
    this.dialog = modal;
    this.reason = reason;
    modal.open(document.body, [field(spec.required ? "Reason" : "Note", reason, spec.required ? "required" : "optional")], reason);
  }

  private async submit(modal: Modal, reason: HTMLTextAreaElement, action: ApprovalAction): Promise<void> {
    if (VERBS[action.verb].required && action.reason === null) {
      modal.showError("Give a reason: the requester sees it.", reason);
      return;
    }
    modal.showError(null);
    modal.submit.disabled = true;
    try {
      const done = await this.calls.act(action);
      // Newer than any load still on its way: that one must not draw over it.
      ++this.ticket;
      this.refreshButton.disabled = false;
      this.current = done.approvals;
      this.failed = null;
      this.note.textContent = done.message;
      this.note.classList.remove("is-error");
      modal.close();
      this.render();
      // The row whose button opened the dialog is gone: keep focus in the panel.
      if (document.activeElement === null || document.activeElement === document.body) this.refreshButton.focus();
    } catch (error) {
      if (modal.isOpen) modal.showError(describeError(error));
      else {
        this.note.textContent = describeError(error);
        this.note.classList.add("is-error");
      }
    } finally {
      modal.submit.disabled = false;
    }
  }

  private render(): void {
    this.problems.replaceChildren(...(this.current?.problems ?? []).map((p) => element("p", "audit-empty is-error", p)));
    if (this.failed !== null || this.current === null) {
      const message = this.failed ?? "…";
      this.requests.replaceChildren(element("li", "audit-empty is-error", message));
      this.grants.replaceChildren();
      return;
    }
    const { requests, grants } = this.current;
    this.requests.replaceChildren(
      ...(requests.length === 0 ? [element("li", "audit-empty", "No requests are waiting for you.")] : requests.map((r) => this.requestRow(r))),
    );
    this.grants.replaceChildren(
      ...(grants.length === 0 ? [element("li", "audit-empty", "No grant you approved holds now.")] : grants.map((g) => this.grantRow(g))),
    );
  }

  private button(text: string, label: string, onClick: () => void): HTMLButtonElement {
    const button = element("button", "tool-button approvals-action", text);
    button.type = "button";
    button.setAttribute("aria-label", label);
    button.addEventListener("click", onClick);
    return button;
  }

  private requestRow(request: ApprovalRequest): HTMLLIElement {
    const item = element("li", "history-row approvals-row");
    item.dataset.id = request.id;
    const person = personOf(request.requester);
    const requested = new Date(request.requestedAtMs).toISOString();
    const who = element("span", "saved-title", `${request.name} for ${person}`);
    who.title = request.requester;
    const facts = element(
      "span",
      "history-facts",
      `${durationLabel(request.durationS)} · asked ${formatRelative(requested, this.now())} (${formatDateTime(requested)})`,
    );
    const why = element("span", "history-text approvals-justification", request.justification || "(no justification)");
    const body = element("div", "approvals-body");
    body.append(who, facts);
    if (request.extends) body.append(element("span", "history-facts approvals-extends", extensionText(request.extends, this.now())));
    if (request.ticket) body.append(element("span", "history-facts approvals-ticket", `Ticket ${request.ticket}`));
    body.append(why);
    if (request.refusedYours) {
      // A decision is written once: the approver cannot decide this request again.
      body.append(element("p", "approvals-refused is-error", refusedText(request.refusedWhy)));
      item.append(body);
      return item;
    }
    const actions = element("div", "approvals-actions");
    actions.append(
      this.button("Approve…", `Approve ${request.name} for ${person}`, () => this.ask("approve", request.id, request.name, request.requester)),
      this.button("Deny…", `Deny ${request.name} for ${person}`, () => this.ask("deny", request.id, request.name, request.requester)),
    );
    item.append(body, actions);
    return item;
  }

  private grantRow(grant: ApprovedGrant): HTMLLIElement {
    const item = element("li", "history-row approvals-row");
    item.dataset.id = grant.id;
    const person = personOf(grant.requester);
    const ends = new Date(grant.expiresAtMs).toISOString();
    const who = element("span", "saved-title", `${grant.name} of ${person}`);
    who.title = grant.requester;
    const body = element("div", "approvals-body");
    body.append(who, element("span", "history-facts", `ends ${formatRelative(ends, this.now())} (${formatDateTime(ends)})`));
    const actions = element("div", "approvals-actions");
    actions.append(this.button("Revoke…", `Revoke ${grant.name} of ${person}`, () => this.ask("revoke", grant.id, grant.name, grant.requester)));
    item.append(body, actions);
    return item;
  }
}
