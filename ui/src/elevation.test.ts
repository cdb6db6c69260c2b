import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ElevationDecision, ElevationRequest, ElevationStatus, LintReport } from "./api";
import { ENDED_NOTICE_MS, Elevations, RETRY_MS, TICK_MS } from "./elevation";
import type { PendingAsk } from "./pending-run";
import { elevationStatus, grant, refusal } from "./testing";

const NOW = new Date(2026, 10, 21, 12, 0).getTime();
const MIN = 60_000;

let elevations: Elevations;
let source: {
  status: ReturnType<typeof vi.fn<() => Promise<ElevationStatus>>>;
  request: ReturnType<typeof vi.fn<(request: ElevationRequest) => Promise<ElevationDecision>>>;
  end: ReturnType<typeof vi.fn<(name: string) => Promise<ElevationStatus>>>;
};
let hooks: {
  accessChanged: ReturnType<typeof vi.fn<() => void>>;
  error: ReturnType<typeof vi.fn<(message: string) => void>>;
  restoreFocus: ReturnType<typeof vi.fn<() => void>>;
};

function report(elevations: string[], verdict: LintReport["verdict"] = "elevate"): LintReport {
  return { verdict, elevations, reads: [], reason: null, diagnostics: [], parameters: [], catalogNotes: [], scan: null };
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function buttons(): string[] {
  return [...document.querySelectorAll<HTMLButtonElement>("#verdict-elevations button.request-elevation")].map(
    (button) => `${button.dataset.elevation}: ${button.textContent}`,
  );
}

const item = () => elevations.item;
const unavailableNote = () => document.querySelector<HTMLElement>("#verdict-elevations .elevation-unavailable");
const UUID = "7f1c9e2a-5b3d-4e6f-8a9b-0c1d2e3f4a5b";
const itemText = () => item().querySelector(".status-value")?.textContent;

function decision(extra: Partial<ElevationDecision>): ElevationDecision {
  return { outcome: "granted", name: "pii-read", message: "", expiresAtMs: null, requestId: null, status: elevationStatus(), ...extra };
}

async function submit(justification: string, ticket?: string): Promise<void> {
  byId<HTMLTextAreaElement>("elevation-justification").value = justification;
  if (ticket !== undefined) byId<HTMLInputElement>("elevation-ticket").value = ticket;
  await elevations.openDialog?.send();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  document.body.innerHTML = `
    <div id="app">
      <span id="verdict-elevations" hidden></span>
      <div id="elevation-banner" hidden><span id="elevation-banner-text"></span><button class="banner-close"></button></div>
      <footer id="status"></footer>
    </div>`;
  source = {
    status: vi.fn<() => Promise<ElevationStatus>>().mockResolvedValue(elevationStatus()),
    request: vi.fn<(request: ElevationRequest) => Promise<ElevationDecision>>(),
    end: vi.fn<(name: string) => Promise<ElevationStatus>>().mockResolvedValue(elevationStatus()),
  };
  hooks = { accessChanged: vi.fn<() => void>(), error: vi.fn<(message: string) => void>(), restoreFocus: vi.fn<() => void>() };
  elevations = new Elevations(
    {
      host: byId("app"),
      buttons: byId("verdict-elevations"),
      banner: byId("elevation-banner"),
      bannerText: byId("elevation-banner-text"),
      bannerClose: document.querySelector(".banner-close") as HTMLButtonElement,
    },
    source,
    hooks,
  );
  byId("status").append(elevations.item);
});

afterEach(() => {
  elevations.dispose();
  vi.useRealTimers();
  document.body.innerHTML = "";
});

