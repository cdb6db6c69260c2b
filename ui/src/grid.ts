// The results grid: a virtualized list (only rows in view are in the DOM)
// whose rows are paged in from Rust with `fetch_rows` as the user scrolls.
//
// Keyboard (the WAI-ARIA grid pattern): the grid is one Tab stop and keeps the focus; the active
// cell is named by aria-activedescendant (rows come and go as they scroll, so cells cannot hold
// the focus themselves). Arrows move it (onto the header: the column; onto the row number: the
// row), Home/End to the row's ends, Ctrl+Home/Ctrl+End to the grid's, PageUp/PageDown by a
// screenful; Shift with any of them extends the selection. Shift+Space selects the row,
// Ctrl+Space the column, Ctrl+A everything. Enter or F2 opens the active cell's whole value.
// Ctrl+C copies the selection as TSV, Ctrl+Shift+C as CSV, with the formula guard Export has
// (copy.ts): values that start like a spreadsheet formula get a leading ', and the note says how
// many; the menu also copies values as-is. Alt+←/→ narrows or widens the active
// cell's column (as do dragging and the arrow keys on a header's resize handle). A right click,
// the Menu key or Shift+F10 opens a menu of the same (grid-menu.ts).
//
// A result that is a query plan (EXPLAIN, see plan.ts) is shown as preformatted text instead.
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
} from "@tanstack/virtual-core";
import type { CellValue, QueryResult, RowPage } from "./api";
import { cellText, columnWidth, isNumericType } from "./cells";
import { type Cell, type Copied, type CopyFormat, type CopyValues, cut, formatRows, MAX_COPY_ROWS, selectionBetween, selects, type Selection } from "./copy";
import { describeError } from "./errors";
import { menuIsOpen, openMenu } from "./grid-menu";
import { PageCache } from "./paging";
import { isPlan, PLAN_ROWS, planParts, planText } from "./plan";

export const PAGE_SIZE = 200;
const ROW_HEIGHT = 26;
const HEADER_HEIGHT = 32;
const ROW_NUMBER_WIDTH = 64;
/** Narrowest a resized column gets, and how far ← → move its edge. */
export const MIN_COLUMN_WIDTH = 48;
const RESIZE_STEP = 16;

export type FetchRows = (resultId: string, offset: number, limit: number) => Promise<RowPage>;

export interface GridOptions {
  fetchRows: FetchRows;
  onError: (message: string) => void;
  /** Puts text on the clipboard (Ctrl+C on a selection). */
  copy?: (text: string) => Promise<void>;
  /** What was copied or selected, in plain words (a passing note). */
  onCopied?: (message: string) => void;
  /** A cell's whole value (long text, JSON), with its column's name: double-click, Enter or F2. */
  onExpand?: (column: string, value: CellValue) => void;
  pageSize?: number;
  overscan?: number;
}

type Row = CellValue[];
type RowShows = "row" | "loading" | "failed";

interface Shown {
  result: QueryResult;
  cache: PageCache<Row>;
  virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  unmount: () => void;
  canvas: HTMLElement;
  /** Row elements in the DOM, with what they showed when built. */
  rendered: Map<number, { element: HTMLElement; shows: RowShows }>;
  numeric: boolean[];
}

/** A plan shown as text: its result, and the text once loaded. */
interface ShownPlan {
  result: QueryResult;
  text: string | null;
}

function div(className: string, text?: string): HTMLDivElement {
  const element = document.createElement("div");
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString("en-US")} ${word}${count === 1 ? "" : "s"}`;
}

/** The end of a copy's note: values copied as-is, or what the formula guard changed. */
function copiedValues(values: CopyValues, copied: Copied, oneCell: boolean): string {
  if (values === "as-is") return oneCell ? ", as-is (no formula guard)" : ", values as-is (no formula guard)";
  const { guardedValues, guardedNames } = copied;
  if (guardedValues + guardedNames === 0) return "";
  const asIs = "(menu: Copy values as-is)";
  if (oneCell) return `; it starts like a formula and got a leading ' ${asIs}`;
  const parts = [
    guardedValues > 0 ? plural(guardedValues, "value") : "",
    guardedNames > 0 ? plural(guardedNames, "column name") : "",
  ].filter((part) => part !== "");
  return `; ${parts.join(" and ")} starting like a formula got a leading ' ${asIs}`;
}

let grids = 0;

