// The CodeMirror 6 SQL editor: Athena dialect, schema completion, live lint
// through the Rust linter, and Ctrl/Cmd+Enter to run.
import { completionStatus, type Completion, type CompletionContext, type CompletionResult, type CompletionSource } from "@codemirror/autocomplete";
import { keywordCompletionSource, schemaCompletionSource } from "@codemirror/lang-sql";
import { HighlightStyle, LanguageSupport, syntaxHighlighting } from "@codemirror/language";
import { forceLinting, linter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState, Prec, StateEffect, type Extension } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { basicSetup } from "codemirror";
import type { Catalog, LintReport } from "./api";
import { completionSchema, tableCompletions } from "./completion";
import { AthenaSQL } from "./dialect";
import { clampRange, toEditorDiagnostics } from "./diagnostics";
import { statementAt } from "./statements";

/** From the last key to the lint request: short enough that the underline follows typing. */
export const LINT_DELAY_MS = 75;

export interface EditorOptions {
  parent: HTMLElement;
  doc?: string;
  /** Lints `sql`; resolves to null when there is nothing to show. */
  check: (sql: string) => Promise<LintReport | null>;
  onChange: (sql: string) => void;
  /** Ctrl/Cmd+Enter runs the statement (or the selection), Ctrl/Cmd+Shift+Enter the script. */
  onRun: (scope: RunScope) => void;
  /** Shift+Alt+F: lay the text out. */
  onFormat?: () => void;
  /**
   * Esc in the editor, asked before the editor's own use of the key (collapsing a selection,
   * closing the search panel): true when it used the key (it cancelled a run). An open
   * completion list keeps its Esc.
   */
  onEscape?: () => boolean;
}

export type RunScope = "statement" | "script";

export interface SqlEditor {
  readonly view: EditorView;
  getSql(): string;
  setSql(text: string): void;
  insert(text: string): void;
  setCatalog(catalog: Catalog, defaultDatabase: string | null): void;
  /** Lints the current text again now (the policy changed), without waiting for an edit. */
  relint(): void;
  /** Underlines `report`'s diagnostics in place of the last lint's, for the current text. */
  showDiagnostics(report: LintReport): void;
  /** Selects `[from, to)` (clamped to the text), scrolls it into view and focuses the editor. */
  jump(from: number, to: number): void;
  /** The text a run of `scope` sends: the selection, else the statement at the cursor, or all. */
  runText(scope: RunScope): string;
  /** A fresh editor state (one per tab) holding `doc`, the cursor at its end. */
  createState(doc: string): EditorState;
  /** Shows `state` in the editor (another tab) and returns the one it replaces. */
  swap(state: EditorState): EditorState;
}

/** Asks the linter to run again although the document did not change. */
const relintEffect = StateEffect.define<null>();

// Colours come from CSS variables so the page's light and dark schemes
// both apply without a second theme.
const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.operatorKeyword], color: "var(--syntax-keyword)", fontWeight: "600" },
  { tag: [tags.typeName, tags.standard(tags.name)], color: "var(--syntax-type)" },
  { tag: tags.string, color: "var(--syntax-string)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--syntax-number)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "var(--syntax-comment)", fontStyle: "italic" },
  // lang-sql tags "quoted identifiers" as special(string).
  { tag: [tags.special(tags.string), tags.special(tags.name)], color: "var(--syntax-name)" },
  { tag: [tags.operator, tags.punctuation, tags.paren, tags.brace, tags.squareBracket], color: "var(--syntax-punctuation)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", backgroundColor: "var(--surface)", color: "var(--text)" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", fontSize: "13px", lineHeight: "1.55" },
  ".cm-content": { caretColor: "var(--accent)", padding: "8px 0" },
  ".cm-gutters": { backgroundColor: "var(--surface)", color: "var(--text-faint)", border: "none" },
  ".cm-activeLine": { backgroundColor: "var(--active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--active-line)", color: "var(--text-muted)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--accent)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground": {
    backgroundColor: "var(--selection)",
  },
  ".cm-tooltip": {
    backgroundColor: "var(--surface-raised)",
    color: "var(--text)",
    border: "1px solid var(--border)",
    borderRadius: "6px",
    boxShadow: "var(--shadow)",
  },
  ".cm-tooltip-lint": { maxWidth: "480px" },
  ".cm-diagnostic": { padding: "6px 10px", fontFamily: "var(--font-ui)", fontSize: "12.5px" },
  ".cm-diagnosticSource": { color: "var(--text-muted)", fontSize: "11px" },
  ".cm-diagnosticAction": {
    backgroundColor: "var(--accent)",
    color: "var(--on-accent)",
    borderRadius: "4px",
    padding: "2px 8px",
  },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": {
    backgroundColor: "var(--accent-soft)",
    color: "var(--text)",
  },
  ".cm-completionDetail": { color: "var(--text-muted)", fontStyle: "normal", marginLeft: "1em" },
  ".cm-panels": { backgroundColor: "var(--surface-raised)", color: "var(--text)" },
  ".cm-placeholder": { color: "var(--text-faint)" },
});

/**
 * Silences `source` on a numeric literal: `LIMIT 10` must not offer `LOG10`. Unquoted names
 * never start with a digit, so a word that does is a number.
 */
