// Copying from the result grid: a cell, rows or a rectangular selection as TSV, which
// spreadsheets and text editors paste as a table. NULL is an empty field; a value holding a tab,
// a line break or a quote is quoted with its quotes doubled, as spreadsheets read it.

import type { CellValue } from "./api";

/** At most this many rows are copied at once (the backend pages at most 5,000 rows). */
export const MAX_COPY_ROWS = 5_000;

export function tsvField(value: CellValue | undefined): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "boolean" ? (value ? "true" : "false") : String(value);
  return /[\t\n\r"]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as TSV lines, with `header` first when given. */
export function toTsv(rows: CellValue[][], header?: string[]): string {
  const lines = rows.map((row) => row.map(tsvField).join("\t"));
  if (header) lines.unshift(header.map((name) => tsvField(name)).join("\t"));
  return lines.join("\n");
}

/** A rectangle of the grid: rows and columns, both inclusive; a whole row spans every column. */
export interface Selection {
  firstRow: number;
  lastRow: number;
  firstColumn: number;
  lastColumn: number;
}

export interface Cell {
  row: number;
  /** -1: the row number, which stands for the whole row. */
  column: number;
}

/** The rectangle between two cells; a row number at either end takes whole rows. */
export function selectionBetween(anchor: Cell, focus: Cell, columns: number): Selection {
  const wholeRows = anchor.column < 0 || focus.column < 0;
  return {
    firstRow: Math.min(anchor.row, focus.row),
    lastRow: Math.max(anchor.row, focus.row),
    firstColumn: wholeRows ? 0 : Math.min(anchor.column, focus.column),
    lastColumn: wholeRows ? columns - 1 : Math.max(anchor.column, focus.column),
  };
}

export function selects(selection: Selection | null, row: number, column: number): boolean {
  return (
    selection !== null &&
    row >= selection.firstRow &&
    row <= selection.lastRow &&
    column >= selection.firstColumn &&
    column <= selection.lastColumn
  );
}

/** The selected part of `rows` (which start at the selection's first row). */
export function cut(rows: CellValue[][], selection: Selection): CellValue[][] {
  return rows.map((row) => row.slice(selection.firstColumn, selection.lastColumn + 1));
}
