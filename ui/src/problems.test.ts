import { beforeEach, describe, expect, it, vi } from "vitest";
import type { LintDiagnostic } from "./api";
import { problemsTitle, renderProblems, sortProblems, type ProblemsView } from "./problems";

function diagnostic(extra: Partial<LintDiagnostic>): LintDiagnostic {
  return {
    rule: "select-star",
    severity: "info",
    message: "* reads every column: list the columns you need",
    from: 7,
    to: 8,
    line: 1,
    column: 8,
    endLine: 1,
    endColumn: 9,
    unlockedBy: [],
    fix: null,
    ...extra,
  };
}

// The demo's answer to `SELECT * FROM sales.orders LIMIT 10` (ui/src/gen/fixtures.json).
const SCAN = diagnostic({
  rule: "scan-budget",
  severity: "error",
  message: "the query would scan an estimated 2.5 MB, budget 776 KB: filter on partition keys or select fewer tables; or request the large-scan elevation",
  from: 0,
  to: 35,
  column: 1,
  unlockedBy: ["large-scan"],
});
const RESTRICTED = diagnostic({ rule: "restricted", severity: "error", message: "sales.orders.card_number is restricted: no elevation unlocks it" });
const STAR = diagnostic({});
const PARTITION = diagnostic({
  rule: "partition-filter",
  severity: "warning",
  message: "sales.orders is read without a partition filter",
  from: 14,
  to: 26,
  line: 2,
  column: 3,
});

let view: ProblemsView;

beforeEach(() => {
  document.body.innerHTML = `<span id="count"></span><ol id="list"></ol>`;
  view = { count: document.getElementById("count") as HTMLElement, list: document.getElementById("list") as HTMLElement };
});

function rows(): HTMLButtonElement[] {
  return [...view.list.querySelectorAll<HTMLButtonElement>("button.problem")];
}

describe("the Problems list", () => {
  it("lists every diagnostic, errors first, with its rule and line:column", () => {
    renderProblems(view, [SCAN, STAR, PARTITION, RESTRICTED], () => undefined);
    expect(view.count.textContent).toBe("4 problems");
    expect(rows().map((row) => row.dataset.rule)).toEqual(["scan-budget", "restricted", "partition-filter", "select-star"]);
    const [scan, restricted, partition] = rows();
    expect(restricted.querySelector(".problem-rule")?.textContent).toBe("restricted");
    expect(restricted.querySelector(".problem-position")?.textContent).toBe("1:8");
    expect(partition.querySelector(".problem-position")?.textContent).toBe("2:3");
    expect(partition.dataset.severity).toBe("warning");
    // Two sentences, not run together.
    expect(scan.querySelector(".problem-message")?.textContent).toBe(
      "The query would scan an estimated 2.5 MB, budget 776 KB: filter on partition keys or select fewer tables; or request the large-scan elevation. Unlocked by elevation: large-scan.",
    );
    expect(restricted.getAttribute("aria-label")).toBe(
      "Error restricted at line 1, column 8: sales.orders.card_number is restricted: no elevation unlocks it.",
    );
  });

  it("jumps to a diagnostic when its row is clicked", () => {
    const jump = vi.fn();
    renderProblems(view, [PARTITION], jump);
    rows()[0].click();
    expect(jump).toHaveBeenCalledWith(14, 26);
  });

  it("dims the rows while the text is checked again and says when there is nothing", () => {
    renderProblems(view, [STAR], () => undefined);
    renderProblems(view, null, () => undefined);
    expect(view.list.classList.contains("is-stale")).toBe(true);
    expect(rows()).toHaveLength(1);
    renderProblems(view, [], () => undefined);
    expect(view.list.classList.contains("is-stale")).toBe(false);
    expect(rows()).toHaveLength(0);
    expect(view.count.textContent).toBe("No problems");
  });

  it("counts and sorts", () => {
    expect(problemsTitle(1)).toBe("1 problem");
    expect(sortProblems([STAR, SCAN]).map((d) => d.rule)).toEqual(["scan-budget", "select-star"]);
  });
});
