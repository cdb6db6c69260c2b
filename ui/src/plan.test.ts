// EXPLAIN's answers shown as text: which results are plans, and the grid showing one.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CellValue, QueryResult, ResultColumn, RowPage } from "./api";
import { ResultGrid } from "./grid";
import { isPlan, PLAN_ROWS, planParts, planText } from "./plan";
import { gridRoot } from "./test-results";

const DEMO: ResultColumn[] = [
  { name: "plan_type", dataType: "varchar" },
  { name: "plan", dataType: "varchar" },
];
const ATHENA: ResultColumn[] = [{ name: "Query Plan", dataType: "varchar" }];

const LOGICAL = "Projection: count(*)\n  Aggregate: groupBy=[[]], aggr=[[count(Int64(1))]]\n    TableScan: sales.orders projection=[dt]";
const PHYSICAL = "ProjectionExec: expr=[938 as count(*)]\n  PlaceholderRowExec";

describe("which results are plans", () => {
  it("knows the demo engine's and Athena's EXPLAIN answers, and nothing else", () => {
    expect(isPlan(DEMO)).toBe(true);
    expect(isPlan(ATHENA)).toBe(true);
    expect(isPlan([{ name: "query plan", dataType: "varchar" }])).toBe(true);
    // A table's own plan column stays in the grid.
    expect(isPlan([{ name: "plan", dataType: "varchar" }])).toBe(false);
    expect(isPlan([{ name: "Query Plan", dataType: "bigint" }])).toBe(false);
    expect(isPlan([{ name: "status", dataType: "varchar" }])).toBe(false);
    expect(isPlan([...DEMO, { name: "extra", dataType: "varchar" }])).toBe(false);
    expect(isPlan([DEMO[1], DEMO[0]])).toBe(false);
    expect(isPlan([])).toBe(false);
  });

  it("makes a part of each titled row, and one of untitled lines", () => {
    // As the demo engine answers (`warden query "EXPLAIN ..."`): the physical plan ends with a line break.
    const parts = planParts(DEMO, [["logical_plan", LOGICAL], ["physical_plan", `${PHYSICAL}\n`]]);
    expect(parts).toEqual([
      { title: "logical_plan", text: LOGICAL },
      { title: "physical_plan", text: PHYSICAL },
    ]);
    expect(planText(parts)).toBe(`logical_plan\n${LOGICAL}\n\nphysical_plan\n${PHYSICAL}`);
    const lines = planParts(ATHENA, [["Fragment 0"], ["    Output[count]"], [null]]);
    expect(lines).toEqual([{ title: null, text: "Fragment 0\n    Output[count]\nNULL" }]);
  });
});

function result(columns: ResultColumn[], rowCount: number): QueryResult {
  return {
    resultId: "plan-1",
    columns,
    rowCount,
    bytesScanned: 0,
    durationMs: 1,
    queryId: "q1",
    engine: "datafusion",
    run: { state: "succeeded", engine: "datafusion", queryId: "q1", workgroup: null, rows: rowCount, bytesScanned: 0, costUsd: null, durationMs: 1 },
  };
}

describe("a plan in the results area", () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = gridRoot();
  });
  afterEach(() => {
    document.body.innerHTML = "";
  });

  function mount(rows: CellValue[][]) {
    const fetchRows = vi.fn(async (): Promise<RowPage> => ({ rows }));
    const copy = vi.fn((_text: string) => Promise.resolve());
    const onCopied = vi.fn();
    const onError = vi.fn();
    const grid = new ResultGrid(root, { fetchRows, copy, onCopied, onError });
    return { grid, fetchRows, copy, onCopied, onError };
  }

  it("shows each part under its title as preformatted text, in a named region", async () => {
    const { grid, fetchRows } = mount([["logical_plan", LOGICAL], ["physical_plan", PHYSICAL]]);
    grid.show(result(DEMO, 2));
    expect(fetchRows).toHaveBeenCalledWith("plan-1", 0, 2);
    await vi.waitFor(() => expect(root.querySelectorAll("pre")).toHaveLength(2));
    expect(root.getAttribute("role")).toBe("region");
    expect(root.getAttribute("aria-label")).toBe("Query plan");
    expect(root.tabIndex).toBe(0);
    expect([...root.querySelectorAll("h3")].map((h) => h.textContent)).toEqual(["logical_plan", "physical_plan"]);
    expect(root.querySelectorAll("pre")[0].textContent).toBe(LOGICAL);
    expect(root.querySelector("[role=gridcell]")).toBeNull();
    expect(grid.result?.resultId).toBe("plan-1");

    // The next result is a grid again.
    grid.show({ ...result([{ name: "n", dataType: "bigint" }], 1), resultId: "r2" });
    expect(root.getAttribute("role")).toBe("grid");
    expect(root.classList.contains("is-plan")).toBe(false);
    grid.destroy();
  });

  it("copies the whole plan with Ctrl+C when no text is selected", async () => {
    const { grid, copy, onCopied } = mount([["logical_plan", LOGICAL], ["physical_plan", PHYSICAL]]);
    grid.show(result(DEMO, 2));
    await vi.waitFor(() => expect(root.querySelectorAll("pre")).toHaveLength(2));
    root.focus();
    const event = new KeyboardEvent("keydown", { key: "c", ctrlKey: true, bubbles: true, cancelable: true });
    root.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(copy).toHaveBeenCalledWith(`logical_plan\n${LOGICAL}\n\nphysical_plan\n${PHYSICAL}`);
    await vi.waitFor(() => expect(onCopied).toHaveBeenCalledWith("Copied the plan."));

    // Text picked in it is the webview's to copy.
    window.getSelection()?.selectAllChildren(root.querySelectorAll("pre")[1]);
    const picked = new KeyboardEvent("keydown", { key: "c", ctrlKey: true, bubbles: true, cancelable: true });
    root.dispatchEvent(picked);
    expect(picked.defaultPrevented).toBe(false);
    expect(copy).toHaveBeenCalledTimes(1);
    grid.destroy();
  });

  it("says when the plan cannot be read, and leaves a long one to the grid", async () => {
    const fetchRows = vi.fn(async (): Promise<RowPage> => {
      throw { kind: "invalid", message: "that result is no longer kept: run the query again" };
    });
    const onError = vi.fn();
    const grid = new ResultGrid(root, { fetchRows, onError });
    grid.show(result(ATHENA, 1));
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(expect.stringContaining("Could not load the plan.")));
    expect(root.textContent).toBe("Could not load the plan.");

    grid.show({ ...result(ATHENA, PLAN_ROWS + 1), resultId: "long" });
    expect(root.getAttribute("role")).toBe("grid");
    expect(root.querySelector(".grid-head-name")?.textContent).toBe("Query Plan");
    grid.destroy();
  });
});
