// The dialog Run opens for a text with `?` parameters: one input per `?`, in order, each
// checked as the user types by the backend (`check_parameter`, the same check the gate makes
// before the run), and the values it resolves with. The verdict shown before it holds whatever
// the values are; the gate checks them again, and lints the text with them in place, at Run.

import type { LintParameter } from "./api";
import { describeError } from "./errors";
import { field, Modal, node, plainInput } from "./modal";

export interface ParameterHooks {
  /** Why `value` cannot be parameter `number`'s, or null when it is one literal. */
  check: (number: number, value: string) => Promise<string | null>;
}

/** The input's label: its position, and the column it is compared with when the text says. */
export function parameterLabel(parameter: LintParameter): string {
  return parameter.column ? `Parameter ${parameter.number} (${parameter.column})` : `Parameter ${parameter.number}`;
}

export class ParameterDialog {
  readonly dialog: HTMLElement;
  readonly inputs: HTMLInputElement[] = [];
  readonly problems: HTMLElement[] = [];
  readonly submit: HTMLButtonElement;
  /** The values in order once Run is pressed and each is one literal; null when cancelled. */
  readonly values: Promise<string[] | null>;
  private resolve: (values: string[] | null) => void = () => {};
  private result: string[] | null = null;
  private readonly modal: Modal;
  /** The newest check of each input: an older answer that arrives late is dropped. */
  private readonly asked: number[] = [];

  constructor(
    host: HTMLElement,
    parameters: LintParameter[],
    private readonly hooks: ParameterHooks,
    initial: string[] = [],
  ) {
    this.values = new Promise((resolve) => (this.resolve = resolve));
    const count = parameters.length;
    this.modal = new Modal(
      {
        prefix: "parameter",
        title: count === 1 ? "Query parameter" : "Query parameters",
        text: `The query has ${count} parameter${count === 1 ? "" : "s"} (?). Give each one literal: 'text' (with '' for a quote), 42, DATE '2024-01-31', TRUE. The verdict holds whatever the values are; they are checked again, in place, when the query runs.`,
        submit: "Run",
      },
      () => void this.send(),
      () => this.resolve(this.result),
    );
    this.dialog = this.modal.dialog;
    this.submit = this.modal.submit;

    const fields = parameters.map((parameter, index) => {
      const input = plainInput(`parameter-${parameter.number}`);
      input.value = initial[index] ?? "";
      const problem = node("p", { id: `parameter-${parameter.number}-problem`, className: "dialog-error" });
      problem.setAttribute("role", "alert");
      problem.hidden = true;
      input.setAttribute("aria-describedby", problem.id);
      input.addEventListener("input", () => void this.validate(index));
      this.inputs.push(input);
      this.problems.push(problem);
      this.asked.push(0);
      return field(parameterLabel(parameter), input, "", problem);
    });
    this.modal.open(host, fields, this.inputs[0]);
  }

  get isOpen(): boolean {
    return this.modal.isOpen;
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
    if (asked !== this.asked[index] || !this.modal.isOpen) return problem === null;
    this.problems[index].textContent = problem ?? "";
    this.problems[index].hidden = problem === null;
    if (problem === null) input.removeAttribute("aria-invalid");
    else input.setAttribute("aria-invalid", "true");
    return problem === null;
  }

  /** Runs with the values when every one is one literal; otherwise focuses the first refused. */
  async send(): Promise<void> {
    if (!this.modal.isOpen) return;
    this.submit.disabled = true;
    try {
      const ok = await Promise.all(this.inputs.map((_, index) => this.validate(index)));
      if (!this.modal.isOpen) return;
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
    this.modal.close();
  }

  private finish(values: string[]): void {
    this.result = values;
    this.modal.close();
  }
}
