// Query plans (EXPLAIN) as text: each engine answers EXPLAIN with a multi-line plan in a text
// cell (the demo engine: `plan_type` and `plan`, a row per plan; Athena: one `Query Plan`
// column). In grid cells cut to one line such a plan cannot be read, so the grid shows a result
// of that shape as preformatted text instead.
import type { CellValue, ResultColumn } from "./api";
import { cellText } from "./cells";

/** Plans longer than this many rows are left to the grid. */
export const PLAN_ROWS = 200;

const PLAN_COLUMN = /^(plan|query plan)$/i;
const TITLE_COLUMN = /^plan_type$/i;

function isText(column: ResultColumn): boolean {
  return /^(varchar|string|char|text)\b/i.test(column.dataType.trim());
}

/** Whether columns of this shape are an EXPLAIN's answer: a plan column and maybe its type. */
export function isPlan(columns: readonly ResultColumn[]): boolean {
  if (!columns.every(isText)) return false;
  if (columns.length === 1) return PLAN_COLUMN.test(columns[0].name.trim());
  return columns.length === 2 && TITLE_COLUMN.test(columns[0].name.trim()) && PLAN_COLUMN.test(columns[1].name.trim());
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
    const text = cellText(row[titled ? 1 : 0]);
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
