// The results grid by keyboard (the WAI-ARIA grid pattern), driven through real key and mouse
// events on the DOM.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CellValue, QueryResult, RowPage } from "./api";
import { MAX_COPY_ROWS } from "./copy";
import { ResultGrid } from "./grid";
import { frame, gridRoot, succeeded } from "./test-results";

const RESULT = succeeded([
    { name: "order_id", dataType: "bigint" },
    { name: "status", dataType: "varchar" },
    { name: "note", dataType: "varchar" },
  ], 1_000, 1_000, 5);

function rows(offset: number, limit: number): CellValue[][] {
  return Array.from({ length: limit }, (_, i) => {
    const n = offset + i;
    return [n, n % 2 === 0 ? "shipped" : "open, late", n % 3 === 0 ? null : n % 3 === 1 ? "" : `first line\n  second "line"\nthird`];
  });
}


let root: HTMLElement;
let scrollTop = 0;
let scrollLeft = 0;

beforeEach(() => {
  root = gridRoot(400);
  scrollTop = 0;
  scrollLeft = 0;
  // A scroll position, which jsdom does not keep.
  Object.defineProperty(root, "scrollTop", { configurable: true, get: () => scrollTop, set: (v: number) => (scrollTop = v) });
  Object.defineProperty(root, "scrollLeft", { configurable: true, get: () => scrollLeft, set: (v: number) => (scrollLeft = v) });
});

afterEach(() => {
  document.body.innerHTML = "";
});

function press(key: string, modifiers: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...modifiers });
  root.dispatchEvent(event);
  return event;
}

/** The element aria-activedescendant names, which must exist. */
function active(): HTMLElement {
  const id = root.getAttribute("aria-activedescendant");
  expect(id).toBeTruthy();
  const found = document.getElementById(id as string);
  expect(found).not.toBeNull();
  return found as HTMLElement;
}

function mount(result: QueryResult = RESULT) {
  const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
  const copy = vi.fn((_text: string) => Promise.resolve());
  const onCopied = vi.fn();
  const onError = vi.fn();
  const onExpand = vi.fn();
  const grid = new ResultGrid(root, { fetchRows, copy, onCopied, onError, onExpand, overscan: 2 });
  grid.show(result);
  return { grid, fetchRows, copy, onCopied, onError, onExpand };
}

