// Typed wrappers around the Tauri commands of the Warden desktop app.
// Every call goes through here so the rest of the UI never touches `invoke`
// or command names directly. The types are generated from the Rust wire types
// (crates/api) into ./gen: camelCase, regenerated with `make ts`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ActiveElevation } from "./gen/ActiveElevation";
import { AUDIT_KINDS } from "./gen/auditKinds";
import type { Approval } from "./gen/Approval";
import type { AuditEvent } from "./gen/AuditEvent";
import type { AuditStatus } from "./gen/AuditStatus";
import type { Catalog } from "./gen/Catalog";
import type { CatalogColumn } from "./gen/CatalogColumn";
import type { CatalogDatabase } from "./gen/CatalogDatabase";
import type { CatalogTable } from "./gen/CatalogTable";
import type { CellValue } from "./gen/CellValue";
import type { CommandError } from "./gen/CommandError";
import type { DeviceCode } from "./gen/DeviceCode";
import type { ElevationDecision } from "./gen/ElevationDecision";
import type { ElevationOption } from "./gen/ElevationOption";
import type { ElevationRefusal } from "./gen/ElevationRefusal";
import type { ElevationRequest } from "./gen/ElevationRequest";
import type { ElevationStatus } from "./gen/ElevationStatus";
import type { ErrorKind } from "./gen/ErrorKind";
import type { ExportDone } from "./gen/ExportDone";
import type { ExportFormat } from "./gen/ExportFormat";
import type { FetchOutcome } from "./gen/FetchOutcome";
import type { FetchVerdict } from "./gen/FetchVerdict";
import type { Fix } from "./gen/Fix";
import type { Justification } from "./gen/Justification";
import type { LintDiagnostic } from "./gen/LintDiagnostic";
import type { LintParameter } from "./gen/LintParameter";
import type { LintReport } from "./gen/LintReport";
import type { Outcome } from "./gen/Outcome";
import type { PendingElevation } from "./gen/PendingElevation";
import type { PolicyHealth } from "./gen/PolicyHealth";
import type { PolicyStatus } from "./gen/PolicyStatus";
import type { QueryResult } from "./gen/QueryResult";
import type { ResultColumn } from "./gen/ResultColumn";
import type { RowPage } from "./gen/RowPage";
import type { SavedQuery } from "./gen/SavedQuery";
import type { SaveQuery } from "./gen/SaveQuery";
import type { RunDetails } from "./gen/RunDetails";
import type { RunProgress } from "./gen/RunProgress";
import type { ArrivingResult } from "./gen/ArrivingResult";
import type { RunState } from "./gen/RunState";
import type { SessionEnded } from "./gen/SessionEnded";
import type { Severity } from "./gen/Severity";
import type { SignInStatus } from "./gen/SignInStatus";
import type { Verdict } from "./gen/Verdict";
import type { WorkgroupEntry } from "./gen/WorkgroupEntry";
import type { WorkgroupPicker } from "./gen/WorkgroupPicker";
import type { WorkgroupQueries } from "./gen/WorkgroupQueries";
import type { NamedQueryEntry } from "./gen/NamedQueryEntry";
import type { WorkspaceEntry } from "./gen/WorkspaceEntry";
import type { NewWorkspace } from "./gen/NewWorkspace";
import type { WorkspaceInfo } from "./gen/WorkspaceInfo";
import type { ApprovalAction } from "./gen/ApprovalAction";
import type { ApprovalDone } from "./gen/ApprovalDone";
import type { ApprovalRequest } from "./gen/ApprovalRequest";
import type { ApprovalVerb } from "./gen/ApprovalVerb";
import type { Approvals } from "./gen/Approvals";
import type { ApprovedGrant } from "./gen/ApprovedGrant";
import type { ExtensionOf } from "./gen/ExtensionOf";

