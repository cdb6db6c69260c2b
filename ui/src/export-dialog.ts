// The "Export" dialog of a tab's result: the format and the file to write. The backend writes
// the whole result (not the page shown) from its result store, atomically, and records the
// export in the audit journal; CSV cells that start like a spreadsheet formula get a leading
// apostrophe. There is no native file picker (it would need a new Tauri plugin): the path is
// typed, absolute, and checked by the backend.

import type { ExportDone, ExportFormat } from "./api";
import { describeError } from "./errors";

export interface ExportHooks {
  /** Writes the result; rejects with the backend's error. */
  write: (path: string, format: ExportFormat) => Promise<ExportDone>;
  /** Called once the file is written. */
  done: (done: ExportDone) => void;
}

/** Puts the format's extension on `path` when it has none, so the file opens in the right app. */
export function withExtension(path: string, format: ExportFormat): string {
  const trimmed = path.trim();
  if (trimmed === "" || /\.[A-Za-z0-9]{1,5}$/.test(trimmed.split(/[\\/]/).pop() ?? "")) return trimmed;
  return `${trimmed}.${format}`;
}

/** What the user is told once the file is there. */
export function exportedText(done: ExportDone): string {
  return `Exported ${done.rows.toLocaleString("en-US")} row${done.rows === 1 ? "" : "s"} to ${done.path}`;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, id: string, className: string, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (id) node.id = id;
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

export class ExportDialog {
  readonly dialog: HTMLElement;
  readonly format: HTMLSelectElement;
  readonly path: HTMLInputElement;
  readonly error: HTMLElement;
  readonly submit: HTMLButtonElement;
  private readonly overlay: HTMLElement;
  private closed = false;
  private busy = false;
  private readonly returnFocus: Element | null;
  private readonly onKey = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || this.closed) return;
    event.preventDefault();
    event.stopPropagation();
    this.close();
  };

  constructor(
    host: HTMLElement,
    rowCount: number,
    private readonly hooks: ExportHooks,
    suggestion = "",
  ) {
    this.returnFocus = document.activeElement;
    this.overlay = element("div", "", "dialog-backdrop");
    this.dialog = element("div", "export-dialog", "dialog");
    this.dialog.setAttribute("role", "dialog");
    this.dialog.setAttribute("aria-modal", "true");
    this.dialog.setAttribute("aria-labelledby", "export-title");
    const title = element("h2", "export-title", "dialog-title", "Export result");
    const text = element(
      "p",
      "export-text",
      "dialog-text",
      `All ${rowCount.toLocaleString("en-US")} row${rowCount === 1 ? "" : "s"} of this result, not only the rows shown. The export is recorded in the audit journal (the number of rows and a hash of the path, never the data).`,
    );
    this.dialog.setAttribute("aria-describedby", text.id);

    this.format = element("select", "export-format", "dialog-input");
    for (const [value, label] of [
      ["csv", "CSV (spreadsheets)"],
      ["json", "JSON"],
    ] as const) {
      const choice = element("option", "", "", label);
      choice.value = value;
      this.format.append(choice);
    }
    this.path = element("input", "export-path", "dialog-input");
    this.path.type = "text";
    this.path.autocomplete = "off";
    this.path.spellcheck = false;
    this.path.placeholder = "/home/you/result.csv";
    this.path.value = suggestion;

    const field = (label: string, control: HTMLElement, hint = "") => {
      const wrap = element("div", "", "dialog-field");
      const caption = element("label", "", "dialog-label", label);
      caption.htmlFor = control.id;
      if (hint) caption.append(" ", element("span", "", "dialog-hint", hint));
      wrap.append(caption, control);
      return wrap;
    };

    this.error = element("p", "export-error", "dialog-error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    const cancel = element("button", "export-cancel", "dialog-button", "Cancel");
    cancel.type = "button";
    this.submit = element("button", "export-submit", "dialog-button is-primary", "Export");
    this.submit.type = "submit";
    const actions = element("div", "", "dialog-actions");
    actions.append(cancel, this.submit);
    const form = element("form", "", "dialog-form");
    form.noValidate = true;
    form.append(field("Format", this.format), field("File", this.path, "(full path; an existing file is replaced)"), this.error, actions);
    this.dialog.append(title, text, form);
    this.overlay.append(this.dialog);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    cancel.addEventListener("click", () => this.close());
    document.addEventListener("keydown", this.onKey, true);
    host.append(this.overlay);
    this.path.focus();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    document.removeEventListener("keydown", this.onKey, true);
    this.overlay.remove();
    const back = this.returnFocus;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
  }

  private showError(message: string | null): void {
    this.error.textContent = message ?? "";
    this.error.hidden = message === null;
  }

  async send(): Promise<void> {
    if (this.busy || this.closed) return;
    const format = this.format.value === "json" ? "json" : "csv";
    const path = withExtension(this.path.value, format);
    if (path === "") {
      this.showError("Give the full path of the file to write.");
      this.path.setAttribute("aria-invalid", "true");
      this.path.focus();
      return;
    }
    this.path.removeAttribute("aria-invalid");
    this.showError(null);
    this.busy = true;
    this.submit.disabled = true;
    this.submit.textContent = "Exporting…";
    try {
      const done = await this.hooks.write(path, format);
      this.hooks.done(done);
      this.close();
    } catch (error) {
      this.showError(describeError(error));
    } finally {
      this.busy = false;
      this.submit.disabled = false;
      this.submit.textContent = "Export";
    }
  }
}
