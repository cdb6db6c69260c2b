import { CompletionContext, currentCompletions, startCompletion } from "@codemirror/autocomplete";
import { EditorState } from "@codemirror/state";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Catalog } from "./api";
import { createEditor, LINT_DELAY_MS, notOnNumbers, type RunScope, type SqlEditor } from "./editor";

const CATALOG: Catalog = {
  databases: [
    { name: "sales", tables: [{ name: "orders", columns: [{ name: "order_id", dataType: "bigint", partitionKey: false, tags: [], unlisted: false }], unlisted: false, missing: false }] },
  ],
  readAt: "2026-12-04T20:00:00Z",
  fromCache: false,
};

let editor: SqlEditor;
let runs: RunScope[];
/** What the editor's Esc asks the window: whether a run was there to cancel. */
let escapes: number;
let cancelling: boolean;

beforeEach(() => {
  document.body.innerHTML = `<div id="editor"></div>`;
  runs = [];
  escapes = 0;
  cancelling = false;
  editor = createEditor({
    parent: document.getElementById("editor") as HTMLElement,
    check: async () => null,
    onChange: () => undefined,
    onRun: (scope) => runs.push(scope),
    onEscape: () => {
      escapes += 1;
      return cancelling;
    },
  });
  editor.setCatalog(CATALOG, "sales");
});

afterEach(() => {
  editor.view.destroy();
  document.body.innerHTML = "";
});

/** Types `text` at the end and asks for completions there, as typing would. */
async function completionsAfter(text: string): Promise<string[]> {
  editor.setSql(text);
  startCompletion(editor.view);
  // Sources run asynchronously; give them a moment, then read what is offered.
  await new Promise((resolve) => setTimeout(resolve, 150));
  return currentCompletions(editor.view.state).map((c) => c.label);
}

describe("completion", () => {
  it("offers nothing on a numeric literal: LIMIT 10 does not suggest LOG10", async () => {
    expect(await completionsAfter("SELECT order_id FROM sales.orders LIMIT 10")).toEqual([]);
    expect(await completionsAfter("SELECT 1.5")).toEqual([]);
  });

  it("still completes words, functions and tables", async () => {
    expect(await completionsAfter("SELECT LOG")).toContain("LOG10");
    expect(await completionsAfter("SELECT * FROM sal")).toContain("sales.orders");
  });

  it("wraps any source so a number silences it", () => {
    const source = notOnNumbers(() => ({ from: 0, options: [{ label: "x" }] }));
    const at = (doc: string) => source(new CompletionContext(EditorState.create({ doc }), doc.length, true));
    expect(at("LIMIT 10")).toBeNull();
    expect(at("x = .5")).toBeNull();
    expect(at("LIMIT l")).not.toBeNull();
  });
});

