import { beforeEach, describe, expect, it } from "vitest";
import type { PolicyStatus, WorkspaceInfo } from "./api";
import { describeBundle, describeBundleError, renderStatus, renderStatusError } from "./status";
import { policyStatus } from "./testing";
import { formatDateTime } from "./time";

const INFO: WorkspaceInfo = {
  workspace: "demo",
  engine: "datafusion",
  policyName: "demo-analyst",
  policyFingerprint: "sha256:3f9a1c0e7b2d4a6f",
  defaultDatabase: "sales",
  home: "/home/a/.warden",
};

// Local noon: the date reads the same in any time zone.
const EXPIRES = new Date(2026, 11, 21, 12, 0).toISOString();
const NOW = new Date(2026, 10, 21, 12, 0);

function status(extra: Partial<PolicyStatus> = {}): PolicyStatus {
  return policyStatus({
    fetchedAt: new Date(2026, 10, 21, 10, 5).toISOString(),
    issuedAt: new Date(2026, 10, 18, 9, 0).toISOString(),
    expiresAt: EXPIRES,
    lastFetch: { at: new Date(2026, 10, 21, 11, 0).toISOString(), result: "unchanged", message: "unchanged, revision 3" },
    ...extra,
  });
}

let root: HTMLElement;

beforeEach(() => {
  document.body.innerHTML = `<footer id="status"></footer>`;
  root = document.getElementById("status") as HTMLElement;
});

function bundleItem(): HTMLElement {
  return root.querySelector('.status-item[data-item="bundle"]') as HTMLElement;
}

describe("bundle status item", () => {
  it("names the bundle, revision and expiry while valid", () => {
    renderStatus(root, INFO, describeBundle(status(), NOW));
    const item = bundleItem();
    expect(item.querySelector(".status-label")?.textContent).toBe("Bundle");
    expect(item.querySelector(".status-value")?.textContent).toBe("demo r3 · expires 21 Dec 2026");
    expect(item.classList.contains("is-warning")).toBe(false);
    expect(item.classList.contains("is-error")).toBe(false);
  });

  it("keeps the other items, in order, with the bundle after the policy", () => {
    renderStatus(root, INFO, describeBundle(status(), NOW));
    const keys = [...root.querySelectorAll<HTMLElement>(".status-item")].map((node) => node.dataset.item);
    expect(keys).toEqual(["workspace", "engine", "policy", "bundle", "database"]);
    expect(root.textContent).toContain("demo-analyst (3f9a1c0e)");
  });

  it("puts source, key, fetch time and the last fetch into the tooltip", () => {
    renderStatus(root, INFO, describeBundle(status(), NOW));
    const title = bundleItem().title;
    expect(title).toContain("Source: https://policy.example.com/demo.bundle");
    expect(title).toContain("Signed with key: demo-2026");
    expect(title).toContain(`Fetched: ${formatDateTime(status().fetchedAt)}`);
    expect(title).toContain("Last fetch found no change");
    expect(title).toContain("unchanged, revision 3");
  });

  it("mentions a failed fetch in the tooltip only", () => {
    const failed = status({ lastFetch: { at: new Date(2026, 10, 21, 11, 30).toISOString(), result: "failed", message: "connection refused" } });
    const display = describeBundle(failed, NOW);
    expect(display.tone).toBe("ok");
    expect(display.value).toBe("demo r3 · expires 21 Dec 2026");
    expect(display.title).toContain("Last fetch failed (21 Nov 2026, 11:30): connection refused");
  });

  it("is a warning in grace, saying when it expired", () => {
    const grace = status({ health: "grace", warning: "the bundle expired; refused from tomorrow" });
    renderStatus(root, INFO, describeBundle(grace, new Date(2026, 11, 22)));
    const item = bundleItem();
    expect(item.querySelector(".status-value")?.textContent).toBe("demo r3 · expired 21 Dec 2026");
    expect(item.classList.contains("is-warning")).toBe(true);
    expect(item.classList.contains("is-error")).toBe(false);
    expect(item.title).toContain("Expired: the bundle expired; refused from tomorrow");
  });

  it("is an error when blocked, with the reason in the tooltip", () => {
    renderStatus(root, INFO, describeBundle(status({ health: "blocked", reason: "signature does not verify" }), NOW));
    const item = bundleItem();
    expect(item.querySelector(".status-value")?.textContent).toBe("demo r3 · blocked");
    expect(item.classList.contains("is-error")).toBe(true);
    expect(item.title).toContain("Blocked: signature does not verify");
  });

  it("says so when blocked without any bundle", () => {
    const none = status({ health: "blocked", reason: "no bundle yet", name: null, revision: null, expiresAt: null, keyId: null, fetchedAt: null, lastFetch: null });
    const display = describeBundle(none, NOW);
    expect(display.value).toBe("no valid bundle");
    expect(display.tone).toBe("error");
    expect(display.title).toContain("Fetched: never");
    expect(display.title).not.toContain("Signed with key");
  });

  it("shows an unreadable policy status as an error", () => {
    renderStatus(root, INFO, describeBundleError("Something went wrong inside Warden: locked."));
    const item = bundleItem();
    expect(item.querySelector(".status-value")?.textContent).toBe("status unknown");
    expect(item.classList.contains("is-error")).toBe(true);
    expect(item.title).toBe("Could not read the policy status. Something went wrong inside Warden: locked.");
  });

  it("leaves the bundle out when there is nothing to show, and on a workspace error", () => {
    renderStatus(root, INFO);
    expect(bundleItem()).toBeNull();
    renderStatusError(root, "Workspace unavailable");
    expect(root.textContent).toBe("Workspace unavailable");
  });
});
