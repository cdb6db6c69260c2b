import { afterEach, describe, expect, it, vi } from "vitest";
import * as api from "./api";
import fixtures from "./gen/fixtures.json";
import { FIXTURES, installMockBackend } from "./mock";
import { ParameterDialog, parameterLabel } from "./parameter-dialog";

afterEach(() => {
  document.body.replaceChildren();
});

const TWO: api.LintParameter[] = [
  { number: 1, column: "country", from: 10, to: 11 },
  { number: 2, column: null, from: 20, to: 21 },
];

/** The backend's answers as recorded (`check_parameter` in the fixtures; it trims values). */
const recorded = (_: number, typed: string): Promise<string | null> => {
  const answers = FIXTURES.check_parameter;
  const value = typed.trim();
  return value in answers ? Promise.resolve(answers[value]) : Promise.reject({ kind: "internal", message: `no answer for ${value}` });
};

describe("parameter labels", () => {
  it("name the position and the column compared with", () => {
    expect(parameterLabel(TWO[0])).toBe("Parameter 1 (country)");
    expect(parameterLabel(TWO[1])).toBe("Parameter 2");
  });
});

describe("the parameter dialog", () => {
  it("has one labelled input per ?, and runs with the values in order", async () => {
    const check = vi.fn(recorded);
    const dialog = new ParameterDialog(document.body, TWO, { check });
    expect(document.querySelector("#parameter-dialog")?.getAttribute("role")).toBe("dialog");
    expect(document.querySelector("#parameter-text")?.textContent).toContain("2 parameters");
    const labels = [...document.querySelectorAll<HTMLLabelElement>("#parameter-dialog label")].map((l) => [l.textContent, l.htmlFor]);
    expect(labels).toEqual([
      ["Parameter 1 (country)", "parameter-1"],
      ["Parameter 2", "parameter-2"],
    ]);
    expect(document.activeElement).toBe(dialog.inputs[0]);
    dialog.inputs[0].value = "'DE'";
    dialog.inputs[1].value = " 0 ";
    dialog.submit.click();
    await expect(dialog.values).resolves.toEqual(["'DE'", "0"]);
    expect(check.mock.calls).toEqual([
      [1, "'DE'"],
      [2, " 0 "],
    ]);
    expect(dialog.isOpen).toBe(false);
    expect(document.querySelector("#parameter-dialog")).toBeNull();
  });

  it("says as you type why a value is not one literal, and does not run until each is", async () => {
    const check = vi.fn(recorded);
    const dialog = new ParameterDialog(document.body, TWO, { check }, ["'DE'", ""]);
    expect(dialog.inputs[0].value).toBe("'DE'");
    dialog.inputs[1].value = "1 OR true";
    dialog.inputs[1].dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(dialog.problems[1].hidden).toBe(false));
    expect(dialog.problems[1].textContent).toBe(fixtures.check_parameter["1 OR true"]);
    expect(dialog.inputs[1].getAttribute("aria-invalid")).toBe("true");
    expect(dialog.problems[0].hidden).toBe(true);
    dialog.submit.click();
    await vi.waitFor(() => expect(document.activeElement).toBe(dialog.inputs[1]));
    expect(dialog.isOpen).toBe(true);
    dialog.inputs[1].value = "0";
    dialog.inputs[1].dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(dialog.problems[1].hidden).toBe(true));
    expect(dialog.inputs[1].hasAttribute("aria-invalid")).toBe(false);
    dialog.submit.click();
    await expect(dialog.values).resolves.toEqual(["'DE'", "0"]);
  });

  it("shows the newest answer when an older one arrives late", async () => {
    let release: (answer: string | null) => void = () => {};
    const check = vi.fn((_: number, value: string) =>
      value === "'slow" ? new Promise<string | null>((resolve) => (release = resolve)) : Promise.resolve(null),
    );
    const dialog = new ParameterDialog(document.body, TWO.slice(0, 1), { check });
    dialog.inputs[0].value = "'slow";
    const slow = dialog.validate(0);
    dialog.inputs[0].value = "'fast'";
    await dialog.validate(0);
    release("'slow opens a string it does not close");
    await slow;
    expect(dialog.problems[0].hidden).toBe(true);
  });

  it("resolves with nothing when cancelled or closed with Escape", async () => {
    const first = new ParameterDialog(document.body, TWO, { check: recorded });
    (document.querySelector("#parameter-cancel") as HTMLButtonElement).click();
    await expect(first.values).resolves.toBeNull();
    const second = new ParameterDialog(document.body, TWO, { check: recorded });
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await expect(second.values).resolves.toBeNull();
    expect(document.querySelector("#parameter-dialog")).toBeNull();
  });
});

describe("the mock backend's parameters", () => {
  it("answers checks and runs as the real backend recorded", async () => {
    installMockBackend(FIXTURES);
    await expect(api.checkParameter(1, "'DE'")).resolves.toBeNull();
    await expect(api.checkParameter(1, "'DE")).resolves.toBe(fixtures.check_parameter["'DE"]);
    const sql = fixtures.errors.run_parameters_refused.sql;
    await expect(api.lint(sql, "sales")).resolves.toMatchObject({ verdict: "allow", parameters: [{ number: 1, column: "country" }, { number: 2, column: "customer_id" }] });
    await expect(api.runQuery(sql, "sales", "r1", ["1 OR true", "0"])).rejects.toEqual(fixtures.errors.run_parameters_refused.error);
    await expect(api.runQuery(sql, "sales", "r2", ["'DE'", "0"])).resolves.toEqual(fixtures.run_query.result);
  });
});
