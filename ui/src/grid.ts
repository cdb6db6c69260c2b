// The results grid: a virtualized list (only rows in view are in the DOM)
// whose rows are paged in from Rust with `fetch_rows` as the user scrolls.
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
} from "@tanstack/virtual-core";
import type { CellValue, QueryResult, RowPage } from "./api";
import { cellText, columnWidth, isNumericType } from "./cells";
import { type Cell, cut, MAX_COPY_ROWS, selectionBetween, selects, type Selection, toTsv } from "./copy";
import { describeError } from "./errors";
import { PageCache } from "./paging";

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
  /** What was copied, in plain words. */
  onCopied?: (message: string) => void;
  /** A double-clicked cell's whole value (long text, JSON), with its column's name. */
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

function div(className: string, text?: string): HTMLDivElement {
  const element = document.createElement("div");
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

export class ResultGrid {
  private shown: Shown | null = null;
  private frame = 0;
  private anchor: Cell | null = null;
  private focusCell: Cell | null = null;
  /** The shown result's column widths in pixels, as the user resized them. */
  private widths: number[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly options: GridOptions,
  ) {
    root.tabIndex = 0;
    root.setAttribute("role", "grid");
    root.setAttribute("aria-multiselectable", "true");
    this.placeholder("Run a query to see its results here.");
    // A click picks a cell (or a row, on its number); Shift+click extends to a rectangle.
    root.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const rowElement = target?.closest<HTMLElement>(".grid-row");
      if (!rowElement || !this.shown) return;
      const cell = target?.closest<HTMLElement>(".grid-cell, .grid-rownum");
      const picked: Cell = {
        row: Number(rowElement.dataset.index),
        column: cell?.dataset.column === undefined ? -1 : Number(cell.dataset.column),
      };
      if (event.shiftKey && this.anchor) this.focusCell = picked;
      else this.anchor = this.focusCell = picked;
      this.paintSelection();
    });
    root.addEventListener("dblclick", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const cell = target?.closest<HTMLElement>(".grid-cell");
      const row = target?.closest<HTMLElement>(".grid-row");
      const shown = this.shown;
      if (!cell || !row || !shown || cell.dataset.column === undefined) return;
      const column = Number(cell.dataset.column);
      const values = shown.cache.row(Number(row.dataset.index));
      if (!values) return;
      this.options.onExpand?.(shown.result.columns[column]?.name ?? "", values[column] ?? null);
    });
    root.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "c" && this.selection) {
        event.preventDefault();
        void this.copySelection();
      }
    });
  }

  /** The selected rectangle, if any. */
  get selection(): Selection | null {
    if (!this.shown || !this.anchor || !this.focusCell) return null;
    return selectionBetween(this.anchor, this.focusCell, this.shown.result.columns.length, this.shown.result.rowCount);
  }

  /** Selects the rectangle from `anchor` to `focus` (column -1: whole rows), as clicks do. */
  select(anchor: Cell, focus: Cell = anchor): void {
    this.anchor = anchor;
    this.focusCell = focus;
    this.paintSelection();
  }

  /**
   * Copies the selection as TSV (a header row when whole rows or several rows are selected),
   * fetching rows not in view; at most MAX_COPY_ROWS rows. Resolves to the text copied, or null.
   */
  async copySelection(): Promise<string | null> {
    const shown = this.shown;
    const selection = this.selection;
    const copy = this.options.copy;
    if (!shown || !selection || !copy) return null;
    const count = selection.lastRow - selection.firstRow + 1;
    if (count > MAX_COPY_ROWS) {
      this.options.onError(`Copy takes at most ${MAX_COPY_ROWS.toLocaleString("en-US")} rows at once; use Export for the whole result.`);
      return null;
    }
    try {
      const page = await this.options.fetchRows(shown.result.resultId, selection.firstRow, count);
      const rows = cut(Array.isArray(page?.rows) ? page.rows : [], selection);
      const oneCell = count === 1 && selection.firstColumn === selection.lastColumn;
      const header = oneCell
        ? undefined
        : shown.result.columns.slice(selection.firstColumn, selection.lastColumn + 1).map((c) => c.name);
      const text = oneCell ? (rows[0]?.[0] === null ? "" : toTsv(rows)) : toTsv(rows, header);
      await copy(text);
      this.options.onCopied?.(oneCell ? "Copied the cell." : `Copied ${rows.length} row${rows.length === 1 ? "" : "s"} as TSV.`);
      return text;
    } catch (error) {
      this.options.onError(`Could not copy. ${describeError(error)}`);
      return null;
    }
  }

  private paintSelection(): void {
    const shown = this.shown;
    if (!shown) return;
    const selection = this.selection;
    for (const [index, entry] of shown.rendered) {
      entry.element.querySelectorAll<HTMLElement>(".grid-cell").forEach((cell, column) => {
        const on = selects(selection, index, column);
        cell.classList.toggle("is-selected", on);
        cell.setAttribute("aria-selected", String(on));
      });
    }
  }

  /** Currently shown result, if any. */
  get result(): QueryResult | null {
    return this.shown?.result ?? null;
  }

  clear(message = "Run a query to see its results here."): void {
    this.teardown();
    this.placeholder(message);
  }

  /**
   * Shows `result`. The same result again with more rows (one whose rows were still arriving)
   * keeps where the user scrolled, the column widths and the selection.
   */
  show(result: QueryResult): void {
    const again = this.shown?.result.resultId === result.resultId;
    const kept = again
      ? { top: this.root.scrollTop, left: this.root.scrollLeft, widths: this.widths, anchor: this.anchor, focus: this.focusCell }
      : null;
    this.teardown();
    this.widths = kept?.widths ?? [];
    this.root.scrollTop = 0;
    this.root.scrollLeft = 0;
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
      this.paintSelection();
    }
  }

  destroy(): void {
    this.teardown();
  }

  private teardown(): void {
    this.anchor = this.focusCell = null;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.shown?.unmount();
    this.shown = null;
    this.root.removeAttribute("aria-rowcount");
  }

  private placeholder(message: string): void {
    this.root.replaceChildren(div("grid-empty", message));
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

  /** A handle on a header cell's right edge: drag it, or focus it and press ← →. */
  private resizeHandle(index: number, name: string): HTMLElement {
    const handle = div("grid-resize");
    handle.setAttribute("role", "separator");
    handle.setAttribute("aria-orientation", "vertical");
    handle.setAttribute("aria-label", `Resize column ${name}`);
    handle.tabIndex = 0;
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
    header.style.gridTemplateColumns = this.template(result);
    header.append(div("grid-rownum", "#"));
    result.columns.forEach((column, index) => {
      const cell = div("grid-head-cell");
      cell.setAttribute("role", "columnheader");
      cell.title = `${column.name} (${column.dataType})`;
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
  }

  private rowElement(shown: Shown, index: number, row: Row): HTMLElement {
    const element = div("grid-row");
    element.setAttribute("role", "row");
    element.setAttribute("aria-rowindex", String(index + 2));
    element.dataset.index = String(index);
    element.append(div("grid-rownum", String(index + 1)));
    const selection = this.selection;
    shown.result.columns.forEach((_, column) => {
      const value = row[column];
      const text = cellText(value);
      const cell = div("grid-cell", text);
      cell.setAttribute("role", "gridcell");
      cell.dataset.column = String(column);
      const on = selects(selection, index, column);
      cell.setAttribute("aria-selected", String(on));
      if (on) cell.classList.add("is-selected");
      if (value === null || value === undefined) cell.classList.add("is-null");
      if (shown.numeric[column]) cell.classList.add("is-numeric");
      if (text.length > 24) cell.title = text;
      element.append(cell);
    });
    return element;
  }

  private pendingRow(index: number, failed: boolean): HTMLElement {
    const element = div("grid-placeholder");
    element.dataset.index = String(index);
    element.append(div("grid-rownum", String(index + 1)), div("grid-loading", failed ? "Could not load these rows" : "Loading…"));
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