export type {
  ActiveElevation,
  Approval,
  ApprovalAction,
  ApprovalDone,
  ApprovalRequest,
  ApprovalVerb,
  Approvals,
  ApprovedGrant,
  ArrivingResult,
  AuditEvent,
  AuditStatus,
  Catalog,
  CatalogColumn,
  CatalogDatabase,
  CatalogTable,
  CellValue,
  CommandError,
  DeviceCode,
  ElevationDecision,
  ElevationOption,
  ElevationRefusal,
  ElevationRequest,
  ElevationStatus,
  ErrorKind,
  ExportDone,
  ExportFormat,
  ExtensionOf,
  FetchOutcome,
  FetchVerdict,
  Fix,
  Justification,
  LintDiagnostic,
  LintParameter,
  LintReport,
  Outcome,
  PendingElevation,
  PolicyHealth,
  PolicyStatus,
  QueryResult,
  ResultColumn,
  RowPage,
  SavedQuery,
  SaveQuery,
  RunDetails,
  RunProgress,
  RunState,
  SessionEnded,
  Severity,
  SignInStatus,
  Verdict,
  WorkgroupEntry,
  WorkgroupPicker,
  WorkgroupQueries,
  NamedQueryEntry,
  WorkspaceEntry,
  NewWorkspace,
  WorkspaceInfo,
};

/** Every kind of event the audit journal records, in the order the filter lists them. */
/** The journal's event kinds, generated from Rust. */
export { AUDIT_KINDS };

export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditFilter {
  kind: string | null;
  /** RFC 3339: only events at or after this time. */
  since: string | null;
  limit: number;
}

export type { UnlistenFn };

/**
 * `close-requested`: the window's close button was pressed. The app closes the window once the
 * window has said `readyToClose` (its tabs written), or after a short wait without it.
 */
export function onCloseRequested(callback: () => void): Promise<UnlistenFn> {
  return listen<unknown>("close-requested", () => callback());
}

/** The window has kept what it must: the app may close it now. */
export function readyToClose(): Promise<void> {
  return invoke<void>("ready_to_close");
}

/** The tabs kept from the last session on this workspace (the window's own JSON), if any. */
export function keptTabs(): Promise<string | null> {
  return invoke<string | null>("kept_tabs");
}

/** Keeps the window's tabs in the app's data folder (this machine only). */
export function keepTabs(text: string): Promise<void> {
  return invoke<void>("keep_tabs", { text });
}

export function workspaceInfo(): Promise<WorkspaceInfo> {
  return invoke<WorkspaceInfo>("workspace_info");
}

export function catalog(): Promise<Catalog> {
  return invoke<Catalog>("catalog");
}

/** The workgroups baseline runs may use; `null` on a workspace without workgroups (the demo). */
export function workgroups(): Promise<WorkgroupPicker | null> {
  return invoke<WorkgroupPicker | null>("workgroups");
}

/** The Athena named queries of the workgroup in use; `null` on a workspace without (the demo). */
export function namedQueries(): Promise<WorkgroupQueries | null> {
  return invoke<WorkgroupQueries | null>("named_queries");
}

/** Baseline runs from now on go to workgroup `name`; refused unless it is offered. */
export function chooseWorkgroup(name: string): Promise<WorkgroupPicker> {
  return invoke<WorkgroupPicker>("choose_workgroup", { name });
}

/** The schema read from the engine (Glue, on Athena) now instead of from the cache. */
export function refreshCatalog(): Promise<Catalog> {
  return invoke<Catalog>("refresh_catalog");
}

export function lint(sql: string, database: string | null): Promise<LintReport> {
  return invoke<LintReport>("lint", { sql, database });
}

/** The workspace's saved queries, by name. */
export function savedQueries(): Promise<SavedQuery[]> {
  return invoke<SavedQuery[]>("saved_queries");
}

/** AWS workspaces: the requests of others waiting for the signed-in approver, and the grants they approved. */
export function approvals(): Promise<Approvals> {
  return invoke<Approvals>("approvals");
}

/** Approves, denies or revokes as the signed-in approver; the broker judges it at its next pass. */
export function actOnApproval(action: ApprovalAction): Promise<ApprovalDone> {
  return invoke<ApprovalDone>("act_on_approval", { action });
}

/** Saves `query`, replacing one of the same name (in any case); the list after. */
export function saveQuery(query: SaveQuery): Promise<SavedQuery[]> {
  return invoke<SavedQuery[]>("save_query", { query });
}

/** Deletes the saved query `name`; the list after. */
export function deleteSavedQuery(name: string): Promise<SavedQuery[]> {
  return invoke<SavedQuery[]>("delete_saved_query", { name });
}

/** `sql` laid out by the backend's formatter; refused (kind `invalid`) when it would read differently. */
export function formatSql(sql: string, database: string | null): Promise<string> {
  return invoke<string>("format_sql", { sql, database });
}

