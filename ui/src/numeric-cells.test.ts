// Numbers are right-aligned in the result grid, so their digits line up: the cells of numeric
// columns carry `is-numeric`, and the window's stylesheet aligns those to the right.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CellValue, RowPage } from "./api";
import { ResultGrid } from "./grid";
import { frame, gridRoot, succeeded } from "./test-results";

const COLUMNS = [
  { name: "order_id", dataType: "bigint" },
  { name: "quantity", dataType: "integer" },
  { name: "price", dataType: "decimal(10,2)" },
  { name: "ratio", dataType: "double" },
  { name: "status", dataType: "varchar" },
  { name: "shipped_on", dataType: "date" },
  { name: "paid", dataType: "boolean" },
];
const NUMERIC = ["order_id", "quantity", "price", "ratio"];

const RESULT = succeeded(COLUMNS, 2, 100, 5);

const ROWS: CellValue[][] = [
  [1, 3, "12.50", 0.25, "shipped", "2026-12-01", true],
  [1_000_000, null, "7.00", 1.5, "12", "2026-12-02", false],
];

/** The window's stylesheet as shipped, read from disk (vitest hands CSS imports over empty). */
async function stylesheet(): Promise<string> {
  const fs: { readFileSync(path: string, encoding: "utf8"): string } = await import(/* @vite-ignore */ "node:fs" as string);
  return fs.readFileSync(decodeURIComponent(import.meta.url.replace(/^file:\/\//, "").replace(/[^/]+$/, "style.css")), "utf8");
}

let root: HTMLElement;

beforeEach(async () => {
  document.head.innerHTML = `<style>${await stylesheet()}</style>`;
  root = gridRoot();
});

afterEach(() => {
  document.head.innerHTML = "";
  document.body.innerHTML = "";
});

describe("numbers in the result grid", () => {
  it("are right-aligned, other values are not", async () => {
    const grid = new ResultGrid(root, { fetchRows: async (): Promise<RowPage> => ({ rows: ROWS }), onError: () => undefined });
    grid.show(RESULT);
    await frame();
    const rows = [...root.querySelectorAll(".grid-row")];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const cells = [...row.querySelectorAll<HTMLElement>(".grid-cell")];
      expect(cells).toHaveLength(COLUMNS.length);
      cells.forEach((cell, index) => {
        const numeric = NUMERIC.includes(COLUMNS[index].name);
        expect({ column: COLUMNS[index].name, numeric: cell.classList.contains("is-numeric") }).toEqual({ column: COLUMNS[index].name, numeric });
        const align = getComputedStyle(cell).textAlign;
        if (numeric) expect(align, COLUMNS[index].name).toBe("right");
        else expect(align, COLUMNS[index].name).not.toBe("right");
      });
    }
    // A NULL in a numeric column lines up with the numbers, and still reads as NULL.
    const nullCell = rows[1].querySelectorAll<HTMLElement>(".grid-cell")[1];
    expect(nullCell.textContent).toBe("NULL");
    expect(nullCell.classList.contains("is-null")).toBe(true);
    // The headers of numeric columns sit over their numbers.
    const heads = [...root.querySelectorAll<HTMLElement>(".grid-head-cell")];
    expect(heads.filter((head) => head.classList.contains("is-numeric")).map((head) => head.querySelector(".grid-head-name")?.textContent)).toEqual(NUMERIC);
    expect(getComputedStyle(heads[0]).justifyContent).toBe("flex-end");
    grid.destroy();
  });
});
