// The Problems list under the editor: every diagnostic of the current text with its rule and
// position, so a finding the verdict line does not name is still in sight. A row is a button:
// clicking it (or Enter) puts the cursor on the finding.
import type { LintDiagnostic } from "./api";
import { messageOf } from "./diagnostics";

const SEVERITY_ORDER: Record<string, number> = { error: 0, warning: 1, info: 2 };

const SEVERITY_LABEL: Record<string, string> = { error: "Error", warning: "Warning", info: "Info" };

/** Errors first, then warnings, then notes; by position within each. */
export function sortProblems(diagnostics: readonly LintDiagnostic[]): LintDiagnostic[] {
  const rank = (d: LintDiagnostic) => SEVERITY_ORDER[d.severity] ?? 0;
  return [...diagnostics].sort((a, b) => rank(a) - rank(b) || a.from - b.from);
}

/** "3 problems", "1 problem", "No problems". */
export function problemsTitle(count: number): string {
  if (count === 0) return "No problems";
  return count === 1 ? "1 problem" : `${count} problems`;
}

export interface ProblemsView {
  /** The heading ("Problems · 2"). */
  readonly count: HTMLElement;
  readonly list: HTMLElement;
}

/**
 * Shows `diagnostics` (null: the text is being checked, the rows stay dimmed; an empty text
 * shows nothing). `jump` receives the diagnostic's UTF-16 offset.
 */
export function renderProblems(
  view: ProblemsView,
  diagnostics: readonly LintDiagnostic[] | null,
  jump: (from: number, to: number) => void,
): void {
  if (diagnostics === null) {
    view.list.classList.add("is-stale");
    return;
  }
  view.list.classList.remove("is-stale");
  const sorted = sortProblems(diagnostics);
  view.count.textContent = problemsTitle(sorted.length);
  view.list.replaceChildren(
    ...sorted.map((diagnostic) => {
      const severity = SEVERITY_ORDER[diagnostic.severity] === undefined ? "error" : diagnostic.severity;
      const item = document.createElement("li");
      const row = document.createElement("button");
      row.type = "button";
      row.className = `problem is-${severity}`;
      row.dataset.rule = diagnostic.rule;
      row.dataset.severity = severity;
      const position = `${diagnostic.line}:${diagnostic.column}`;
      const icon = document.createElement("span");
      icon.className = "problem-severity";
      icon.textContent = SEVERITY_LABEL[severity];
      const message = document.createElement("span");
      message.className = "problem-message";
      message.textContent = messageOf(diagnostic);
      const rule = document.createElement("span");
      rule.className = "problem-rule";
      rule.textContent = diagnostic.rule;
      const at = document.createElement("span");
      at.className = "problem-position";
      at.textContent = position;
      row.append(icon, message, rule, at);
      row.setAttribute(
        "aria-label",
        `${SEVERITY_LABEL[severity]} ${diagnostic.rule} at line ${diagnostic.line}, column ${diagnostic.column}: ${messageOf(diagnostic)}`,
      );
      row.addEventListener("click", () => jump(diagnostic.from, diagnostic.to));
      item.append(row);
      return item;
    }),
  );
}
