import { beforeEach, describe, expect, it, vi } from "vitest";

const plots = vi.hoisted(() => [] as { opts: { series: { label?: string; paths?: unknown }[] }; data: unknown[][] }[]);
vi.mock("uplot", () => {
  class FakePlot {
    static paths = { bars: () => "bars-path" };
    constructor(opts: never, data: never) {
      plots.push({ opts, data });
    }
    destroy() {}
    setSize() {}
  }
  return { default: FakePlot };
});

import { CHART_NAME, CHART_ROWS, ChartView, chartData } from "./chart";
import type { QueryResult } from "./api";

const COLUMNS = [
  { name: "country", dataType: "varchar" },
  { name: "customers", dataType: "bigint" },
  { name: "revenue", dataType: "double" },
];

describe("what a chart shows", () => {
  it("labels by the first text column and draws every number column", () => {
    const data = chartData(COLUMNS, [["DE", 12, 1.5], ["FR", "9007199254740993", null]], 2);
    expect(data).toEqual({
      labelName: "country",
      labels: ["DE", "FR"],
      series: [
        { name: "customers", values: [12, 9007199254740993] },
        { name: "revenue", values: [1.5, null] },
      ],
      leftOut: 0,
    });
  });

  it("numbers the rows when every column is a number, and counts what is left out", () => {
    const data = chartData([{ name: "n", dataType: "integer" }], [[3], [4]], 2_000);
    expect(data).toMatchObject({ labelName: null, labels: ["1", "2"], leftOut: 1_998 });
  });

  it("says why there is nothing to chart", () => {
    expect(chartData([{ name: "email", dataType: "varchar" }], [["a@b"]], 1)).toEqual({
      reason: "Nothing to chart: a chart needs at least one number column.",
    });
    expect(chartData(COLUMNS, [], 0)).toEqual({ reason: "Nothing to chart: the result has no rows." });
  });
});

describe("the chart view", () => {
  const result: QueryResult = {
    resultId: "r1",
    columns: COLUMNS,
    rowCount: 5_000,
    bytesScanned: 1,
    durationMs: 1,
    queryId: "q1",
    engine: "datafusion",
    run: {
      state: "succeeded",
      engine: "datafusion",
      queryId: "q1",
      workgroup: null,
      rows: 5_000,
      bytesScanned: 1,
      costUsd: null,
      durationMs: 1,
    },
  };

  beforeEach(() => {
    plots.length = 0;
  });

  it("reads at most CHART_ROWS rows and draws bars or lines", async () => {
    const root = document.createElement("div");
    const fetchRows = vi.fn(async () => ({ rows: [["DE", 12, 1.5], ["FR", 7, 2]] }));
    const view = new ChartView(root, fetchRows);
    await view.show(result, "bar");
    expect(fetchRows).toHaveBeenCalledWith("r1", 0, CHART_ROWS);
    expect(plots).toHaveLength(1);
    expect(plots[0].data).toEqual([[0, 1], [12, 7], [1.5, 2]]);
    expect(plots[0].opts.series.map((s) => s.label)).toEqual(["country", "customers", "revenue"]);
    expect(plots[0].opts.series[1].paths).toBe("bars-path");
    expect(root.getAttribute("aria-label")).toBe("Bar chart of customers, revenue by country, 2 rows. The first 2 rows are charted; 4998 more are not.");
    expect(root.textContent).toContain("4998 more are not");

    await view.show(result, "line");
    expect(plots[1].opts.series[1].paths).toBeUndefined();
  });

  it("says when the rows cannot be read or do not chart", async () => {
    const root = document.createElement("div");
    const failing = new ChartView(root, async () => {
      throw { kind: "invalid", message: "that result is no longer kept: run the query again" };
    });
    await failing.show(result, "bar");
    expect(root.textContent).toContain("no longer kept");
    const text = new ChartView(root, async () => ({ rows: [["a"]] }));
    await text.show({ ...result, columns: [{ name: "email", dataType: "varchar" }], rowCount: 1 }, "bar");
    expect(root.textContent).toBe("Nothing to chart: a chart needs at least one number column.");
    expect(plots).toHaveLength(0);
  });
});

describe("the chart's name", () => {
  const result: QueryResult = {
    resultId: "r1",
    columns: [{ name: "email", dataType: "varchar" }],
    rowCount: 1,
    bytesScanned: 1,
    durationMs: 1,
    queryId: "q1",
    engine: "datafusion",
    run: { state: "succeeded", engine: "datafusion", queryId: "q1", workgroup: null, rows: 1, bytesScanned: 1, costUsd: null, durationMs: 1 },
  };

  it("is there before, while and after it draws, and a note takes its place without being read twice", async () => {
    const root = document.createElement("div");
    let answer: (page: { rows: unknown[][] }) => void = () => undefined;
    const fetchRows = vi.fn(() => new Promise<{ rows: never[] }>((resolve) => (answer = resolve as typeof answer)));
    const view = new ChartView(root, fetchRows);
    expect(root.getAttribute("role")).toBe("img");
    expect(root.getAttribute("aria-label")).toBe(CHART_NAME);

    const showing = view.show(result, "bar");
    expect(root.getAttribute("aria-label")).toBe("Loading the rows to chart…");
    await vi.waitFor(() => expect(fetchRows).toHaveBeenCalled());
    answer({ rows: [["a@b"]] });
    await showing;
    expect(root.getAttribute("aria-label")).toBe("Nothing to chart: a chart needs at least one number column.");
    // Inside an image its content is not read: the note's words are its name instead.
    const note = root.querySelector(".chart-note") as HTMLElement;
    expect(note.textContent).toBe(root.getAttribute("aria-label"));
    expect(note.getAttribute("aria-hidden")).toBe("true");

    view.clear();
    expect(root.getAttribute("aria-label")).toBe(CHART_NAME);
  });
});

describe("loading the chart library", () => {
  it("gives Intl a language tag it accepts under a POSIX locale (LANG=C reads as \"C\")", async () => {
    Object.defineProperty(navigator, "language", { value: "C", configurable: true });
    expect(() => new Intl.NumberFormat(navigator.language)).toThrow(RangeError);
    vi.resetModules();
    const fresh = await import("./chart");
    await fresh.loadChartLibrary();
    expect(navigator.language).toBe("en-US");
    expect(() => new Intl.NumberFormat(navigator.language)).not.toThrow();
  });
});
