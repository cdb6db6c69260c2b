import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "./api";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));

const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

const CAMEL: api.PolicyStatus = {
  health: "grace",
  reason: null,
  warning: "expired",
  name: "demo",
  revision: 3,
  source: "https://policy.example.com/demo.bundle",
  fetchedAt: "2026-11-21T10:00:00Z",
  issuedAt: "2026-11-18T10:00:00Z",
  expiresAt: "2026-11-20T10:00:00Z",
  keyId: "demo-2026",
  lastFetch: { at: "2026-11-21T10:00:00Z", result: "failed", message: "offline" },
};

beforeEach(() => {
  invokeMock.mockReset();
  listenMock.mockReset();
});

describe("policy commands", () => {
  it("reads policy_status and refresh_policy", async () => {
    invokeMock.mockResolvedValue(CAMEL);
    await expect(api.policyStatus()).resolves.toEqual(CAMEL);
    await expect(api.refreshPolicy()).resolves.toEqual(CAMEL);
    expect(invokeMock.mock.calls.map((call) => call[0])).toEqual(["policy_status", "refresh_policy"]);
  });

  it("hands policy-changed payloads over as statuses", async () => {
    const unlisten = vi.fn();
    listenMock.mockResolvedValue(unlisten);
    const seen: api.PolicyStatus[] = [];
    await expect(api.onPolicyChanged((status) => seen.push(status))).resolves.toBe(unlisten);
    expect(listenMock.mock.calls[0][0]).toBe("policy-changed");
    const handler = listenMock.mock.calls[0][1];
    handler({ event: "policy-changed", id: 1, payload: CAMEL });
    expect(seen).toEqual([CAMEL]);
  });
});

describe("audit commands", () => {
  it("passes the filter as kind, since and limit", async () => {
    invokeMock.mockResolvedValue([]);
    await api.auditEvents({ kind: "query_blocked", since: "2026-11-20T00:00:00Z", limit: 200 });
    await api.auditEvents({ kind: null, since: null, limit: 50 });
    expect(invokeMock.mock.calls).toEqual([
      ["audit_events", { kind: "query_blocked", since: "2026-11-20T00:00:00Z", limit: 200 }],
      ["audit_events", { kind: null, since: null, limit: 50 }],
    ]);
  });

  it("reads audit_status and runs audit_sync", async () => {
    invokeMock.mockResolvedValue({ pending: 0 });
    await api.auditStatus();
    await api.auditSync();
    expect(invokeMock.mock.calls.map((call) => call[0])).toEqual(["audit_status", "audit_sync"]);
  });

  it("listens to audit-changed", async () => {
    listenMock.mockResolvedValue(() => undefined);
    const seen: unknown[] = [];
    await api.onAuditChanged((status) => seen.push(status));
    expect(listenMock.mock.calls[0][0]).toBe("audit-changed");
    listenMock.mock.calls[0][1]({ event: "audit-changed", id: 2, payload: { pending: 4 } });
    expect(seen).toEqual([{ pending: 4 }]);
  });
});

describe("elevation commands", () => {
  const STATUS: api.ElevationStatus = {
    options: [
      {
        name: "pii-read",
        description: "Read columns tagged pii",
        defaultDurationS: 900,
        maxDurationS: 3600,
        approval: "auto",
        justification: "required",
        ticketPattern: "^INC-[0-9]+$",
      },
    ],
    active: [{ name: "pii-read", requestId: "req-p", grantedAtMs: 1, expiresAtMs: 2, approver: null }],
    pending: [{ requestId: "req-1", name: "large-scan", requestedAtMs: 3 }],
    refusals: [{ requestId: "req-0", name: "large-scan", reason: "denied by alice: not during the freeze", atMs: 2 }],
    warnBeforeS: 120,
    version: 7,
  };
  const NOTHING: api.ElevationStatus = { options: [], active: [], pending: [], refusals: [], warnBeforeS: api.DEFAULT_WARN_BEFORE_S, version: 0 };

  it("reads elevation_status, requests and ends with the contract's arguments", async () => {
    invokeMock.mockResolvedValueOnce(STATUS);
    await expect(api.elevationStatus()).resolves.toEqual(STATUS);
    const decision = { outcome: "pending", name: "large-scan", message: "asked", expiresAtMs: null, requestId: "req-1", status: STATUS };
    invokeMock.mockResolvedValueOnce(decision);
    const request = { name: "large-scan", durationS: 3600, justification: "", ticket: null };
    await expect(api.requestElevation(request)).resolves.toEqual(decision);
    invokeMock.mockResolvedValueOnce(STATUS);
    await expect(api.endElevation("pii-read")).resolves.toEqual(STATUS);
    expect(invokeMock.mock.calls).toEqual([
      ["elevation_status"],
      ["request_elevation", { request }],
      ["end_elevation", { name: "pii-read" }],
    ]);
  });

  it("fails closed on a malformed status: no options, nothing active", () => {
    expect(api.toElevationStatus(null)).toEqual(NOTHING);
    const odd = api.toElevationStatus({ options: [{ name: "x", approval: "sometimes" }, { description: "no name" }], active: "no", warnBeforeS: "soon" });
    expect(odd.options).toEqual([
      { name: "x", description: "", defaultDurationS: 0, maxDurationS: 0, approval: "manual", justification: "required", ticketPattern: null },
    ]);
    expect(odd.active).toEqual([]);
    expect(odd.warnBeforeS).toBe(api.DEFAULT_WARN_BEFORE_S);
  });

  it("hands elevation-changed payloads over as statuses", async () => {
    listenMock.mockResolvedValue(() => undefined);
    const seen: api.ElevationStatus[] = [];
    await api.onElevationChanged((status) => seen.push(status));
    expect(listenMock.mock.calls[0][0]).toBe("elevation-changed");
    listenMock.mock.calls[0][1]({ event: "elevation-changed", id: 3, payload: STATUS });
    listenMock.mock.calls[0][1]({ event: "elevation-changed", id: 4, payload: {} });
    expect(seen).toEqual([STATUS, NOTHING]);
  });

  it("reads refusals, and takes a missing or malformed list as none", () => {
    expect(api.toElevationStatus({ ...STATUS, refusals: undefined }).refusals).toEqual([]);
    expect(api.toElevationStatus({ ...STATUS, refusals: "none" }).refusals).toEqual([]);
    expect(api.toElevationStatus({ ...STATUS, refusals: { requestId: "r", name: "x" } }).refusals).toEqual([]);
    const odd = api.toElevationStatus({
      refusals: [
        { requestId: "7f1c9e2a-5b3d-4e6f-8a9b-0c1d2e3f4a5b", name: "pii-read", reason: "timed out after 1 hour", atMs: 5 },
        { requestId: "r2", name: "large-scan" },
        { requestId: "", name: "no-id", reason: "x", atMs: 1 },
        { name: "no-id-at-all", reason: "x", atMs: 1 },
        { requestId: "r3", reason: "no name", atMs: 1 },
        null,
        "withdrawn",
      ],
    });
    expect(odd.refusals).toEqual([
      { requestId: "7f1c9e2a-5b3d-4e6f-8a9b-0c1d2e3f4a5b", name: "pii-read", reason: "timed out after 1 hour", atMs: 5 },
      { requestId: "r2", name: "large-scan", reason: "", atMs: 0 },
    ]);
  });
});
