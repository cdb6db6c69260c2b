// Maps lint diagnostics from Rust onto CodeMirror diagnostics. Offsets are
// UTF-16 code units (CodeMirror's unit); they are still clamped to the text
// and kept off the middle of a surrogate pair, because a stale or wrong
// range must never throw inside the editor.
import type { Action, Diagnostic } from "@codemirror/lint";
import type { EditorView } from "@codemirror/view";
import type { Fix, LintDiagnostic, Severity } from "./api";

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function splitsPair(text: string, pos: number): boolean {
  return (
    pos > 0 &&
    pos < text.length &&
    isHighSurrogate(text.charCodeAt(pos - 1)) &&
    isLowSurrogate(text.charCodeAt(pos))
  );
}

/**
 * Clamps `pos` into `[0, text.length]`. A position inside a surrogate pair
 * moves to the pair's start (`side` -1) or end (`side` 1).
 */
export function clampOffset(text: string, pos: number, side: -1 | 1): number {
  const whole = Number.isFinite(pos) ? Math.trunc(pos) : 0;
  const clamped = Math.min(Math.max(whole, 0), text.length);
  if (!splitsPair(text, clamped)) return clamped;
  return side < 0 ? clamped - 1 : clamped + 1;
}

/** Length in UTF-16 units of the character that starts at `pos`. */
function charLength(text: string, pos: number): number {
  return isHighSurrogate(text.charCodeAt(pos)) && isLowSurrogate(text.charCodeAt(pos + 1)) ? 2 : 1;
}

/**
 * A safe `[from, to)` range in `text`. Empty ranges widen to one character
 * so they are underlined like any other (the end of the text widens
 * backwards over the last character).
 */
export function clampRange(text: string, from: number, to: number): { from: number; to: number } {
  let start = clampOffset(text, Math.min(from, to), -1);
  let end = clampOffset(text, Math.max(from, to), 1);
  if (start === end && text.length > 0) {
    if (start < text.length) {
      end = start + charLength(text, start);
    } else {
      start = clampOffset(text, text.length - 1, -1);
    }
  }
  return { from: start, to: end };
}

function severityOf(value: Severity | string): Diagnostic["severity"] {
  // Anything unknown is shown as an error: the UI never downplays a finding.
  return value === "warning" || value === "info" ? value : "error";
}

/**
 * `text` as a sentence of its own: a closing full stop, and a capital first letter unless the
 * first word is a name (`sales.orders` stays as written), so two messages put side by side
 * never run together.
 */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  const plainWord = /^[a-z]+(?=[\s,:;]|$)/.test(trimmed);
  const capital = plainWord ? trimmed.charAt(0).toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** The message with the elevations that lift it, each its own sentence. */
export function messageOf(diagnostic: LintDiagnostic): string {
  const unlockedBy = diagnostic.unlockedBy ?? [];
  const message = sentence(diagnostic.message);
  if (unlockedBy.length === 0) return message;
  return `${message} Unlocked by elevation: ${unlockedBy.join(", ")}.`;
}

/**
 * The quick-fix action. The fix range is kept relative to the diagnostic,
 * so edits made elsewhere since linting move it along with the diagnostic.
 */
export function fixAction(fix: Fix, diagnosticFrom: number): Action {
  return {
    name: fix.title,
    apply(view: EditorView, from: number) {
      const text = view.state.doc.toString();
      const shift = from - diagnosticFrom;
      const start = clampOffset(text, Math.min(fix.from, fix.to) + shift, -1);
      const end = clampOffset(text, Math.max(fix.from, fix.to) + shift, 1);
      view.dispatch({
        changes: { from: start, to: end, insert: fix.insert },
        selection: { anchor: start + fix.insert.length },
        userEvent: "input.fix",
      });
    },
  };
}

export function toEditorDiagnostic(diagnostic: LintDiagnostic, text: string): Diagnostic {
  const range = clampRange(text, diagnostic.from, diagnostic.to);
  const result: Diagnostic = {
    from: range.from,
    to: range.to,
    severity: severityOf(diagnostic.severity),
    message: messageOf(diagnostic),
    source: diagnostic.rule,
  };
  if (diagnostic.fix) result.actions = [fixAction(diagnostic.fix, range.from)];
  return result;
}

export function toEditorDiagnostics(diagnostics: readonly LintDiagnostic[], text: string): Diagnostic[] {
  return diagnostics.map((diagnostic) => toEditorDiagnostic(diagnostic, text));
}
