import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CellValue, RowPage } from "./api";
import { ResultGrid } from "./grid";
import { frame, gridRoot, succeeded } from "./test-results";

const RESULT = succeeded([
    { name: "order_id", dataType: "bigint" },
    { name: "status", dataType: "varchar" },
    { name: "shipped", dataType: "boolean" },
  ], 1_000, 1_000, 5);

function rows(offset: number, limit: number): CellValue[][] {
  return Array.from({ length: limit }, (_, i) => [offset + i, `<b>row ${offset + i}</b>`, (offset + i) % 3 === 0 ? null : true]);
}

let root: HTMLElement;
let scrollTop = 0;

beforeEach(() => {
  root = gridRoot(800, `<div id="error"></div>`);
  scrollTop = 0;
  // A scroll position, which jsdom does not keep either.
  Object.defineProperty(root, "scrollTop", {
    configurable: true,
    get: () => scrollTop,
    set: (value: number) => {
      scrollTop = value;
    },
  });
});

afterEach(() => {
  document.body.innerHTML = "";
});

function scrollTo(top: number) {
  scrollTop = top;
  root.dispatchEvent(new Event("scroll"));
}

describe("ResultGrid", () => {
  it("fetches the first page once and renders only the rows in view", async () => {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined, overscan: 5 });
    grid.show(RESULT);
    await frame();

    expect(fetchRows).toHaveBeenCalledTimes(1);
    expect(fetchRows).toHaveBeenCalledWith("r1", 0, 200);
    const rendered = root.querySelectorAll(".grid-row");
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(30);
    const headers = [...root.querySelectorAll(".grid-head-name")].map((node) => node.textContent);
    expect(headers).toEqual(["order_id", "status", "shipped"]);
    const first = [...rendered[0].querySelectorAll(".grid-cell")].map((cell) => cell.textContent);
    expect(first).toEqual(["0", "<b>row 0</b>", "NULL"]);
    expect(root.querySelector("b")).toBeNull();
    expect(rendered[0].querySelector(".grid-cell.is-null")).not.toBeNull();
    grid.destroy();
  });

  it("fetches further pages on scroll without asking twice", async () => {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined, overscan: 5 });
    grid.show(RESULT);
    await frame();
    scrollTo(32 + 650 * 26);
    await frame();
    scrollTo(32 + 652 * 26);
    await frame();

    expect(fetchRows.mock.calls.map((call) => call[1])).toEqual([0, 600]);
    const indexes = [...root.querySelectorAll<HTMLElement>(".grid-row")].map((row) => Number(row.dataset.index));
    expect(Math.min(...indexes)).toBeGreaterThanOrEqual(640);
    expect(Math.max(...indexes)).toBeLessThan(675);
    grid.destroy();
  });

  it("shows placeholders until a page arrives, then the rows", async () => {
    let release: (page: RowPage) => void = () => undefined;
    const fetchRows = vi.fn(() => new Promise<RowPage>((resolve) => (release = resolve)));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined, overscan: 0 });
    grid.show(RESULT);
    await frame();
    expect(root.querySelectorAll(".grid-row")).toHaveLength(0);
    expect(root.querySelectorAll(".grid-placeholder").length).toBeGreaterThan(0);
    release({ rows: rows(0, 200) });
    await frame();
    expect(root.querySelectorAll(".grid-placeholder")).toHaveLength(0);
    expect(root.querySelectorAll(".grid-row").length).toBeGreaterThan(0);
    grid.destroy();
  });

  it("reports a failed page in plain words and does not retry it in a loop", async () => {
    const onError = vi.fn();
    const fetchRows = vi.fn(async () => {
      throw { kind: "internal", message: "The result expired." };
    });
    const grid = new ResultGrid(root, { fetchRows, onError, overscan: 0 });
    grid.show(RESULT);
    await frame();
    await frame();
    expect(fetchRows).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith("Could not load rows 1–200. Something went wrong inside Warden: The result expired.");
    expect(root.querySelector(".grid-placeholder.is-failed")).not.toBeNull();
    grid.destroy();
  });

  it("drops answers that arrive for a result no longer shown", async () => {
    const pending: Array<(page: RowPage) => void> = [];
    const fetchRows = vi.fn((_id: string, _offset: number, _limit: number) => new Promise<RowPage>((resolve) => pending.push(resolve)));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined, overscan: 0 });
    grid.show(RESULT);
    await frame();
    grid.show({ ...RESULT, resultId: "r2" });
    await frame();
    pending[0]({ rows: rows(0, 200) });
    await frame();
    expect(root.querySelectorAll(".grid-row")).toHaveLength(0);
    pending[1]({ rows: rows(0, 200).map((row) => [Number(row[0]) + 5000, "second", false]) });
    await frame();
    expect(root.querySelector(".grid-row .grid-cell")?.textContent).toBe("5000");
    expect(fetchRows.mock.calls.map((call) => call[0])).toEqual(["r1", "r2"]);
    grid.destroy();
  });

  it("keeps the scroll position, widths and selection when the same result grows", async () => {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined, overscan: 5 });
    // The first rows of a run still going, then the finished result under the same id.
    grid.show({ ...RESULT, rowCount: 1_000 });
    await frame();
    scrollTo(32 + 650 * 26);
    await frame();
    grid.resizeColumn(1, 300);
    grid.select({ row: 652, column: 1 });
    grid.show({ ...RESULT, rowCount: 5_000 });
    await frame();
    expect(scrollTop).toBe(32 + 650 * 26);
    expect(grid.columnWidths[1]).toBe(300);
    expect(grid.selection).toEqual({ firstRow: 652, lastRow: 652, firstColumn: 1, lastColumn: 1 });
    expect(root.getAttribute("aria-rowcount")).toBe("5001");
    const indexes = [...root.querySelectorAll<HTMLElement>(".grid-row")].map((row) => Number(row.dataset.index));
    expect(Math.min(...indexes)).toBeGreaterThanOrEqual(640);

    // Another result starts at the top with fresh widths.
    grid.show({ ...RESULT, resultId: "r9" });
    expect(scrollTop).toBe(0);
    expect(grid.columnWidths[1]).not.toBe(300);
    expect(grid.selection).toBeNull();
    grid.destroy();
  });

  it("says when a query returned no rows", () => {
    const fetchRows = vi.fn();
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined });
    grid.show({ ...RESULT, rowCount: 0 });
    expect(root.querySelector(".grid-empty")?.textContent).toBe("The query returned no rows.");
    expect(root.querySelector(".grid-head-name")?.textContent).toBe("order_id");
    expect(fetchRows).not.toHaveBeenCalled();
  });
});

