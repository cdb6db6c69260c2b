// The whole value of one result cell, for text the grid cuts off and JSON kept on one line: a
// dialog opened by double-clicking the cell, with JSON laid out, Copy and Close (Esc).
import type { CellValue } from "./api";
import { element } from "./dom";

/** The text shown for `value`: JSON objects and arrays laid out, NULL said in words. */
export function expandedText(value: CellValue): string {
  if (value === null) return "NULL (no value)";
  if (typeof value !== "string") return String(value);
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.stringify(JSON.parse(trimmed), null, 2);
    } catch {
      return value;
    }
  }
  return value;
}

/** Opens the viewer over `host`; resolves when it closes. */
export function showValue(host: HTMLElement, column: string, value: CellValue, copy?: (text: string) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const overlay = element("div", "dialog-backdrop");
    const dialog = element("div", "dialog cell-viewer");
    dialog.id = "cell-viewer";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "cell-viewer-title");
    const title = element("h2", "dialog-title", column === "" ? "Value" : column);
    title.id = "cell-viewer-title";
    const text = element("pre", "cell-viewer-text", expandedText(value));
    // Focusable so a long value scrolls by keyboard; named, as a document read in the dialog.
    text.tabIndex = 0;
    text.setAttribute("role", "document");
    text.setAttribute("aria-label", `Value of ${column === "" ? "the cell" : column}`);
    const actions = element("div", "dialog-actions");
    const close = element("button", "dialog-button is-primary", "Close");
    close.type = "button";
    const done = () => {
      document.removeEventListener("keydown", onKey, true);
      overlay.remove();
      resolve();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      event.stopPropagation();
      done();
    };
    if (copy && value !== null) {
      const copyButton = element("button", "dialog-button", "Copy");
      copyButton.type = "button";
      copyButton.addEventListener("click", () => void copy(typeof value === "string" ? value : String(value)));
      actions.append(copyButton);
    }
    actions.append(close);
    close.addEventListener("click", done);
    document.addEventListener("keydown", onKey, true);
    dialog.append(title, text, actions);
    overlay.append(dialog);
    host.append(overlay);
    close.focus();
  });
}