describe("the editor", () => {
  it("lints once, 75 ms after the last of several quick keys, not before", () => {
    expect(LINT_DELAY_MS).toBeLessThanOrEqual(75);
    vi.useFakeTimers();
    try {
      const parent = document.createElement("div");
      document.body.append(parent);
      const asked: { sql: string; at: number }[] = [];
      const start = Date.now();
      const typing = createEditor({
        parent,
        check: async (sql) => {
          asked.push({ sql, at: Date.now() - start });
          return null;
        },
        onChange: () => undefined,
        onRun: () => undefined,
      });
      // The empty text it starts with is linted once too.
      vi.advanceTimersByTime(LINT_DELAY_MS);
      expect(asked).toEqual([{ sql: "", at: LINT_DELAY_MS }]);
      asked.length = 0;

      // Keys as typing makes them (one input transaction each), 30 ms apart: within the delay.
      const type = (key: string) => {
        const at = typing.view.state.selection.main.head;
        typing.view.dispatch({ changes: { from: at, insert: key }, selection: { anchor: at + 1 }, userEvent: "input.type" });
      };
      const keys = "SELECT";
      for (const [index, key] of [...keys].entries()) {
        if (index > 0) vi.advanceTimersByTime(30);
        type(key);
      }
      const last = Date.now() - start;
      vi.advanceTimersByTime(LINT_DELAY_MS - 1);
      expect(asked).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(asked).toEqual([{ sql: "SELECT", at: last + LINT_DELAY_MS }]);
      // Nothing more while the text rests.
      vi.advanceTimersByTime(1_000);
      expect(asked).toHaveLength(1);
      typing.view.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it("comments the line with Ctrl+/ and uncomments it again", () => {
    editor.setSql("SELECT 1");
    const content = document.querySelector(".cm-content") as HTMLElement;
    const ctrlSlash = () => content.dispatchEvent(new KeyboardEvent("keydown", { key: "/", ctrlKey: true, bubbles: true, cancelable: true }));
    ctrlSlash();
    expect(editor.getSql()).toBe("-- SELECT 1");
    ctrlSlash();
    expect(editor.getSql()).toBe("SELECT 1");
    // Every line of a selection.
    editor.setSql("SELECT a\nFROM t");
    editor.view.dispatch({ selection: { anchor: 0, head: editor.getSql().length } });
    ctrlSlash();
    expect(editor.getSql()).toBe("-- SELECT a\n-- FROM t");
  });

  it("runs the selection, else the statement under the cursor, or the whole script", () => {
    const script = "SELECT 1;\nSELECT 2 FROM t;\nSELECT 3";
    editor.setSql(script);
    editor.view.dispatch({ selection: { anchor: script.indexOf("2") } });
    expect(editor.runText("statement")).toBe("SELECT 2 FROM t");
    expect(editor.runText("script")).toBe(script);
    editor.view.dispatch({ selection: { anchor: 0, head: 6 } });
    expect(editor.runText("statement")).toBe("SELECT");
  });

  it("sends Ctrl+Enter and Ctrl+Shift+Enter as statement and script runs", () => {
    const content = document.querySelector(".cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, shiftKey: true, bubbles: true }));
    expect(runs).toEqual(["statement", "script"]);
  });

  it("gives Esc to the window first (a run to cancel), else collapses the selection", () => {
    const content = document.querySelector(".cm-content") as HTMLElement;
    const esc = () => content.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    editor.setSql("SELECT 1 FROM t");
    editor.view.dispatch({ selection: { anchor: 0, head: 8 } });
    cancelling = true;
    esc();
    expect(escapes).toBe(1);
    // The key was used to cancel: the selection stays as it was.
    expect(editor.view.state.selection.main.empty).toBe(false);
    cancelling = false;
    esc();
    expect(escapes).toBe(2);
    expect(editor.view.state.selection.main.empty).toBe(true);
  });

  it("leaves Esc to an open completion list", async () => {
    cancelling = true;
    expect(await completionsAfter("SELECT LOG")).toContain("LOG10");
    const content = document.querySelector(".cm-content") as HTMLElement;
    content.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(escapes).toBe(0);
    expect(currentCompletions(editor.view.state)).toEqual([]);
  });

  it("jumps to a range, clamped to the text", () => {
    editor.setSql("SELECT email FROM t");
    editor.jump(7, 12);
    const { from, to } = editor.view.state.selection.main;
    expect(editor.view.state.sliceDoc(from, to)).toBe("email");
    editor.jump(500, 900);
    expect(editor.view.state.selection.main.to).toBe(19);
  });

  it("swaps whole states, one per tab, each with its own text and cursor", () => {
    editor.setSql("SELECT 1");
    const second = editor.createState("SELECT 2");
    const first = editor.swap(second);
    expect(editor.getSql()).toBe("SELECT 2");
    expect(editor.view.state.selection.main.head).toBe(8);
    editor.swap(first);
    expect(editor.getSql()).toBe("SELECT 1");
  });
});