describe("resizing columns and expanding a value", () => {
  it("resizes a column by dragging or with the arrow keys, header and rows alike", async () => {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined });
    grid.show(RESULT);
    await frame();
    const before = grid.columnWidths[1];
    const handle = root.querySelectorAll<HTMLElement>(".grid-resize")[1];
    expect(handle.getAttribute("aria-label")).toBe("Resize column status");
    // jsdom has no PointerEvent; the handler reads only clientX, which MouseEvent has.
    handle.dispatchEvent(new MouseEvent("pointerdown", { clientX: 100, bubbles: true }));
    window.dispatchEvent(new MouseEvent("pointermove", { clientX: 160 }));
    window.dispatchEvent(new MouseEvent("pointerup", {}));
    expect(grid.columnWidths[1]).toBe(before + 60);
    handle.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    expect(grid.columnWidths[1]).toBe(before + 44);
    const template = root.style.getPropertyValue("--grid-columns");
    expect(template.split(" ")[2]).toBe(`${before + 44}px`);
    expect((root.querySelector(".grid-header") as HTMLElement).style.gridTemplateColumns).toBe(template);
    grid.resizeColumn(1, 3);
    expect(grid.columnWidths[1]).toBe(48);
    grid.destroy();
  });

  it("hands a double-clicked cell's whole value to the viewer", async () => {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
    const onExpand = vi.fn();
    const grid = new ResultGrid(root, { fetchRows, onError: () => undefined, onExpand });
    grid.show(RESULT);
    await frame();
    const cell = root.querySelectorAll<HTMLElement>(".grid-row")[0].querySelectorAll<HTMLElement>(".grid-cell")[1];
    cell.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    expect(onExpand).toHaveBeenCalledWith("status", "<b>row 0</b>");
    grid.destroy();
  });
});
