// The "Export" dialog of a tab's result: the format and the file to write. The backend writes
// the whole result (not the page shown) from its result store, atomically, and records the
// export in the audit journal; CSV cells that start like a spreadsheet formula get a leading
// apostrophe. "Choose…" opens the system's Save dialog (the backend opens it; the window holds
// no file permission); the path can also be typed. Either way it must be absolute, and the
// backend checks it.

import type { ExportDone, ExportFormat } from "./api";
import { describeError } from "./errors";
import { field, Modal, node, plainInput } from "./modal";

export interface ExportHooks {
  /** Writes the result; rejects with the backend's error. */
  write: (path: string, format: ExportFormat) => Promise<ExportDone>;
  /** Called once the file is written. */
  done: (done: ExportDone) => void;
  /** The system's Save dialog, starting from what is typed; null when it was closed. */
  choose: (format: ExportFormat, typed: string) => Promise<string | null>;
}

/** Puts the format's extension on `path` when it has none, so the file opens in the right app. */
export function withExtension(path: string, format: ExportFormat): string {
  const trimmed = path.trim();
  if (trimmed === "" || /\.[A-Za-z0-9]{1,5}$/.test(trimmed.split(/[\\/]/).pop() ?? "")) return trimmed;
  return `${trimmed}.${format}`;
}

/**
 * The path with the other format's extension (`.csv`, `.json`) changed to `format`'s, for a
 * format changed after the path was picked; any other path as it is.
 */
export function switchExtension(path: string, format: ExportFormat): string {
  const other = format === "csv" ? "json" : "csv";
  const match = new RegExp(`\\.${other}$`, "i").exec(path.trimEnd());
  return match ? `${path.trimEnd().slice(0, match.index)}.${format}` : path;
}

/** What the user is told once the file is there. */
export function exportedText(done: ExportDone): string {
  return `Exported ${done.rows.toLocaleString("en-US")} row${done.rows === 1 ? "" : "s"} to ${done.path}`;
}

export class ExportDialog {
  readonly dialog: HTMLElement;
  readonly format: HTMLSelectElement;
  readonly path: HTMLInputElement;
  readonly error: HTMLElement;
  readonly submit: HTMLButtonElement;
  readonly choose: HTMLButtonElement;
  private readonly modal: Modal;
  private busy = false;

  constructor(
    host: HTMLElement,
    rowCount: number,
    private readonly hooks: ExportHooks,
    suggestion = "",
  ) {
    this.modal = new Modal(
      {
        prefix: "export",
        title: "Export result",
        text: `All ${rowCount.toLocaleString("en-US")} row${rowCount === 1 ? "" : "s"} of this result, not only the rows shown. The export is recorded in the audit journal (the number of rows and a hash of the path, never the data).`,
        submit: "Export",
      },
      () => void this.send(),
    );
    this.dialog = this.modal.dialog;
    this.error = this.modal.error;
    this.submit = this.modal.submit;

    this.format = node("select", { id: "export-format", className: "dialog-input" });
    for (const [value, label] of [
      ["csv", "CSV (spreadsheets)"],
      ["json", "JSON"],
    ] as const) {
      const choice = node("option", { text: label });
      choice.value = value;
      this.format.append(choice);
    }
    this.path = plainInput("export-path", "/home/you/result.csv");
    this.path.value = suggestion;
    // A path picked for CSV, then JSON chosen: the file is named for what it will hold.
    this.format.addEventListener("change", () => {
      this.path.value = switchExtension(this.path.value, this.currentFormat());
    });
    this.choose = node("button", { id: "export-choose", className: "tool-button", text: "Choose…" });
    this.choose.type = "button";
    this.choose.setAttribute("aria-label", "Choose the file in a Save dialog");
    this.choose.addEventListener("click", () => void this.pick());
    this.modal.open(
      host,
      [field("Format", this.format), field("File", this.path, "(full path; an existing file is replaced)", this.choose)],
      this.path,
    );
  }

  private currentFormat(): ExportFormat {
    return this.format.value === "json" ? "json" : "csv";
  }

  /** The Save dialog: its answer replaces the typed path; closing it keeps what was there. */
  async pick(): Promise<void> {
    if (this.busy || !this.modal.isOpen) return;
    this.choose.disabled = true;
    try {
      const picked = await this.hooks.choose(this.currentFormat(), this.path.value);
      if (picked !== null && this.modal.isOpen) {
        this.path.value = picked;
        this.path.removeAttribute("aria-invalid");
        this.showError(null);
        this.submit.focus();
      }
    } catch (error) {
      this.showError(describeError(error));
    } finally {
      this.choose.disabled = false;
    }
  }

  get isOpen(): boolean {
    return this.modal.isOpen;
  }

  close(): void {
    this.modal.close();
  }

  private showError(message: string | null): void {
    this.modal.showError(message);
  }

  async send(): Promise<void> {
    if (this.busy || !this.modal.isOpen) return;
    const format = this.currentFormat();
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