describe("Request elevation buttons", () => {
  it("shows one button per needed elevation the policy defines", () => {
    elevations.update(elevationStatus());
    elevations.showReport(report(["pii-read", "large-scan", "pii-read", "ghost-read"]));
    expect(buttons()).toEqual(["pii-read: Request elevation pii-read", "large-scan: Request elevation large-scan"]);
    expect(byId("verdict-elevations").hidden).toBe(false);
  });

  it("shows none for other verdicts, without a report, or without a readable status", () => {
    elevations.update(elevationStatus());
    elevations.showReport(report(["pii-read"], "allow"));
    expect(buttons()).toEqual([]);
    expect(byId("verdict-elevations").hidden).toBe(true);
    elevations.showReport(report(["pii-read"], "deny"));
    expect(buttons()).toEqual([]);
    elevations.showReport(report(["pii-read"]));
    expect(buttons()).toHaveLength(1);
    elevations.showReport(null);
    expect(buttons()).toEqual([]);
    elevations.showReport(report(["pii-read"]));
    elevations.unavailable();
    expect(buttons()).toEqual([]);
    expect(unavailableNote()?.textContent).toBe("Elevation requests are unavailable right now");
  });

  it("shows none before any status was read, only a note that requests are unavailable", () => {
    elevations.showReport(report(["pii-read"]));
    expect(buttons()).toEqual([]);
    expect(byId("verdict-elevations").hidden).toBe(false);
    expect(unavailableNote()?.textContent).toBe("Elevation requests are unavailable right now");
    expect(unavailableNote()?.title).toContain("could not read");
    expect(elevations.readable).toBe(false);
    elevations.update(elevationStatus());
    expect(elevations.readable).toBe(true);
    expect(unavailableNote()).toBeNull();
    expect(buttons()).toHaveLength(1);
  });

  it("notes an elevation the policy does not offer, and nothing for other verdicts", () => {
    elevations.update(elevationStatus());
    elevations.showReport(report(["ghost-read", "pii-read"]));
    expect(buttons()).toEqual(["pii-read: Request elevation pii-read"]);
    expect(unavailableNote()?.textContent).toBe("Elevation requests are unavailable right now");
    expect(unavailableNote()?.title).toBe("The policy in force offers no way to request ghost-read.");
    elevations.showReport(report(["ghost-read"], "deny"));
    expect(unavailableNote()).toBeNull();
    expect(byId("verdict-elevations").hidden).toBe(true);
  });

  it("needs no note for an elevation that is active or waiting", () => {
    elevations.update(
      elevationStatus({
        options: [],
        active: [grant("pii-read", NOW, 10 * MIN)],
        pending: [{ requestId: "req-3", name: "large-scan", requestedAtMs: NOW }],
      }),
    );
    elevations.showReport(report(["pii-read", "large-scan"]));
    expect(unavailableNote()).toBeNull();
    expect(document.querySelector("#verdict-elevations .elevation-pending")).not.toBeNull();
  });

  it("leaves out an elevation already active, and notes one waiting for an approver", () => {
    elevations.update(
      elevationStatus({
        active: [grant("pii-read", NOW, 10 * MIN)],
        pending: [{ requestId: "req-3", name: "large-scan", requestedAtMs: NOW }],
      }),
    );
    elevations.showReport(report(["pii-read", "large-scan"]));
    expect(buttons()).toEqual([]);
    const note = document.querySelector<HTMLElement>("#verdict-elevations .elevation-pending");
    expect(note?.dataset.elevation).toBe("large-scan");
    expect(note?.textContent).toBe("Waiting for an approver: large-scan");
    expect(note?.title).toContain("request req-3");
  });

  it("keeps a long request id out of the note's text, in its tooltip", () => {
    elevations.update(elevationStatus({ pending: [{ requestId: UUID, name: "large-scan", requestedAtMs: NOW }] }));
    elevations.showReport(report(["large-scan"]));
    const note = document.querySelector<HTMLElement>("#verdict-elevations .elevation-pending");
    expect(note?.textContent).not.toContain(UUID);
    expect(note?.title).toContain(UUID);
  });

  it("offers Withdraw beside the note", async () => {
    source.end.mockResolvedValue(elevationStatus({ version: 2 }));
    elevations.update(elevationStatus({ pending: [{ requestId: "req-3", name: "large-scan", requestedAtMs: NOW }], version: 1 }));
    elevations.showReport(report(["large-scan"]));
    const withdraw = document.querySelector<HTMLButtonElement>('#verdict-elevations button.withdraw-elevation[data-elevation="large-scan"]');
    expect(withdraw?.textContent).toBe("Withdraw");
    withdraw?.click();
    expect(source.end).toHaveBeenCalledWith("large-scan");
    expect(document.querySelector<HTMLButtonElement>("#verdict-elevations button.withdraw-elevation")?.disabled).toBe(true);
    await vi.waitFor(() => expect(buttons()).toEqual(["large-scan: Request elevation large-scan"]));
    expect(document.querySelector("#verdict-elevations .elevation-pending")).toBeNull();
  });

  it("opens the dialog for the clicked elevation", () => {
    elevations.update(elevationStatus());
    elevations.showReport(report(["large-scan"]));
    document.querySelector<HTMLButtonElement>('button.request-elevation[data-elevation="large-scan"]')?.click();
    expect(byId("elevation-dialog").dataset.elevation).toBe("large-scan");
    expect(byId("elevation-title").textContent).toBe("Request elevation large-scan");
  });
});

describe("Request and run from the verdict", () => {
  let order: string[];
  let runAfter: ReturnType<typeof vi.fn<(name: string) => (() => PendingAsk) | null>>;
  let answered: ReturnType<typeof vi.fn<(decision: ElevationDecision) => void>>;

  function withHooks(): void {
    elevations.dispose();
    order = [];
    answered = vi.fn();
    runAfter = vi.fn(() => () => ({ answered, failed: vi.fn() }));
    elevations = new Elevations(
      {
        host: byId("app"),
        buttons: byId("verdict-elevations"),
        banner: byId("elevation-banner"),
        bannerText: byId("elevation-banner-text"),
        bannerClose: document.querySelector(".banner-close") as HTMLButtonElement,
      },
      source,
      {
        ...hooks,
        accessChanged: () => void order.push("accessChanged"),
        runAfter,
        statusChanged: (status) => void order.push(`statusChanged ${status.active.map((g) => g.name).join(",")}`),
      },
    );
  }

  it("is offered by the dialog a verdict's button opens, for that elevation, with the verdict's reason", () => {
    withHooks();
    elevations.update(elevationStatus());
    elevations.showReport({ ...report(["pii-read"]), reason: "needs the pii-read elevation: email is personal data" });
    document.querySelector<HTMLButtonElement>('button.request-elevation[data-elevation="pii-read"]')?.click();
    expect(runAfter).toHaveBeenCalledWith("pii-read");
    expect(byId("elevation-submit-run")?.textContent).toBe("Request and run");
    expect(byId("elevation-because").textContent).toBe("Needs the pii-read elevation: email is personal data.");
  });

  it("is not offered when the window has no query to run, nor by a dialog opened otherwise", () => {
    withHooks();
    elevations.update(elevationStatus());
    elevations.open("pii-read");
    expect(runAfter).not.toHaveBeenCalled();
    expect(byId("elevation-submit-run")).toBeNull();
    runAfter.mockReturnValue(null);
    elevations.open("pii-read", true);
    expect(byId("elevation-submit-run")).toBeNull();
  });

  it("hands every status on after the re-check it causes", async () => {
    withHooks();
    elevations.update(elevationStatus());
    expect(order).toEqual(["statusChanged "]);
    const granted = elevationStatus({ active: [grant("pii-read", NOW, 15 * MIN)], version: 1 });
    source.request.mockResolvedValue(decision({ outcome: "granted", status: granted }));
    elevations.showReport(report(["pii-read"]));
    elevations.open("pii-read", true);
    byId<HTMLTextAreaElement>("elevation-justification").value = "audit";
    byId<HTMLInputElement>("elevation-ticket").value = "INC-1";
    await elevations.openDialog?.send(true);
    expect(order).toEqual(["statusChanged ", "accessChanged", "statusChanged pii-read"]);
    expect(answered).toHaveBeenCalledWith(expect.objectContaining({ outcome: "granted" }));
    // By event, and when a grant runs out without word.
    order = [];
    elevations.update(elevationStatus({ version: 2 }));
    expect(order).toEqual(["accessChanged", "statusChanged "]);
  });
});

