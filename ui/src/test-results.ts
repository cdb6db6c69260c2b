// Shared by the result grid's tests: a succeeded result on the demo engine, and a wait for the
// grid's next painted frame (it renders rows in requestAnimationFrame).
import type { QueryResult, ResultColumn } from "./api";

export function succeeded(columns: ResultColumn[], rowCount: number, bytesScanned = 1, durationMs = 1): QueryResult {
  return {
    resultId: "r1",
    columns,
    rowCount,
    bytesScanned,
    durationMs,
    queryId: "q1",
    engine: "datafusion",
    run: { state: "succeeded", engine: "datafusion", queryId: "q1", workgroup: null, rows: rowCount, bytesScanned, costUsd: null, durationMs },
  };
}

export const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/**
 * A page holding the grid's element (and `more`, other elements after it), with the viewport
 * jsdom cannot lay out: 292 px high (ten rows) and `width` wide.
 */
export function gridRoot(width = 800, more = ""): HTMLElement {
  document.body.innerHTML = `<div id="grid"></div>${more}`;
  const root = document.getElementById("grid") as HTMLElement;
  Object.defineProperty(root, "clientHeight", { configurable: true, get: () => 292 });
  Object.defineProperty(root, "clientWidth", { configurable: true, get: () => width });
  return root;
}