describe("the grid by keyboard", () => {
  it("is one named Tab stop whose focus lands on the first cell", async () => {
    const { grid } = mount();
    await frame();
    expect(root.tabIndex).toBe(0);
    expect(root.getAttribute("role")).toBe("grid");
    expect(root.getAttribute("aria-label")).toBe("Query result, 1,000 rows, 3 columns");
    expect(root.getAttribute("aria-rowcount")).toBe("1001");
    // Nothing inside the grid is a Tab stop of its own.
    expect([...root.querySelectorAll<HTMLElement>("[tabindex]")].filter((el) => el.tabIndex >= 0)).toEqual([]);
    root.focus();
    expect(document.activeElement).toBe(root);
    expect(active().textContent).toBe("0");
    expect(active().getAttribute("role")).toBe("gridcell");
    expect(active().classList.contains("is-active")).toBe(true);
    expect(grid.selection).toBeNull();
    grid.destroy();
  });

  it("moves with the arrows onto cells, the row number (the row) and the header (the column)", async () => {
    const { grid } = mount();
    await frame();
    root.focus();
    expect(press("ArrowRight").defaultPrevented).toBe(true);
    expect(active().textContent).toBe("shipped");
    expect(active().getAttribute("aria-selected")).toBe("true");
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 0, firstColumn: 1, lastColumn: 1 });
    press("ArrowDown");
    expect(active().textContent).toBe("open, late");
    expect(active().closest("[role=row]")?.getAttribute("aria-rowindex")).toBe("3");
    // The old cell is neither active nor selected any more.
    expect(root.querySelectorAll(".is-active")).toHaveLength(1);
    expect(root.querySelectorAll('[role=gridcell][aria-selected="true"]')).toHaveLength(1);

    press("ArrowLeft");
    press("ArrowLeft");
    expect(active().getAttribute("role")).toBe("rowheader");
    expect(active().textContent).toBe("2");
    expect(grid.selection).toEqual({ firstRow: 1, lastRow: 1, firstColumn: 0, lastColumn: 2 });
    expect(press("ArrowLeft").defaultPrevented).toBe(true);
    expect(active().getAttribute("role")).toBe("rowheader");

    press("ArrowRight");
    press("ArrowRight");
    press("ArrowUp");
    press("ArrowUp");
    expect(active().getAttribute("role")).toBe("columnheader");
    expect(active().querySelector(".grid-head-name")?.textContent).toBe("status");
    expect(active().getAttribute("aria-selected")).toBe("true");
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 999, firstColumn: 1, lastColumn: 1 });
    press("ArrowUp");
    expect(active().querySelector(".grid-head-name")?.textContent).toBe("status");
    grid.destroy();
  });

  it("goes to the row's ends with Home and End, the grid's with Ctrl, and scrolls the rows in", async () => {
    const { grid, fetchRows } = mount();
    await frame();
    root.focus();
    press("End");
    expect(grid.activeCell).toEqual({ row: 0, column: 2 });
    press("Home");
    expect(grid.activeCell).toEqual({ row: 0, column: 0 });

    press("End", { ctrlKey: true });
    expect(grid.activeCell).toEqual({ row: 999, column: 2 });
    // Below the 32 px header, 260 px show ten rows: the last one ends at the bottom.
    expect(scrollTop).toBe(1_000 * 26 - 260);
    await vi.waitFor(() => expect(fetchRows).toHaveBeenCalledWith("r1", 800, 200));
    await frame();
    expect(active().closest(".grid-row")?.getAttribute("data-index")).toBe("999");
    expect(active().textContent).toBe("NULL");

    press("Home", { ctrlKey: true });
    expect(scrollTop).toBe(0);
    await frame();
    expect(active().textContent).toBe("0");
    grid.destroy();
  });

  it("pages by a screenful of rows with PageDown and PageUp", async () => {
    const { grid } = mount();
    await frame();
    root.focus();
    press("PageDown");
    expect(grid.activeCell).toEqual({ row: 10, column: 0 });
    // Row 10 is the eleventh: scrolled by one row.
    expect(scrollTop).toBe(26);
    await frame();
    expect(active().textContent).toBe("10");
    press("PageDown");
    press("PageUp");
    expect(grid.activeCell).toEqual({ row: 10, column: 0 });
    press("PageUp");
    press("PageUp");
    expect(grid.activeCell).toEqual({ row: 0, column: 0 });
    expect(scrollTop).toBe(0);
    grid.destroy();
  });

  it("scrolls a column out of view into it", async () => {
    const { grid } = mount({ ...RESULT, columns: [...RESULT.columns, { name: "more", dataType: "varchar" }, { name: "most", dataType: "varchar" }] });
    await frame();
    root.focus();
    press("End");
    const widths = grid.columnWidths;
    const end = 64 + widths.reduce((sum, width) => sum + width, 0);
    expect(scrollLeft).toBe(end - 400);
    press("Home");
    expect(scrollLeft).toBe(0);
    grid.destroy();
  });

  it("extends the selection with Shift and copies it as TSV (Ctrl+C) or CSV (Ctrl+Shift+C)", async () => {
    const { grid, copy, onCopied } = mount();
    await frame();
    root.focus();
    press("ArrowRight");
    press("ArrowDown", { shiftKey: true });
    press("ArrowDown", { shiftKey: true });
    press("ArrowRight", { shiftKey: true });
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 2, firstColumn: 1, lastColumn: 2 });
    expect(grid.activeCell).toEqual({ row: 2, column: 2 });
    expect(root.querySelectorAll('[role=gridcell][aria-selected="true"]')).toHaveLength(6);

    expect(press("c", { ctrlKey: true }).defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(copy).toHaveBeenCalledTimes(1));
    expect(copy).toHaveBeenLastCalledWith('status\tnote\nshipped\t\nopen, late\t\nshipped\t"first line\n  second ""line""\nthird"\n');
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied 3 rows as TSV."));

    press("C", { ctrlKey: true, shiftKey: true });
    await vi.waitFor(() => expect(copy).toHaveBeenCalledTimes(2));
    expect(copy).toHaveBeenLastCalledWith('status,note\r\nshipped,\r\n"open, late",""\r\nshipped,"first line\n  second ""line""\nthird"\r\n');
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied 3 rows as CSV."));

    // A plain arrow collapses the selection to the cell it lands on.
    press("ArrowUp");
    expect(grid.selection).toEqual({ firstRow: 1, lastRow: 1, firstColumn: 2, lastColumn: 2 });
    grid.destroy();
  });

  it("selects the row with Shift+Space and the column with Ctrl+Space", async () => {
    const { grid } = mount();
    await frame();
    root.focus();
    press("ArrowDown");
    press("ArrowRight");
    press(" ", { shiftKey: true });
    expect(grid.selection).toEqual({ firstRow: 1, lastRow: 1, firstColumn: 0, lastColumn: 2 });
    expect(root.querySelector('.grid-row[data-index="1"] .grid-rownum')?.getAttribute("aria-selected")).toBe("true");
    press(" ", { ctrlKey: true });
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 999, firstColumn: 1, lastColumn: 1 });
    expect(root.querySelector('.grid-head-cell[data-column="1"]')?.getAttribute("aria-selected")).toBe("true");
    expect(grid.activeCell).toEqual({ row: 1, column: 1 });
    grid.destroy();
  });

  it("opens the active cell's whole value with Enter or F2", async () => {
    const { grid, onExpand } = mount();
    await frame();
    root.focus();
    press("ArrowDown");
    press("ArrowDown");
    press("End");
    expect(press("Enter").defaultPrevented).toBe(true);
    expect(onExpand).toHaveBeenLastCalledWith("note", 'first line\n  second "line"\nthird');
    press("ArrowUp");
    press("F2");
    expect(onExpand).toHaveBeenLastCalledWith("note", "");
    expect(onExpand).toHaveBeenCalledTimes(2);
    grid.destroy();
  });

  it("selects every row with Ctrl+A and says so; more than a copy takes is said too", async () => {
    const { grid, copy, onCopied, onError } = mount({ ...RESULT, rowCount: 3 });
    await frame();
    root.focus();
    expect(press("a", { ctrlKey: true }).defaultPrevented).toBe(true);
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 2, firstColumn: 0, lastColumn: 2 });
    expect(onCopied).toHaveBeenLastCalledWith("Selected all 3 rows.");
    press("c", { ctrlKey: true });
    await vi.waitFor(() => expect(copy).toHaveBeenCalledWith('order_id\tstatus\tnote\n0\tshipped\t\n1\topen, late\t\n2\tshipped\t"first line\n  second ""line""\nthird"\n'));
    grid.destroy();

    const big = mount({ ...RESULT, resultId: "r2", rowCount: MAX_COPY_ROWS + 1 });
    await frame();
    root.focus();
    press("a", { ctrlKey: true });
    expect(big.onCopied).toHaveBeenLastCalledWith("Selected all 5,001 rows; Copy takes at most 5,000 rows at once: use Export for the whole result.");
    press("c", { ctrlKey: true });
    await vi.waitFor(() =>
      expect(big.onError).toHaveBeenCalledWith("Copy takes at most 5,000 rows at once and 5,001 rows are selected; use Export for the whole result."),
    );
    expect(big.copy).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
    big.grid.destroy();
  });

  it("widens and narrows the active cell's column with Alt+→ and Alt+←", async () => {
    const { grid } = mount();
    await frame();
    root.focus();
    press("ArrowRight");
    const before = grid.columnWidths[1];
    press("ArrowRight", { altKey: true });
    press("ArrowRight", { altKey: true });
    press("ArrowLeft", { altKey: true });
    expect(grid.columnWidths[1]).toBe(before + 16);
    expect(grid.activeCell).toEqual({ row: 0, column: 1 });
    grid.destroy();
  });

  it("leaves keys on a resize handle and with no result alone", async () => {
    const { grid } = mount();
    await frame();
    root.focus();
    const handle = root.querySelectorAll<HTMLElement>(".grid-resize")[0];
    handle.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true, cancelable: true }));
    expect(grid.activeCell).toEqual({ row: 0, column: 0 });
    grid.clear();
    expect(root.getAttribute("aria-activedescendant")).toBeNull();
    expect(press("ArrowDown").defaultPrevented).toBe(false);
    expect(press("Tab").defaultPrevented).toBe(false);
    grid.destroy();
  });
});