describe("deciding a request", () => {
  beforeEach(() => {
    elevations.update(elevationStatus());
    hooks.accessChanged.mockClear();
  });

  it("on a grant closes the dialog, shows the grant and asks for a re-check", async () => {
    const granted = elevationStatus({ active: [grant("pii-read", NOW, 15 * MIN)] });
    source.request.mockResolvedValue(decision({ outcome: "granted", expiresAtMs: NOW + 15 * MIN, status: granted }));
    elevations.showReport(report(["pii-read"]));
    elevations.open("pii-read");
    await submit("Quarterly audit", "INC-42");
    expect(source.request).toHaveBeenCalledWith({ name: "pii-read", durationS: 900, justification: "Quarterly audit", ticket: "INC-42" });
    expect(byId("elevation-dialog")).toBeNull();
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
    expect(buttons()).toEqual([]);
    expect(itemText()).toBe("pii-read · 15 min left Extend End");
    // The event that follows repeats the same status: no second re-check.
    elevations.update(granted);
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
  });

  it("re-checks on a grant even if the status sent with it is behind", async () => {
    source.request.mockResolvedValue(decision({ outcome: "granted", status: elevationStatus() }));
    elevations.open("pii-read");
    await submit("audit", "INC-1");
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
  });

  it("on pending closes the dialog and keeps a note with the request id", async () => {
    source.request.mockResolvedValue(
      decision({
        outcome: "pending",
        name: "large-scan",
        requestId: "req-9",
        status: elevationStatus({ pending: [{ requestId: "req-9", name: "large-scan", requestedAtMs: NOW }] }),
      }),
    );
    elevations.showReport(report(["large-scan"]));
    elevations.open("large-scan");
    await submit("");
    expect(byId("elevation-dialog")).toBeNull();
    expect(document.querySelector("#verdict-elevations .elevation-pending")?.textContent).toBe("Waiting for an approver: large-scan");
    expect(buttons()).toEqual([]);
    expect(item().hidden).toBe(false);
    expect(itemText()).toBe("waiting for approval: large-scan Withdraw");
    expect(hooks.accessChanged).not.toHaveBeenCalled();
  });

  it("keeps the note even when the status sent with a pending answer leaves the request out", async () => {
    source.request.mockResolvedValue(decision({ outcome: "pending", name: "large-scan", requestId: "req-10", status: elevationStatus() }));
    elevations.showReport(report(["large-scan"]));
    elevations.open("large-scan");
    await submit("");
    const note = document.querySelector<HTMLElement>("#verdict-elevations .elevation-pending");
    expect(note?.textContent).toBe("Waiting for an approver: large-scan");
    expect(note?.title).toContain("request req-10");
  });

  it("on a denial keeps the dialog open with the message", async () => {
    source.request.mockResolvedValue(decision({ outcome: "denied", message: "Not during the quarterly freeze." }));
    elevations.showReport(report(["pii-read"]));
    elevations.open("pii-read");
    await submit("audit", "INC-1");
    expect(byId("elevation-error").textContent).toBe("Not during the quarterly freeze.");
    expect(elevations.openDialog).not.toBeNull();
    expect(hooks.accessChanged).not.toHaveBeenCalled();
  });

  it("on an invalid request shows the backend's message in the dialog", async () => {
    source.request.mockRejectedValue({ kind: "invalid", message: "the ticket must match ^(INC|SUP)-[0-9]+$" });
    elevations.open("pii-read");
    await submit("audit", "INC-1");
    expect(byId("elevation-error").textContent).toBe("the ticket must match ^(INC|SUP)-[0-9]+$");
    expect(byId("elevation-dialog")).not.toBeNull();
  });

  it("re-checks when an approver's grant arrives by event, and the note gives way", () => {
    elevations.update(elevationStatus({ pending: [{ requestId: "req-9", name: "large-scan", requestedAtMs: NOW }] }));
    elevations.showReport(report(["large-scan"]));
    expect(hooks.accessChanged).not.toHaveBeenCalled();
    elevations.update(elevationStatus({ active: [grant("large-scan", NOW, 60 * MIN, "alice")] }));
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
    expect(document.querySelector("#verdict-elevations .elevation-pending")).toBeNull();
    expect(itemText()).toBe("large-scan · 1 h left Extend End");
    expect(item().title).toContain("approved by alice");
  });
});

