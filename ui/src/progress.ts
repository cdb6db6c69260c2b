// While a query runs, the run details line follows it: the backend is asked every half second
// where the run is (Athena's QUEUED or RUNNING, then the read of its result) and for Athena's
// query execution id as soon as Athena gives one, so a long run can be named to support or
// looked up in the console before it ends.
import type { RunDetails } from "./api";

export const PROGRESS_EVERY_MS = 500;

export interface ProgressWatch {
  /** Stops asking; an answer still on its way is dropped, so it cannot replace the final details. */
  stop(): void;
}

/** Asks `ask(runId)` every `everyMs` and hands each answer that is a run to `show`. */
export function watchProgress(
  runId: string,
  ask: (runId: string) => Promise<RunDetails | null>,
  show: (run: RunDetails) => void,
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
