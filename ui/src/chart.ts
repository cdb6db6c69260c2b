// The chart view of a result, for people who would rather look than read: the first column
// that is not a number labels the x axis, every number column is a series, as bars or lines
// (uPlot: small and maintained). It charts the first CHART_ROWS rows, paged in from the
// backend like the grid's, and says so when there are more.
import type uPlot from "uplot";
import type { CellValue, QueryResult, ResultColumn, RowPage } from "./api";
import { cellText, isNumericType } from "./cells";
import { describeError } from "./errors";

/** Rows a chart draws at most: more would not be readable as bars anyway. */
export const CHART_ROWS = 1_000;

export type ChartKind = "bar" | "line";

export interface ChartData {
  /** The label column's name, or null when rows are numbered. */
  labelName: string | null;
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
  /** Rows left out beyond CHART_ROWS. */
  leftOut: number;
}

/** A number from a cell (big integers arrive as text), or null. */
function numberOf(value: CellValue | undefined): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** What a chart of these rows shows, or why there is none. */
export function chartData(columns: readonly ResultColumn[], rows: readonly CellValue[][], rowCount: number): ChartData | { reason: string } {
  const numeric = columns.map((column) => isNumericType(column.dataType));
  const label = numeric.indexOf(false);
  const series = columns.map((column, index) => ({ column, index })).filter(({ index }) => numeric[index]);
  if (series.length === 0) return { reason: "Nothing to chart: a chart needs at least one number column." };
  if (rows.length === 0) return { reason: "Nothing to chart: the result has no rows." };
  return {
    labelName: label >= 0 ? columns[label].name : null,
    labels: rows.map((row, i) => (label >= 0 ? cellText(row[label]) : String(i + 1))),
    series: series.map(({ column, index }) => ({ name: column.name, values: rows.map((row) => numberOf(row[index])) })),
    leftOut: Math.max(0, rowCount - rows.length),
  };
}

type Library = typeof uPlot;
let library: Promise<Library> | null = null;

/**
 * The chart library, loaded on the first chart: a failure to load it costs the chart, never the
 * window. uPlot reads `navigator.language` into Intl.NumberFormat as it loads; under a POSIX
 * locale (LANG=C, common in containers) WebKit reports "C", which Intl refuses, so the
 * language is made a tag Intl accepts first.
 */
export function loadChartLibrary(): Promise<Library> {
  if (library === null) {
    try {
      new Intl.NumberFormat(navigator.language);
    } catch {
      Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
    }
    library = Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([module]) => module.default);
    library.catch(() => {
      library = null;
    });
  }
  return library;
}

const PALETTE = ["--accent", "--allow", "--elevate", "--deny", "--syntax-keyword", "--syntax-type"];

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === "" ? fallback : value;
}

/** uPlot's options for `data` drawn as `kind` in a box of `width` x `height`. */
export function chartOptions(lib: Library, data: ChartData, kind: ChartKind, width: number, height: number): uPlot.Options {
  const text = cssColor("--text-muted", "#888");
  const grid = cssColor("--border", "#333");
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const bars = lib.paths.bars ? lib.paths.bars({ size: [0.7, 80] }) : undefined;
  return {
    width,
    height,
    legend: { show: data.series.length > 1 },
    cursor: { drag: { x: false, y: false } },
    // Half a slot either side, so the first and last bars are whole.
    scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] } },
    axes: [
      {
        ...axis,
        // The x values are row positions: show the labels (only at whole positions).
        values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (data.labels[i] ?? "") : "")),
      },
      axis,
    ],
    series: [
      { label: data.labelName ?? "row" },
      ...data.series.map((s, i) => {
        const color = cssColor(PALETTE[i % PALETTE.length], "#5b9dff");
        return kind === "bar"
          ? { label: s.name, stroke: color, fill: `${color}99`, width: 1, paths: bars, points: { show: false } }
          : { label: s.name, stroke: color, width: 2, points: { show: data.labels.length <= 60 } };
      }),
    ],
  };
}

export type FetchRows = (resultId: string, offset: number, limit: number) => Promise<RowPage>;

/** The chart's name before anything is drawn. */
export const CHART_NAME = "Chart of the result";

/**
 * The chart panel: draws the result it is given, or says why it cannot. It is one image to
 * assistive technology, always named: by what the chart shows, or by the note shown instead
 * (the note itself is hidden from them, so it is not read twice).
 */
export class ChartView {
  private plot: uPlot | null = null;
  private ticket = 0;
  private resize: ResizeObserver | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly fetchRows: FetchRows,
  ) {
    root.setAttribute("role", "img");
    root.setAttribute("aria-label", CHART_NAME);
  }

  async show(result: QueryResult, kind: ChartKind): Promise<void> {
    const ticket = ++this.ticket;
    this.clear();
    this.note("Loading the rows to chart…");
    let rows: CellValue[][];
    let lib: Library;
    try {
      lib = await loadChartLibrary();
    } catch (error) {
      if (ticket === this.ticket) this.note(`The chart cannot be drawn here. ${describeError(error)}`);
      return;
    }
    try {
      const page = await this.fetchRows(result.resultId, 0, Math.min(result.rowCount, CHART_ROWS));
      rows = page.rows;
    } catch (error) {
      if (ticket === this.ticket) this.note(`The rows could not be read. ${describeError(error)}`);
      return;
    }
    if (ticket !== this.ticket) return;
    const data = chartData(result.columns, rows, result.rowCount);
    this.root.replaceChildren();
    if ("reason" in data) return this.note(data.reason);
    const names = data.series.map((s) => s.name).join(", ");
    const leftOut = data.leftOut > 0 ? `The first ${data.labels.length} rows are charted; ${data.leftOut} more are not.` : null;
    this.root.setAttribute(
      "aria-label",
      `${kind === "bar" ? "Bar" : "Line"} chart of ${names}${data.labelName ? ` by ${data.labelName}` : ""}, ${data.labels.length} rows${leftOut ? `. ${leftOut}` : ""}`,
    );
    const box = this.root.getBoundingClientRect();
    const width = Math.max(320, Math.floor(box.width) - 16);
    const height = Math.max(200, Math.floor(box.height) - 48);
    const x = data.labels.map((_, i) => i);
    const options = chartOptions(lib, data, kind, width, height);
    // Set once the canvas has been painted (uPlot paints after construction).
    options.hooks = { draw: [() => (this.root.dataset.drawn = "true")] };
    this.plot = new lib(options, [x, ...data.series.map((s) => s.values)], this.root);
    if (leftOut) this.note(leftOut, true);
    if (typeof ResizeObserver !== "undefined") {
      this.resize = new ResizeObserver(() => {
        const now = this.root.getBoundingClientRect();
        this.plot?.setSize({ width: Math.max(320, Math.floor(now.width) - 16), height: Math.max(200, Math.floor(now.height) - 48) });
      });
      this.resize.observe(this.root);
    }
  }

  clear(): void {
    this.resize?.disconnect();
    this.resize = null;
    this.plot?.destroy();
    this.plot = null;
    this.root.replaceChildren();
    this.root.setAttribute("aria-label", CHART_NAME);
    delete this.root.dataset.drawn;
  }

  /** Shows `text`; in place of a chart (not appended to one), it is the chart's name too. */
  private note(text: string, append = false): void {
    const p = document.createElement("p");
    p.className = "chart-note";
    p.textContent = text;
    p.setAttribute("aria-hidden", "true");
    if (append) this.root.append(p);
    else {
      this.root.replaceChildren(p);
      this.root.setAttribute("aria-label", text);
    }
  }
}
