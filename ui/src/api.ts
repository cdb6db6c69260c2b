// Typed wrappers around the Tauri commands of the Warden desktop app.
// The Rust side answers in camelCase; every call goes through here so the
// rest of the UI never touches `invoke` or command names directly.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export type Verdict = "allow" | "elevate" | "deny";
export type Severity = "error" | "warning" | "info";
export type CellValue = string | number | boolean | null;

export interface WorkspaceInfo {
  workspace: string;
  engine: string;
  policyName: string;
  policyFingerprint: string;
  defaultDatabase: string | null;
  home: string;
}

export interface CatalogColumn {
  name: string;
  dataType: string;
  partitionKey: boolean;
  tags: string[];
}

export interface CatalogTable {
  name: string;
  columns: CatalogColumn[];
}

export interface CatalogDatabase {
  name: string;
  tables: CatalogTable[];
}

export interface Catalog {
  databases: CatalogDatabase[];
}

export interface Fix {
  title: string;
  from: number;
  to: number;
  insert: string;
}

export interface LintDiagnostic {
  rule: string;
  severity: Severity;
  message: string;
  /** UTF-16 offsets into the linted text. */
  from: number;
  to: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  unlockedBy: string[];
  fix: Fix | null;
}

export interface LintReport {
  verdict: Verdict;
  elevations: string[];
  reads: string[];
  reason: string | null;
  diagnostics: LintDiagnostic[];
}

export interface ResultColumn {
  name: string;
  dataType: string;
}

export interface QueryResult {
  resultId: string;
  columns: ResultColumn[];
  rowCount: number;
  bytesScanned: number;
  durationMs: number;
  queryId: string;
  engine: string;
}

export interface RowPage {
  rows: CellValue[][];
}

/** Shape of a rejected `run_query` (and of other command failures). */
export interface CommandError {
  kind: "blocked" | "engine" | "cancelled" | "invalid" | "internal";
  message: string;
}

export type PolicyHealth = "valid" | "grace" | "blocked";

/** The outcome of the last attempt to fetch the policy bundle. */
export interface FetchVerdict {
  /** RFC 3339. */
  at: string;
  result: "updated" | "unchanged" | "refused" | "failed";
  message: string;
}

export interface PolicyStatus {
  health: PolicyHealth;
  /** Why nothing may run (health "blocked"). */
  reason: string | null;
  /** What to tell the user while in "grace" (expired, still enforced for a while). */
  warning: string | null;
  name: string | null;
  revision: number | null;
  source: string | null;
  fetchedAt: string | null;
  issuedAt: string | null;
  expiresAt: string | null;
  keyId: string | null;
  lastFetch: FetchVerdict | null;
}

/** Every kind of event the audit journal records, in the order the filter lists them. */
export const AUDIT_KINDS = [
  "app_started",
  "bundle_updated",
  "bundle_rejected",
  "query_blocked",
  "query_started",
  "query_finished",
  "query_failed",
  "query_cancelled",
  "elevation_requested",
  "elevation_granted",
  "elevation_denied",
  "elevation_expired",
  "lockout",
  "credentials_wiped",
] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditEvent {
  seq: number;
  id: string;
  /** RFC 3339. */
  at: string;
  kind: string;
  actor: string;
  workspace: string;
  summary: string;
  payload: unknown;
}

export interface AuditFilter {
  kind: string | null;
  /** RFC 3339: only events at or after this time. */
  since: string | null;
  limit: number;
}