describe("an unreadable status", () => {
  it("is asked for again on a timer, and a late failure does not undo a newer status", async () => {
    source.status.mockRejectedValueOnce(new Error("backend busy"));
    await elevations.reload();
    expect(elevations.readable).toBe(false);
    source.status.mockResolvedValueOnce(elevationStatus({ version: 4 }));
    vi.advanceTimersByTime(RETRY_MS);
    await vi.waitFor(() => expect(elevations.readable).toBe(true));

    // A read that fails after a newer status arrived by event leaves that status in force.
    let fail: (reason: unknown) => void = () => undefined;
    source.status.mockReturnValueOnce(new Promise<ElevationStatus>((_, reject) => (fail = reject)));
    const late = elevations.reload();
    elevations.update(elevationStatus({ version: 5 }));
    fail(new Error("timeout"));
    await late;
    expect(elevations.readable).toBe(true);
    elevations.showReport(report(["pii-read"]));
    expect(buttons()).toEqual(["pii-read: Request elevation pii-read"]);
  });
});

describe("the status bar item", () => {
  it("never goes back to an older status that arrives late", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 14 * MIN)], version: 5 }));
    hooks.accessChanged.mockClear();
    elevations.update(elevationStatus({ active: [], version: 4 }));
    expect(itemText()).toBe("pii-read · 14 min left Extend End");
    expect(hooks.accessChanged).not.toHaveBeenCalled();
    elevations.update(elevationStatus({ active: [], version: 6 }));
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledTimes(1);
  });

  it("is hidden and empty while nothing is active or pending", () => {
    elevations.update(elevationStatus());
    expect(item().dataset.item).toBe("elevation");
    expect(item().hidden).toBe(true);
    expect(item().textContent).toBe("");
  });

  it("names each grant with its time left and an End button", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 14 * MIN), grant("large-scan", NOW, 2 * 3600_000)] }));
    expect(item().hidden).toBe(false);
    expect(item().querySelector(".status-label")?.textContent).toBe("Elevated");
    expect(itemText()).toBe("pii-read · 14 min left Extend End, large-scan · 2 h left Extend End");
    expect([...item().querySelectorAll(".elevation-grant")].map((node) => node.textContent)).toEqual([
      "pii-read · 14 min left",
      "large-scan · 2 h left",
    ]);
    expect([...item().querySelectorAll<HTMLElement>("button.end-elevation")].map((node) => node.dataset.elevation)).toEqual([
      "pii-read",
      "large-scan",
    ]);
    expect(item().classList.contains("is-warning")).toBe(false);
  });

  it("keeps the keyboard on a grant's End button when the status bar is rebuilt", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 14 * MIN), grant("large-scan", NOW, 2 * 3600_000)] }));
    const end = item().querySelector<HTMLButtonElement>('button.end-elevation[data-elevation="large-scan"]');
    end?.focus();
    expect(document.activeElement).toBe(end);
    vi.advanceTimersByTime(TICK_MS);
    const rebuilt = item().querySelector<HTMLButtonElement>('button.end-elevation[data-elevation="large-scan"]');
    expect(rebuilt).not.toBe(end);
    expect(document.activeElement).toBe(rebuilt);
  });

  it("adds what waits for an approver", () => {
    elevations.update(
      elevationStatus({
        active: [grant("pii-read", NOW, 14 * MIN)],
        pending: [{ requestId: "req-1", name: "large-scan", requestedAtMs: NOW }],
      }),
    );
    expect(itemText()).toBe("pii-read · 14 min left Extend End; waiting for approval: large-scan Withdraw");
  });

  it("withdraws a waiting request with its Withdraw button", async () => {
    elevations.update(
      elevationStatus({
        pending: [
          { requestId: "req-1", name: "large-scan", requestedAtMs: NOW },
          { requestId: "req-2", name: "pii-read", requestedAtMs: NOW },
        ],
        version: 1,
      }),
    );
    expect(itemText()).toBe("waiting for approval: large-scan Withdraw, pii-read Withdraw");
    source.end.mockResolvedValue(elevationStatus({ pending: [{ requestId: "req-2", name: "pii-read", requestedAtMs: NOW }], version: 2 }));
    item().querySelector<HTMLButtonElement>('button.withdraw-elevation[data-elevation="large-scan"]')?.click();
    expect(source.end).toHaveBeenCalledWith("large-scan");
    expect(item().querySelector<HTMLButtonElement>('button.withdraw-elevation[data-elevation="large-scan"]')?.disabled).toBe(true);
    await vi.waitFor(() => expect(itemText()).toBe("waiting for approval: pii-read Withdraw"));
    expect(hooks.accessChanged).not.toHaveBeenCalled();
  });

  it("reports a failed Withdraw in plain words", async () => {
    source.end.mockRejectedValue({ kind: "internal", message: "the queue is locked" });
    elevations.update(elevationStatus({ pending: [{ requestId: "req-1", name: "large-scan", requestedAtMs: NOW }] }));
    await elevations.end("large-scan");
    expect(hooks.error).toHaveBeenCalledWith("Could not withdraw the request for large-scan. Something went wrong inside Warden: the queue is locked");
    expect(item().querySelector<HTMLButtonElement>("button.withdraw-elevation")?.disabled).toBe(false);
  });

  it("turns to the warning style when a grant ends within warnBeforeS", () => {
    elevations.update(elevationStatus({ warnBeforeS: 600, active: [grant("pii-read", NOW, 11 * MIN)] }));
    expect(item().classList.contains("is-warning")).toBe(false);
    vi.advanceTimersByTime(4 * TICK_MS);
    expect(itemText()).toBe("pii-read · 10 min left Extend End");
    expect(item().classList.contains("is-warning")).toBe(true);
  });

  it("counts down on its own", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    expect(itemText()).toBe("pii-read · 30 min left Extend End");
    vi.advanceTimersByTime(TICK_MS);
    expect(itemText()).toBe("pii-read · 30 min left Extend End");
    vi.advanceTimersByTime(5 * TICK_MS);
    expect(itemText()).toBe("pii-read · 29 min left Extend End");
  });

  it("asks the backend once a grant is past its end without word", async () => {
    source.status.mockResolvedValue(elevationStatus());
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10_000)] }));
    await vi.advanceTimersByTimeAsync(TICK_MS);
    expect(source.status).toHaveBeenCalledOnce();
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledTimes(2);
  });

  it("ends a grant with End and says so", async () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 14 * MIN)] }));
    hooks.accessChanged.mockClear();
    const end = item().querySelector<HTMLButtonElement>('button.end-elevation[data-elevation="pii-read"]');
    end?.click();
    expect(source.end).toHaveBeenCalledWith("pii-read");
    expect(item().querySelector<HTMLButtonElement>("button.end-elevation")?.disabled).toBe(true);
    await vi.waitFor(() => expect(item().hidden).toBe(true));
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
    expect(byId("elevation-banner-text").textContent).toBe("pii-read has ended; the editor is back to your usual access.");
  });

  it("reports a failed End in plain words", async () => {
    source.end.mockRejectedValue({ kind: "internal", message: "the gate is busy" });
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 14 * MIN)] }));
    await elevations.end("pii-read");
    expect(hooks.error).toHaveBeenCalledWith("Could not end pii-read. Something went wrong inside Warden: the gate is busy");
    expect(item().querySelector<HTMLButtonElement>("button.end-elevation")?.disabled).toBe(false);
  });
});

