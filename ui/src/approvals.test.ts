import { describe, expect, it, vi } from "vitest";
import type { ApprovalAction, Approvals } from "./api";
import { ApprovalsPanel, extensionText, personOf, REFUSED_YOURS, refusedText } from "./approvals";

const ME = "AROAEXAMPLE:bob@example.com";
const ANA = "AROAEXAMPLE:ana@example.com";
const NOW = new Date(Date.UTC(2026, 11, 4, 12, 0));

function approvals(extra: Partial<Approvals> = {}): Approvals {
  return {
    me: ME,
    requests: [
      {
        id: "0190f0e0-0000-7000-8000-0000000000a1",
        name: "pii-read",
        requester: ANA,
        requestedAtMs: NOW.getTime() - 5 * 60_000,
        durationS: 900,
        justification: "fraud case 7\u001b[2J",
        ticket: "INC-7",
        refusedYours: false,
        refusedWhy: null,
        extends: null,
      },
    ],
    grants: [
      {
        id: "0190f0e0-0000-7000-8000-0000000000b2",
        name: "large-scan",
        requester: ANA,
        grantedAtMs: NOW.getTime() - 60_000,
        expiresAtMs: NOW.getTime() + 20 * 60_000,
      },
    ],
    problems: [],
    ...extra,
  };
}

/** A backend that answers as the real one: a denial or revocation without a reason is refused. */
function backend(initial = approvals()) {
  let current = initial;
  return {
    list: vi.fn(async () => current),
    act: vi.fn(async (action: ApprovalAction) => {
      if (action.id === "gone") throw { kind: "invalid", message: "request gone is not a grant that holds (it is revoked); only a held grant can be revoked" };
      current = {
        ...current,
        requests: current.requests.filter((r) => r.id !== action.id),
        grants: current.grants.filter((g) => g.id !== action.id),
      };
      return { message: `${action.verb} written; the broker judges it at its next pass`, approvals: current };
    }),
  };
}

async function mount(calls = backend()) {
  const root = document.createElement("aside");
  root.id = "approvals-panel";
  const toggle = document.createElement("button");
  toggle.textContent = "Approvals";
  document.body.replaceChildren(toggle, root);
  const panel = new ApprovalsPanel(root, toggle, calls, () => NOW);
  await panel.setOpen(true);
  return { panel, root, toggle, calls };
}

function buttonNamed(root: ParentNode, name: string): HTMLButtonElement {
  const found = [...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => (b.getAttribute("aria-label") ?? b.textContent) === name);
  if (!found) throw new Error(`no button named ${name}`);
  return found;
}

