import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunDetails, RunProgress } from "./api";
import { arrivingMeta, arrivingResult, watchProgress } from "./progress";

function details(state: RunDetails["state"], queryId: string | null): RunDetails {
  return { state, engine: "athena", queryId, workgroup: "primary", rows: null, bytesScanned: null, costUsd: null, durationMs: 0 };
}

function going(state: RunDetails["state"], queryId: string | null): RunProgress {
  return { run: details(state, queryId), arriving: null };
}

describe("watching a run", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("shows each answer that is a run, for that run only, until stopped", async () => {
    const answers = [null, going("queued", null), going("queued", "q-1"), going("running", "q-1")];
    const ask = vi.fn(async () => answers.shift() ?? null);
    const show = vi.fn();
    const watch = watchProgress("run-7", ask, show, 500);
    for (let i = 0; i < 4; i += 1) await vi.advanceTimersByTimeAsync(500);
    expect(ask).toHaveBeenCalledWith("run-7");
    expect(show.mock.calls.map(([{ run }]) => [run.state, run.queryId])).toEqual([
      ["queued", null],
      ["queued", "q-1"],
      ["running", "q-1"],
    ]);
    watch.stop();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ask).toHaveBeenCalledTimes(4);
  });

  it("drops an answer that arrives after the run ended, so it cannot replace the final details", async () => {
    let answer: (run: RunProgress) => void = () => undefined;
    const ask = vi.fn(() => new Promise<RunProgress | null>((resolve) => (answer = resolve)));
    const show = vi.fn();
    const watch = watchProgress("run-8", ask, show, 500);
    await vi.advanceTimersByTimeAsync(500);
    // A slow answer is not overtaken by the next question.
    await vi.advanceTimersByTimeAsync(1_500);
    expect(ask).toHaveBeenCalledTimes(1);
    watch.stop();
    answer(going("running", "q-2"));
    await vi.advanceTimersByTimeAsync(0);
    expect(show).not.toHaveBeenCalled();
  });

  it("keeps going when a question fails", async () => {
    const ask = vi.fn().mockRejectedValueOnce({ kind: "internal", message: "x" }).mockResolvedValue(going("running", "q-3"));
    const show = vi.fn();
    const watch = watchProgress("run-9", ask, show, 500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(show).toHaveBeenCalledWith(going("running", "q-3"));
    watch.stop();
  });
});

describe("rows that arrive while a run goes", () => {
  it("are shown as a result the grid pages, under the id the finished result keeps", () => {
    const run = { ...details("reading", "q-4"), rows: 1000, bytesScanned: 2048, durationMs: 900 };
    const arriving = { resultId: "r7", columns: [{ name: "id", dataType: "bigint" }], rowCount: 1000 };
    expect(arrivingResult(arriving, run)).toEqual({
      resultId: "r7",
      columns: [{ name: "id", dataType: "bigint" }],
      rowCount: 1000,
      bytesScanned: 2048,
      durationMs: 900,
      queryId: "q-4",
      engine: "athena",
      run,
    });
    expect(arrivingResult(arriving, details("reading", null)).queryId).toBe("");
  });

  it("are counted in the result line", () => {
    expect(arrivingMeta(1)).toBe("Reading… 1 row so far");
    expect(arrivingMeta(16384)).toBe("Reading… 16,384 rows so far");
  });
});