describe("the elevation banner", () => {
  const banner = () => byId("elevation-banner");
  const text = () => byId("elevation-banner-text").textContent;

  it("is hidden while nothing ends soon", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    expect(banner().hidden).toBe(true);
  });

  it("warns before a grant ends", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 6 * MIN)] }));
    expect(banner().hidden).toBe(true);
    vi.advanceTimersByTime(8 * TICK_MS);
    expect(banner().hidden).toBe(false);
    expect(banner().classList.contains("is-warning")).toBe(true);
    expect(text()).toBe("pii-read ends in 4 min. Queries that need it and are still running then are cancelled.");
  });

  it("says a grant has ended when an update shows it gone, then goes away after a minute", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    elevations.update(elevationStatus());
    expect(banner().hidden).toBe(false);
    expect(banner().classList.contains("is-info")).toBe(true);
    expect(banner().classList.contains("is-warning")).toBe(false);
    expect(text()).toBe("pii-read has ended; the editor is back to your usual access.");
    vi.advanceTimersByTime(ENDED_NOTICE_MS - 1);
    expect(banner().hidden).toBe(false);
    vi.advanceTimersByTime(1);
    expect(banner().hidden).toBe(true);
  });

  it("says nothing has ended on the first status", () => {
    elevations.update(elevationStatus());
    expect(banner().hidden).toBe(true);
  });

  it("drops the ended notice when the elevation is granted again", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    elevations.update(elevationStatus());
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 15 * MIN)] }));
    expect(banner().hidden).toBe(true);
  });

  it("can be dismissed, and a dismissed warning stays away for that grant", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 3 * MIN), grant("large-scan", NOW, 30 * MIN)] }));
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 3 * MIN)] }));
    expect(text()).toBe(
      "large-scan has ended; the editor is back to your usual access. pii-read ends in 3 min. Queries that need it and are still running then are cancelled.",
    );
    document.querySelector<HTMLButtonElement>("#elevation-banner .banner-close")?.click();
    expect(banner().hidden).toBe(true);
    vi.advanceTimersByTime(TICK_MS);
    expect(banner().hidden).toBe(true);
    // A new grant warns again.
    elevations.update(elevationStatus({ active: [{ ...grant("pii-read", NOW, 3 * MIN), grantedAtMs: NOW }] }));
    expect(banner().hidden).toBe(false);
  });
});

