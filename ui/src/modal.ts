// The frame the window's form dialogs share: a backdrop; a role=dialog labelled by its title
// and described by its text; a form whose submit and Cancel are wired; Escape handled at the
// document, wherever focus is; focus given back to where it was when the dialog closes. Ids
// follow one pattern per dialog: `<prefix>-dialog`, `-title`, `-text`, `-error`, `-cancel`,
// `-submit`.

import { element } from "./dom";

/** A `tag` element with the given id, class and text. */
export function node<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { id?: string; className?: string; text?: string } = {},
): HTMLElementTagNameMap[K] {
  const made = element(tag, props.className ?? "", props.text);
  if (props.id) made.id = props.id;
  return made;
}

/** A labelled form field: `label` (with an optional `hint`) for `control`, then `after`. */
export function field(label: string, control: HTMLElement, hint = "", ...after: HTMLElement[]): HTMLElement {
  const wrap = node("div", { className: "dialog-field" });
  const caption = node("label", { className: "dialog-label", text: label });
  caption.htmlFor = control.id;
  if (hint) caption.append(" ", node("span", { className: "dialog-hint", text: hint }));
  wrap.append(caption, control, ...after);
  return wrap;
}

/** A text input that neither completes nor spell-checks (names, paths, SQL literals). */
export function plainInput(id: string, placeholder = ""): HTMLInputElement {
  const input = node("input", { id, className: "dialog-input" });
  input.type = "text";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.placeholder = placeholder;
  return input;
}

export interface ModalSpec {
  /** The ids' prefix. */
  prefix: string;
  title: string;
  text: string;
  /** The submit button's label. */
  submit: string;
}

export class Modal {
  readonly dialog: HTMLElement;
  readonly form: HTMLFormElement;
  readonly error: HTMLElement;
  readonly submit: HTMLButtonElement;
  readonly cancel: HTMLButtonElement;
  private readonly overlay: HTMLElement;
  private readonly returnFocus: Element | null;
  private closed = false;
  private readonly onKey = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || this.closed) return;
    event.preventDefault();
    event.stopPropagation();
    this.close();
  };

  /** `onSubmit` runs on submit; `onClose` once, however the dialog closes. */
  constructor(
    spec: ModalSpec,
    onSubmit: () => void,
    private readonly onClose: () => void = () => {},
  ) {
    this.returnFocus = document.activeElement;
    const { prefix } = spec;
    this.overlay = node("div", { className: "dialog-backdrop" });
    this.dialog = node("div", { id: `${prefix}-dialog`, className: "dialog" });
    this.dialog.setAttribute("role", "dialog");
    this.dialog.setAttribute("aria-modal", "true");
    this.dialog.setAttribute("aria-labelledby", `${prefix}-title`);
    this.dialog.setAttribute("aria-describedby", `${prefix}-text`);
    const title = node("h2", { id: `${prefix}-title`, className: "dialog-title", text: spec.title });
    const text = node("p", { id: `${prefix}-text`, className: "dialog-text", text: spec.text });
    this.error = node("p", { id: `${prefix}-error`, className: "dialog-error" });
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.cancel = node("button", { id: `${prefix}-cancel`, className: "dialog-button", text: "Cancel" });
    this.cancel.type = "button";
    this.submit = node("button", { id: `${prefix}-submit`, className: "dialog-button is-primary", text: spec.submit });
    this.submit.type = "submit";
    this.form = node("form", { className: "dialog-form" });
    this.form.noValidate = true;
    this.dialog.append(title, text, this.form);
    this.overlay.append(this.dialog);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      onSubmit();
    });
    this.cancel.addEventListener("click", () => this.close());
  }

  /** Puts `fields` in the form above the error and the buttons, shows it in `host`, focuses `focus`. */
  open(host: HTMLElement, fields: HTMLElement[], focus?: HTMLElement): void {
    const actions = node("div", { className: "dialog-actions" });
    actions.append(this.cancel, this.submit);
    this.form.append(...fields, this.error, actions);
    document.addEventListener("keydown", this.onKey, true);
    host.append(this.overlay);
    focus?.focus();
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
    this.onClose();
  }

  /** Shows `message` under the fields (null hides it); marks and focuses `field` when given. */
  showError(message: string | null, field?: HTMLElement): void {
    this.error.textContent = message ?? "";
    this.error.hidden = message === null;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }
}
