import { describe, expect, it, vi } from "vitest";
import { panelHead } from "./panel_head";

describe("panelHead", () => {
  it("puts the title first, as a heading, then a close button named for the panel", () => {
    const { head, title, close } = panelHead("History", "Close the history", () => {});
    expect(head.className).toBe("audit-head");
    expect([...head.children]).toEqual([title, close]);
    expect(title.tagName).toBe("H2");
    expect(title.className).toBe("panel-title");
    expect(title.textContent).toBe("History");
    expect(close.tagName).toBe("BUTTON");
    expect(close.type).toBe("button");
    expect(close.className).toBe("audit-close");
    expect(close.getAttribute("aria-label")).toBe("Close the history");
    // The cross is drawn by CSS: the name comes from the label alone.
    expect(close.textContent).toBe("");
  });

  it("calls back when the close button is clicked, and only then", () => {
    const onClose = vi.fn();
    const { head, close } = panelHead("Audit journal", "Close the audit panel", onClose);
    head.click();
    expect(onClose).not.toHaveBeenCalled();
    close.click();
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