describe("dispose", () => {
  it("clears the countdown, the expiry and the ended notice's timer", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN), grant("large-scan", NOW, 30 * MIN)] }));
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    expect(vi.getTimerCount()).toBe(3);
    elevations.dispose();
    expect(vi.getTimerCount()).toBe(0);
    // Nothing starts again afterwards.
    elevations.update(elevationStatus({ active: [grant("large-scan", NOW, 30 * MIN)] }));
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closes the dialog and opens no other", () => {
    elevations.update(elevationStatus());
    elevations.open("large-scan");
    expect(byId("elevation-dialog")).not.toBeNull();
    elevations.dispose();
    expect(byId("elevation-dialog")).toBeNull();
    expect(elevations.open("pii-read")).toBeNull();
  });

  it("stops the countdown and the expiry timer once nothing is active", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    expect(vi.getTimerCount()).toBe(2);
    elevations.update(elevationStatus());
    // Only the ended notice's timer is left.
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(ENDED_NOTICE_MS);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("refusals", () => {
  const banner = () => byId("elevation-banner");
  const text = () => byId("elevation-banner-text").textContent;
  const denied = refusal("req-1", "large-scan", "denied by alice: not during the freeze", NOW);

  it("from an approver still show when the user withdrew the same request meanwhile", async () => {
    elevations.update(elevationStatus({ pending: [{ requestId: "req-1", name: "large-scan", requestedAtMs: NOW }], version: 1 }));
    // The denial landed before the withdrawal reached the backend.
    source.end.mockResolvedValue(elevationStatus({ refusals: [denied], version: 2 }));
    await elevations.end("large-scan");
    expect(text()).toBe("large-scan was not granted: Denied by alice: not during the freeze.");
  });

  it("are old news in the first status when made before the window opened", () => {
    const before = refusal("req-0", "large-scan", "timed out", NOW, 1);
    elevations.update(elevationStatus({ refusals: [denied, before], version: 1 }));
    expect(banner().hidden).toBe(true);
    // Nor do they come back later.
    elevations.update(elevationStatus({ refusals: [denied, before], version: 2 }));
    expect(banner().hidden).toBe(true);
  });

  it("made after the window opened are news even in the first status read (a late retry)", () => {
    elevations.unavailable();
    vi.advanceTimersByTime(MIN);
    const meanwhile = refusal("req-4", "large-scan", "denied by bob", NOW + 30_000);
    elevations.update(elevationStatus({ refusals: [meanwhile, denied], version: 3 }));
    expect(text()).toBe("large-scan was not granted: Denied by bob.");
  });

  it("show a new refusal in the banner, as a warning", () => {
    elevations.update(elevationStatus({ pending: [{ requestId: "req-1", name: "large-scan", requestedAtMs: NOW }], version: 1 }));
    elevations.update(elevationStatus({ refusals: [denied], version: 2 }));
    expect(banner().hidden).toBe(false);
    expect(banner().classList.contains("is-warning")).toBe(true);
    expect(banner().classList.contains("is-info")).toBe(false);
    expect(text()).toBe("large-scan was not granted: Denied by alice: not during the freeze.");
    expect(item().hidden).toBe(true);
    // Shown once: the same refusal in later statuses adds nothing.
    elevations.update(elevationStatus({ refusals: [denied], version: 3 }));
    expect(text()).toBe("large-scan was not granted: Denied by alice: not during the freeze.");
    // It stays until dismissed.
    vi.advanceTimersByTime(ENDED_NOTICE_MS * 2);
    expect(banner().hidden).toBe(false);
  });

  it("stay away once dismissed", () => {
    elevations.update(elevationStatus({ version: 1 }));
    elevations.update(elevationStatus({ refusals: [denied], version: 2 }));
    document.querySelector<HTMLButtonElement>("#elevation-banner .banner-close")?.click();
    expect(banner().hidden).toBe(true);
    elevations.update(elevationStatus({ refusals: [denied], version: 3 }));
    expect(banner().hidden).toBe(true);
    // A newer refusal is news again, alone.
    const timedOut = refusal("req-2", "pii-read", "timed out after 1 hour", NOW);
    elevations.update(elevationStatus({ refusals: [timedOut, denied], version: 4 }));
    expect(text()).toBe("pii-read was not granted: Timed out after 1 hour.");
  });

  it("list several new ones newest first, before an ended notice", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)], version: 1 }));
    const older = refusal("req-1", "large-scan", "withdrawn", NOW, MIN);
    const newer = refusal("req-2", "large-scan", "approved, but the policy no longer allows it", NOW);
    elevations.update(elevationStatus({ refusals: [newer, older], version: 2 }));
    expect(text()).toBe(
      "large-scan was not granted: Approved, but the policy no longer allows it. large-scan was not granted: Withdrawn. " +
        "pii-read has ended; the editor is back to your usual access.",
    );
    expect(banner().classList.contains("is-warning")).toBe(true);
  });

  it("give way when that elevation is asked for or granted again", () => {
    elevations.update(elevationStatus({ version: 1 }));
    elevations.update(elevationStatus({ refusals: [denied], version: 2 }));
    elevations.update(elevationStatus({ refusals: [denied], pending: [{ requestId: "req-5", name: "large-scan", requestedAtMs: NOW }], version: 3 }));
    expect(banner().hidden).toBe(true);
  });

  it("are news when a withdrawal failed and the request was refused later", async () => {
    elevations.update(elevationStatus({ pending: [{ requestId: "req-1", name: "large-scan", requestedAtMs: NOW }], version: 1 }));
    source.end.mockRejectedValue({ kind: "internal", message: "busy" });
    await elevations.end("large-scan");
    elevations.update(elevationStatus({ refusals: [denied], version: 2 }));
    expect(text()).toBe("large-scan was not granted: Denied by alice: not during the freeze.");
  });

  it("are not repeated in the banner when the dialog already said so", async () => {
    elevations.update(elevationStatus({ version: 1 }));
    const policy = refusal("req-7", "pii-read", "not on weekends", NOW);
    source.request.mockResolvedValue(
      decision({ outcome: "denied", requestId: "req-7", message: "Not on weekends.", status: elevationStatus({ refusals: [policy], version: 2 }) }),
    );
    elevations.open("pii-read");
    await submit("audit", "INC-1");
    expect(byId("elevation-error").textContent).toBe("Not on weekends.");
    expect(banner().hidden).toBe(true);
  });

  it("that arrive after the dialog was closed go to the error hook", async () => {
    elevations.update(elevationStatus({ version: 1 }));
    let answer: (value: ElevationDecision) => void = () => {};
    source.request.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    elevations.open("pii-read");
    byId<HTMLTextAreaElement>("elevation-justification").value = "audit";
    byId<HTMLInputElement>("elevation-ticket").value = "INC-1";
    const sent = elevations.openDialog?.send();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(elevations.openDialog).toBeNull();
    answer(decision({ outcome: "denied", message: "Not during the quarterly freeze." }));
    await sent;
    expect(hooks.error).toHaveBeenCalledWith("pii-read was not granted: Not during the quarterly freeze.");
  });
});

