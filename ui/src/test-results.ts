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
