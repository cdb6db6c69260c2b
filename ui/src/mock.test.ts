import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import * as api from "./api";
import { FIXTURES, installMockBackend } from "./mock";

afterEach(() => {
  clearMocks();
});

const ask = (name: string) => ({ name, durationS: null, justification: "audit", ticket: null });

describe("the mock backend serves what the real backend answered", () => {
  it("lints recorded texts with the recorded reports, and runs only what was allowed", async () => {
    installMockBackend();
    for (const [sql, report] of Object.entries(FIXTURES.lint)) {
      await expect(api.lint(sql, "sales")).resolves.toEqual(report);
    }
    await expect(api.runQuery(FIXTURES.run_query.sql, "sales", "r1")).resolves.toEqual(FIXTURES.run_query.result);
    await expect(api.runQuery(FIXTURES.errors.run_blocked.sql, "sales", "r2")).rejects.toEqual(FIXTURES.errors.run_blocked.error);
    const page = await api.fetchRows(FIXTURES.run_query.result.resultId, 0, 2);
    expect(page.rows).toEqual(FIXTURES.run_query.rows.rows.slice(0, 2));
    await expect(api.fetchRows("gone", 0, 2)).rejects.toMatchObject({ kind: "invalid" });
  });

  it("grants pii-read and ends it, with the statuses the backend sent", async () => {
    installMockBackend();
    const decision = await api.requestElevation(ask("pii-read"));
    expect(decision.outcome).toBe("granted");
    expect(decision.status.active.map((grant) => grant.name)).toEqual(["pii-read"]);
    const pii = Object.keys(FIXTURES.lint_elevated)[0];
    await expect(api.lint(pii, "sales")).resolves.toMatchObject({ verdict: "allow" });
    const after = await api.endElevation("pii-read");
    expect(after.active).toEqual([]);
    await expect(api.lint(pii, "sales")).resolves.toMatchObject({ verdict: "elevate" });
  });

  it("lets large-scan wait for an approver and withdraws it without a refusal", async () => {
    installMockBackend();
    const asked = await api.requestElevation(ask("large-scan"));
    expect(asked.outcome).toBe("pending");
    expect(asked.status.pending.map((request) => request.name)).toEqual(["large-scan"]);
    const after = await api.endElevation("large-scan");
    expect(after.pending).toEqual([]);
    expect(after.refusals).toEqual([]);
    expect(after.version).toBeGreaterThan(asked.status.version);
  });

  it("refuses with the backend's error kinds", async () => {
    installMockBackend();
    await expect(api.requestElevation(ask("no-such-elevation"))).rejects.toEqual(FIXTURES.errors.request_invalid);
    await expect(api.auditEvents({ kind: "no_such_kind", since: null, limit: 10 })).rejects.toMatchObject({ kind: "invalid" });
  });

  it("lists, saves and deletes saved queries with the backend's answers", async () => {
    installMockBackend();
    await expect(api.savedQueries()).resolves.toEqual([]);
    const saved = await api.saveQuery({ name: "Customers by country", description: "", sql: FIXTURES.run_query.sql, database: "sales" });
    expect(saved.map((q) => q.name)).toEqual(["Customers by country"]);
    await expect(api.savedQueries()).resolves.toEqual(saved);
    await expect(api.deleteSavedQuery("Customers by country")).resolves.toEqual([]);
  });

  it("formats the recorded text as the backend did, and refuses others", async () => {
    installMockBackend();
    await expect(api.formatSql(FIXTURES.format_sql.sql, "sales")).resolves.toBe(FIXTURES.format_sql.formatted);
    expect(FIXTURES.format_sql.formatted).toContain("\nFROM\n  sales.customers");
    await expect(api.formatSql("SELECT U&'\\0041' AS a FROM sales.customers", "sales")).rejects.toEqual(FIXTURES.errors.format_refused);
  });
});

describe("the editor's example query", () => {
  it("is one the real backend allowed on the demo workspace", async () => {
    const { EXAMPLE_QUERY } = await import("./editor");
    expect(EXAMPLE_QUERY).toBe(FIXTURES.run_query.sql);
    expect(FIXTURES.lint[EXAMPLE_QUERY]?.verdict).toBe("allow");
  });
});
