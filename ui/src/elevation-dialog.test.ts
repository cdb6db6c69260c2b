import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ElevationDecision, ElevationOption, ElevationRequest } from "./api";
import { ElevationDialog, type DialogHooks } from "./elevation-dialog";
import type { PendingAsk } from "./pending-run";
import { elevationStatus, largeScan, piiRead } from "./testing";

let host: HTMLElement;
let request: ReturnType<typeof vi.fn<(request: ElevationRequest) => Promise<ElevationDecision>>>;
let decided: ReturnType<typeof vi.fn<(decision: ElevationDecision) => void>>;
let error: ReturnType<typeof vi.fn<(message: string) => void>>;
let restoreFocus: ReturnType<typeof vi.fn<() => void>>;

function decision(extra: Partial<ElevationDecision>): ElevationDecision {
  return { outcome: "granted", name: "pii-read", message: "", expiresAtMs: null, requestId: null, status: elevationStatus(), ...extra };
}

let opened: ElevationDialog[] = [];

function open(option: ElevationOption = piiRead(), extra: Partial<DialogHooks> = {}): ElevationDialog {
  const dialog = new ElevationDialog(host, option, { request, decided, error, restoreFocus, ...extra });
  opened.push(dialog);
  return dialog;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function fill(justification: string, ticket?: string): void {
  byId<HTMLTextAreaElement>("elevation-justification").value = justification;
  if (ticket !== undefined) byId<HTMLInputElement>("elevation-ticket").value = ticket;
}

beforeEach(() => {
  document.body.innerHTML = `<button id="opener">Request</button><div id="app"></div>`;
  host = byId("app");
  request = vi.fn<(request: ElevationRequest) => Promise<ElevationDecision>>();
  decided = vi.fn<(decision: ElevationDecision) => void>();
  error = vi.fn<(message: string) => void>();
  restoreFocus = vi.fn<() => void>();
});

function key(target: EventTarget, name: string, shiftKey = false): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { key: name, shiftKey, bubbles: true, cancelable: true });
  target.dispatchEvent(event);
  return event;
}

afterEach(() => {
  for (const dialog of opened) dialog.close();
  opened = [];
  document.body.innerHTML = "";
});