describe("the Approvals panel", () => {
  it("says which grant an extension adds time to, when it ends now and when it would end", async () => {
    const base = approvals();
    const extension = {
      ...base.requests[0],
      id: "0190f0e0-0000-7000-8000-0000000000c3",
      durationS: 1200,
      extends: { grantId: "0190f0e0-0000-7000-8000-0000000000b9", endsAtMs: NOW.getTime() + 5 * 60_000, wouldEndAtMs: NOW.getTime() + 25 * 60_000 },
    };
    const over = { ...extension, id: "0190f0e0-0000-7000-8000-0000000000d4", extends: { grantId: "0190f0e0-0000-7000-8000-0000000000b8", endsAtMs: null, wouldEndAtMs: null } };
    const { root } = await mount(backend(approvals({ requests: [base.requests[0], extension, over] })));
    const rows = [...root.querySelectorAll<HTMLElement>("#approvals-requests .approvals-row")];
    expect(rows.map((r) => r.dataset.id)).toEqual([base.requests[0].id, extension.id, over.id]);
    expect(rows[0].querySelector(".approvals-extends")).toBeNull();
    const said = rows[1].querySelector(".approvals-extends")!.textContent!;
    expect(said).toBe(extensionText(extension.extends, NOW));
    expect(said).toContain("More time on grant 0190f0e0-0000-7000-8000-0000000000b9: it ends in 5 min");
    expect(said).toContain("would end");
    expect(rows[1].textContent).toContain("20 min");
    expect(rows[2].querySelector(".approvals-extends")!.textContent).toBe(
      "More time on grant 0190f0e0-0000-7000-8000-0000000000b8, which no longer holds (the broker refuses it)",
    );
    // Decided with the same buttons as any request.
    expect(buttonNamed(rows[1], "Approve pii-read for ana@example.com")).toBeTruthy();
  });

  it("lists the requests waiting and the grants approved, with who, what, how long and why", async () => {
    const { root, toggle } = await mount();
    expect(root.hidden).toBe(false);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const request = root.querySelector<HTMLElement>("#approvals-requests .approvals-row")!;
    expect(request.dataset.id).toBe("0190f0e0-0000-7000-8000-0000000000a1");
    expect(request.textContent).toContain("pii-read for ana@example.com");
    expect(request.textContent).toContain("15 min · asked 5 min ago");
    expect(request.textContent).toContain("Ticket INC-7");
    // The requester's text is text: an escape sequence stays characters, nothing is parsed.
    expect(request.querySelector(".approvals-justification")!.textContent).toBe("fraud case 7\u001b[2J");
    expect(request.querySelector(".saved-title")!.getAttribute("title")).toBe(ANA);
    const grant = root.querySelector<HTMLElement>("#approvals-grants .approvals-row")!;
    expect(grant.textContent).toContain("large-scan of ana@example.com");
    expect(grant.textContent).toContain("ends in 20 min");
  });

  it("gives every control a name and makes each a button, reachable by Tab", async () => {
    const { root } = await mount();
    const names = [...root.querySelectorAll<HTMLButtonElement>("button")].map((b) => b.getAttribute("aria-label") ?? b.textContent);
    expect(names).toEqual([
      "Close the approvals",
      "Refresh",
      "Approve pii-read for ana@example.com",
      "Deny pii-read for ana@example.com",
      "Revoke large-scan of ana@example.com",
    ]);
    for (const button of root.querySelectorAll("button")) expect(button.tabIndex).toBe(0);
  });

  it("approves with an optional note, says what was written and redraws", async () => {
    const { panel, root, calls } = await mount();
    buttonNamed(root, "Approve pii-read for ana@example.com").click();
    const dialog = document.querySelector<HTMLElement>("#approval-dialog")!;
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(document.querySelector("#approval-title")!.textContent).toBe("Approve pii-read for ana@example.com");
    expect(document.activeElement).toBe(panel.reason);
    expect(document.querySelector<HTMLLabelElement>("label[for=approval-reason]")!.textContent).toContain("Note");
    panel.dialog!.form.requestSubmit();
    await vi.waitFor(() => expect(panel.note.textContent).toBe("approve written; the broker judges it at its next pass"));
    expect(calls.act).toHaveBeenCalledWith({ id: "0190f0e0-0000-7000-8000-0000000000a1", verb: "approve", reason: null });
    expect(document.querySelector("#approval-dialog")).toBeNull();
    expect(root.querySelector("#approvals-requests")!.textContent).toBe("No requests are waiting for you.");
    expect(document.activeElement).toBe(panel.refreshButton);
  });

  it("does not let a load still on its way draw over what an action answered", async () => {
    const calls = backend();
    const { panel, root } = await mount(calls);
    let answer: (a: Approvals) => void = () => {};
    calls.list.mockImplementationOnce(() => new Promise<Approvals>((resolve) => (answer = resolve)));
    const stale = approvals();
    const refreshing = panel.load();
    buttonNamed(root, "Approve pii-read for ana@example.com").click();
    panel.dialog!.form.requestSubmit();
    await vi.waitFor(() => expect(panel.note.textContent).toBe("approve written; the broker judges it at its next pass"));
    expect(panel.refreshButton.disabled).toBe(false);
    answer(stale);
    await refreshing;
    expect(root.querySelector("#approvals-requests")!.textContent).toBe("No requests are waiting for you.");
  });

  it("will not deny without a reason, and sends the reason given", async () => {
    const { panel, root, calls } = await mount();
    buttonNamed(root, "Deny pii-read for ana@example.com").click();
    panel.dialog!.form.requestSubmit();
    await Promise.resolve();
    expect(calls.act).not.toHaveBeenCalled();
    expect(panel.dialog!.error.hidden).toBe(false);
    expect(panel.dialog!.error.textContent).toBe("Give a reason: the requester sees it.");
    expect(panel.reason!.getAttribute("aria-invalid")).toBe("true");
    panel.reason!.value = "  use the anonymised table ";
    panel.dialog!.form.requestSubmit();
    await vi.waitFor(() => expect(calls.act).toHaveBeenCalledWith({ id: "0190f0e0-0000-7000-8000-0000000000a1", verb: "deny", reason: "use the anonymised table" }));
  });

  it("revokes a grant it approved, and shows a refusal in the dialog", async () => {
    const { panel, root, calls } = await mount(
      backend(approvals({ grants: [{ id: "gone", name: "large-scan", requester: ANA, grantedAtMs: null, expiresAtMs: NOW.getTime() + 60_000 }] })),
    );
    // As from the keyboard: the button has focus when it is pressed.
    const revoke = buttonNamed(root, "Revoke large-scan of ana@example.com");
    revoke.focus();
    revoke.click();
    expect(document.querySelector("#approval-title")!.textContent).toBe("Revoke large-scan of ana@example.com");
    panel.reason!.value = "case closed";
    panel.dialog!.form.requestSubmit();
    await vi.waitFor(() => expect(panel.dialog!.error.textContent).toContain("only a held grant can be revoked"));
    expect(calls.act).toHaveBeenCalledWith({ id: "gone", verb: "revoke", reason: "case closed" });
    // Escape closes it, and focus goes back to the button that opened it.
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(document.querySelector("#approval-dialog")).toBeNull();
    expect(document.activeElement).toBe(revoke);
  });

  it("says when nothing waits, names objects it could not read, and a bucket it could not reach", async () => {
    const { root, panel } = await mount(backend(approvals({ requests: [], grants: [], problems: ["s3://warden-requests/requests/x is damaged"] })));
    expect(root.querySelector("#approvals-requests")!.textContent).toBe("No requests are waiting for you.");
    expect(root.querySelector("#approvals-grants")!.textContent).toBe("No grant you approved holds now.");
    expect(root.querySelector("#approvals-problems")!.textContent).toBe("s3://warden-requests/requests/x is damaged");
    const failing = { list: vi.fn(async () => Promise.reject({ kind: "blocked", message: "not signed in to workspace prod" })), act: vi.fn() };
    const other = new ApprovalsPanel(panel.requests.parentElement!, document.createElement("button"), failing, () => NOW);
    await other.setOpen(true);
    expect(other.requests.textContent).toContain("Could not read the requests.");
    expect(other.requests.textContent).toContain("not signed in to workspace prod");
  });

  it("says when the broker refused the approver's decision, and offers no second one", async () => {
    const refused = { ...approvals().requests[0], refusedYours: true };
    const { root } = await mount(backend(approvals({ requests: [refused], grants: [] })));
    const request = root.querySelector<HTMLElement>("#approvals-requests .approvals-row")!;
    expect(request.textContent).toContain("pii-read for ana@example.com");
    expect(request.querySelector(".approvals-refused")!.textContent).toBe(REFUSED_YOURS);
    expect(REFUSED_YOURS).toContain("The broker refused your decision");
    const names = [...root.querySelectorAll<HTMLButtonElement>("button")].map((b) => b.getAttribute("aria-label") ?? b.textContent);
    expect(names).toEqual(["Close the approvals", "Refresh"]);
  });

  it("gives the broker's reason for the refusal when it gave one", async () => {
    const why = "sam@example.com is not in the approver group warden-approvers";
    const refused = { ...approvals().requests[0], refusedYours: true, refusedWhy: why };
    const { root } = await mount(backend(approvals({ requests: [refused], grants: [] })));
    const text = root.querySelector("#approvals-requests .approvals-refused")!.textContent;
    expect(text).toBe(`The broker refused your decision: ${why}. It waits for another approver.`);
    expect(refusedText(null)).toBe(REFUSED_YOURS);
  });

  it("names the person in an AWS user id", () => {
    expect(personOf(ANA)).toBe("ana@example.com");
    expect(personOf("AKIAIOSFODNN7EXAMPLE")).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(personOf("trailing:")).toBe("trailing:");
  });
});
