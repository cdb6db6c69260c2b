// While a query runs, the run details line follows it: the backend is asked every half second
// where the run is (Athena's QUEUED or RUNNING, then the read of its result) and for Athena's
// query execution id as soon as Athena gives one, so a long run can be named to support or
// looked up in the console before it ends. Once the first rows are stored they can be paged
// like a finished result, so a long read shows its first page before it ends.
import type { ArrivingResult, QueryResult, RunDetails, RunProgress } from "./api";

export const PROGRESS_EVERY_MS = 500;

export interface ProgressWatch {
  /** Stops asking; an answer still on its way is dropped, so it cannot replace the final details. */
  stop(): void;
}

/** Asks `ask(runId)` every `everyMs` and hands each answer that is a run to `show`. */
export function watchProgress(
  runId: string,
  ask: (runId: string) => Promise<RunProgress | null>,
  show: (progress: RunProgress) => void,
  everyMs = PROGRESS_EVERY_MS,
): ProgressWatch {
  let stopped = false;
  let asking = false;
  const tick = () => {
    // One question at a time: a slow answer is not overtaken by the next.
    if (stopped || asking) return;
    asking = true;
    ask(runId)
      .then((run) => {
        if (!stopped && run !== null) show(run);
      })
      .catch(() => undefined) // The run's own result or error says what matters.
      .finally(() => {
        asking = false;
      });
  };
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** The rows a run has stored so far, as the grid shows a result (paged with `fetch_rows`). */
export function arrivingResult(arriving: ArrivingResult, run: RunDetails): QueryResult {
  return {
    resultId: arriving.resultId,
    columns: arriving.columns,
    rowCount: arriving.rowCount,
    bytesScanned: run.bytesScanned ?? 0,
    durationMs: run.durationMs,
    queryId: run.queryId ?? "",
    engine: run.engine,
    run,
  };
}

/** What the result line says while rows arrive. */
export function arrivingMeta(rowCount: number): string {
  return `Reading… ${rowCount.toLocaleString("en-US")} ${rowCount === 1 ? "row" : "rows"} so far`;
}