export function notOnNumbers(source: CompletionSource): CompletionSource {
  return (context: CompletionContext) => {
    const word = context.matchBefore(/[\w$.]+/);
    if (word && /^\.?[0-9]/.test(word.text)) return null;
    return source(context);
  };
}

/**
 * Offers qualified table names (`sales.orders`) for the word before the
 * cursor; lang-sql itself completes `sales.` members and keywords.
 */
export function tableSource(tables: readonly Completion[]) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/[\w$]+/);
    if (!word) return null;
    const before = word.from > 0 ? context.state.sliceDoc(word.from - 1, word.from) : "";
    if (before === "." || before === '"') return null;
    return { from: word.from, options: tables, validFor: /^[\w$]*$/ };
  };
}

function languageFor(catalog: Catalog | null, defaultDatabase: string | null): Extension {
  const data = AthenaSQL.language.data;
  const sources: CompletionSource[] = [keywordCompletionSource(AthenaSQL, true)];
  if (catalog) {
    sources.push(
      schemaCompletionSource({
        dialect: AthenaSQL,
        schema: completionSchema(catalog),
        defaultSchema: defaultDatabase ?? undefined,
      }),
      tableSource(tableCompletions(catalog)),
    );
  }
  // What `sql()` registers, each source kept quiet on numbers.
  return new LanguageSupport(
    AthenaSQL.language,
    sources.map((source) => data.of({ autocomplete: notOnNumbers(source) })),
  );
}

/**
 * A first query that succeeds on the demo workspace: the fixtures' allowed query, which the
 * real backend answered `allow` (ui/src/gen/fixtures.json, `run_query.sql`). `SELECT *` on the
 * demo reads restricted columns and is denied, a poor first experience.
 */
export const EXAMPLE_QUERY =
  "SELECT country, count(*) AS customers FROM sales.customers GROUP BY country ORDER BY customers DESC";
const PLACEHOLDER = `Write a query, for example: ${EXAMPLE_QUERY}`;

export function createEditor(options: EditorOptions): SqlEditor {
  const language = new Compartment();
  const runKeys = Prec.highest(
    keymap.of([
      {
        key: "Mod-Enter",
        run: () => {
          options.onRun("statement");
          return true;
        },
      },
      {
        key: "Shift-Mod-Enter",
        run: () => {
          options.onRun("script");
          return true;
        },
      },
      {
        key: "Shift-Alt-f",
        run: () => {
          options.onFormat?.();
          return true;
        },
      },
      {
        key: "Escape",
        run: (view) => completionStatus(view.state) !== "active" && (options.onEscape?.() ?? false),
      },
    ]),
  );
  const lint = linter(
    async (view) => {
      const text = view.state.doc.toString();
      const report = await options.check(text);
      return report ? toEditorDiagnostics(report.diagnostics ?? [], text) : [];
    },
    {
      delay: LINT_DELAY_MS,
      needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((effect) => effect.is(relintEffect))),
    },
  );

  const extensions: Extension[] = [
    runKeys,
    basicSetup,
    language.of(languageFor(null, null)),
    syntaxHighlighting(highlight),
    theme,
    lint,
    placeholder(PLACEHOLDER),
    EditorView.contentAttributes.of({ "aria-label": "SQL editor", spellcheck: "false" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) options.onChange(update.state.doc.toString());
    }),
  ];
  const createState = (doc: string) => EditorState.create({ doc, extensions, selection: { anchor: doc.length } });
  const view = new EditorView({ parent: options.parent, state: createState(options.doc ?? "") });

  return {
    view,
    getSql: () => view.state.doc.toString(),
    setSql(text: string) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        selection: { anchor: text.length },
      });
    },
    insert(text: string) {
      const { from, to } = view.state.selection.main;
      const before = from > 0 ? view.state.sliceDoc(from - 1, from) : "";
      const insert = before && !/[\s(.,]/.test(before) ? ` ${text}` : text;
      view.dispatch({
        changes: { from, to, insert },
        selection: { anchor: from + insert.length },
        scrollIntoView: true,
        userEvent: "input",
      });
      view.focus();
    },
    setCatalog(catalog: Catalog, defaultDatabase: string | null) {
      view.dispatch({ effects: language.reconfigure(languageFor(catalog, defaultDatabase)) });
    },
    relint() {
      view.dispatch({ effects: relintEffect.of(null) });
      forceLinting(view);
    },
    showDiagnostics(report: LintReport) {
      const text = view.state.doc.toString();
      view.dispatch(setDiagnostics(view.state, toEditorDiagnostics(report.diagnostics ?? [], text)));
    },
    jump(from: number, to: number) {
      const range = clampRange(view.state.doc.toString(), from, to);
      view.dispatch({ selection: { anchor: range.from, head: range.to }, scrollIntoView: true });
      view.focus();
    },
    runText(scope: RunScope) {
      const text = view.state.doc.toString();
      if (scope === "script") return text;
      const { from, to, head } = view.state.selection.main;
      if (from !== to) return text.slice(from, to);
      const span = statementAt(text, head);
      return span ? text.slice(span.from, span.to) : "";
    },
    createState,
    swap(state: EditorState) {
      const previous = view.state;
      view.setState(state);
      return previous;
    },
  };
}
