import { beforeEach, describe, expect, it } from "vitest";
import type { PolicyStatus } from "./api";
import { bannerFor, renderBanner, type BannerElements } from "./banner";
import { policyStatus } from "./testing";
import { formatDateTime } from "./time";

function status(extra: Partial<PolicyStatus> = {}): PolicyStatus {
  return policyStatus({ expiresAt: "2026-12-21T12:00:00Z", ...extra });
}

describe("bannerFor", () => {
  it("says nothing while the bundle is valid", () => {
    expect(bannerFor(status())).toBeNull();
    expect(bannerFor(status({ lastFetch: null }))).toBeNull();
    expect(bannerFor(status({ lastFetch: { at: "2026-11-21T10:00:00Z", result: "updated", message: "accepted revision 3" } }))).toBeNull();
  });

  it("stays quiet when a fetch failed while valid: offline is normal", () => {
    const failed = status({ lastFetch: { at: "2026-11-21T10:00:00Z", result: "failed", message: "connection refused" } });
    expect(bannerFor(failed)).toBeNull();
  });

  it("says nothing can run when blocked, with the reason", () => {
    expect(bannerFor(status({ health: "blocked", reason: "the bundle signature does not verify" }))).toEqual({
      tone: "error",
      text: "Nothing can run: the bundle signature does not verify",
    });
  });

  it("still says nothing can run when blocked without a reason", () => {
    expect(bannerFor(status({ health: "blocked", reason: null, name: null, revision: null }))).toEqual({
      tone: "error",
      text: "Nothing can run: no valid policy bundle is in force.",
    });
  });

  it("shows the grace warning, starting a sentence and with local times", () => {
    const expired = "2026-12-21T12:00:00Z";
    const banner = bannerFor(status({ health: "grace", warning: `the policy bundle expired at ${expired}; fetch a new one` }));
    expect(banner).toEqual({ tone: "warning", text: `The policy bundle expired at ${formatDateTime(expired)}; fetch a new one` });
  });

  it("explains grace even without a warning", () => {
    const banner = bannerFor(status({ health: "grace", warning: "  " }));
    expect(banner?.tone).toBe("warning");
    expect(banner?.text).toMatch(/^The policy bundle has expired\./);
  });

  it("says a refused bundle left the previous revision in force", () => {
    const refused = status({ lastFetch: { at: "2026-11-21T10:00:00Z", result: "refused", message: "signed by an untrusted key." } });
    expect(bannerFor(refused)).toEqual({
      tone: "warning",
      text: "A new policy bundle was refused: signed by an untrusted key. The previous revision 3 stays in force.",
    });
  });

  it("words a refusal without message or revision", () => {
    const refused = status({ revision: null, lastFetch: { at: "2026-11-21T10:00:00Z", result: "refused", message: "" } });
    expect(bannerFor(refused)?.text).toBe("A new policy bundle was refused. The previous revision stays in force.");
  });

  it("keeps blocked and grace ahead of a refusal", () => {
    const lastFetch = { at: "2026-11-21T10:00:00Z", result: "refused" as const, message: "bad signature" };
    expect(bannerFor(status({ health: "blocked", reason: "expired long ago", lastFetch }))?.text).toBe("Nothing can run: expired long ago");
    expect(bannerFor(status({ health: "grace", warning: "expired", lastFetch }))?.text).toBe("Expired");
  });

  it("warns when the health is not one it knows", () => {
    expect(bannerFor(status({ health: "weird" as PolicyStatus["health"] }))?.tone).toBe("warning");
  });
});

describe("renderBanner", () => {
  let elements: BannerElements;

  beforeEach(() => {
    document.body.innerHTML = `<div id="policy-banner" hidden><span id="policy-banner-text"></span></div>`;
    elements = {
      banner: document.getElementById("policy-banner") as HTMLElement,
      bannerText: document.getElementById("policy-banner-text") as HTMLElement,
    };
  });

  it("shows a blocked bundle in the error style", () => {
    renderBanner(elements, status({ health: "blocked", reason: "no bundle was ever fetched" }));
    expect(elements.banner.hidden).toBe(false);
    expect(elements.banner.dataset.health).toBe("blocked");
    expect(elements.banner.classList.contains("is-error")).toBe(true);
    expect(elements.banner.classList.contains("is-warning")).toBe(false);
    expect(elements.bannerText.textContent).toBe("Nothing can run: no bundle was ever fetched");
  });

  it("switches to the warning style, then hides when valid again", () => {
    renderBanner(elements, status({ health: "grace", warning: "expired yesterday" }));
    expect(elements.banner.classList.contains("is-warning")).toBe(true);
    expect(elements.banner.dataset.health).toBe("grace");
    renderBanner(elements, status());
    expect(elements.banner.hidden).toBe(true);
    expect(elements.banner.dataset.health).toBe("valid");
    expect(elements.bannerText.textContent).toBe("");
    expect(elements.banner.classList.contains("is-warning")).toBe(false);
  });

  it("hides while the status is unknown", () => {
    renderBanner(elements, null);
    expect(elements.banner.hidden).toBe(true);
    expect(elements.banner.dataset.health).toBe("unknown");
  });
});
