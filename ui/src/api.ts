// Typed wrappers around the Tauri commands of the Warden desktop app.
// The Rust side answers in camelCase; every call goes through here so the
// rest of the UI never touches `invoke` or command names directly.
import { invoke } from "@tauri-apps/api/core";

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
  kind: "blocked" | "engine" | "invalid" | "internal";
  message: string;
}

export function workspaceInfo(): Promise<WorkspaceInfo> {
  return invoke<WorkspaceInfo>("workspace_info");
}

export function catalog(): Promise<Catalog> {
  return invoke<Catalog>("catalog");
}

export function lint(sql: string, database: string | null): Promise<LintReport> {
  return invoke<LintReport>("lint", { sql, database });
}

export function runQuery(sql: string, database: string | null): Promise<QueryResult> {
  return invoke<QueryResult>("run_query", { sql, database });
}

export function fetchRows(resultId: string, offset: number, limit: number): Promise<RowPage> {
  return invoke<RowPage>("fetch_rows", { resultId, offset, limit });
}
