import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditEvent, AuditFilter, AuditStatus } from "./api";
import { AUDIT_LIMIT, AuditPanel, type AuditSource } from "./audit";

const NOW = new Date(2026, 10, 21, 12, 0, 0);
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

const EVENTS: AuditEvent[] = [
  { seq: 12, id: "e12", at: ago(60_000), kind: "query_blocked", actor: "ana@laptop", workspace: "demo", summary: "DELETE is not allowed", payload: { sql: "DELETE FROM t", rule: "statement-class" } },
  { seq: 11, id: "e11", at: ago(3_600_000), kind: "elevation_granted", actor: "ana@laptop", workspace: "demo", summary: "pii-read for 30 min", payload: { elevation: "pii-read" } },
  { seq: 10, id: "e10", at: ago(86_400_000), kind: "app_started", actor: "ana@laptop", workspace: "demo", summary: "Warden started", payload: null },
];

function auditStatus(extra: Partial<AuditStatus> = {}): AuditStatus {
  return {
    deviceId: "dev-1",
    journal: "/home/ana/.local/share/warden/workspaces/demo/audit/journal.sqlite",
    events: 12,
    lastSeq: 12,
    store: "s3://audit/journals",
    lastSyncedSeq: 9,
    pending: 3,
    lastSuccess: ago(2 * 3_600_000),
    lastError: null,
    lastErrorAt: null,
    ...extra,
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

let source: { events: ReturnType<typeof vi.fn>; status: ReturnType<typeof vi.fn>; sync: ReturnType<typeof vi.fn> };
let panel: AuditPanel;
let root: HTMLElement;
let toggle: HTMLButtonElement;

const byId = (id: string) => document.getElementById(id) as HTMLElement;
const rows = () => [...document.querySelectorAll<HTMLElement>("#audit-events .audit-row")];

beforeEach(() => {
  document.body.innerHTML = `<button id="audit-toggle"></button><aside id="audit-panel"></aside>`;
  root = byId("audit-panel");
  toggle = byId("audit-toggle") as HTMLButtonElement;
  source = {
    events: vi.fn(async (_filter: AuditFilter) => EVENTS),
    status: vi.fn(async () => auditStatus()),
    sync: vi.fn(async () => auditStatus({ pending: 0, lastSyncedSeq: 12, lastSuccess: ago(0) })),
  };
  panel = new AuditPanel(root, toggle, source as unknown as AuditSource, () => NOW);
});

async function open() {
  await panel.setOpen(true);
}

describe("the audit panel", () => {
  it("starts closed and loads nothing until opened", () => {
    expect(root.hidden).toBe(true);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(source.events).not.toHaveBeenCalled();
    expect(source.status).not.toHaveBeenCalled();
  });

  it("opens from the toolbar button and lists the newest events", async () => {
    toggle.click();
    await vi.waitFor(() => expect(rows()).toHaveLength(3));
    expect(root.hidden).toBe(false);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(source.events).toHaveBeenCalledWith({ kind: null, since: null, limit: AUDIT_LIMIT });
    expect(rows().map((row) => row.dataset.kind)).toEqual(["query_blocked", "elevation_granted", "app_started"]);
    expect(rows().map((row) => row.dataset.seq)).toEqual(["12", "11", "10"]);
    const first = rows()[0];
    expect(first.querySelector(".audit-kind")?.textContent).toBe("Query blocked");
    expect(first.querySelector(".audit-summary")?.textContent).toBe("DELETE is not allowed");
    expect(first.querySelector(".audit-actor")?.textContent).toBe("ana@laptop");
    expect(first.querySelector(".audit-time")?.textContent).toBe("21 Nov 2026, 11:59:00");
    expect(first.querySelector("time")?.getAttribute("datetime")).toBe(EVENTS[0].at);
  });

  it("shows the sync state", async () => {
    await open();
    expect(byId("audit-pending").textContent).toBe("3 events waiting");
    expect(byId("audit-last-sync").textContent).toBe("21 Nov 2026, 10:00 (2 h ago)");
    expect(byId("audit-error").hidden).toBe(true);
    expect(byId("audit-store").textContent).toBe("Syncs to s3://audit/journals");
  });

  it("says never and all synced for a fresh journal", async () => {
    source.status.mockResolvedValue(auditStatus({ pending: 0, lastSuccess: null, store: null }));
    await open();
    expect(byId("audit-pending").textContent).toBe("all synced");
    expect(byId("audit-last-sync").textContent).toBe("never");
    expect(byId("audit-store").textContent).toContain("events stay on this device");
  });

  it("closes again from the button or the close control", async () => {
    await open();
    toggle.click();
    expect(root.hidden).toBe(true);
    await open();
    (root.querySelector(".audit-close") as HTMLButtonElement).click();
    expect(root.hidden).toBe(true);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
  });

  it("passes the kind and since filters to the journal", async () => {
    await open();
    const kind = byId("audit-kind") as HTMLSelectElement;
    expect(kind.options[0].textContent).toBe("All kinds");
    expect([...kind.options].map((option) => option.value)).toContain("credentials_wiped");
    // The identity events (issue 12) can be filtered like the rest.
    for (const identity of ["signed_in", "signed_out", "sign_in_failed", "token_refreshed", "credentials_issued"]) {
      expect([...kind.options].map((option) => option.value)).toContain(identity);
    }
    kind.value = "query_blocked";
    kind.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(source.events).toHaveBeenLastCalledWith({ kind: "query_blocked", since: null, limit: 200 }));

    const since = byId("audit-since") as HTMLSelectElement;
    since.value = "24h";
    since.dispatchEvent(new Event("change"));
    await vi.waitFor(() =>
      expect(source.events).toHaveBeenLastCalledWith({ kind: "query_blocked", since: ago(86_400_000), limit: 200 }),
    );
    expect(source.events).toHaveBeenCalledTimes(3);
  });

  it("says when no event matches, and when there are none at all", async () => {
    source.events.mockResolvedValue([]);
    await open();
    expect(byId("audit-events").textContent).toBe("No events recorded yet.");
    (byId("audit-since") as HTMLSelectElement).value = "1h";
    await panel.loadEvents();
    expect(byId("audit-events").textContent).toBe("No events match these filters.");
  });

  it("expands a row to its payload as pretty JSON, and keeps it open across reloads", async () => {
    await open();
    const row = rows()[0];
    const payload = row.querySelector("pre.audit-payload") as HTMLElement;
    expect(payload.hidden).toBe(true);
    row.click();
    expect(payload.hidden).toBe(false);
    expect(row.classList.contains("is-open")).toBe(true);
    expect(payload.textContent).toBe(JSON.stringify(EVENTS[0].payload, null, 2));
    payload.click(); // selecting text in the payload does not fold it
    expect(payload.hidden).toBe(false);

    await panel.loadEvents();
    expect((rows()[0].querySelector("pre") as HTMLElement).hidden).toBe(false);
    (rows()[0].querySelector(".audit-row-head") as HTMLButtonElement).click();
    expect((rows()[0].querySelector("pre") as HTMLElement).hidden).toBe(true);
  });

  it("disables Sync now while a sync runs, then shows the new state", async () => {
    await open();
    const answer = deferred<AuditStatus>();
    source.sync.mockReturnValue(answer.promise);
    const button = byId("audit-sync") as HTMLButtonElement;
    button.click();
    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe("Syncing…");
    button.click();
    expect(source.sync).toHaveBeenCalledTimes(1);

    answer.resolve(auditStatus({ pending: 0, lastSyncedSeq: 12, lastSuccess: ago(0) }));
    await vi.waitFor(() => expect(button.disabled).toBe(false));
    expect(button.textContent).toBe("Sync now");
    expect(byId("audit-pending").textContent).toBe("all synced");
    expect(byId("audit-last-sync").textContent).toBe("21 Nov 2026, 12:00 (just now)");
  });

  it("shows a failed sync in plain words", async () => {
    await open();
    source.sync.mockResolvedValue(auditStatus({ lastError: "could not reach s3://audit/journals: timed out", lastErrorAt: ago(0) }));
    await panel.sync();
    const error = byId("audit-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("The last sync failed (just now): could not reach s3://audit/journals: timed out");
    expect(byId("audit-pending").textContent).toBe("3 events waiting");
    expect((byId("audit-sync") as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows a rejected sync call in plain words too", async () => {
    await open();
    source.sync.mockRejectedValue({ kind: "internal", message: "The journal is locked." });
    await panel.sync();
    expect(byId("audit-error").textContent).toBe("The sync could not start. Something went wrong inside Warden: The journal is locked.");
    expect((byId("audit-sync") as HTMLButtonElement).disabled).toBe(false);
  });

  it("says so when the journal cannot be read", async () => {
    source.events.mockRejectedValue({ kind: "internal", message: "journal.jsonl is corrupt" });
    await open();
    const message = byId("audit-events").querySelector(".audit-empty.is-error");
    expect(message?.textContent).toBe("Could not load the audit journal. Something went wrong inside Warden: journal.jsonl is corrupt");
  });

  it("follows audit-changed: the list reloads only while open", async () => {
    panel.statusChanged(auditStatus({ pending: 5 }));
    expect(byId("audit-pending").textContent).toBe("5 events waiting");
    expect(source.events).not.toHaveBeenCalled();

    await open();
    source.events.mockClear();
    panel.statusChanged(auditStatus({ pending: 6 }));
    expect(byId("audit-pending").textContent).toBe("6 events waiting");
    expect(source.events).toHaveBeenCalledTimes(1);
  });

  it("keeps the newest answer when an older one arrives late", async () => {
    await open();
    const slow = deferred<AuditEvent[]>();
    source.events.mockReturnValueOnce(slow.promise).mockResolvedValueOnce([EVENTS[2]]);
    const first = panel.loadEvents();
    await panel.loadEvents();
    slow.resolve(EVENTS);
    await first;
    expect(rows().map((row) => row.dataset.seq)).toEqual(["10"]);
  });

  it("notes when the list stops at the limit", async () => {
    source.events.mockResolvedValue(
      Array.from({ length: AUDIT_LIMIT }, (_, index) => ({ ...EVENTS[0], seq: 1000 - index, id: `e${index}` })),
    );
    await open();
    expect(rows()).toHaveLength(AUDIT_LIMIT);
    expect(byId("audit-events").querySelector(".audit-more")?.textContent).toBe("Showing the newest 200 events.");
  });
});
