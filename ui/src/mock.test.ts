import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "./api";
import { installMockBackend } from "./mock";

const pii = { name: "pii-read", durationS: null, justification: "audit" };

beforeEach(() => {
  window.history.replaceState(null, "", "/");
});

afterEach(() => {
  vi.useRealTimers();
  clearMocks();
});

describe("the mock backend's elevations", () => {
  it("matches the whole ticket against the pattern, like the backend", async () => {
    installMockBackend();
    await expect(api.requestElevation({ ...pii, ticket: "see INC-42" })).rejects.toMatchObject({ kind: "invalid" });
    await expect(api.requestElevation({ ...pii, ticket: "INC-42 and more" })).rejects.toMatchObject({ kind: "invalid" });
    await expect(api.requestElevation({ ...pii, ticket: "see SUP-7" })).rejects.toMatchObject({
      kind: "invalid",
      message: "the ticket must match INC-[0-9]+|SUP-[0-9]+",
    });
    const decision = await api.requestElevation({ ...pii, ticket: "SUP-7" });
    expect(decision.outcome).toBe("granted");
    expect(decision.status.active.map((grant) => grant.name)).toEqual(["pii-read"]);
    await api.endElevation("pii-read");
  });

  it("withdraws a waiting request on end_elevation and records it, as the backend does", async () => {
    installMockBackend();
    const asked = await api.requestElevation({ name: "large-scan", durationS: null, justification: "", ticket: null });
    expect(asked.outcome).toBe("pending");
    expect(asked.status.pending.map((request) => request.name)).toEqual(["large-scan"]);
    expect(asked.status.refusals).toEqual([]);

    const after = await api.endElevation("large-scan");
    expect(after.pending).toEqual([]);
    // The user withdrew it: no refusal for the banner, like the backend.
    expect(after.refusals).toEqual([]);
    expect(after.version).toBeGreaterThan(asked.status.version);
    const journal = await api.auditEvents({ kind: "elevation_denied", since: null, limit: 10 });
    expect(journal[0]?.summary).toBe("large-scan: withdrawn by the requester");
  });

  it("has an approver who says no with ?approver=deny", async () => {
    window.history.replaceState(null, "", "/?approver=deny");
    vi.useFakeTimers();
    installMockBackend();
    const asking = api.requestElevation({ name: "large-scan", durationS: null, justification: "", ticket: null });
    await vi.advanceTimersByTimeAsync(50);
    const asked = await asking;
    await vi.advanceTimersByTimeAsync(5000);
    const reading = api.elevationStatus();
    await vi.advanceTimersByTimeAsync(50);
    const status = await reading;
    expect(status.pending).toEqual([]);
    expect(status.refusals.map((refusal) => [refusal.requestId, refusal.reason])).toEqual([
      [asked.requestId, "denied by alice: use the sampled table for this"],
    ]);
  });
});
