// A stand-in backend for looking at the page in a plain browser
// (`npm run dev:mock`, `npm run build:mock`). Never part of the app build:
// main.ts loads it only when VITE_WARDEN_MOCK is set at build time.
//
// `?policy=grace|blocked|refused` shows the other bundle states and
// `?audit=offline` makes "Sync now" fail. Elevations: pii-read (for the pii
// columns) is granted at once, large-scan (for a CROSS JOIN) waits for an
// approver who never comes (with `?approver=deny`, one who says no after
// 5 s); Withdraw takes the request back. Both end in a refusal, as on the
// backend.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type {
  ActiveElevation,
  AuditEvent,
  AuditStatus,
  Catalog,
  CellValue,
  ElevationDecision,
  ElevationOption,
  ElevationRefusal,
  ElevationStatus,
  LintDiagnostic,
  LintReport,
  PendingElevation,
  PolicyStatus,
  QueryResult,
  WorkspaceInfo,
} from "./api";

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

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const params = () => new URLSearchParams(typeof location === "undefined" ? "" : location.search);

function policyFor(scenario: string | null): PolicyStatus {
  const now = Date.now();
  const base: PolicyStatus = {
    health: "valid",
    reason: null,
    warning: null,
    name: "demo",
    revision: 3,
    source: "https://policy.example.com/warden/demo.bundle",
    fetchedAt: iso(now - 2 * HOUR),
    issuedAt: iso(now - 3 * DAY),
    expiresAt: iso(now + 27 * DAY),
    keyId: "demo-signing-2026",
    lastFetch: { at: iso(now - 2 * HOUR), result: "unchanged", message: "unchanged, revision 3" },
  };
  switch (scenario) {
    case "grace":
      return {
        ...base,
        health: "grace",
        expiresAt: iso(now - 3 * HOUR),
        warning: `the policy bundle expired at ${iso(now - 3 * HOUR)}; queries will be refused from ${iso(now + 21 * HOUR)} unless a fresh bundle is fetched`,
        lastFetch: { at: iso(now - 10 * 60_000), result: "failed", message: "could not reach policy.example.com: connection refused" },
      };
    case "blocked":
      return {
        ...base,
        health: "blocked",
        reason: "the policy bundle expired more than 24 hours ago and no fresh one could be fetched",
        expiresAt: iso(now - 2 * DAY),
      };
    case "refused":
      return {
        ...base,
        lastFetch: { at: iso(now - 5 * 60_000), result: "refused", message: "revision 4 is signed by key ops-2025, which is not trusted" },
      };
    default:
      return base;
  }
}

function seedJournal(): AuditEvent[] {
  const now = Date.now();
  const seeds: Array<[number, string, string, unknown]> = [
    [3 * DAY, "app_started", "Warden 0.1.0 started", { version: "0.1.0" }],
    [3 * DAY - 60_000, "bundle_updated", "Policy bundle demo updated to revision 3", { name: "demo", from: 2, to: 3 }],
    [26 * HOUR, "query_started", "SELECT order_id, amount FROM sales.orders LIMIT 100", { queryId: "q-101", database: "sales" }],
    [26 * HOUR - 2000, "query_finished", "100 rows, 1.2 MB scanned", { queryId: "q-101", rows: 100, bytesScanned: 1_200_000 }],
    [5 * HOUR, "elevation_requested", "pii-read for SELECT email FROM sales.customers", { elevation: "pii-read", ticket: "SEC-42" }],
    [5 * HOUR - 30_000, "elevation_granted", "pii-read granted for 30 min", { elevation: "pii-read", minutes: 30 }],
    [4 * HOUR, "elevation_expired", "pii-read expired", { elevation: "pii-read" }],
    [40 * 60_000, "query_blocked", "DELETE statements are not allowed by this policy", { sql: "DELETE FROM sales.orders", rule: "statement-class" }],
    [12 * 60_000, "bundle_rejected", "Revision 4 refused: signed by an untrusted key", { revision: 4, keyId: "ops-2025" }],
  ];
  return seeds.map(([ago, kind, summary, payload], index) => ({
    seq: index + 1,
    id: `evt-${String(index + 1).padStart(4, "0")}`,
    at: iso(now - ago),
    kind,
    actor: "analyst@workstation",
    workspace: "demo",
    summary,
    payload,
  }));
}

