// A stand-in backend for looking at the page in a plain browser
// (`npm run dev:mock`, `npm run build:mock`) and for UI tests. Never part of
// the app build: main.ts loads it only when VITE_WARDEN_MOCK is set at build time.
//
// It decides nothing: every answer is one the real backend gave on a fresh
// demo workspace, recorded into ./gen/fixtures.json by
// `make fixtures` (crates/api/tests/fixtures.rs), whose test fails when the
// backend's answers change shape. The mock only picks which recorded answer
// fits: the lint of a recorded text (else of the allowed one), pii-read
// granted or not, large-scan waiting or withdrawn.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type {
  AuditEvent,
  SavedQuery,
  AuditStatus,
  Catalog,
  CommandError,
  ElevationDecision,
  ExportDone,
  ElevationStatus,
  LintReport,
  PolicyStatus,
  QueryResult,
  RowPage,
  SignInStatus,
  WorkgroupPicker,
  WorkgroupQueries,
  WorkspaceEntry,
  WorkspaceInfo,
} from "./api";
import recorded from "./gen/fixtures.json";

/** What the backend answered, as ./gen/fixtures.json holds it. */
export interface Fixtures {
  workspace_info: WorkspaceInfo;
  catalog: Catalog;
  refresh_catalog: Catalog;
  workgroups: WorkgroupPicker | null;
  named_queries: WorkgroupQueries | null;
  policy_status: PolicyStatus;
  sign_in_status: SignInStatus;
  workspaces: WorkspaceEntry[];
  lint: Record<string, LintReport>;
  lint_elevated: Record<string, LintReport>;
  run_query: { sql: string; result: QueryResult; rows: RowPage };
  format_sql: { sql: string; formatted: string };
  check_parameter: Record<string, string | null>;
  saved: { empty: SavedQuery[]; after_save: SavedQuery[]; after_delete: SavedQuery[] };
  export_result: ExportDone;
  errors: {
    run_blocked: { sql: string; error: CommandError };
    run_parameters_refused: { sql: string; error: CommandError };
    fetch_rows_gone: CommandError;
    export_relative: CommandError;
    format_refused: CommandError;
    request_invalid: CommandError;
    audit_events_bad_kind: CommandError;
    choose_workgroup_demo: CommandError;
    approvals_demo: CommandError;
  };
  elevation: {
    status: ElevationStatus;
    granted: ElevationDecision;
    ended: ElevationStatus;
    pending: ElevationDecision;
    withdrawn: ElevationStatus;
  };
  audit: { events: AuditEvent[]; status: AuditStatus; synced: AuditStatus };
}

export const FIXTURES = recorded as unknown as Fixtures;

