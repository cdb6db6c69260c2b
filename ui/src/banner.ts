// The policy banner above the editor: says in plain words when nothing can
// run, when the bundle has expired, or when a new bundle was refused.
// A failed fetch while the bundle is valid is normal (offline) and shows no
// banner; the status bar's tooltip mentions it.
import type { PolicyStatus } from "./api";
import { localizeTimes } from "./time";

export type BannerTone = "error" | "warning";

export interface Banner {
  tone: BannerTone;
  text: string;
}

export interface BannerElements {
  banner: HTMLElement;
  bannerText: HTMLElement;
}

const BLOCKED_FALLBACK = "no valid policy bundle is in force.";
const GRACE_FALLBACK =
  "The policy bundle has expired. It stays in force for a short while; after that nothing can run until a new one arrives.";
const UNKNOWN_HEALTH = "Warden could not tell whether the policy bundle is in force.";

/** A backend message, trimmed, with local times. */
function text(value: string | null | undefined): string {
  return typeof value === "string" ? localizeTimes(value.trim()) : "";
}

/** Backend messages start in lower case; a banner of its own starts a sentence. */
function capitalized(value: string): string {
  return value ? value[0].toUpperCase() + value.slice(1) : value;
}

/** Drops trailing full stops so the message can sit inside a sentence. */
function clause(value: string): string {
  return value.replace(/[.\s]+$/, "");
}

function refused(status: PolicyStatus): Banner {
  const message = clause(text(status.lastFetch?.message));
  const previous =
    typeof status.revision === "number"
      ? `The previous revision ${status.revision} stays in force.`
      : "The previous revision stays in force.";
  const lead = message ? `A new policy bundle was refused: ${message}.` : "A new policy bundle was refused.";
  return { tone: "warning", text: `${lead} ${previous}` };
}

/** What the banner says for `status`, or null when there is nothing to say. */
export function bannerFor(status: PolicyStatus): Banner | null {
  switch (status.health) {
    case "blocked":
      return { tone: "error", text: `Nothing can run: ${text(status.reason) || BLOCKED_FALLBACK}` };
    case "grace":
      return { tone: "warning", text: capitalized(text(status.warning)) || GRACE_FALLBACK };
    case "valid":
      return status.lastFetch?.result === "refused" ? refused(status) : null;
    default:
      return { tone: "warning", text: UNKNOWN_HEALTH };
  }
}

/** Shows or hides `#policy-banner`; null (status unknown) hides it. */
export function renderBanner(elements: BannerElements, status: PolicyStatus | null): void {
  const { banner, bannerText } = elements;
  const shown = status ? bannerFor(status) : null;
  banner.dataset.health = status ? String(status.health) : "unknown";
  banner.classList.toggle("is-error", shown?.tone === "error");
  banner.classList.toggle("is-warning", shown?.tone === "warning");
  bannerText.textContent = shown?.text ?? "";
  banner.hidden = shown === null;
}
