// Query plans (EXPLAIN) as text: each engine answers EXPLAIN with a multi-line plan in a text
// cell (the demo engine: `plan_type` and `plan`, a row per plan; Athena: one `Query Plan`
// column). In grid cells cut to one line such a plan cannot be read, so the grid shows a result
// of that shape as preformatted text instead.
import type { CellValue, ResultColumn } from "./api";
import { cellText } from "./cells";

/** Plans longer than this many rows are left to the grid. */
export const PLAN_ROWS = 200;

// Exact names, so that a table's own `plan` column stays in the grid.
const ATHENA_COLUMN = /^query plan$/i;
const DEMO_COLUMNS = [/^plan_type$/i, /^plan$/i];

function isText(column: ResultColumn): boolean {
  return /^(varchar|string|char|text)\b/i.test(column.dataType.trim());
}

/** Whether columns of this shape are an EXPLAIN's answer: Athena's `Query Plan`, the demo's `plan_type` and `plan`. */
export function isPlan(columns: readonly ResultColumn[]): boolean {
  if (!columns.every(isText)) return false;
  if (columns.length === 1) return ATHENA_COLUMN.test(columns[0].name.trim());
  return columns.length === 2 && columns.every((column, index) => DEMO_COLUMNS[index].test(column.name.trim()));
}

export interface PlanPart {
  /** What the part is ("logical_plan"), when the engine says. */
  title: string | null;
  text: string;
}

/** A plan's rows as parts: one per titled row; untitled rows (a line each) joined into one. */
export function planParts(columns: readonly ResultColumn[], rows: readonly CellValue[][]): PlanPart[] {
  const titled = columns.length === 2;
  const parts: PlanPart[] = [];
  for (const row of rows) {
    const text = cellText(row[titled ? 1 : 0]).replace(/(\r\n|\r|\n)+$/, "");
    const title = titled ? cellText(row[0]) : null;
    const last = parts[parts.length - 1];
    if (title === null && last && last.title === null) last.text += `\n${text}`;
    else parts.push({ title, text });
  }
  return parts;
}

/** The whole plan as one text, each part under its title. */
export function planText(parts: readonly PlanPart[]): string {
  return parts.map((part) => (part.title === null ? part.text : `${part.title}\n${part.text}`)).join("\n\n");
}