describe("a grant's end without word from the backend", () => {
  const banner = () => byId("elevation-banner");

  it("is taken at its expiry: gone from the window, announced, re-checked, then the status is read again", async () => {
    // The backend is silent and, asked, still claims the grant.
    const stale = elevationStatus({ active: [grant("pii-read", NOW, 20_000)], version: 1 });
    source.status.mockResolvedValue(stale);
    elevations.update(stale);
    elevations.showReport(report(["pii-read"]));
    expect(hooks.accessChanged).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(item().hidden).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledTimes(2);
    expect(byId("elevation-banner-text").textContent).toBe("pii-read has ended; the editor is back to your usual access.");
    expect(buttons()).toEqual(["pii-read: Request elevation pii-read"]);
    expect(source.status).toHaveBeenCalledOnce();
    // The stale answer does not bring it back.
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledTimes(2);
  });

  it("follows the earliest end, re-armed on every update", async () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10 * MIN), grant("large-scan", NOW, 20 * MIN)], version: 1 }));
    // pii-read renewed: large-scan now ends first.
    elevations.update(elevationStatus({ active: [{ ...grant("pii-read", NOW, 30 * MIN), grantedAtMs: NOW }, grant("large-scan", NOW, 20 * MIN)], version: 2 }));
    source.status.mockResolvedValue(elevationStatus({ active: [{ ...grant("pii-read", NOW, 30 * MIN), grantedAtMs: NOW }], version: 3 }));
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(itemText()).toBe("pii-read · 20 min left Extend End, large-scan · 10 min left Extend End");
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(itemText()).toBe("pii-read · 10 min left Extend End");
    expect(byId("elevation-banner-text").textContent).toContain("large-scan has ended");
  });

  it("never shows a grant that has already ended", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 0), grant("large-scan", NOW, -MIN)] }));
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).not.toHaveBeenCalled();
    expect(banner().hidden).toBe(true);
  });

  it("is taken while the status is unreadable", async () => {
    source.status.mockRejectedValue({ kind: "internal", message: "gone" });
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 5 * MIN)] }));
    elevations.unavailable();
    expect(itemText()).toBe("pii-read · 5 min left End");
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledTimes(2);
    expect(elevations.readable).toBe(false);
  });

  it("makes unavailable() drop a grant past its end at once", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, MIN)] }));
    hooks.accessChanged.mockClear();
    // The clock moved on without the timer firing (a suspended machine).
    vi.setSystemTime(NOW + 2 * MIN);
    elevations.unavailable();
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
    expect(byId("elevation-banner-text").textContent).toContain("pii-read has ended");
  });

  it("is taken on the next tick when the timer is late", async () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 20 * MIN)] }));
    hooks.accessChanged.mockClear();
    vi.setSystemTime(NOW + 21 * MIN);
    await vi.advanceTimersByTimeAsync(TICK_MS);
    expect(item().hidden).toBe(true);
    expect(hooks.accessChanged).toHaveBeenCalledOnce();
  });
});

describe("focus after the dialog", () => {
  beforeEach(() => {
    elevations.update(elevationStatus());
    elevations.showReport(report(["pii-read"]));
  });

  const restore = () => hooks.restoreFocus;

  it("goes to the app's fallback (the editor) when a grant took the Request button away", async () => {
    source.request.mockResolvedValue(decision({ status: elevationStatus({ active: [grant("pii-read", NOW, 15 * MIN)], version: 1 }) }));
    document.querySelector<HTMLButtonElement>("button.request-elevation")?.focus();
    document.querySelector<HTMLButtonElement>("button.request-elevation")?.click();
    await submit("audit", "INC-1");
    expect(buttons()).toEqual([]);
    expect(restore()).toHaveBeenCalledOnce();
  });

  it("goes back to the Request button when it was only drawn again", () => {
    document.querySelector<HTMLButtonElement>("button.request-elevation")?.focus();
    document.querySelector<HTMLButtonElement>("button.request-elevation")?.click();
    elevations.update(elevationStatus({ version: 1 })); // Redraws the buttons.
    byId<HTMLButtonElement>("elevation-cancel").click();
    expect(document.activeElement).toBe(document.querySelector("button.request-elevation"));
    expect(restore()).not.toHaveBeenCalled();
  });
});

