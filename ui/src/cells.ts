// How result values and columns look in the grid.
import type { CellValue, ResultColumn } from "./api";

const NUMERIC = /^(tinyint|smallint|int|integer|bigint|real|double|float|decimal)\b/i;

export function isNumericType(dataType: string): boolean {
  return NUMERIC.test(dataType.trim());
}

/** Text for one cell; values are only ever placed with textContent. */
export function cellText(value: CellValue | undefined): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

/** A column width in pixels from its name and type, within sane bounds. */
export function columnWidth(column: ResultColumn): number {
  const type = column.dataType.toLowerCase();
  let base = 160;
  if (isNumericType(type)) base = 110;
  else if (type.startsWith("boolean")) base = 80;
  else if (type.startsWith("date")) base = 110;
  else if (type.startsWith("timestamp")) base = 190;
  // Room for the name in bold plus the type in small print.
  const byName = column.name.length * 8 + column.dataType.length * 6 + 46;
  return Math.min(Math.max(base, byName), 360);
}
