// A stand-in backend for looking at the page in a plain browser
// (`npm run dev:mock`, `npm run build:mock`). Never part of the app build:
// main.ts loads it only when VITE_WARDEN_MOCK is set at build time.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { Catalog, CellValue, LintDiagnostic, LintReport, QueryResult, WorkspaceInfo } from "./api";

const INFO: WorkspaceInfo = {
  workspace: "demo",
  engine: "datafusion",
  policyName: "demo-analyst",
  policyFingerprint: "sha256:3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3a",
  defaultDatabase: "sales",
  home: "/home/analyst/.warden",
};

const CATALOG: Catalog = {
  databases: [
    {
      name: "sales",
      tables: [
        {
          name: "customers",
          columns: [
            { name: "customer_id", dataType: "bigint", partitionKey: false, tags: [] },
            { name: "full_name", dataType: "varchar", partitionKey: false, tags: ["pii"] },
            { name: "email", dataType: "varchar", partitionKey: false, tags: ["pii"] },
            { name: "country", dataType: "varchar", partitionKey: false, tags: [] },
            { name: "signup_date", dataType: "date", partitionKey: false, tags: [] },
          ],
        },
        {
          name: "orders",
          columns: [
            { name: "order_id", dataType: "bigint", partitionKey: false, tags: [] },
            { name: "customer_id", dataType: "bigint", partitionKey: false, tags: [] },
            { name: "amount", dataType: "decimal(12,2)", partitionKey: false, tags: [] },
            { name: "status", dataType: "varchar", partitionKey: false, tags: [] },
            { name: "card_last4", dataType: "varchar", partitionKey: false, tags: ["restricted"] },
            { name: "order_date", dataType: "date", partitionKey: true, tags: [] },
          ],
        },
      ],
    },
    {
      name: "ops",
      tables: [
        {
          name: "events",
          columns: [
            { name: "event_id", dataType: "varchar", partitionKey: false, tags: [] },
            { name: "kind", dataType: "varchar", partitionKey: false, tags: [] },
            { name: "payload", dataType: "varchar", partitionKey: false, tags: [] },
            { name: "dt", dataType: "varchar", partitionKey: true, tags: [] },
          ],
        },
      ],
    },
  ],
};

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function diagnostic(text: string, rule: string, severity: LintDiagnostic["severity"], message: string, from: number, to: number, extra: Partial<LintDiagnostic> = {}): LintDiagnostic {
  const start = position(text, from);
  const end = position(text, to);
  return { rule, severity, message, from, to, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, unlockedBy: [], fix: null, ...extra };
}

function lint(sql: string): LintReport {
  const diagnostics: LintDiagnostic[] = [];
  const write = /\b(insert|update|delete|drop|alter|create)\b/i.exec(sql);
  if (write) {
    diagnostics.push(diagnostic(sql, "statement-class", "error", `${write[1].toUpperCase()} statements are not allowed by this policy.`, write.index, write.index + write[1].length));
    return { verdict: "deny", elevations: [], reads: [], reason: `The policy only allows SELECT statements, and this is a ${write[1].toUpperCase()}.`, diagnostics };
  }
  const pii = /\b(email|full_name|card_last4)\b/i.exec(sql);
  if (pii) {
    diagnostics.push(diagnostic(sql, "pii-column", "warning", `Column ${pii[1]} is tagged pii.`, pii.index, pii.index + pii[1].length, { unlockedBy: ["pii-read"] }));
  }
  const star = /select\s+(\*)/i.exec(sql);
  if (star) {
    const from = star.index + star[0].length - 1;
    diagnostics.push(diagnostic(sql, "select-star", "info", "SELECT * reads every column, including tagged ones.", from, from + 1, {
      fix: { title: "List columns", from, to: from + 1, insert: "order_id, customer_id, amount" },
    }));
  }
  const reads = [...new Set([...sql.matchAll(/\b(sales|ops)\.(\w+)/gi)].map((m) => `${m[1]}.${m[2]}`))];
  if (pii) return { verdict: "elevate", elevations: ["pii-read"], reads, reason: "It reads a column tagged pii.", diagnostics };
  return { verdict: "allow", elevations: [], reads, reason: null, diagnostics };
}

const ROWS = 125_000;

function row(index: number): CellValue[] {
  const statuses = ["shipped", "pending", "returned", "cancelled"];
  return [
    100000 + index,
    1 + ((index * 7919) % 5000),
    Math.round(((index * 37) % 100000) / 3) / 100,
    statuses[index % statuses.length],
    index % 11 === 0 ? null : `2026-0${1 + (index % 9)}-${String(1 + (index % 28)).padStart(2, "0")}`,
  ];
}

export function installMockBackend(): void {
  let results = 0;
  mockIPC(async (cmd, args) => {
    const input = (args ?? {}) as Record<string, unknown>;
    await new Promise((resolve) => setTimeout(resolve, cmd === "run_query" ? 300 : 20));
    switch (cmd) {
      case "workspace_info":
        return INFO;
      case "catalog":
        return CATALOG;
      case "lint":
        return lint(String(input.sql ?? ""));
      case "run_query": {
        const report = lint(String(input.sql ?? ""));
        if (report.verdict === "deny") throw { kind: "blocked", message: report.reason };
        if (/\bfrom\s+nowhere\b/i.test(String(input.sql))) throw { kind: "engine", message: "Table 'nowhere' does not exist." };
        results += 1;
        const result: QueryResult = {
          resultId: `r${results}`,
          columns: [
            { name: "order_id", dataType: "bigint" },
            { name: "customer_id", dataType: "bigint" },
            { name: "amount", dataType: "decimal(12,2)" },
            { name: "status", dataType: "varchar" },
            { name: "order_date", dataType: "date" },
          ],
          rowCount: ROWS,
          bytesScanned: 12_345_678,
          durationMs: 45,
          queryId: "3c1e9a52-demo",
          engine: "datafusion",
        };
        return result;
      }
      case "fetch_rows": {
        const offset = Number(input.offset ?? 0);
        const limit = Number(input.limit ?? 0);
        const rows: CellValue[][] = [];
        for (let index = offset; index < Math.min(ROWS, offset + limit); index += 1) rows.push(row(index));
        return { rows };
      }
      default:
        throw { kind: "internal", message: `Unknown command ${cmd}.` };
    }
  });
}
