import { describe, expect, it } from "vitest";
import { kindLabel, lastSyncText, payloadText, pendingText, SINCE_CHOICES, sinceFor, storeText, syncErrorText } from "./audit-text";
import { formatDateTime } from "./time";

const NOW = new Date(2026, 10, 21, 12, 0, 0);
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

describe("sync state words", () => {
  it("counts events waiting, or says all synced", () => {
    expect(pendingText(0)).toBe("all synced");
    expect(pendingText(1)).toBe("1 event waiting");
    expect(pendingText(3)).toBe("3 events waiting");
    expect(pendingText(12_345)).toBe("12,345 events waiting");
    expect(pendingText(Number.NaN)).toBe("all synced");
  });

  it("gives the last sync as a time and how long ago, or never", () => {
    expect(lastSyncText(null, NOW)).toBe("never");
    expect(lastSyncText(ago(5 * 60_000), NOW)).toBe(`${formatDateTime(ago(5 * 60_000))} (5 min ago)`);
  });

  it("words the last failure in plain words", () => {
    const status = { lastError: "dns error: no such host", lastErrorAt: ago(120_000), lastSuccess: null };
    expect(syncErrorText(status, NOW)).toBe("The last sync failed (2 min ago): dns error: no such host");
    expect(syncErrorText({ ...status, lastErrorAt: null }, NOW)).toBe("The last sync failed: dns error: no such host");
  });

  it("drops a failure that a later success superseded, or that is empty", () => {
    expect(syncErrorText({ lastError: "timeout", lastErrorAt: ago(600_000), lastSuccess: ago(60_000) }, NOW)).toBeNull();
    expect(syncErrorText({ lastError: "timeout", lastErrorAt: ago(60_000), lastSuccess: ago(600_000) }, NOW)).not.toBeNull();
    expect(syncErrorText({ lastError: "  ", lastErrorAt: null, lastSuccess: null }, NOW)).toBeNull();
    expect(syncErrorText({ lastError: null, lastErrorAt: null, lastSuccess: null }, NOW)).toBeNull();
  });

  it("says where events go", () => {
    expect(storeText("s3://audit/journals")).toBe("Syncs to s3://audit/journals");
    expect(storeText(null)).toBe("No audit store is set up: events stay on this device.");
  });
});

describe("filters", () => {
  it("offers all, last hour, last 24 h and last 7 days", () => {
    expect(SINCE_CHOICES.map((choice) => choice.value)).toEqual(["", "1h", "24h", "7d"]);
  });

  it("turns a since choice into an RFC 3339 lower bound", () => {
    expect(sinceFor("", NOW)).toBeNull();
    expect(sinceFor("bogus", NOW)).toBeNull();
    expect(sinceFor("1h", NOW)).toBe(ago(3_600_000));
    expect(sinceFor("24h", NOW)).toBe(ago(86_400_000));
    expect(sinceFor("7d", NOW)).toBe(ago(7 * 86_400_000));
  });

  it("labels kinds in words", () => {
    expect(kindLabel("query_blocked")).toBe("Query blocked");
    expect(kindLabel("lockout")).toBe("Lockout");
    expect(kindLabel("")).toBe("Unknown");
  });
});

describe("payloads", () => {
  it("pretty-prints JSON", () => {
    expect(payloadText({ sql: "SELECT 1", rows: 1 })).toBe('{\n  "sql": "SELECT 1",\n  "rows": 1\n}');
    expect(payloadText("plain")).toBe('"plain"');
  });

  it("never throws", () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(payloadText(loop)).toBe("The details could not be shown.");
    expect(payloadText(null)).toBe("No details.");
    expect(payloadText(undefined)).toBe("No details.");
  });
});
