// Words for the audit panel: sync state, filters and event payloads.
import type { AuditStatus } from "./api";
import { describeError } from "./errors";
import { formatCount } from "./format";
import { formatDateTime, formatRelative, isLater } from "./time";

export type SinceChoice = "" | "1h" | "24h" | "7d";

export const SINCE_CHOICES: ReadonlyArray<{ value: SinceChoice; label: string }> = [
  { value: "", label: "All" },
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 h" },
  { value: "7d", label: "Last 7 days" },
];

const SINCE_MS: Record<Exclude<SinceChoice, "">, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
};

/** The RFC 3339 lower bound for a "since" choice, or null for all time. */
export function sinceFor(choice: string, now: Date = new Date()): string | null {
  const span = SINCE_MS[choice as keyof typeof SINCE_MS];
  return span === undefined ? null : new Date(now.getTime() - span).toISOString();
}

/** "query_blocked" -> "Query blocked". */
export function kindLabel(kind: string): string {
  const words = kind.replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "Unknown";
}

/** "3 events waiting", "1 event waiting" or "all synced". */
export function pendingText(pending: number): string {
  if (!Number.isFinite(pending) || pending <= 0) return "all synced";
  return `${formatCount(pending, "event")} waiting`;
}

/** "21 Nov 2026, 14:03 (5 min ago)" or "never". */
export function lastSyncText(lastSuccess: string | null, now: Date = new Date()): string {
  if (!lastSuccess) return "never";
  return `${formatDateTime(lastSuccess)} (${formatRelative(lastSuccess, now)})`;
}

/**
 * The last sync failure in plain words, or null when there is none or a
 * later sync succeeded.
 */
export function syncErrorText(status: Pick<AuditStatus, "lastError" | "lastErrorAt" | "lastSuccess">, now: Date = new Date()): string | null {
  const error = status.lastError?.trim();
  if (!error) return null;
  if (status.lastErrorAt && isLater(status.lastSuccess, status.lastErrorAt)) return null;
  const when = status.lastErrorAt ? ` (${formatRelative(status.lastErrorAt, now)})` : "";
  return `The last sync failed${when}: ${describeError(error)}`;
}

/** Where events go: the store, or that they stay on this device. */
export function storeText(store: string | null): string {
  return store ? `Syncs to ${store}` : "No audit store is set up: events stay on this device.";
}

/** A payload as pretty-printed JSON; never throws. */
export function payloadText(payload: unknown): string {
  if (payload === undefined || payload === null) return "No details.";
  try {
    return JSON.stringify(payload, null, 2) ?? String(payload);
  } catch {
    return "The details could not be shown.";
  }
}