export function installMockBackend(fixtures: Fixtures = FIXTURES): void {
  let status = fixtures.elevation.status;
  let audit = fixtures.audit.status;
  let keptTabs: string | null = null;
  let savedList = fixtures.saved.empty;
  const granted = () => status.active.some((grant) => grant.name === "pii-read");
  const lint = (sql: string): LintReport =>
    (granted() ? fixtures.lint_elevated[sql] : undefined) ?? fixtures.lint[sql] ?? fixtures.lint[fixtures.run_query.sql];
  const elevationChanged = (next: ElevationStatus) => {
    status = next;
    void emit("elevation-changed", next);
  };

  mockIPC(
    async (cmd, args) => {
      const input = (args ?? {}) as Record<string, unknown>;
      const delay = cmd === "run_query" ? 300 : cmd === "audit_sync" || cmd === "refresh_policy" ? 700 : 20;
      await new Promise((resolve) => setTimeout(resolve, delay));
      switch (cmd) {
        case "workspace_info":
          return fixtures.workspace_info;
        case "kept_tabs":
          return keptTabs;
        case "keep_tabs":
          keptTabs = String(input.text ?? "");
          return null;
        case "catalog":
          return fixtures.catalog;
        case "refresh_catalog":
          return fixtures.refresh_catalog;
        case "workgroups":
          return fixtures.workgroups;
        case "named_queries":
          return fixtures.named_queries;
        case "choose_workgroup":
          return Promise.reject(fixtures.errors.choose_workgroup_demo);
        case "approvals":
        case "act_on_approval":
          return Promise.reject(fixtures.errors.approvals_demo);
        case "sign_in_status":
          return fixtures.sign_in_status;
        case "workspaces":
          return fixtures.workspaces;
        case "lint":
          return lint(String(input.sql ?? ""));
        case "policy_status":
        case "refresh_policy":
          return fixtures.policy_status;
        case "audit_status":
          return audit;
        case "audit_events":
          if (input.kind && !fixtures.audit.events.some((event) => event.kind === input.kind)) {
            return input.kind === "no_such_kind" ? Promise.reject(fixtures.errors.audit_events_bad_kind) : [];
          }
          return fixtures.audit.events.filter((event) => !input.kind || event.kind === input.kind);
        case "audit_sync":
          audit = fixtures.audit.synced;
          void emit("audit-changed", audit);
          return audit;
        case "run_query": {
          if (lint(String(input.sql ?? "")).verdict !== "allow") throw fixtures.errors.run_blocked.error;
          const values = Array.isArray(input.parameters) ? input.parameters.map(String) : [];
          if (values.some((value) => fixtures.check_parameter[value] !== null)) throw fixtures.errors.run_parameters_refused.error;
          return fixtures.run_query.result;
        }
        case "check_parameter": {
          // Only the recorded answers: the mock does not judge values itself.
          const value = String(input.value ?? "");
          if (value in fixtures.check_parameter) return fixtures.check_parameter[value];
          throw { kind: "internal", message: `the mock backend has no recorded answer for ${value}` };
        }
        case "saved_queries":
          return savedList;
        case "save_query":
          savedList = fixtures.saved.after_save;
          return savedList;
        case "delete_saved_query":
          savedList = fixtures.saved.after_delete;
          return savedList;
        case "format_sql":
          // Only the recorded text has a recorded layout; any other is refused as the backend
          // refuses one it cannot format faithfully.
          if (input.sql === fixtures.format_sql.sql) return fixtures.format_sql.formatted;
          throw fixtures.errors.format_refused;
        case "cancel_query":
          return false;
        case "run_progress":
          // The recorded runs are the demo engine's, which finish before a question arrives.
          return null;
        case "choose_export_path":
          // No system dialog in a browser: the answer a user picking Downloads would give.
          return `/tmp/result.${String(input.format ?? "csv")}`;
        case "export_result": {
          if (input.resultId !== fixtures.run_query.result.resultId) throw fixtures.errors.fetch_rows_gone;
          const path = String(input.path ?? "");
          if (!path.startsWith("/")) throw fixtures.errors.export_relative;
          return { ...fixtures.export_result, path };
        }
        case "fetch_rows":
          if (input.resultId !== fixtures.run_query.result.resultId) throw fixtures.errors.fetch_rows_gone;
          return { rows: fixtures.run_query.rows.rows.slice(Number(input.offset ?? 0), Number(input.offset ?? 0) + Number(input.limit ?? 0)) };
        case "elevation_status":
          return status;
        case "request_elevation": {
          const name = String((input.request as Record<string, unknown> | undefined)?.name ?? "");
          const decision = name === fixtures.elevation.granted.name ? fixtures.elevation.granted : name === fixtures.elevation.pending.name ? fixtures.elevation.pending : null;
          if (!decision) throw fixtures.errors.request_invalid;
          elevationChanged(decision.status);
          return decision;
        }
        case "end_elevation": {
          const name = String(input.name ?? "");
          elevationChanged(name === fixtures.elevation.granted.name ? fixtures.elevation.ended : fixtures.elevation.withdrawn);
          return status;
        }
        default:
          throw { kind: "internal", message: `Unknown command ${cmd}.` } satisfies CommandError;
      }
    },
    { shouldMockEvents: true },
  );
}