/** Runs `sql`; `runId` names the run for `cancelQuery`; `parameters`: the values of its `?`s, in order. */
export function runQuery(sql: string, database: string | null, runId: string, parameters: string[] = []): Promise<QueryResult> {
  return invoke<QueryResult>("run_query", parameters.length > 0 ? { sql, database, runId, parameters } : { sql, database, runId });
}

/** Why `value` cannot be parameter `number`'s (from 1), or null when it is one literal. */
export function checkParameter(number: number, value: string): Promise<string | null> {
  return invoke<string | null>("check_parameter", { number, value });
}

/** The system's Save dialog for an export; null when it was closed without a choice. */
export function chooseExportPath(format: ExportFormat, suggested: string): Promise<string | null> {
  return invoke<string | null>("choose_export_path", { format, suggested });
}

/** Writes the whole of kept result `resultId` to `path` (absolute) as CSV or JSON. */
export function exportResult(resultId: string, path: string, format: ExportFormat): Promise<ExportDone> {
  return invoke<ExportDone>("export_result", { resultId, path, format });
}

/** Stops run `runId`; resolves false when it was not running (it ended, or has not started). */
export function cancelQuery(runId: string): Promise<boolean> {
  return invoke<boolean>("cancel_query", { runId });
}

/**
 * `sql` linted as a run would lint it now: its scan measured first (S3 object sizes on Athena),
 * so the verdict is the one Run would get, where `lint` judges the budget on the policy's stats.
 */
export function lintMeasured(sql: string, database: string | null): Promise<LintReport> {
  return invoke<LintReport>("lint_measured", { sql, database });
}

/** Run `runId` as it goes (Athena's state and id, the rows stored so far); null when it is not running. */
export function runProgress(runId: string): Promise<RunProgress | null> {
  return invoke<RunProgress | null>("run_progress", { runId });
}

export function fetchRows(resultId: string, offset: number, limit: number): Promise<RowPage> {
  return invoke<RowPage>("fetch_rows", { resultId, offset, limit });
}

type Raw = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function policyStatus(): Promise<PolicyStatus> {
  return invoke<PolicyStatus>("policy_status");
}

/** Fetches the bundle now. A failed fetch still resolves: it is in `lastFetch`. */
export function refreshPolicy(): Promise<PolicyStatus> {
  return invoke<PolicyStatus>("refresh_policy");
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
  return listen<PolicyStatus>("policy-changed", (event) => callback(event.payload));
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
      requestId: text(grant.requestId) ?? "",
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

/** Whether the open workspace signs in to AWS, and who is signed in (no network). */
export function signInStatus(): Promise<SignInStatus> {
  return invoke<SignInStatus>("sign_in_status");
}

/** Signs in to AWS: in the browser, or with a code (`sign-in-code` carries it); resolves when done. */
export function signIn(deviceCode: boolean): Promise<SignInStatus> {
  return invoke<SignInStatus>("sign_in", { deviceCode });
}

export function signOut(): Promise<SignInStatus> {
  return invoke<SignInStatus>("sign_out");
}

export function workspaces(): Promise<WorkspaceEntry[]> {
  return invoke<WorkspaceEntry[]>("workspaces");
}

/** The ~/.aws/config profiles a new workspace can sign in with. */
export function awsProfiles(): Promise<string[]> {
  return invoke<string[]>("aws_profiles");
}

/** Writes a new AWS workspace into config.toml; resolves to every workspace configured. */
export function addWorkspace(workspace: NewWorkspace): Promise<WorkspaceEntry[]> {
  return invoke<WorkspaceEntry[]>("add_workspace", { workspace });
}

/** Remembers the workspace and starts the app again on it. */
export function switchWorkspace(name: string): Promise<void> {
  return invoke<void>("switch_workspace", { name });
}

/** `sign-in-code`: the device flow's code to show. */
export function onSignInCode(callback: (code: DeviceCode) => void): Promise<UnlistenFn> {
  return listen<DeviceCode>("sign-in-code", (event) => callback(event.payload));
}

/** `session-ended`: an AWS session ended without the user signing out. */
export function onSessionEnded(callback: (ended: SessionEnded) => void): Promise<UnlistenFn> {
  return listen<SessionEnded>("session-ended", (event) => callback(event.payload));
}