describe("dispose and the banner", () => {
  it("stops listening to the banner's close button", () => {
    const close = document.querySelector(".banner-close") as HTMLButtonElement;
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 30 * MIN)] }));
    elevations.update(elevationStatus());
    const remove = vi.spyOn(close, "removeEventListener");
    elevations.dispose();
    expect(remove).toHaveBeenCalledWith("click", expect.any(Function));
    close.click();
    expect(byId("elevation-banner").hidden).toBe(false);
  });
});

describe("extending a grant", () => {
  const extendButton = () => item().querySelector<HTMLButtonElement>('button.extend-elevation[data-elevation="pii-read"]');

  it("offers Extend on a held grant, named for assistive technology, and opens the dialog in extend mode", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10 * MIN)], version: 1 }));
    const button = extendButton();
    expect(button?.getAttribute("aria-label")).toBe("Extend pii-read");
    expect(button?.type).toBe("button");
    button?.click();
    expect(byId("elevation-title").textContent).toBe("Extend pii-read");
    expect(byId("elevation-dialog").dataset.extends).toBe("req-pii-read");
    // Ends in 10 min under a 1 h maximum: at most 50 min more.
    const choices = [...byId<HTMLSelectElement>("elevation-duration").options].map((o) => Number(o.value));
    expect(Math.max(...choices)).toBe(50 * 60);
    expect(byId<HTMLButtonElement>("elevation-submit").textContent).toBe("Extend");
  });

  it("sends the link to the grant and tells the new end", async () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10 * MIN)], version: 1 }));
    const later = grant("pii-read", NOW, 25 * MIN);
    source.request.mockResolvedValue(
      decision({ outcome: "granted", expiresAtMs: later.expiresAtMs, requestId: "ext-1", status: elevationStatus({ active: [later], version: 2 }) }),
    );
    elevations.openExtend("pii-read");
    byId<HTMLSelectElement>("elevation-duration").value = "900";
    await submit("still on it", "INC-7");
    expect(source.request).toHaveBeenCalledWith({
      name: "pii-read",
      durationS: 900,
      justification: "still on it",
      ticket: "INC-7",
      extends: "req-pii-read",
    });
    expect(elevations.openDialog).toBeNull();
    expect(itemText()).toBe("pii-read · 25 min left Extend End");
    const at = new Date(later.expiresAtMs);
    const hhmm = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    expect(byId("elevation-banner-text").textContent).toBe(`pii-read extended until ${hhmm}.`);
    expect(byId("elevation-banner").hidden).toBe(false);
    expect(document.activeElement).toBe(extendButton());
  });

  it("tells an extension that comes later in a status update, as the broker's does on AWS", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10 * MIN)], version: 1 }));
    expect(byId("elevation-banner").hidden).toBe(true);
    const later = grant("pii-read", NOW, 25 * MIN);
    elevations.update(elevationStatus({ active: [later], version: 2 }));
    const at = new Date(later.expiresAtMs);
    const hhmm = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    expect(byId("elevation-banner-text").textContent).toBe(`pii-read extended until ${hhmm}.`);
    expect(byId("elevation-banner").hidden).toBe(false);
    expect(itemText()).toBe("pii-read · 25 min left Extend End");
  });

  it("does not call a new grant of the same name an extension", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10 * MIN)], version: 1 }));
    const fresh = { ...grant("pii-read", NOW, 25 * MIN), requestId: "req-other" };
    elevations.update(elevationStatus({ active: [fresh], version: 2 }));
    expect(byId("elevation-banner-text").textContent ?? "").not.toContain("extended");
  });

  it("shows a waiting extension without a Withdraw that would end the grant, and no second Extend", () => {
    elevations.update(
      elevationStatus({
        active: [grant("pii-read", NOW, 10 * MIN)],
        pending: [{ requestId: "ext-1", name: "pii-read", requestedAtMs: NOW }],
        version: 1,
      }),
    );
    expect(extendButton()).toBeNull();
    expect(item().querySelector("button.withdraw-elevation")).toBeNull();
    expect(item().querySelector(".elevation-request")?.textContent).toBe("pii-read (more time)");
  });

  it("offers no Extend when the status cannot be read or the policy no longer offers it", () => {
    elevations.update(elevationStatus({ active: [grant("pii-read", NOW, 10 * MIN)], options: [], version: 1 }));
    expect(extendButton()).toBeNull();
    expect(elevations.openExtend("pii-read")).toBeNull();
  });

  it("tells a refused extension while the grant it was for runs on", () => {
    const held = grant("pii-read", NOW, 10 * MIN);
    elevations.update(elevationStatus({ active: [held], version: 1 }));
    const refused = refusal("ext-1", "pii-read", "no more time (denied by bob: enough for today); the grant runs on to 10:30 UTC", NOW);
    elevations.update(elevationStatus({ active: [held], refusals: [refused], version: 2 }));
    expect(byId("elevation-banner").hidden).toBe(false);
    expect(byId("elevation-banner-text").textContent).toContain("enough for today");
    expect(extendButton()).not.toBeNull();
  });
});