export class ResultGrid {
  private shown: Shown | null = null;
  /** Counts copies, so that only the newest of several in flight reaches the clipboard. */
  private copies = 0;
  private plan: ShownPlan | null = null;
  private frame = 0;
  /** The selection's ends (row -1: a column header; column -1: a row number). */
  private anchor: Cell | null = null;
  private focusCell: Cell | null = null;
  /** The cell the keyboard is on. */
  private active: Cell | null = null;
  private activeElement: HTMLElement | null = null;
  /** The shown result's column widths in pixels, as the user resized them. */
  private widths: number[] = [];
  /** Prefix of the cells' ids (for aria-activedescendant). */
  private readonly prefix: string;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: GridOptions,
  ) {
    grids += 1;
    this.prefix = root.id === "" ? `grid${grids}` : root.id;
    root.tabIndex = 0;
    this.asGrid();
    this.placeholder("Run a query to see its results here.");
    // A click picks a cell, a row (on its number) or a column (on its header); Shift+click
    // extends to a rectangle.
    root.addEventListener("click", (event) => {
      const picked = this.cellAt(event.target);
      if (!picked) return;
      if (picked.row < 0 && picked.column < 0 && !event.shiftKey) {
        this.active = picked;
        this.selectAll();
        return;
      }
      this.moveTo(picked, event.shiftKey, false);
    });
    root.addEventListener("dblclick", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const cell = target?.closest<HTMLElement>(".grid-cell");
      const row = target?.closest<HTMLElement>(".grid-row");
      if (!cell || !row || cell.dataset.column === undefined) return;
      this.expand({ row: Number(row.dataset.index), column: Number(cell.dataset.column) });
    });
    root.addEventListener("keydown", (event) => this.onKey(event));
    // A right click on a cell outside the selection picks it first, as spreadsheets do. One on
    // the grid itself comes from the keyboard (the Menu key, Shift+F10), usually after the
    // keydown below opened the menu already.
    root.addEventListener("contextmenu", (event) => {
      const picked = this.cellAt(event.target);
      if (!picked) {
        if (event.target !== root || !this.shown) return;
        event.preventDefault();
        if (!menuIsOpen()) this.openAtActive();
        return;
      }
      event.preventDefault();
      if (this.inSelection(picked)) this.active = picked;
      else this.moveTo(picked, false, false);
      this.paintActive();
      void this.openMenu(event.clientX, event.clientY);
    });
    // Focus lands on the first cell, so a screen reader has a cell to read at once.
    root.addEventListener("focus", () => {
      if (!this.shown || this.active) return;
      this.active = { row: 0, column: 0 };
      this.paintActive();
    });
  }

  /** The cell (header, row number or value) an event happened on, if any. */
  private cellAt(target: EventTarget | null): Cell | null {
    if (!(target instanceof Element) || !this.shown || target.closest(".grid-resize")) return null;
    if (target.closest(".grid-header")) {
      const head = target.closest<HTMLElement>(".grid-head-cell");
      return { row: -1, column: head ? Number(head.dataset.column) : -1 };
    }
    const rowElement = target.closest<HTMLElement>(".grid-row");
    if (!rowElement) return null;
    const cell = target.closest<HTMLElement>(".grid-cell, .grid-rownum");
    return { row: Number(rowElement.dataset.index), column: cell?.dataset.column === undefined ? -1 : Number(cell.dataset.column) };
  }

  /** Whether the selection takes in all of `cell` (a whole row or column for a row number or header). */
  private inSelection(cell: Cell): boolean {
    const selection = this.selection;
    const shown = this.shown;
    if (!selection || !shown) return false;
    const rows = cell.row < 0 ? [0, shown.result.rowCount - 1] : [cell.row, cell.row];
    const columns = cell.column < 0 ? [0, shown.result.columns.length - 1] : [cell.column, cell.column];
    return selects(selection, rows[0], columns[0]) && selects(selection, rows[1], columns[1]);
  }

  /**
   * Opens the grid's menu at (`x`, `y`): copy as TSV or CSV (formula guard on), copy values as-is
   * (no guard: for a text editor or another SQL tool, never a spreadsheet), the whole value,
   * select all.
   */
  private openMenu(x: number, y: number): Promise<void> {
    const at = this.active;
    const selected = this.selection !== null && this.options.copy !== undefined;
    const value = at !== null && at.row >= 0 && at.column >= 0;
    return openMenu(
      "Result",
      [
        { label: "Copy as TSV", shortcut: "Control+C", disabled: !selected, run: () => void this.copySelection("tsv") },
        { label: "Copy as CSV", shortcut: "Control+Shift+C", disabled: !selected, run: () => void this.copySelection("csv") },
        { label: "Copy values as-is (TSV)", disabled: !selected, run: () => void this.copySelection("tsv", "as-is") },
        { label: "Copy values as-is (CSV)", disabled: !selected, run: () => void this.copySelection("csv", "as-is") },
        { label: "Show the whole value", shortcut: "Enter", disabled: !value, run: () => at && this.expand(at) },
        { label: "Select all rows", shortcut: "Control+A", run: () => this.selectAll() },
      ],
      x,
      y,
      this.root,
    );
  }

  /** Opens the menu at the active cell, which is selected first unless the selection holds it. */
  private openAtActive(): void {
    const at = this.active ?? { row: 0, column: 0 };
    if (this.inSelection(at)) this.active = at;
    else this.moveTo(at, false);
    this.paintActive();
    const box = (this.activeElement ?? this.root).getBoundingClientRect();
    void this.openMenu(box.left + 8, box.bottom);
  }

  /** The selected rectangle, if any. */
  get selection(): Selection | null {
    if (!this.shown || !this.anchor || !this.focusCell) return null;
    return selectionBetween(this.anchor, this.focusCell, this.shown.result.columns.length, this.shown.result.rowCount);
  }

  /** The cell the keyboard is on, if any. */
  get activeCell(): Cell | null {
    return this.active;
  }

  /** Selects the rectangle from `anchor` to `focus` (column -1: whole rows; row -1: whole columns), as clicks do. */
  select(anchor: Cell, focus: Cell = anchor): void {
    this.anchor = anchor;
    this.focusCell = focus;
    this.active = focus;
    this.paint();
  }

  /** Selects every row, and says so (and when that is more than a copy takes). */
  selectAll(): void {
    const shown = this.shown;
    if (!shown) return;
    this.anchor = { row: -1, column: -1 };
    this.focusCell = { row: -1, column: -1 };
    this.paint();
    const count = shown.result.rowCount;
    this.options.onCopied?.(
      count > MAX_COPY_ROWS
        ? `Selected all ${plural(count, "row")}; Copy takes at most ${MAX_COPY_ROWS.toLocaleString("en-US")} rows at once: use Export for the whole result.`
        : `Selected all ${plural(count, "row")}.`,
    );
  }

  /**
   * Copies the selection as TSV, or CSV (RFC 4180), with a header row unless it is one cell,
   * fetching rows not in view; at most MAX_COPY_ROWS rows. Values (and column names) that start
   * like a spreadsheet formula get a leading ' unless `values` is "as-is", and the note says how
   * many did. Resolves to the text copied, or null.
   */
  async copySelection(format: CopyFormat = "tsv", values: CopyValues = "guarded"): Promise<string | null> {
    const shown = this.shown;
    const selection = this.selection;
    const copy = this.options.copy;
    if (!shown || !selection || !copy) return null;
    const count = selection.lastRow - selection.firstRow + 1;
    if (count > MAX_COPY_ROWS) {
      this.options.onError(
        `Copy takes at most ${MAX_COPY_ROWS.toLocaleString("en-US")} rows at once and ${plural(count, "row")} are selected; use Export for the whole result.`,
      );
      return null;
    }
    const ticket = ++this.copies;
    try {
      const page = await this.options.fetchRows(shown.result.resultId, selection.firstRow, count);
      // A newer copy was asked for while these rows were fetched: it alone writes, so the
      // clipboard and the note describe the same copy.
      if (ticket !== this.copies) return null;
      const rows = cut(Array.isArray(page?.rows) ? page.rows : [], selection);
      const names = shown.result.columns.slice(selection.firstColumn, selection.lastColumn + 1).map((c) => c.name);
      const oneCell = count === 1 && names.length === 1;
      const copied = formatRows(format, rows, oneCell ? undefined : names, values);
      const text = copied.text;
      await copy(text);
      const as = format === "csv" ? "CSV" : "TSV";
      const wholeColumns = selection.firstRow === 0 && count === shown.result.rowCount && count > 1;
      const what = oneCell
        ? `Copied the cell${format === "csv" ? " as CSV" : ""}`
        : wholeColumns && names.length === 1
          ? `Copied the column ${names[0]} (${plural(rows.length, "row")}) as ${as}`
          : wholeColumns && names.length < shown.result.columns.length
            ? `Copied ${names.length} columns (${plural(rows.length, "row")}) as ${as}`
            : `Copied ${plural(rows.length, "row")} as ${as}`;
      this.options.onCopied?.(`${what}${copiedValues(values, copied, oneCell)}.`);
      return text;
    } catch (error) {
      this.options.onError(`Could not copy. ${describeError(error)}`);
      return null;
    }
  }

  private onKey(event: KeyboardEvent): void {
    // Keys on the grid itself only: a resize handle has its own.
    if (event.target !== this.root) return;
    if (this.plan) return this.onPlanKey(event);
    const shown = this.shown;
    if (!shown) return;
    const ctrl = event.ctrlKey || event.metaKey;
    const key = event.key;
    const letter = key.toLowerCase();
    let done = true;
    if (ctrl && !event.altKey && letter === "c") {
      if (this.selection) void this.copySelection(event.shiftKey ? "csv" : "tsv");
      else done = false;
    } else if (ctrl && !event.altKey && !event.shiftKey && letter === "a") {
      this.selectAll();
    } else if (event.altKey && !ctrl && (key === "ArrowLeft" || key === "ArrowRight")) {
      const column = this.active?.column ?? -1;
      if (column >= 0) this.resizeColumn(column, this.widths[column] + (key === "ArrowRight" ? RESIZE_STEP : -RESIZE_STEP));
    } else if (key === " " && ctrl !== event.shiftKey && !event.altKey) {
      // Shift+Space: the active cell's row; Ctrl+Space: its column.
      const at = this.active ?? { row: 0, column: 0 };
      const whole: Cell = event.shiftKey ? { row: at.row, column: -1 } : { row: -1, column: at.column };
      if (whole.row >= 0 || whole.column >= 0) {
        this.anchor = this.focusCell = whole;
        this.active = at;
        this.paint();
      }
    } else if (key === "ContextMenu" || (key === "F10" && event.shiftKey && !ctrl && !event.altKey)) {
      this.openAtActive();
    } else if ((key === "Enter" || key === "F2") && !ctrl && !event.altKey && !event.shiftKey) {
      const at = this.active;
      if (at && at.row >= 0 && at.column >= 0) this.expand(at);
      else if (at) this.moveTo(at, false);
    } else if (!event.altKey) {
      const target = this.target(shown, key, ctrl);
      if (target) this.moveTo(target, event.shiftKey);
      else done = false;
    } else {
      done = false;
    }
    if (done) event.preventDefault();
  }

  /** Where `key` moves the active cell, or null for a key that does not move it. */
  private target(shown: Shown, key: string, ctrl: boolean): Cell | null {
    const rows = shown.result.rowCount;
    const columns = shown.result.columns.length;
    const at = this.active;
    const moves = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"];
    if (!moves.includes(key)) return null;
    // The first key only puts the keyboard on the first cell.
    if (!at) return { row: 0, column: 0 };
    const page = Math.max(1, Math.floor((this.root.clientHeight - HEADER_HEIGHT) / ROW_HEIGHT));
    switch (key) {
      case "ArrowUp":
        return { row: Math.max(-1, at.row - 1), column: at.column };
      case "ArrowDown":
        return { row: Math.min(rows - 1, at.row + 1), column: at.column };
      case "ArrowLeft":
        return { row: at.row, column: Math.max(-1, at.column - 1) };
      case "ArrowRight":
        return { row: at.row, column: Math.min(columns - 1, at.column + 1) };
      case "Home":
        return ctrl ? { row: 0, column: 0 } : { row: at.row, column: 0 };
      case "End":
        return ctrl ? { row: rows - 1, column: columns - 1 } : { row: at.row, column: columns - 1 };
      case "PageUp":
        return { row: at.row < 0 ? -1 : Math.max(0, at.row - page), column: at.column };
      default:
        return { row: Math.min(rows - 1, Math.max(0, at.row + page)), column: at.column };
    }
  }

  /** Puts the keyboard on `cell`, selecting it (or up to it, extending), and scrolls it into view. */
  private moveTo(cell: Cell, extend: boolean, reveal = true): void {
    if (extend) {
      this.anchor ??= this.active ?? cell;
      this.focusCell = cell;
    } else {
      this.anchor = this.focusCell = cell;
    }
    this.active = cell;
    if (reveal) this.reveal(cell);
    this.paint();
  }

  /** Scrolls so that `cell` is in view below the sticky header; the virtualizer follows. */
  private reveal(cell: Cell): void {
    const root = this.root;
    let top = root.scrollTop;
    if (cell.row >= 0) {
      const y = cell.row * ROW_HEIGHT;
      const room = Math.max(ROW_HEIGHT, root.clientHeight - HEADER_HEIGHT);
      if (y < top) top = y;
      else if (y + ROW_HEIGHT > top + room) top = y + ROW_HEIGHT - room;
    }
    let left = root.scrollLeft;
    if (cell.column <= 0) {
      // The first column comes with the row numbers.
      left = 0;
    } else {
      const start = ROW_NUMBER_WIDTH + this.widths.slice(0, cell.column).reduce((sum, width) => sum + width, 0);
      const end = start + (this.widths[cell.column] ?? 0);
      if (start < left) left = start;
      else if (end > left + root.clientWidth) left = Math.min(start, end - root.clientWidth);
    }
    if (top === root.scrollTop && left === root.scrollLeft) return;
    root.scrollTop = top;
    root.scrollLeft = left;
    // The virtualizer learns the offset from a scroll event (the browser sends one later).
    root.dispatchEvent(new Event("scroll"));
  }

  /** Hands `cell`'s whole value to the viewer. */
  private expand(cell: Cell): void {
    const shown = this.shown;
    const values = shown?.cache.row(cell.row);
    if (!shown || !values) return;
    this.options.onExpand?.(shown.result.columns[cell.column]?.name ?? "", values[cell.column] ?? null);
  }

  private paint(): void {
    this.paintSelection();
    this.paintActive();
  }

  private paintSelection(): void {
    const shown = this.shown;
    if (!shown) return;
    const selection = this.selection;
    const columns = shown.result.columns.length;
    for (const [index, entry] of shown.rendered) {
      entry.element.querySelectorAll<HTMLElement>(".grid-cell").forEach((cell, column) => {
        const on = selects(selection, index, column);
        cell.classList.toggle("is-selected", on);
        cell.setAttribute("aria-selected", String(on));
      });
      const number = entry.element.querySelector<HTMLElement>(".grid-rownum");
      const wholeRow = selection !== null && selection.firstColumn === 0 && selection.lastColumn === columns - 1 && selects(selection, index, 0);
      number?.classList.toggle("is-selected", wholeRow);
      if (number?.getAttribute("role") === "rowheader") number.setAttribute("aria-selected", String(wholeRow));
    }
    const wholeColumns = selection !== null && selection.firstRow === 0 && selection.lastRow === shown.result.rowCount - 1;
    this.root.querySelectorAll<HTMLElement>(".grid-head-cell").forEach((head, column) => {
      const on = wholeColumns && selects(selection, 0, column);
      head.classList.toggle("is-selected", on);
      head.setAttribute("aria-selected", String(on));
    });
  }

  /** Marks the active cell, and names it as the grid's active descendant while it is in the DOM. */
  private paintActive(): void {
    this.activeElement?.classList.remove("is-active");
    const id = this.active && this.shown ? this.cellId(this.active) : null;
    const element = id === null ? null : this.root.querySelector<HTMLElement>(`[id="${id}"]`);
    this.activeElement = element;
    if (element && id !== null) {
      element.classList.add("is-active");
      this.root.setAttribute("aria-activedescendant", id);
    } else {
      this.root.removeAttribute("aria-activedescendant");
    }
  }

  private cellId(cell: Cell): string {
    return `${this.prefix}-${cell.row < 0 ? "h" : `r${cell.row}`}-${cell.column < 0 ? "n" : `c${cell.column}`}`;
  }

  /** Currently shown result, if any (a plan shown as text included). */
  get result(): QueryResult | null {
    return this.shown?.result ?? this.plan?.result ?? null;
  }

  clear(message = "Run a query to see its results here."): void {
    this.teardown();
    this.placeholder(message);
  }

  /**
   * Shows `result`. The same result again with more rows (one whose rows were still arriving)
   * keeps where the user scrolled, the column widths, the active cell and the selection.
   * A query plan (an EXPLAIN's answer) shows as text.
   */
  show(result: QueryResult): void {
    if (result.rowCount > 0 && result.rowCount <= PLAN_ROWS && isPlan(result.columns)) return this.showPlan(result);
    const again = this.shown?.result.resultId === result.resultId;
    const kept = again
      ? { top: this.root.scrollTop, left: this.root.scrollLeft, widths: this.widths, anchor: this.anchor, focus: this.focusCell, active: this.active }
      : null;
    this.teardown();
    this.widths = kept?.widths ?? [];
    this.root.scrollTop = 0;
    this.root.scrollLeft = 0;
    this.root.setAttribute(
      "aria-label",
      result.columns.length === 0
        ? "Query result, no columns"
        : `Query result, ${result.rowCount > 0 ? plural(result.rowCount, "row") : "no rows"}, ${plural(result.columns.length, "column")}`,
    );
    if (result.rowCount <= 0 || result.columns.length === 0) {
      this.placeholder(result.columns.length === 0 ? "The statement returned no columns." : "The query returned no rows.");
      if (result.columns.length > 0) this.root.prepend(this.header(result));
      return;
    }
    const canvas = div("grid-canvas");
    canvas.append(this.header(result));
    this.root.replaceChildren(canvas);
    this.root.style.setProperty("--grid-columns", this.template(result));
    this.root.setAttribute("aria-rowcount", String(result.rowCount + 1));

    const virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count: result.rowCount,
      getScrollElement: () => this.root,
      estimateSize: () => ROW_HEIGHT,
      overscan: this.options.overscan ?? 12,
      paddingStart: HEADER_HEIGHT,
      scrollPaddingStart: HEADER_HEIGHT,
      observeElementRect,
      observeElementOffset,
      scrollToFn: elementScroll,
      onChange: () => this.schedule(),
    });
    const shown: Shown = {
      result,
      cache: new PageCache<Row>(result.rowCount, this.options.pageSize ?? PAGE_SIZE),
      virtualizer,
      unmount: () => undefined,
      canvas,
      rendered: new Map(),
      numeric: result.columns.map((column) => isNumericType(column.dataType)),
    };
    this.shown = shown;
    shown.unmount = virtualizer._didMount();
    virtualizer._willUpdate();
    this.render();
    if (kept) {
      this.root.scrollTop = kept.top;
      this.root.scrollLeft = kept.left;
      // The new virtualizer learns the offset from a scroll event; a position the browser did
      // not have to change sends none.
      this.root.dispatchEvent(new Event("scroll"));
      this.anchor = kept.anchor;
      this.focusCell = kept.focus;
      this.active = kept.active;
      this.paint();
    } else if (document.activeElement === this.root) {
      this.active = { row: 0, column: 0 };
      this.paintActive();
    }
  }

  destroy(): void {
    this.teardown();
  }

  private teardown(): void {
    this.anchor = this.focusCell = this.active = null;
    this.activeElement = null;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.shown?.unmount();
    this.shown = null;
    this.plan = null;
    this.asGrid();
    this.root.removeAttribute("aria-rowcount");
    this.root.removeAttribute("aria-activedescendant");
  }

  private asGrid(): void {
    this.root.setAttribute("role", "grid");
    this.root.setAttribute("aria-multiselectable", "true");
    this.root.setAttribute("aria-label", "Query result");
    this.root.classList.remove("is-plan");
  }

  /** A message in place of rows, as the grid's one cell. */
  private placeholder(message: string): void {
    const row = div("grid-empty-row");
    row.setAttribute("role", "row");
    const cell = div("grid-empty", message);
    cell.setAttribute("role", "gridcell");
    row.append(cell);
    this.root.replaceChildren(row);
  }

  /** Shows a query plan as preformatted text: each part under its title, copied whole with Ctrl+C. */
  private showPlan(result: QueryResult): void {
    this.teardown();
    const root = this.root;
    root.setAttribute("role", "region");
    root.removeAttribute("aria-multiselectable");
    root.setAttribute("aria-label", "Query plan");
    root.classList.add("is-plan");
    root.scrollTop = 0;
    root.scrollLeft = 0;
    const plan: ShownPlan = { result, text: null };
    this.plan = plan;
    root.replaceChildren(div("grid-plan-note", "Loading the plan…"));
    this.options.fetchRows(result.resultId, 0, result.rowCount).then(
      (page) => {
        if (this.plan !== plan) return;
        const parts = planParts(result.columns, Array.isArray(page?.rows) ? page.rows : []);
        plan.text = planText(parts);
        root.replaceChildren(
          ...parts.map((part) => {
            const section = document.createElement("section");
            section.className = "grid-plan-part";
            if (part.title !== null) {
              const title = document.createElement("h3");
              title.className = "grid-plan-title";
              title.textContent = part.title;
              section.append(title);
            }
            const text = document.createElement("pre");
            text.className = "grid-plan-text";
            text.textContent = part.text;
            section.append(text);
            return section;
          }),
        );
      },
      (error: unknown) => {
        if (this.plan !== plan) return;
        root.replaceChildren(div("grid-plan-note", "Could not load the plan."));
        this.options.onError(`Could not load the plan. ${describeError(error)}`);
      },
    );
  }

  /** Keys on a plan: Ctrl+A selects its text; Ctrl+C copies what is selected, else all of it. */
  private onPlanKey(event: KeyboardEvent): void {
    const plan = this.plan;
    if (!plan || !(event.ctrlKey || event.metaKey) || event.altKey) return;
    const letter = event.key.toLowerCase();
    const selected = window.getSelection();
    if (letter === "a" && !event.shiftKey) {
      event.preventDefault();
      selected?.selectAllChildren(this.root);
      return;
    }
    if (letter !== "c" || plan.text === null || !this.options.copy) return;
    // Text picked with the mouse or Ctrl+A: the webview copies it.
    if (selected && !selected.isCollapsed && selected.toString() !== "" && this.root.contains(selected.anchorNode)) return;
    event.preventDefault();
    this.options.copy(plan.text).then(
      () => this.options.onCopied?.("Copied the plan."),
      (error: unknown) => this.options.onError(`Could not copy. ${describeError(error)}`),
    );
  }

  private template(result: QueryResult): string {
    if (this.widths.length !== result.columns.length) this.widths = result.columns.map((column) => columnWidth(column));
    return [`${ROW_NUMBER_WIDTH}px`, ...this.widths.map((width) => `${width}px`)].join(" ");
  }

  /** Sets column `index`'s width (at least MIN_COLUMN_WIDTH), for the header and every row. */
  resizeColumn(index: number, width: number): void {
    const shown = this.shown;
    if (!shown || index < 0 || index >= this.widths.length) return;
    this.widths[index] = Math.max(MIN_COLUMN_WIDTH, Math.round(width));
    const template = this.template(shown.result);
    this.root.style.setProperty("--grid-columns", template);
    const header = this.root.querySelector<HTMLElement>(".grid-header");
    if (header) header.style.gridTemplateColumns = template;
  }

  /** The shown result's column widths in pixels. */
  get columnWidths(): readonly number[] {
    return this.widths;
  }

  /**
   * A handle on a header cell's right edge: drag it, or (once clicked) press ← →. It is no Tab
   * stop of its own: from the grid, Alt+← → resize the active cell's column.
   */
  private resizeHandle(index: number, name: string): HTMLElement {
    const handle = div("grid-resize");
    handle.setAttribute("role", "separator");
    handle.setAttribute("aria-orientation", "vertical");
    handle.setAttribute("aria-label", `Resize column ${name}`);
    handle.tabIndex = -1;
    handle.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      event.stopPropagation();
      const start = event.clientX;
      const from = this.widths[index];
      const move = (e: PointerEvent) => this.resizeColumn(index, from + e.clientX - start);
      const up = () => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    handle.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" ? RESIZE_STEP : event.key === "ArrowLeft" ? -RESIZE_STEP : 0;
      if (step === 0) return;
      event.preventDefault();
      this.resizeColumn(index, this.widths[index] + step);
    });
    return handle;
  }

  private header(result: QueryResult): HTMLElement {
    const header = div("grid-header");
    header.setAttribute("role", "row");
    header.setAttribute("aria-rowindex", "1");
    header.style.gridTemplateColumns = this.template(result);
    const corner = div("grid-rownum", "#");
    corner.setAttribute("role", "columnheader");
    corner.setAttribute("aria-label", "Row number");
    corner.id = this.cellId({ row: -1, column: -1 });
    header.append(corner);
    result.columns.forEach((column, index) => {
      const cell = div("grid-head-cell");
      cell.setAttribute("role", "columnheader");
      cell.setAttribute("aria-selected", "false");
      cell.id = this.cellId({ row: -1, column: index });
      cell.title = `${column.name} (${column.dataType}): click to select the column`;
      if (isNumericType(column.dataType)) cell.classList.add("is-numeric");
      cell.dataset.column = String(index);
      cell.append(div("grid-head-name", column.name), div("grid-head-type", column.dataType), this.resizeHandle(index, column.name));
      header.append(cell);
    });
    return header;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Syncs the DOM with the rows in view and asks for missing pages. */
  render(): void {
    const shown = this.shown;
    if (!shown) return;
    const { virtualizer, cache, canvas, rendered } = shown;
    const items = virtualizer.getVirtualItems();
    canvas.style.height = `${virtualizer.getTotalSize()}px`;
    if (items.length === 0) return;

    const first = items[0].index;
    const last = items[items.length - 1].index;
    for (const request of cache.request(first, last)) this.load(shown, request.page, request.offset, request.limit);
    cache.evict(first, last);

    const wanted = new Set(items.map((item) => item.index));
    for (const [index, entry] of rendered) {
      if (!wanted.has(index)) {
        entry.element.remove();
        rendered.delete(index);
      }
    }
    for (const item of items) {
      const row = cache.row(item.index);
      const failed = cache.state(Math.floor(item.index / cache.pageSize)) === "failed";
      const shows: RowShows = row ? "row" : failed ? "failed" : "loading";
      const existing = rendered.get(item.index);
      if (existing?.shows === shows) continue;
      const element = row ? this.rowElement(shown, item.index, row) : this.pendingRow(item.index, failed);
      element.style.transform = `translateY(${item.start}px)`;
      if (existing) existing.element.replaceWith(element);
      else canvas.append(element);
      rendered.set(item.index, { element, shows });
    }
    this.paintActive();
  }

  private rowElement(shown: Shown, index: number, row: Row): HTMLElement {
    const element = div("grid-row");
    element.setAttribute("role", "row");
    element.setAttribute("aria-rowindex", String(index + 2));
    element.dataset.index = String(index);
    const number = div("grid-rownum", String(index + 1));
    number.setAttribute("role", "rowheader");
    number.id = this.cellId({ row: index, column: -1 });
    element.append(number);
    const selection = this.selection;
    const columns = shown.result.columns.length;
    if (selection && selection.firstColumn === 0 && selection.lastColumn === columns - 1 && selects(selection, index, 0)) {
      number.classList.add("is-selected");
    }
    number.setAttribute("aria-selected", String(number.classList.contains("is-selected")));
    shown.result.columns.forEach((_, column) => {
      const value = row[column];
      const cell = this.cellElement(value);
      cell.setAttribute("role", "gridcell");
      cell.id = this.cellId({ row: index, column });
      cell.dataset.column = String(column);
      const on = selects(selection, index, column);
      cell.setAttribute("aria-selected", String(on));
      if (on) cell.classList.add("is-selected");
      if (value === null || value === undefined) cell.classList.add("is-null");
      if (shown.numeric[column]) cell.classList.add("is-numeric");
      element.append(cell);
    });
    return element;
  }

  /**
   * One value's cell: its text, or for text of several lines the first line with how many there
   * are (the value viewer shows them all, as laid out).
   */
  private cellElement(value: CellValue | undefined): HTMLElement {
    const text = cellText(value);
    // A line break at the end (as the demo engine's physical plan has) makes no line of its own.
    const lines = typeof value === "string" ? text.replace(/(\r\n|\r|\n)+$/, "").split(/\r\n|\r|\n/) : [text];
    if (lines.length === 1) {
      const cell = div("grid-cell", text);
      if (text.length > 24) cell.title = text;
      return cell;
    }
    const cell = div("grid-cell is-multiline");
    const first = lines.find((line) => line.trim() !== "") ?? "";
    cell.append(div("grid-cell-text", first.trimStart()), div("grid-cell-lines", `${lines.length} lines`));
    cell.title = `${lines.length} lines: Enter or double-click shows them all`;
    return cell;
  }

  private pendingRow(index: number, failed: boolean): HTMLElement {
    const element = div("grid-placeholder");
    element.setAttribute("role", "row");
    element.setAttribute("aria-rowindex", String(index + 2));
    element.dataset.index = String(index);
    const number = div("grid-rownum", String(index + 1));
    number.setAttribute("role", "rowheader");
    const loading = div("grid-loading", failed ? "Could not load these rows" : "Loading…");
    loading.setAttribute("role", "gridcell");
    element.append(number, loading);
    if (failed) element.classList.add("is-failed");
    return element;
  }

  private load(shown: Shown, page: number, offset: number, limit: number): void {
    this.options.fetchRows(shown.result.resultId, offset, limit).then(
      (response) => {
        if (this.shown !== shown) return;
        shown.cache.fill(page, Array.isArray(response?.rows) ? response.rows : []);
        this.render();
      },
      (error: unknown) => {
        if (this.shown !== shown) return;
        shown.cache.fail(page);
        this.options.onError(`Could not load rows ${offset + 1}–${offset + limit}. ${describeError(error)}`);
        this.render();
      },
    );
  }
}