describe("copying a column", () => {
  it("selects a column by clicking its header, or Enter on it, and copies header and values", async () => {
    const { grid, copy, onCopied } = mount({ ...RESULT, rowCount: 4 });
    await frame();
    root.querySelector<HTMLElement>('.grid-head-cell[data-column="1"] .grid-head-name')?.click();
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 3, firstColumn: 1, lastColumn: 1 });
    expect(root.querySelector('.grid-head-cell[data-column="1"]')?.classList.contains("is-selected")).toBe(true);
    expect([...root.querySelectorAll('[role=gridcell][aria-selected="true"]')].map((c) => c.textContent)).toEqual(["shipped", "open, late", "shipped", "open, late"]);
    press("c", { ctrlKey: true });
    await vi.waitFor(() => expect(copy).toHaveBeenLastCalledWith("status\nshipped\nopen, late\nshipped\nopen, late\n"));
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied the column status (4 rows) as TSV."));

    // Shift+click on another header takes the columns between.
    root.querySelector<HTMLElement>('.grid-head-cell[data-column="0"]')?.dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true }));
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 3, firstColumn: 0, lastColumn: 1 });
    press("C", { ctrlKey: true, shiftKey: true });
    await vi.waitFor(() => expect(copy).toHaveBeenLastCalledWith('order_id,status\r\n0,shipped\r\n1,"open, late"\r\n2,shipped\r\n3,"open, late"\r\n'));
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied 2 columns (4 rows) as CSV."));

    // From a cell: up onto the header, Shift+→ takes the next column too, Enter makes it the one.
    root.focus();
    press("ArrowUp");
    press("ArrowRight", { shiftKey: true });
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 3, firstColumn: 0, lastColumn: 1 });
    press("Enter");
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 3, firstColumn: 1, lastColumn: 1 });
    grid.destroy();
  });

  it("selects everything from the corner, and not a column when a resize handle is used", async () => {
    const { grid, onCopied } = mount({ ...RESULT, rowCount: 4 });
    await frame();
    const handle = root.querySelectorAll<HTMLElement>(".grid-resize")[2];
    const before = grid.columnWidths[2];
    handle.dispatchEvent(new MouseEvent("pointerdown", { clientX: 100, bubbles: true }));
    window.dispatchEvent(new MouseEvent("pointermove", { clientX: 130 }));
    window.dispatchEvent(new MouseEvent("pointerup", {}));
    handle.click();
    expect(grid.columnWidths[2]).toBe(before + 30);
    expect(grid.selection).toBeNull();
    root.querySelector<HTMLElement>(".grid-header .grid-rownum")?.click();
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 3, firstColumn: 0, lastColumn: 2 });
    expect(onCopied).toHaveBeenLastCalledWith("Selected all 4 rows.");
    grid.destroy();
  });
});

