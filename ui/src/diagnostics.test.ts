import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { afterEach, describe, expect, it } from "vitest";
import type { LintDiagnostic } from "./api";
import { clampOffset, clampRange, messageOf, sentence, toEditorDiagnostic, toEditorDiagnostics } from "./diagnostics";

function lintDiagnostic(from: number, to: number, extra: Partial<LintDiagnostic> = {}): LintDiagnostic {
  return {
    rule: "pii-column",
    severity: "warning",
    message: "Column email is tagged pii.",
    from,
    to,
    line: 1,
    column: from + 1,
    endLine: 1,
    endColumn: to + 1,
    unlockedBy: [],
    fix: null,
    ...extra,
  };
}

// "☃" is one UTF-16 unit (3 UTF-8 bytes); "😀" is two UTF-16 units (4 bytes).
const TEXT = "SELECT '☃😀', email FROM sales.customers";

describe("clampOffset", () => {
  it("keeps offsets inside the text", () => {
    expect(clampOffset(TEXT, -5, -1)).toBe(0);
    expect(clampOffset(TEXT, TEXT.length + 40, 1)).toBe(TEXT.length);
    expect(clampOffset(TEXT, Number.NaN, 1)).toBe(0);
    expect(clampOffset(TEXT, 3.7, 1)).toBe(3);
  });

  it("never lands inside a surrogate pair", () => {
    const inside = TEXT.indexOf("😀") + 1;
    expect(clampOffset(TEXT, inside, -1)).toBe(inside - 1);
    expect(clampOffset(TEXT, inside, 1)).toBe(inside + 1);
  });
});

describe("clampRange", () => {
  it("uses UTF-16 offsets so a range after non-ASCII text covers the right word", () => {
    const from = TEXT.indexOf("email");
    const range = clampRange(TEXT, from, from + 5);
    expect(TEXT.slice(range.from, range.to)).toBe("email");
    // Counted in UTF-8 bytes the same word would start 4 units later.
    expect(from).toBe(new TextEncoder().encode(TEXT.slice(0, from)).length - 4);
  });

  it("widens an empty range over one whole character", () => {
    const emoji = TEXT.indexOf("😀");
    expect(clampRange(TEXT, emoji, emoji)).toEqual({ from: emoji, to: emoji + 2 });
    expect(clampRange(TEXT, 0, 0)).toEqual({ from: 0, to: 1 });
  });

  it("widens an empty range at the end backwards, and keeps pairs whole", () => {
    const text = "SELECT 1 -- 😀";
    expect(clampRange(text, text.length, text.length)).toEqual({ from: text.length - 2, to: text.length });
    expect(clampRange(text, 500, 900)).toEqual({ from: text.length - 2, to: text.length });
  });

  it("orders reversed ranges and handles the empty document", () => {
    expect(clampRange("abcdef", 4, 1)).toEqual({ from: 1, to: 4 });
    expect(clampRange("", 3, 9)).toEqual({ from: 0, to: 0 });
  });
});

describe("toEditorDiagnostic", () => {
  it("maps severity, message, rule and the elevation that unlocks it", () => {
    const from = TEXT.indexOf("email");
    const mapped = toEditorDiagnostic(lintDiagnostic(from, from + 5, { unlockedBy: ["pii-read"] }), TEXT);
    expect(mapped).toMatchObject({
      from,
      to: from + 5,
      severity: "warning",
      source: "pii-column",
      message: "Column email is tagged pii. Unlocked by elevation: pii-read.",
    });
    expect(mapped.actions).toBeUndefined();
  });

  it("shows unknown severities as errors", () => {
    const odd = lintDiagnostic(0, 6, { severity: "fatal" as LintDiagnostic["severity"] });
    expect(toEditorDiagnostics([odd], TEXT)[0].severity).toBe("error");
  });

  it("clamps ranges past a document that shrank since linting", () => {
    const mapped = toEditorDiagnostic(lintDiagnostic(30, 90), "SELECT 1");
    expect(mapped.from).toBeLessThanOrEqual(mapped.to);
    expect(mapped.to).toBe(8);
  });
});

describe("quick fixes", () => {
  let view: EditorView | null = null;
  afterEach(() => view?.destroy());

  function editor(doc: string): EditorView {
    view = new EditorView({ state: EditorState.create({ doc }), parent: document.body });
    return view;
  }

  it("applies the fix at its UTF-16 range", () => {
    const doc = "SELECT * FROM sales.orders -- ☃😀";
    const star = doc.indexOf("*");
    const fix = { title: "List columns", from: star, to: star + 1, insert: "order_id, amount" };
    const mapped = toEditorDiagnostic(lintDiagnostic(star, star + 1, { fix }), doc);
    expect(mapped.actions?.[0].name).toBe("List columns");
    const target = editor(doc);
    mapped.actions?.[0].apply(target, mapped.from, mapped.to);
    expect(target.state.doc.toString()).toBe("SELECT order_id, amount FROM sales.orders -- ☃😀");
  });

  it("follows the diagnostic when text was inserted before it", () => {
    const doc = "SELECT * FROM t";
    const fix = { title: "List columns", from: 7, to: 8, insert: "a, b" };
    const mapped = toEditorDiagnostic(lintDiagnostic(7, 8, { fix }), doc);
    const target = editor(`😀 ${doc}`);
    // The editor maps the diagnostic 3 units on; the fix must move with it.
    mapped.actions?.[0].apply(target, 10, 11);
    expect(target.state.doc.toString()).toBe("😀 SELECT a, b FROM t");
  });
});

describe("messages as sentences", () => {
  it("capitalises and closes a sentence once", () => {
    expect(sentence("the query would scan 2 MB")).toBe("The query would scan 2 MB.");
    expect(sentence("Already closed.")).toBe("Already closed.");
    expect(sentence("  ")).toBe("");
    // A name keeps its case.
    expect(sentence("sales.orders.card_number is restricted")).toBe("sales.orders.card_number is restricted.");
  });

  it("never runs the message into the elevation that unlocks it", () => {
    const message = messageOf(
      lintDiagnostic(0, 5, { message: "the query would scan 2.5 MB; or request the large-scan elevation", unlockedBy: ["large-scan"] }),
    );
    expect(message).toBe("The query would scan 2.5 MB; or request the large-scan elevation. Unlocked by elevation: large-scan.");
  });
});