export interface AuditStatus {
  deviceId: string;
  /** Path of the journal file on this device. */
  journal?: string;
  events: number;
  lastSeq: number;
  /** Where events are synced to, or null when no store is configured. */
  store: string | null;
  lastSyncedSeq: number;
  pending: number;
  lastSuccess: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export type Approval = "auto" | "manual";

/** One elevation the policy in force defines. */
export interface ElevationOption {
  name: string;
  description: string;
  defaultDurationS: number;
  maxDurationS: number;
  approval: Approval;
  justification: "required" | "optional";
  /** A regex the whole ticket must match; null: the request takes no ticket. */
  ticketPattern: string | null;
}

export interface ActiveElevation {
  name: string;
  grantedAtMs: number;
  expiresAtMs: number;
  /** Who approved it; null when the policy approved it by itself. */
  approver: string | null;
}

export interface PendingElevation {
  requestId: string;
  name: string;
  requestedAtMs: number;
}

/** A request that ended without a grant: denied by an approver, withdrawn, timed out, or approved but not granted. */
export interface ElevationRefusal {
  requestId: string;
  name: string;
  /** Plain words from the backend, e.g. "denied by alice: not during the freeze". */
  reason: string;
  atMs: number;
}

export interface ElevationStatus {
  /** Empty when no policy is in force. */
  options: ElevationOption[];
  active: ActiveElevation[];
  pending: PendingElevation[];
  /** The latest refusals, newest first (at most 5). */
  refusals: ElevationRefusal[];
  /** How long before its end an elevation is announced. */
  warnBeforeS: number;
  /** Grows with every change on the backend: a smaller one is older news. */
  version: number;
}

export interface ElevationRequest {
  name: string;
  /** Null asks for the elevation's default duration. */
  durationS: number | null;
  justification: string;
  ticket: string | null;
}

export interface ElevationDecision {
  outcome: "granted" | "pending" | "denied";
  name: string;
  /** Plain words, shown as is. */
  message: string;
  /** When granted. */
  expiresAtMs: number | null;
  /** When pending. */
  requestId: string | null;
  status: ElevationStatus;
}

export type { UnlistenFn };

export function workspaceInfo(): Promise<WorkspaceInfo> {
  return invoke<WorkspaceInfo>("workspace_info");
}

export function catalog(): Promise<Catalog> {
  return invoke<Catalog>("catalog");
}

export function lint(sql: string, database: string | null): Promise<LintReport> {
  return invoke<LintReport>("lint", { sql, database });
}

/** Runs `sql`; `runId` names the run for `cancelQuery`. */
export function runQuery(sql: string, database: string | null, runId: string): Promise<QueryResult> {
  return invoke<QueryResult>("run_query", { sql, database, runId });
}

/** Stops run `runId`; resolves false when it was not running (it ended, or has not started). */
export function cancelQuery(runId: string): Promise<boolean> {
  return invoke<boolean>("cancel_query", { runId });
}

export function fetchRows(resultId: string, offset: number, limit: number): Promise<RowPage> {
  return invoke<RowPage>("fetch_rows", { resultId, offset, limit });
}

type Raw = Record<string, unknown>;

function field(raw: Raw, camel: string, snake: string): unknown {
  return raw[camel] !== undefined ? raw[camel] : raw[snake];
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * A policy status as the UI uses it. Accepts the camelCase contract and,
 * defensively, the bundle crate's snake_case field names.
 */
export function toPolicyStatus(value: unknown): PolicyStatus {
  const raw: Raw = typeof value === "object" && value !== null ? (value as Raw) : {};
  const fetch = field(raw, "lastFetch", "last_fetch");
  const lastFetch =
    typeof fetch === "object" && fetch !== null
      ? {
          at: text((fetch as Raw).at) ?? "",
          result: (fetch as Raw).result as FetchVerdict["result"],
          message: text((fetch as Raw).message) ?? "",
        }
      : null;
  const revision = raw.revision;
  return {
    health: raw.health as PolicyHealth,
    reason: text(raw.reason),
    warning: text(raw.warning),
    name: text(raw.name),
    revision: typeof revision === "number" ? revision : null,
    source: text(raw.source),
    fetchedAt: text(field(raw, "fetchedAt", "fetched_at")),
    issuedAt: text(field(raw, "issuedAt", "issued_at")),
    expiresAt: text(field(raw, "expiresAt", "expires_at")),
    keyId: text(field(raw, "keyId", "key_id")),
    lastFetch,
  };
}

export function policyStatus(): Promise<PolicyStatus> {
  return invoke<unknown>("policy_status").then(toPolicyStatus);
}

/** Fetches the bundle now. A failed fetch still resolves: it is in `lastFetch`. */
export function refreshPolicy(): Promise<PolicyStatus> {
  return invoke<unknown>("refresh_policy").then(toPolicyStatus);
}

/** Journal events matching `filter`, newest first. */
export function auditEvents(filter: AuditFilter): Promise<AuditEvent[]> {
  return invoke<AuditEvent[]>("audit_events", { kind: filter.kind, since: filter.since, limit: filter.limit });
}

export function auditStatus(): Promise<AuditStatus> {
  return invoke<AuditStatus>("audit_status");
}

/** Runs a sync now. A failed sync still resolves, with `lastError` set. */
export function auditSync(): Promise<AuditStatus> {
  return invoke<AuditStatus>("audit_sync");
}

/** `policy-changed`: the bundle revision or health changed. */
export function onPolicyChanged(callback: (status: PolicyStatus) => void): Promise<UnlistenFn> {
  return listen<unknown>("policy-changed", (event) => callback(toPolicyStatus(event.payload)));
}

/** `audit-changed`: events were recorded or a sync ran. */
export function onAuditChanged(callback: (status: AuditStatus) => void): Promise<UnlistenFn> {
  return listen<AuditStatus>("audit-changed", (event) => callback(event.payload));
}

const number = (value: unknown, fallback: number): number =>
  typeof value === "number" && Number.isFinite(value) ? value : fallback;

const records = (value: unknown): Raw[] =>
  Array.isArray(value) ? value.filter((entry): entry is Raw => typeof entry === "object" && entry !== null && typeof (entry as Raw).name === "string") : [];

/** Announce an ending elevation this long before, when the backend does not say. */
export const DEFAULT_WARN_BEFORE_S = 300;

/**
 * An elevation status as the UI uses it. Fails closed: anything missing or
 * malformed leaves the lists empty (no Request buttons), never a crash.
 */
export function toElevationStatus(value: unknown): ElevationStatus {
  const raw: Raw = typeof value === "object" && value !== null ? (value as Raw) : {};
  return {
    options: records(raw.options).map((option) => ({
      name: option.name as string,
      description: text(option.description) ?? "",
      defaultDurationS: number(option.defaultDurationS, 0),
      maxDurationS: number(option.maxDurationS, 0),
      // Anything but "auto" is treated as needing an approver.
      approval: option.approval === "auto" ? "auto" : "manual",
      justification: option.justification === "optional" ? "optional" : "required",
      ticketPattern: text(option.ticketPattern),
    })),
    active: records(raw.active).map((grant) => ({
      name: grant.name as string,
      grantedAtMs: number(grant.grantedAtMs, 0),
      expiresAtMs: number(grant.expiresAtMs, 0),
      approver: text(grant.approver),
    })),
    pending: records(raw.pending).map((request) => ({
      requestId: text(request.requestId) ?? "",
      name: request.name as string,
      requestedAtMs: number(request.requestedAtMs, 0),
    })),
    // Only refusals the UI can tell apart (by request id) are kept.
    refusals: records(raw.refusals)
      .filter((refusal) => typeof refusal.requestId === "string" && refusal.requestId !== "")
      .map((refusal) => ({
        requestId: refusal.requestId as string,
        name: refusal.name as string,
        reason: text(refusal.reason) ?? "",
        atMs: number(refusal.atMs, 0),
      })),
    warnBeforeS: number(raw.warnBeforeS, DEFAULT_WARN_BEFORE_S),
    version: number(raw.version, 0),
  };
}

export function elevationStatus(): Promise<ElevationStatus> {
  return invoke<unknown>("elevation_status").then(toElevationStatus);
}

/** Asks for an elevation. A refusal by policy or approver resolves ("denied"); a malformed request rejects ("invalid"). */
export function requestElevation(request: ElevationRequest): Promise<ElevationDecision> {
  return invoke<ElevationDecision>("request_elevation", { request }).then((decision) => ({
    ...decision,
    status: toElevationStatus(decision?.status),
  }));
}

/** Ends an active elevation now, or withdraws a request of that name still waiting for an approver. */
export function endElevation(name: string): Promise<ElevationStatus> {
  return invoke<unknown>("end_elevation", { name }).then(toElevationStatus);
}

/** `elevation-changed`: a grant started, ended or expired, or a pending request was decided. */
export function onElevationChanged(callback: (status: ElevationStatus) => void): Promise<UnlistenFn> {
  return listen<unknown>("elevation-changed", (event) => callback(toElevationStatus(event.payload)));
}