describe("text of several lines", () => {
  it("shows its first line and how many lines there are; the viewer gets it whole", async () => {
    const { grid, onExpand } = mount();
    await frame();
    const cell = root.querySelector<HTMLElement>('.grid-row[data-index="2"] .grid-cell[data-column="2"]') as HTMLElement;
    expect(cell.classList.contains("is-multiline")).toBe(true);
    expect(cell.querySelector(".grid-cell-text")?.textContent).toBe("first line");
    expect(cell.querySelector(".grid-cell-lines")?.textContent).toBe("3 lines");
    cell.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    expect(onExpand).toHaveBeenCalledWith("note", 'first line\n  second "line"\nthird');
    // One-line text and empty text stay plain.
    expect(root.querySelector('.grid-row[data-index="1"] .grid-cell[data-column="2"]')?.classList.contains("is-multiline")).toBe(false);
    grid.destroy();
  });

  it("counts no line for a line break at the end", async () => {
    const fetchRows = vi.fn(async (): Promise<RowPage> => ({ rows: [[1, "ProjectionExec\n  PlaceholderRowExec\n", "one line\n"]] }));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined });
    grid.show({ ...RESULT, rowCount: 1 });
    await frame();
    const cells = [...root.querySelectorAll<HTMLElement>(".grid-row .grid-cell")];
    expect(cells[1].querySelector(".grid-cell-lines")?.textContent).toBe("2 lines");
    expect(cells[2].classList.contains("is-multiline")).toBe(false);
    expect(cells[2].textContent).toBe("one line\n");
    grid.destroy();
  });
});
