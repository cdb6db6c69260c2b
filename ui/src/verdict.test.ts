import { beforeEach, describe, expect, it } from "vitest";
import type { LintReport } from "./api";
import fixtures from "./gen/fixtures.json";
import { describeVerdict, renderVerdict, runShortcut, type VerdictElements, type VerdictState } from "./verdict";

function report(extra: Partial<LintReport>): LintReport {
  return { verdict: "allow", elevations: [], reads: [], reason: null, diagnostics: [], parameters: [], catalogNotes: [], scan: null, ...extra };
}

let elements: VerdictElements;

beforeEach(() => {
  document.body.innerHTML = `
    <button id="run"></button><span id="verdict"></span>
    <span id="verdict-reason"></span><span id="verdict-reads"></span>`;
  elements = {
    run: document.getElementById("run") as HTMLButtonElement,
    verdict: document.getElementById("verdict") as HTMLElement,
    reason: document.getElementById("verdict-reason") as HTMLElement,
    reads: document.getElementById("verdict-reads") as HTMLElement,
  };
});

function show(state: VerdictState, busy = false) {
  const display = describeVerdict(state, null);
  renderVerdict(elements, display, { busy, shortcut: "Ctrl+Enter" });
  return display;
}

describe("verdict rendering", () => {
  it("allows running an allowed query and lists what it reads", () => {
    show({ kind: "checked", report: report({ reads: ["sales.orders", "sales.orders"] }) });
    expect(elements.verdict.dataset.verdict).toBe("allow");
    expect(elements.verdict.textContent).toBe("Allowed");
    expect(elements.run.disabled).toBe(false);
    expect(elements.run.title).toBe("Run (Ctrl+Enter)");
    expect(elements.reads.textContent).toBe("Reads sales.orders");
    expect(elements.reason.hidden).toBe(true);
  });

  it("shows the scan estimate the budget was judged on beside what it reads", () => {
    // As the backend lints it (count(*) reads no column).
    const lint = fixtures.lint["SELECT count(*) FROM web.events"] as LintReport;
    expect(lint.scan).toMatch(/^about .+, budget .+ \(from the policy's stats\)$/);
    show({ kind: "checked", report: lint });
    expect(elements.reads.textContent).toBe(`Scan ${lint.scan}`);
    show({ kind: "checked", report: report({ reads: ["sales.orders"], scan: "about 42 GB, budget 1 TB (from S3 object sizes)" }) });
    expect(elements.reads.textContent).toBe("Reads sales.orders · Scan about 42 GB, budget 1 TB (from S3 object sizes)");
  });

  it("disables Run on deny and shows the reason as text and as the button title", () => {
    const reason = "The policy only allows SELECT statements.";
    show({ kind: "checked", report: report({ verdict: "deny", reason }) });
    expect(elements.verdict.dataset.verdict).toBe("deny");
    expect(elements.verdict.textContent).toBe("Not allowed");
    expect(elements.run.disabled).toBe(true);
    expect(elements.run.hasAttribute("disabled")).toBe(true);
    expect(elements.run.title).toBe(reason);
    expect(elements.reason.textContent).toBe(reason);
    expect(elements.reason.hidden).toBe(false);
  });

  it("says before the run when a table it reads is not in the catalog (Glue)", () => {
    const display = show({
      kind: "checked",
      report: report({
        catalogNotes: ["table sales.refunds is in the policy but not in Glue: the query cannot read it; check the name, or ask the data team whether it was dropped or renamed"],
        diagnostics: [{ rule: "partition-filter", severity: "warning", message: "filter on dt", from: 0, to: 1, line: 1, column: 1, endLine: 1, endColumn: 2, unlockedBy: [], fix: null }],
      }),
    });
    expect(display.reason).toMatch(/^Table sales\.refunds is in the policy but not in Glue/);
    expect(display.runnable).toBe(true);
  });

  it("gives a deny without a reason a sentence anyway", () => {
    show({ kind: "checked", report: report({ verdict: "deny", reason: null }) });
    expect(elements.reason.textContent).toBe("Warden's policy does not allow this query.");
    expect(elements.run.title).toBe("Warden's policy does not allow this query.");
  });

  it("names the elevations a query needs and does not run it until they are granted", () => {
    const display = show({
      kind: "checked",
      report: report({ verdict: "elevate", elevations: ["pii-read", "restricted-read"], reason: "It reads email." }),
    });
    expect(display.runnable).toBe(false);
    expect(elements.verdict.dataset.verdict).toBe("elevate");
    expect(elements.verdict.textContent).toBe("Needs elevation: pii-read, restricted-read");
    expect(elements.reason.textContent).toBe("It reads email.");
    expect(elements.run.disabled).toBe(true);
    expect(elements.run.title).toBe("It reads email.");
  });

  it("says why an elevate verdict without a reason cannot run yet", () => {
    show({ kind: "checked", report: report({ verdict: "elevate", elevations: ["pii-read"], reason: "  " }) });
    expect(elements.reason.textContent).toBe("This query reads data that needs an elevation first.");
    expect(elements.run.disabled).toBe(true);
    expect(elements.run.title).toBe("This query reads data that needs an elevation first.");
  });

  it("keeps an elevate verdict not runnable while the next check is pending", () => {
    const elevate = describeVerdict({ kind: "checked", report: report({ verdict: "elevate", elevations: ["pii-read"] }) }, null);
    expect(describeVerdict({ kind: "pending" }, elevate).runnable).toBe(false);
  });

  it("treats an unknown verdict as not allowed", () => {
    const display = show({ kind: "checked", report: report({ verdict: "maybe" as LintReport["verdict"] }) });
    expect(display.verdict).toBe("deny");
    expect(elements.run.disabled).toBe(true);
  });

  it("fails closed when the check itself failed", () => {
    show({ kind: "unchecked", message: "The linter is not available." });
    expect(elements.verdict.dataset.verdict).toBe("deny");
    expect(elements.reason.textContent).toBe("Warden could not check this query: The linter is not available.");
    expect(elements.run.disabled).toBe(true);
  });

  it("disables Run for an empty editor and while a query runs", () => {
    show({ kind: "empty" });
    expect(elements.verdict.dataset.verdict).toBe("pending");
    expect(elements.run.disabled).toBe(true);
    show({ kind: "checked", report: report({}) }, true);
    expect(elements.run.disabled).toBe(true);
    expect(elements.run.title).toBe("A query is running");
  });

  it("keeps the previous reason and runnability while a new check is pending", () => {
    const denied = describeVerdict({ kind: "checked", report: report({ verdict: "deny", reason: "No writes." }) }, null);
    const pending = describeVerdict({ kind: "pending" }, denied);
    renderVerdict(elements, pending, { busy: false, shortcut: "Ctrl+Enter" });
    expect(elements.verdict.dataset.verdict).toBe("pending");
    expect(elements.verdict.textContent).toBe("Checking…");
    expect(elements.reason.textContent).toBe("No writes.");
    expect(elements.reason.classList.contains("is-stale")).toBe(true);
    expect(elements.run.disabled).toBe(true);
    expect(describeVerdict({ kind: "pending" }, null).runnable).toBe(false);
  });
});

describe("runShortcut", () => {
  it("names the platform's keys", () => {
    expect(runShortcut("MacIntel")).toBe("⌘↵");
    expect(runShortcut("Linux x86_64")).toBe("Ctrl+Enter");
  });
});

describe("the verdict's reason", () => {
  it("is a sentence of its own, however the backend wrote it", () => {
    show({ kind: "checked", report: report({ verdict: "deny", reason: "sales.orders.card_number is restricted: no elevation unlocks it" }) });
    expect(elements.reason.textContent).toBe("sales.orders.card_number is restricted: no elevation unlocks it.");
  });

  it("names the first warning of an allowed text, which still runs", () => {
    const warning = {
      rule: "partition-filter",
      severity: "warning" as const,
      message: "sales.orders is read without a partition filter",
      from: 0,
      to: 5,
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 6,
      unlockedBy: [],
      fix: null,
    };
    const info = { ...warning, rule: "select-star", severity: "info" as const, message: "* reads every column" };
    const display = show({ kind: "checked", report: report({ diagnostics: [info, warning] }) });
    expect(display.runnable).toBe(true);
    expect(elements.reason.textContent).toBe("Warning: sales.orders is read without a partition filter.");
  });
});
