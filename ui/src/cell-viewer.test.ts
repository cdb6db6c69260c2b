import { describe, expect, it, vi } from "vitest";
import { expandedText, showValue } from "./cell-viewer";

describe("a cell's whole value", () => {
  it("lays JSON out, keeps other text, and says NULL in words", () => {
    expect(expandedText('{"a":1,"b":[true,null]}')).toBe('{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}');
    expect(expandedText("[not json")).toBe("[not json");
    expect(expandedText("a long line of text")).toBe("a long line of text");
    expect(expandedText(null)).toBe("NULL (no value)");
    expect(expandedText(42.5)).toBe("42.5");
  });

  it("opens as a dialog named after the column, copies, and closes with Esc", async () => {
    const copy = vi.fn(async () => undefined);
    const closed = showValue(document.body, "payload", '{"k":"v"}', copy);
    const dialog = document.getElementById("cell-viewer") as HTMLElement;
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(document.getElementById("cell-viewer-title")?.textContent).toBe("payload");
    expect(dialog.querySelector("pre")?.textContent).toBe('{\n  "k": "v"\n}');
    [...dialog.querySelectorAll("button")].find((b) => b.textContent === "Copy")?.click();
    expect(copy).toHaveBeenCalledWith('{"k":"v"}');
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await closed;
    expect(document.getElementById("cell-viewer")).toBeNull();
  });
});

describe("text of several lines", () => {
  it("is shown as laid out, its indentation kept", async () => {
    const plan = "Projection: count(*)\n  Aggregate: groupBy=[[]]\n    TableScan: sales.orders";
    expect(expandedText(plan)).toBe(plan);
    const closed = showValue(document.body, "plan", plan);
    const text = document.querySelector("#cell-viewer pre") as HTMLElement;
    expect(text.textContent).toBe(plan);
    expect(text.tabIndex).toBe(0);
    expect(text.getAttribute("role")).toBe("document");
    expect(text.getAttribute("aria-label")).toBe("Value of plan");
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await closed;
  });
});