interface Journal {
  events: AuditEvent[];
  lastSyncedSeq: number;
  lastSuccess: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

function auditStatus(journal: Journal): AuditStatus {
  const lastSeq = journal.events.length > 0 ? journal.events[journal.events.length - 1].seq : 0;
  return {
    deviceId: "dev-7f3a2c",
    events: journal.events.length,
    lastSeq,
    store: "s3://warden-audit-demo/journals",
    lastSyncedSeq: journal.lastSyncedSeq,
    pending: lastSeq - journal.lastSyncedSeq,
    lastSuccess: journal.lastSuccess,
    lastError: journal.lastError,
    lastErrorAt: journal.lastErrorAt,
  };
}

function record(journal: Journal, kind: string, summary: string, payload: unknown): void {
  const seq = journal.events.length + 1;
  journal.events.push({ seq, id: `evt-${String(seq).padStart(4, "0")}`, at: iso(Date.now()), kind, actor: "analyst@workstation", workspace: "demo", summary, payload });
}

const ELEVATIONS: ElevationOption[] = [
  {
    name: "pii-read",
    description: "Read columns tagged pii",
    defaultDurationS: 900,
    maxDurationS: 3600,
    approval: "auto",
    justification: "required",
    // Unanchored, as policies often write it: the whole ticket must match anyway.
    ticketPattern: "INC-[0-9]+|SUP-[0-9]+",
  },
  {
    name: "large-scan",
    description: "Scan more than the budget",
    defaultDurationS: 3600,
    maxDurationS: 4 * 3600,
    approval: "manual",
    justification: "optional",
    ticketPattern: null,
  },
];

/** Why `request` is not valid, or null. */
function invalidRequest(option: ElevationOption | undefined, request: Record<string, unknown>): string | null {
  if (!option) return `the policy defines no elevation ${String(request.name)}`;
  const duration = request.durationS ?? option.defaultDurationS;
  if (typeof duration !== "number" || duration <= 0 || duration > option.maxDurationS) {
    return `${option.name} may last at most ${option.maxDurationS / 60} minutes`;
  }
  if (option.justification === "required" && String(request.justification ?? "").trim() === "") return "a justification is required";
  // The whole ticket must match, as on the backend.
  if (option.ticketPattern && !new RegExp(`^(?:${option.ticketPattern})$`).test(String(request.ticket ?? ""))) {
    return `the ticket must match ${option.ticketPattern}`;
  }
  return null;
}

function lint(sql: string, elevated: ReadonlySet<string>): LintReport {
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
  // An active elevation unlocks what it is for; the rest still needs asking.
  const needed: string[] = [];
  if (pii && !elevated.has("pii-read")) needed.push("pii-read");
  if (/\bcross\s+join\b/i.test(sql) && !elevated.has("large-scan")) needed.push("large-scan");
  if (needed.length > 0) {
    const reason = needed.includes("pii-read") ? "It reads a column tagged pii." : "It may scan more than the budget.";
    return { verdict: "elevate", elevations: needed, reads, reason, diagnostics };
  }
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
  const scenario = params().get("policy");
  const offline = params().get("audit") === "offline";
  const approverDenies = params().get("approver") === "deny";
  let policy = policyFor(scenario);
  const seeded = seedJournal();
  const journal: Journal = {
    events: seeded,
    lastSyncedSeq: seeded.length - 3,
    lastSuccess: iso(Date.now() - 3 * HOUR),
    lastError: null,
    lastErrorAt: null,
  };
  const auditChanged = () => void emit("audit-changed", auditStatus(journal));

  let active: ActiveElevation[] = [];
  let pending: PendingElevation[] = [];
  /** Newest first, at most 5, like the backend. */
  let refusals: ElevationRefusal[] = [];
  let requests = 0;
  let statusVersion = 0;
  const elevationStatus = (): ElevationStatus => ({
    options: policy.health === "blocked" ? [] : ELEVATIONS,
    active: [...active],
    pending: [...pending],
    refusals: [...refusals],
    warnBeforeS: 300,
    version: ++statusVersion,
  });
  /** Each grant's expiry, so a renewed grant is not ended by the old one's timer. */
  const expiries = new Map<string, ReturnType<typeof setTimeout>>();
  const endGrant = (name: string, why: "expired" | "ended") => {
    clearTimeout(expiries.get(name));
    expiries.delete(name);
    if (!active.some((grant) => grant.name === name)) return;
    active = active.filter((grant) => grant.name !== name);
    record(journal, "elevation_expired", why === "expired" ? `${name} expired` : `${name} ended by the user`, { elevation: name });
    auditChanged();
    void emit("elevation-changed", elevationStatus());
  };
  /** Ends the waiting requests `ended` without a grant, for `reason`. */
  const refuse = (ended: PendingElevation[], reason: string) => {
    if (ended.length === 0) return;
    const ids = new Set(ended.map((request) => request.requestId));
    pending = pending.filter((request) => !ids.has(request.requestId));
    const now = Date.now();
    refusals = [...ended.map((request) => ({ requestId: request.requestId, name: request.name, reason, atMs: now })), ...refusals].slice(0, 5);
    for (const request of ended) {
      record(journal, "elevation_denied", `${request.name}: ${reason}`, { elevation: request.name, requestId: request.requestId, reason });
    }
    auditChanged();
    void emit("elevation-changed", elevationStatus());
  };
  /** Withdraws the waiting requests for `name`: recorded, but no refusal (as the backend: the user knows). */
  const withdraw = (name: string) => {
    const ended = pending.filter((request) => request.name === name);
    if (ended.length === 0) return;
    pending = pending.filter((request) => request.name !== name);
    for (const request of ended) {
      const reason = "withdrawn by the requester";
      record(journal, "elevation_denied", `${request.name}: ${reason}`, { elevation: request.name, requestId: request.requestId, reason });
    }
    auditChanged();
    void emit("elevation-changed", elevationStatus());
  };
  const check = (sql: string): LintReport =>
    policy.health === "blocked"
      ? { verdict: "deny", elevations: [], reads: [], reason: `No valid policy is in force: ${policy.reason}.`, diagnostics: [] }
      : lint(sql, new Set(active.map((grant) => grant.name)));

  mockIPC(async (cmd, args) => {
    const input = (args ?? {}) as Record<string, unknown>;
    const delay = cmd === "run_query" ? 300 : cmd === "audit_sync" || cmd === "refresh_policy" ? 700 : 20;
    await new Promise((resolve) => setTimeout(resolve, delay));
    switch (cmd) {
      case "workspace_info":
        return INFO;
      case "catalog":
        return CATALOG;
      case "lint":
        return check(String(input.sql ?? ""));
      case "policy_status":
        return policy;
      case "refresh_policy":
        policy = {
          ...policy,
          fetchedAt: policy.lastFetch?.result === "failed" ? policy.fetchedAt : iso(Date.now()),
          lastFetch: { ...(policy.lastFetch ?? { result: "unchanged", message: "unchanged, revision 3" }), at: iso(Date.now()) },
        };
        return policy;
      case "audit_status":
        return auditStatus(journal);
      case "audit_events": {
        const since = typeof input.since === "string" ? Date.parse(input.since) : Number.NEGATIVE_INFINITY;
        return journal.events
          .filter((event) => (!input.kind || event.kind === input.kind) && Date.parse(event.at) >= since)
          .reverse()
          .slice(0, Number(input.limit ?? 200));
      }
      case "audit_sync": {
        const now = iso(Date.now());
        if (offline) {
          journal.lastError = "could not reach s3://warden-audit-demo/journals: dns error: failed to lookup address information";
          journal.lastErrorAt = now;
        } else {
          journal.lastSyncedSeq = auditStatus(journal).lastSeq;
          journal.lastSuccess = now;
          journal.lastError = null;
          journal.lastErrorAt = null;
        }
        auditChanged();
        return auditStatus(journal);
      }
      case "run_query": {
        const sql = String(input.sql ?? "");
        const report = check(sql);
        if (report.verdict === "deny") {
          record(journal, "query_blocked", report.reason ?? "Blocked", { sql });
          auditChanged();
          throw { kind: "blocked", message: report.reason };
        }
        if (/\bfrom\s+nowhere\b/i.test(sql)) throw { kind: "engine", message: "Table 'nowhere' does not exist." };
        results += 1;
        record(journal, "query_started", sql, { queryId: `q-${results}`, sql });
        record(journal, "query_finished", `${ROWS.toLocaleString("en-US")} rows, 12.3 MB scanned`, { queryId: `q-${results}`, rows: ROWS });
        auditChanged();
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
      case "cancel_query":
        return false;
      case "elevation_status":
        return elevationStatus();
      case "request_elevation": {
        const request = (input.request ?? {}) as Record<string, unknown>;
        const option = elevationStatus().options.find((candidate) => candidate.name === request.name);
        const invalid = invalidRequest(option, request);
        if (invalid || !option) throw { kind: "invalid", message: invalid };
        const durationS = typeof request.durationS === "number" ? request.durationS : option.defaultDurationS;
        record(journal, "elevation_requested", `${option.name}: ${String(request.justification ?? "")}`, { elevation: option.name, ticket: request.ticket });
        const now = Date.now();
        let decision: ElevationDecision;
        if (option.approval === "auto") {
          const expiresAtMs = now + durationS * 1000;
          active = [...active.filter((grant) => grant.name !== option.name), { name: option.name, grantedAtMs: now, expiresAtMs, approver: null }];
          clearTimeout(expiries.get(option.name));
          expiries.set(option.name, setTimeout(() => endGrant(option.name, "expired"), durationS * 1000));
          record(journal, "elevation_granted", `${option.name} granted for ${durationS / 60} min`, { elevation: option.name, minutes: durationS / 60 });
          decision = { outcome: "granted", name: option.name, message: `${option.name} is active for ${durationS / 60} min.`, expiresAtMs, requestId: null, status: elevationStatus() };
        } else {
          requests += 1;
          const requestId = `req-${requests}`;
          const waiting = { requestId, name: option.name, requestedAtMs: now };
          pending.push(waiting);
          if (approverDenies) {
            setTimeout(() => {
              if (pending.includes(waiting)) refuse([waiting], "denied by alice: use the sampled table for this");
            }, 5000);
          }
          decision = { outcome: "pending", name: option.name, message: "An approver has been asked.", expiresAtMs: null, requestId, status: elevationStatus() };
        }
        auditChanged();
        void emit("elevation-changed", decision.status);
        return decision;
      }
      case "end_elevation": {
        // Like the backend: a grant of that name ends; otherwise a request of that name is withdrawn.
        const name = String(input.name ?? "");
        if (active.some((grant) => grant.name === name)) endGrant(name, "ended");
        else withdraw(name);
        return elevationStatus();
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
  }, { shouldMockEvents: true });
}