describe("the request dialog", () => {
  it("is a modal dialog naming the elevation, what it is for and who approves it", () => {
    const first = open();
    const dialog = byId("elevation-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(dialog.dataset.elevation).toBe("pii-read");
    expect(byId("elevation-title").textContent).toBe("Request elevation pii-read");
    expect(byId("elevation-description").textContent).toBe("Read columns tagged pii");
    expect(byId("elevation-approval").textContent).toBe("Approved automatically by policy");
    first.close();
    open(largeScan());
    expect(byId("elevation-approval").textContent).toBe("An approver must approve it");
    expect(byId("elevation-approval").dataset.approval).toBe("manual");
  });

  it("offers durations up to the maximum with the default preselected", () => {
    open();
    const select = byId<HTMLSelectElement>("elevation-duration");
    expect([...select.options].map((o) => o.textContent)).toEqual(["5 min", "15 min", "30 min", "1 h"]);
    expect(select.value).toBe("900");
    expect(select.selectedOptions[0].textContent).toBe("15 min");
  });

  it("marks a required justification and shows the ticket field only when there is a pattern", () => {
    open();
    const justification = byId<HTMLTextAreaElement>("elevation-justification");
    expect(justification.required).toBe(true);
    expect(justification.getAttribute("aria-required")).toBe("true");
    expect(document.querySelector('label[for="elevation-justification"]')?.textContent).toContain("(required)");
    expect(byId("elevation-ticket")).not.toBeNull();
    expect(document.querySelector('label[for="elevation-ticket"]')?.textContent).toBe("Ticket (must match (INC|SUP)-[0-9]+)");
    expect(document.querySelector('label[for="elevation-ticket"] .dialog-hint')?.textContent).toBe("(must match (INC|SUP)-[0-9]+)");
    // The justification is where a required dialog starts.
    expect(document.activeElement).toBe(justification);
  });

  it("has no ticket field and an optional justification when the policy says so", () => {
    open(largeScan());
    expect(byId("elevation-ticket")).toBeNull();
    expect(byId<HTMLTextAreaElement>("elevation-justification").required).toBe(false);
    expect(document.querySelector('label[for="elevation-justification"]')?.textContent).toContain("(optional)");
  });

  it("checks the fields before sending anything", async () => {
    const dialog = open();
    await dialog.send();
    expect(request).not.toHaveBeenCalled();
    expect(byId("elevation-error").hidden).toBe(false);
    expect(byId("elevation-error").textContent).toBe("Say why you need pii-read: a justification is required.");
    expect(byId("elevation-justification").getAttribute("aria-invalid")).toBe("true");

    fill("Quarterly audit", "JIRA-9");
    byId<HTMLButtonElement>("elevation-submit").click();
    await Promise.resolve();
    expect(request).not.toHaveBeenCalled();
    expect(byId("elevation-error").textContent).toBe("The ticket JIRA-9 does not match (INC|SUP)-[0-9]+.");
    expect(byId("elevation-ticket").getAttribute("aria-invalid")).toBe("true");
    expect(byId("elevation-justification").hasAttribute("aria-invalid")).toBe(false);
    expect(document.activeElement).toBe(byId("elevation-ticket"));
  });

  it("takes the complaint back once the fields are right", async () => {
    const dialog = open();
    await dialog.send();
    expect(byId("elevation-error").hidden).toBe(false);
    fill("Quarterly audit");
    byId("elevation-justification").dispatchEvent(new Event("input"));
    expect(byId("elevation-error").hidden).toBe(false); // the ticket is still missing
    fill("Quarterly audit", "INC-9");
    byId("elevation-ticket").dispatchEvent(new Event("input"));
    expect(byId("elevation-error").hidden).toBe(true);
    expect(byId("elevation-ticket").hasAttribute("aria-invalid")).toBe(false);
    expect(request).not.toHaveBeenCalled();
  });

  it("lets the backend judge a ticket pattern it cannot compile here", async () => {
    request.mockResolvedValue(decision({}));
    const dialog = open(piiRead({ ticketPattern: "(?i)inc-[0-9]+" }));
    fill("audit", "inc-4");
    await dialog.send();
    expect(request).toHaveBeenCalledOnce();
  });

  it("sends the chosen duration, the trimmed justification and ticket", async () => {
    request.mockResolvedValue(decision({ outcome: "granted", expiresAtMs: 1 }));
    const dialog = open();
    byId<HTMLSelectElement>("elevation-duration").value = "1800";
    fill("  Quarterly audit ", " INC-42 ");
    await dialog.send();
    expect(request).toHaveBeenCalledWith({ name: "pii-read", durationS: 1800, justification: "Quarterly audit", ticket: "INC-42" });
  });

  it("sends no ticket for an elevation without one", async () => {
    request.mockResolvedValue(decision({ outcome: "pending", name: "large-scan", requestId: "req-1" }));
    const dialog = open(largeScan());
    await dialog.send();
    expect(request).toHaveBeenCalledWith({ name: "large-scan", durationS: 3600, justification: "", ticket: null });
  });

  it("disables submit while the request is out", async () => {
    let answer: (value: ElevationDecision) => void = () => {};
    request.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    const dialog = open();
    fill("audit", "INC-1");
    const sent = dialog.send();
    const submit = byId<HTMLButtonElement>("elevation-submit");
    expect(submit.disabled).toBe(true);
    expect(submit.textContent).toBe("Requesting…");
    // A second submit while waiting sends nothing more.
    await dialog.send();
    expect(request).toHaveBeenCalledOnce();
    answer(decision({ outcome: "denied", message: "Not during a freeze." }));
    await sent;
    expect(submit.disabled).toBe(false);
    expect(submit.textContent).toBe("Request");
  });

  it("closes on a grant and hands the decision over", async () => {
    const granted = decision({ outcome: "granted", expiresAtMs: 123 });
    request.mockResolvedValue(granted);
    const dialog = open();
    fill("audit", "INC-1");
    await dialog.send();
    expect(decided).toHaveBeenCalledWith(granted);
    expect(byId("elevation-dialog")).toBeNull();
    expect(dialog.isOpen).toBe(false);
  });

  it("closes when the request waits for an approver", async () => {
    request.mockResolvedValue(decision({ outcome: "pending", name: "large-scan", requestId: "req-9" }));
    const dialog = open(largeScan());
    await dialog.send();
    expect(decided).toHaveBeenCalledWith(expect.objectContaining({ outcome: "pending", requestId: "req-9" }));
    expect(byId("elevation-dialog")).toBeNull();
  });

  it("stays open with the message when denied", async () => {
    request.mockResolvedValue(decision({ outcome: "denied", message: "pii-read is not available on weekends." }));
    const dialog = open();
    fill("audit", "INC-1");
    await dialog.send();
    expect(decided).toHaveBeenCalledOnce();
    expect(dialog.isOpen).toBe(true);
    expect(byId("elevation-error").hidden).toBe(false);
    expect(byId("elevation-error").textContent).toBe("pii-read is not available on weekends.");
  });

  it("shows the backend's words for an invalid request, and plain words for other failures", async () => {
    request.mockRejectedValueOnce({ kind: "invalid", message: "pii-read may last at most 60 minutes" });
    const dialog = open();
    fill("audit", "INC-1");
    await dialog.send();
    expect(byId("elevation-error").textContent).toBe("pii-read may last at most 60 minutes");
    expect(decided).not.toHaveBeenCalled();
    expect(dialog.isOpen).toBe(true);

    request.mockRejectedValueOnce({ kind: "internal", message: "the journal is locked" });
    await dialog.send();
    expect(byId("elevation-error").textContent).toBe("Something went wrong inside Warden: the journal is locked");
  });

  it("does not act on an answer it does not understand", async () => {
    request.mockResolvedValue({ outcome: "maybe" } as unknown as ElevationDecision);
    const dialog = open();
    fill("audit", "INC-1");
    await dialog.send();
    expect(decided).not.toHaveBeenCalled();
    expect(dialog.isOpen).toBe(true);
    expect(byId("elevation-error").textContent).toBe("Warden did not understand the answer to this request.");
  });

  it("closes with Cancel and with Escape, giving focus back", () => {
    const opener = byId<HTMLButtonElement>("opener");
    opener.focus();
    open();
    byId<HTMLButtonElement>("elevation-cancel").click();
    expect(byId("elevation-dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);

    const dialog = open();
    byId("elevation-justification").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(byId("elevation-dialog")).toBeNull();
    expect(dialog.isOpen).toBe(false);
    expect(request).not.toHaveBeenCalled();
  });

  it("keeps Tab inside the dialog", () => {
    open(largeScan());
    const submit = byId<HTMLButtonElement>("elevation-submit");
    submit.focus();
    submit.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(byId("elevation-duration"));
    byId("elevation-duration").dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", shiftKey: true, bubbles: true, cancelable: true }));
    expect(document.activeElement).toBe(submit);
  });
  it("leaves Escape to an input method that is composing text", () => {
    open();
    const compose = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, isComposing: true });
    byId("elevation-justification").dispatchEvent(compose);
    expect(byId("elevation-dialog")).not.toBeNull();
  });

  it("closes with Escape and keeps Tab inside even when focus is on the body", () => {
    const dialog = open(largeScan());
    // A click on the backdrop or on plain text leaves focus on the body.
    (document.activeElement as HTMLElement).blur();
    expect(document.activeElement).toBe(document.body);
    expect(key(document.body, "Tab").defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(byId("elevation-duration"));
    (document.activeElement as HTMLElement).blur();
    key(document.body, "Tab", true);
    expect(document.activeElement).toBe(byId("elevation-submit"));
    (document.activeElement as HTMLElement).blur();
    key(document.body, "Escape");
    expect(dialog.isOpen).toBe(false);
    expect(byId("elevation-dialog")).toBeNull();
  });

  it("lets Tab move on normally between the dialog's own fields", () => {
    open(largeScan());
    const event = key(byId("elevation-duration"), "Tab");
    expect(event.defaultPrevented).toBe(false);
  });

  it("listens to the document only while open", () => {
    const add = vi.spyOn(document, "addEventListener");
    const remove = vi.spyOn(document, "removeEventListener");
    const dialog = open();
    const keydowns = add.mock.calls.filter((call) => call[0] === "keydown");
    expect(keydowns).toHaveLength(1);
    dialog.close();
    expect(remove).toHaveBeenCalledWith("keydown", keydowns[0][1], true);
    add.mockRestore();
    remove.mockRestore();
    // Keys after the close reach the page untouched.
    byId<HTMLButtonElement>("opener").focus();
    expect(key(byId("opener"), "Escape").defaultPrevented).toBe(false);
    expect(key(byId("opener"), "Tab").defaultPrevented).toBe(false);
  });

  it("stops listening once taken out of the page without close()", () => {
    const dialog = open();
    host.replaceChildren();
    byId<HTMLButtonElement>("opener").focus();
    expect(key(byId("opener"), "Escape").defaultPrevented).toBe(false);
    expect(dialog.isOpen).toBe(false);
  });

  it("gives focus back to the opener when it is still there, else asks for a fallback", () => {
    const opener = byId<HTMLButtonElement>("opener");
    opener.focus();
    open().close();
    expect(document.activeElement).toBe(opener);
    expect(restoreFocus).not.toHaveBeenCalled();

    opener.focus();
    const dialog = open();
    opener.remove(); // A grant took the Request button away.
    dialog.close();
    expect(restoreFocus).toHaveBeenCalledOnce();

    // Opened with nothing focused: the fallback too.
    (document.activeElement as HTMLElement | null)?.blur();
    open().close();
    expect(restoreFocus).toHaveBeenCalledTimes(2);
  });

  it("sends a denial that arrives after Escape to the error hook", async () => {
    let answer: (value: ElevationDecision) => void = () => {};
    request.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    const dialog = open();
    fill("audit", "INC-1");
    const sent = dialog.send();
    key(document.body, "Escape");
    expect(dialog.isOpen).toBe(false);
    answer(decision({ outcome: "denied", message: "Not during the quarterly freeze." }));
    await sent;
    expect(decided).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalledWith("pii-read was not granted: Not during the quarterly freeze.");
    expect(byId("elevation-dialog")).toBeNull();
  });

  it("sends a rejection that arrives after Cancel to the error hook", async () => {
    let fail: (reason: unknown) => void = () => {};
    request.mockReturnValue(new Promise((_, reject) => (fail = reject)));
    const dialog = open();
    fill("audit", "INC-1");
    const sent = dialog.send();
    byId<HTMLButtonElement>("elevation-cancel").click();
    fail({ kind: "invalid", message: "pii-read may last at most 60 minutes" });
    await sent;
    expect(error).toHaveBeenCalledWith("Could not request pii-read. pii-read may last at most 60 minutes");
  });

  it("keeps refusals in the dialog while it is open", async () => {
    request.mockResolvedValue(decision({ outcome: "denied", message: "No." }));
    const dialog = open();
    fill("audit", "INC-1");
    await dialog.send();
    expect(error).not.toHaveBeenCalled();
    expect(byId("elevation-error").textContent).toBe("No.");
  });
});

describe("Request and run", () => {
  let answered: ReturnType<typeof vi.fn<(decision: ElevationDecision) => void>>;
  let failed: ReturnType<typeof vi.fn<() => void>>;
  let andRun: ReturnType<typeof vi.fn<() => PendingAsk>>;
  /** The order the dialog calls its hooks in. */
  let order: string[];

  beforeEach(() => {
    order = [];
    answered = vi.fn((d: ElevationDecision) => void order.push(`answered ${d.outcome}`));
    failed = vi.fn(() => void order.push("failed"));
    andRun = vi.fn(() => {
      order.push("andRun");
      return { answered, failed };
    });
    decided.mockImplementation((d) => void order.push(`decided ${d.outcome}`));
    request.mockImplementation(async () => {
      order.push("request");
      return decision({ outcome: "granted" });
    });
  });

  const runButton = () => byId<HTMLButtonElement>("elevation-submit-run");

  it("is offered only for a dialog opened for a query", () => {
    open();
    expect(runButton()).toBeNull();
  });

  it("is a named button beside Request, reached with Tab, and says why the query needs it", () => {
    open(piiRead(), { andRun, because: "It reads a column tagged pii." });
    const button = runButton();
    expect(button.textContent).toBe("Request and run");
    expect(button.type).toBe("button");
    expect(button.title).toBe("Request pii-read, then run the query by itself once it is granted (checked again first, and only if its text has not changed)");
    expect(button.previousElementSibling).toBe(byId("elevation-submit"));
    expect(byId("elevation-because").textContent).toBe("It reads a column tagged pii.");
    expect(byId("elevation-because").hidden).toBe(false);
    // Tab goes from Request to it, and from it round to the first field.
    byId("elevation-submit").focus();
    expect(key(byId("elevation-submit"), "Tab").defaultPrevented).toBe(false);
    button.focus();
    expect(key(button, "Tab").defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(byId("elevation-duration"));
    key(byId("elevation-duration"), "Tab", true);
    expect(document.activeElement).toBe(button);
  });

  it("says nothing of why when the verdict gave no reason", () => {
    open(piiRead(), { andRun });
    expect(byId("elevation-because").hidden).toBe(true);
  });

  it("sends the same request, remembering the query first and telling it the answer", async () => {
    const dialog = open(piiRead(), { andRun });
    fill(" audit ", "INC-1");
    runButton().click();
    await vi.waitFor(() => expect(dialog.isOpen).toBe(false));
    expect(request).toHaveBeenCalledWith({ name: "pii-read", durationS: 900, justification: "audit", ticket: "INC-1" });
    expect(order).toEqual(["andRun", "request", "decided granted", "answered granted"]);
  });

  it("remembers nothing while the fields are wrong", async () => {
    const dialog = open(piiRead(), { andRun });
    await dialog.send(true);
    expect(andRun).not.toHaveBeenCalled();
    expect(request).not.toHaveBeenCalled();
    expect(byId("elevation-error").hidden).toBe(false);
  });

  it("is not what Request does", async () => {
    const dialog = open(piiRead(), { andRun });
    fill("audit", "INC-1");
    byId("elevation-submit").click();
    await vi.waitFor(() => expect(dialog.isOpen).toBe(false));
    expect(andRun).not.toHaveBeenCalled();
    expect(request).toHaveBeenCalledOnce();
  });

  it("disables both buttons while the request is out, once", async () => {
    let answer: (value: ElevationDecision) => void = () => {};
    request.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    const dialog = open(piiRead(), { andRun });
    fill("audit", "INC-1");
    const sent = dialog.send(true);
    expect(runButton().disabled).toBe(true);
    expect(runButton().textContent).toBe("Requesting…");
    expect(byId<HTMLButtonElement>("elevation-submit").disabled).toBe(true);
    expect(byId("elevation-submit").textContent).toBe("Request");
    await dialog.send(true);
    await dialog.send();
    expect(andRun).toHaveBeenCalledOnce();
    expect(request).toHaveBeenCalledOnce();
    answer(decision({ outcome: "denied", message: "Not during a freeze." }));
    await sent;
    expect(answered).toHaveBeenCalledWith(expect.objectContaining({ outcome: "denied" }));
    expect(runButton().disabled).toBe(false);
    expect(runButton().textContent).toBe("Request and run");
  });

  it("tells the remembered query when the request fails or its answer is not understood", async () => {
    request.mockRejectedValueOnce({ kind: "invalid", message: "pii-read is already waiting (request req-1)" });
    const dialog = open(piiRead(), { andRun });
    fill("audit", "INC-1");
    await dialog.send(true);
    expect(failed).toHaveBeenCalledOnce();
    expect(answered).not.toHaveBeenCalled();
    expect(byId("elevation-error").textContent).toBe("pii-read is already waiting (request req-1)");

    request.mockResolvedValueOnce({ outcome: "maybe" } as unknown as ElevationDecision);
    await dialog.send(true);
    expect(failed).toHaveBeenCalledTimes(2);
    expect(answered).not.toHaveBeenCalled();
  });
});

describe("the dialog in extend mode", () => {
  const NOW = new Date(2026, 10, 21, 12, 0).getTime();

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is titled for the extension and offers only what keeps the end within the maximum from now", () => {
    // Ends in 40 min under a 1 h maximum: 20 min more at most.
    open(piiRead(), { extend: { requestId: "g1", expiresAtMs: NOW + 40 * 60_000 } });
    expect(byId("elevation-title").textContent).toBe("Extend pii-read");
    const select = byId<HTMLSelectElement>("elevation-duration");
    expect([...select.options].map((o) => o.textContent)).toEqual(["5 min more", "15 min more", "20 min more"]);
    expect(select.value).toBe("900");
    expect(byId("elevation-because").textContent).toContain("running queries carry on");
    expect(byId("elevation-submit-run")).toBeNull();
  });

  it("sends the grant it extends", async () => {
    request.mockResolvedValue(decision({ outcome: "granted", expiresAtMs: NOW + 55 * 60_000 }));
    const dialog = open(piiRead(), { extend: { requestId: "g1", expiresAtMs: NOW + 40 * 60_000 } });
    fill("more time", "INC-1");
    await dialog.send();
    expect(request).toHaveBeenCalledWith({ name: "pii-read", durationS: 900, justification: "more time", ticket: "INC-1", extends: "g1" });
    expect(dialog.isOpen).toBe(false);
  });

  it("says so plainly when nothing more fits, and sends nothing", async () => {
    const dialog = open(piiRead(), { extend: { requestId: "g1", expiresAtMs: NOW + 60 * 60_000 } });
    expect(byId<HTMLButtonElement>("elevation-submit").disabled).toBe(true);
    expect(byId("elevation-error").textContent).toContain("already holds as long as the policy allows");
    fill("more time", "INC-1");
    await dialog.send();
    expect(request).not.toHaveBeenCalled();
  });

  it("keeps a refused extension in the dialog with the backend's words", async () => {
    request.mockRejectedValue({ kind: "invalid", message: "there is no held grant g1 to extend" });
    const dialog = open(piiRead(), { extend: { requestId: "g1", expiresAtMs: NOW + 10 * 60_000 } });
    fill("more time", "INC-1");
    await dialog.send();
    expect(dialog.isOpen).toBe(true);
    expect(byId("elevation-error").textContent).toBe("there is no held grant g1 to extend");
    expect(byId("elevation-submit").textContent).toBe("Extend");
  });
});
