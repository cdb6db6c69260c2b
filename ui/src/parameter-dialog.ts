// The dialog Run opens for a text with `?` parameters: one input per `?`, in order, each
// checked as the user types by the backend (`check_parameter`, the same check the gate makes
// before the run), and the values it resolves with. The verdict shown before it holds whatever
// the values are; the gate checks them again, and lints the text with them in place, at Run.

import type { LintParameter } from "./api";
import { describeError } from "./errors";

export interface ParameterHooks {
  /** Why `value` cannot be parameter `number`'s, or null when it is one literal. */
  check: (number: number, value: string) => Promise<string | null>;
}

/** The input's label: its position, and the column it is compared with when the text says. */
export function parameterLabel(parameter: LintParameter): string {
  return parameter.column ? `Parameter ${parameter.number} (${parameter.column})` : `Parameter ${parameter.number}`;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, id: string, className: string, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (id) node.id = id;
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

export class ParameterDialog {
  readonly dialog: HTMLElement;
  readonly inputs: HTMLInputElement[] = [];
  readonly problems: HTMLElement[] = [];
  readonly submit: HTMLButtonElement;
  /** The values in order once Run is pressed and each is one literal; null when cancelled. */
  readonly values: Promise<string[] | null>;
  private resolve: (values: string[] | null) => void = () => {};
  private readonly overlay: HTMLElement;
  private closed = false;
  /** The newest check of each input: an older answer that arrives late is dropped. */
  private readonly asked: number[] = [];
  private readonly returnFocus: Element | null;
  private readonly onKey = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || this.closed) return;
    event.preventDefault();
    event.stopPropagation();
    this.close();
  };

  constructor(
    host: HTMLElement,
    parameters: LintParameter[],
    private readonly hooks: ParameterHooks,
    initial: string[] = [],
  ) {
    this.values = new Promise((resolve) => (this.resolve = resolve));
    this.returnFocus = document.activeElement;
    this.overlay = element("div", "", "dialog-backdrop");
    this.dialog = element("div", "parameter-dialog", "dialog");
    this.dialog.setAttribute("role", "dialog");
    this.dialog.setAttribute("aria-modal", "true");
    this.dialog.setAttribute("aria-labelledby", "parameter-title");
    const count = parameters.length;
    const title = element("h2", "parameter-title", "dialog-title", count === 1 ? "Query parameter" : "Query parameters");
    const text = element(
      "p",
      "parameter-text",
      "dialog-text",
      `The query has ${count} parameter${count === 1 ? "" : "s"} (?). Give each one literal: 'text' (with '' for a quote), 42, DATE '2024-01-31', TRUE. The verdict holds whatever the values are; they are checked again, in place, when the query runs.`,
    );
    this.dialog.setAttribute("aria-describedby", text.id);

    const form = element("form", "", "dialog-form");
    form.noValidate = true;
    parameters.forEach((parameter, index) => {
      const input = element("input", `parameter-${parameter.number}`, "dialog-input");
      input.type = "text";
      input.autocomplete = "off";
      input.spellcheck = false;
      input.value = initial[index] ?? "";
      const problem = element("p", `parameter-${parameter.number}-problem`, "dialog-error");
      problem.setAttribute("role", "alert");
      problem.hidden = true;
      input.setAttribute("aria-describedby", problem.id);
      const wrap = element("div", "", "dialog-field");
      const caption = element("label", "", "dialog-label", parameterLabel(parameter));
      caption.htmlFor = input.id;
      wrap.append(caption, input, problem);
      form.append(wrap);
      input.addEventListener("input", () => void this.validate(index));
      this.inputs.push(input);
      this.problems.push(problem);
      this.asked.push(0);
    });
    const cancel = element("button", "parameter-cancel", "dialog-button", "Cancel");
    cancel.type = "button";
    this.submit = element("button", "parameter-submit", "dialog-button is-primary", "Run");
    this.submit.type = "submit";
    const actions = element("div", "", "dialog-actions");
    actions.append(cancel, this.submit);
    form.append(actions);
    this.dialog.append(title, text, form);
    this.overlay.append(this.dialog);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    cancel.addEventListener("click", () => this.close());
    document.addEventListener("keydown", this.onKey, true);
    host.append(this.overlay);
    this.inputs[0]?.focus();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Checks input `index` with the backend and shows why it is refused; true when it is one literal. */
  async validate(index: number): Promise<boolean> {
    const input = this.inputs[index];
    const asked = ++this.asked[index];
    let problem: string | null;
    try {
      problem = await this.hooks.check(index + 1, input.value);
    } catch (error) {
      problem = describeError(error);
    }
    // A newer check of this input decides what it shows.
    if (asked !== this.asked[index] || this.closed) return problem === null;
    this.problems[index].textContent = problem ?? "";
    this.problems[index].hidden = problem === null;
    if (problem === null) input.removeAttribute("aria-invalid");
    else input.setAttribute("aria-invalid", "true");
    return problem === null;
  }

  /** Runs with the values when every one is one literal; otherwise focuses the first refused. */
  async send(): Promise<void> {
    if (this.closed) return;
    this.submit.disabled = true;
    try {
      const ok = await Promise.all(this.inputs.map((_, index) => this.validate(index)));
      if (this.closed) return;
      const first = ok.indexOf(false);
      if (first >= 0) {
        this.inputs[first].focus();
        return;
      }
      const values = this.inputs.map((input) => input.value.trim());
      this.finish(values);
    } finally {
      this.submit.disabled = false;
    }
  }

  close(): void {
    this.finish(null);
  }

  private finish(values: string[] | null): void {
    if (this.closed) return;
    this.closed = true;
    document.removeEventListener("keydown", this.onKey, true);
    this.overlay.remove();
    const back = this.returnFocus;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
    this.resolve(values);
  }
}
