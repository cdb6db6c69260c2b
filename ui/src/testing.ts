// Shared test data for the UI's unit tests (not part of the app bundle: only tests import it).
import type { PolicyStatus } from "./api";

/** A valid demo bundle at revision 3, last fetch unchanged; `extra` overrides any field. */
export function policyStatus(extra: Partial<PolicyStatus> = {}): PolicyStatus {
  return {
    health: "valid",
    reason: null,
    warning: null,
    name: "demo",
    revision: 3,
    source: "https://policy.example.com/demo.bundle",
    fetchedAt: "2026-11-21T10:00:00Z",
    issuedAt: "2026-11-18T10:00:00Z",
    // Local noon, so the date reads the same in any time zone.
    expiresAt: new Date(2026, 11, 21, 12, 0).toISOString(),
    keyId: "demo-2026",
    lastFetch: { at: "2026-11-21T10:00:00Z", result: "unchanged", message: "unchanged, revision 3" },
    ...extra,
  };
}
