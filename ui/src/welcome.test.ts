import { describe, expect, it, vi } from "vitest";
import { DEMO_QUERIES } from "./gen/demoQueries";
import { renderWelcome } from "./welcome";

describe("the welcome panel", () => {
  it("offers one allowed, one elevated and one denied query, each opened in the editor", () => {
    const open = vi.fn();
    const panel = renderWelcome({ open, closed: vi.fn(), addWorkspace: vi.fn() });
    document.body.append(panel);
    const items = [...panel.querySelectorAll<HTMLElement>(".welcome-query")];
    expect(items.map((i) => i.dataset.verdict)).toEqual(["allow", "elevate", "deny"]);
    expect(items.map((i) => i.querySelector(".welcome-verdict")?.textContent)).toEqual([
      "Allowed",
      "Needs an elevation",
      "Denied",
    ]);
    const buttons = [...panel.querySelectorAll<HTMLButtonElement>(".welcome-open")];
    expect(buttons.map((b) => b.getAttribute("aria-label"))).toEqual(
      DEMO_QUERIES.map((q) => `Open “${q.title}” in the editor`),
    );
    buttons[1].click();
    expect(open).toHaveBeenCalledWith(DEMO_QUERIES[1].sql);
    expect(DEMO_QUERIES[1].sql).toContain("email");
    panel.remove();
  });

  it("says how to use an AWS account and opens the form for one", () => {
    const addWorkspace = vi.fn();
    const panel = renderWelcome({ open: vi.fn(), closed: vi.fn(), addWorkspace });
    const text = panel.textContent ?? "";
    expect(text).toContain("Add a workspace for your AWS account");
    // What an installed package offers: the form and the command line, not a make target.
    expect(text).toContain("warden workspace add");
    const paragraphs = [...panel.querySelectorAll("p")].map((p) => p.textContent ?? "");
    const sandbox = paragraphs.filter((p) => p.includes("make sandbox"));
    expect(sandbox).toHaveLength(1);
    expect(sandbox[0]).toMatch(/^Working from a source checkout\?/);
    expect(paragraphs.find((p) => p.includes("Add a workspace"))).not.toContain("make sandbox");
    expect(panel.getAttribute("aria-labelledby")).toBe("welcome-title");
    panel.querySelector<HTMLButtonElement>("#welcome-add-workspace")?.click();
    expect(addWorkspace).toHaveBeenCalledOnce();
  });

  it("goes away when closed and says so", () => {
    const closed = vi.fn();
    const panel = renderWelcome({ open: vi.fn(), closed, addWorkspace: vi.fn() });
    document.body.append(panel);
    panel.querySelector<HTMLButtonElement>(".welcome-close")?.click();
    expect(document.getElementById("welcome")).toBeNull();
    expect(closed).toHaveBeenCalledOnce();
  });
});
