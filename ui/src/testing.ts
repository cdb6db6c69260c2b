// Shared test data for the UI's unit tests (not part of the app bundle: only tests import it).
import type { ActiveElevation, ElevationOption, ElevationRefusal, ElevationStatus, PolicyStatus } from "./api";

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

/** pii-read: automatic, justification required, a ticket like INC-42; 15 min by default, at most 1 h. */
export function piiRead(extra: Partial<ElevationOption> = {}): ElevationOption {
  return {
    name: "pii-read",
    description: "Read columns tagged pii",
    defaultDurationS: 900,
    maxDurationS: 3600,
    approval: "auto",
    justification: "required",
    ticketPattern: "^(INC|SUP)-[0-9]+$",
    ...extra,
  };
}

/** large-scan: an approver decides, justification optional, no ticket; 1 h by default, at most 4 h. */
export function largeScan(extra: Partial<ElevationOption> = {}): ElevationOption {
  return {
    name: "large-scan",
    description: "Scan more than the budget",
    defaultDurationS: 3600,
    maxDurationS: 14_400,
    approval: "manual",
    justification: "optional",
    ticketPattern: null,
    ...extra,
  };
}

/** A grant of `name` that ends `leftMs` after `now`. */
export function grant(name: string, now: number, leftMs: number, approver: string | null = null): ActiveElevation {
  return { name, requestId: `req-${name}`, grantedAtMs: now - 60_000, expiresAtMs: now + leftMs, approver };
}

/** A refusal of request `requestId` for `name`, `agoMs` before `now`. */
export function refusal(requestId: string, name: string, reason: string, now = 0, agoMs = 0): ElevationRefusal {
  return { requestId, name, reason, atMs: now - agoMs };
}

/** Both demo options, nothing active, pending or refused, warnings 5 min ahead; `extra` overrides any field. */
export function elevationStatus(extra: Partial<ElevationStatus> = {}): ElevationStatus {
  return { options: [piiRead(), largeScan()], active: [], pending: [], refusals: [], warnBeforeS: 300, version: 0, ...extra };
}
