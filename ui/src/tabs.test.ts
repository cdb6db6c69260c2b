import { beforeEach, describe, expect, it, vi } from "vitest";
import { loadTabs, nextTitle, readTabs, saveTabs, TabStrip, tabsKey } from "./tabs";

beforeEach(() => localStorage.clear());

describe("kept tabs", () => {
  it("keeps titles, texts, databases and the front tab per workspace", () => {
    const saved = {
      tabs: [
        { title: "Query 1", text: "SELECT 1", database: "sales" },
        { title: "Query 2", text: "SELECT 2", database: null },
      ],
      active: 1,
    };
    saveTabs(localStorage, "demo", saved);
    expect(loadTabs(localStorage, "demo")).toEqual(saved);
    expect(loadTabs(localStorage, "prod")).toBeNull();
  });

  it("reads what it can of a damaged entry and nothing of a broken one", () => {
    localStorage.setItem(tabsKey("demo"), JSON.stringify({ tabs: [{ text: "SELECT 1", database: 3 }, null, { title: "x" }], active: 9 }));
    expect(loadTabs(localStorage, "demo")).toEqual({ tabs: [{ title: "Query 1", text: "SELECT 1", database: null }], active: 0 });
    localStorage.setItem(tabsKey("demo"), "{not json");
    expect(loadTabs(localStorage, "demo")).toBeNull();
    localStorage.setItem(tabsKey("demo"), JSON.stringify({ tabs: [] }));
    expect(loadTabs(localStorage, "demo")).toBeNull();
  });

  it("tells nothing kept from a text it cannot read, which must not be written over", () => {
    expect(readTabs(null)).toEqual({ kind: "none" });
    expect(readTabs(JSON.stringify({ tabs: [] }))).toEqual({ kind: "none" });
    expect(readTabs("{not json")).toEqual({ kind: "unreadable", why: "it is not JSON" });
    const newer = { kind: "unreadable", why: "it is not in a format this version of Warden reads" };
    expect(readTabs(JSON.stringify({ version: 2, windows: [{ tabs: [] }] }))).toEqual(newer);
    expect(readTabs(JSON.stringify({ tabs: [{ body: "SELECT 1" }] }))).toEqual(newer);
    expect(readTabs("3")).toEqual(newer);
    expect(readTabs(JSON.stringify({ tabs: [{ text: "SELECT 1" }], active: 0 }))).toEqual({
      kind: "kept",
      saved: { tabs: [{ title: "Query 1", text: "SELECT 1", database: null }], active: 0 },
    });
  });

  it("never breaks the window when storage refuses", () => {
    const refusing = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
    } as unknown as Storage;
    expect(loadTabs(refusing, "demo")).toBeNull();
    expect(() => saveTabs(refusing, "demo", { tabs: [], active: 0 })).not.toThrow();
  });

  it("numbers new tabs past the highest in use", () => {
    expect(nextTitle([])).toBe("Query 1");
    expect(nextTitle(["Query 1", "Query 4", "Sales report"])).toBe("Query 5");
  });
});

describe("the tab strip", () => {
  function strip() {
    document.body.innerHTML = `<div id="tabs" role="tablist"></div><button id="new"></button><div id="editor"></div>`;
    const actions = { select: vi.fn(), close: vi.fn(), add: vi.fn() };
    const view = new TabStrip(
      document.getElementById("tabs") as HTMLElement,
      document.getElementById("new") as HTMLButtonElement,
      document.getElementById("editor") as HTMLElement,
      actions,
    );
    view.render(
      [
        { id: 1, title: "Query 1", running: false },
        { id: 2, title: "Query 2", running: true },
        { id: 3, title: "Query 3", running: false, waiting: "pii-read" },
      ],
      2,
    );
    return actions;
  }

  const tab = (id: number) => document.getElementById(`tab-${id}`) as HTMLButtonElement;

  it("marks the front tab selected, the only one in the Tab order, and labels the editor with it", () => {
    strip();
    expect([...document.querySelectorAll('[role="tab"]')].map((t) => t.getAttribute("aria-selected"))).toEqual(["false", "true", "false"]);
    expect(tab(2).tabIndex).toBe(0);
    expect(tab(1).tabIndex).toBe(-1);
    expect(tab(2).classList.contains("is-running")).toBe(true);
    // Its query runs once pii-read is granted (Request and run).
    expect(tab(3).classList.contains("is-waiting")).toBe(true);
    expect(tab(3).title).toBe("Query 3: runs once pii-read is granted");
    expect(tab(1).classList.contains("is-waiting")).toBe(false);
    expect(document.getElementById("editor")?.getAttribute("aria-labelledby")).toBe("tab-2");
    expect(document.querySelector(".tab-close")?.getAttribute("aria-label")).toBe("Close Query 1");
  });

  it("selects with a click or the arrow keys, closes with its button, Delete or a middle click", () => {
    const actions = strip();
    tab(3).click();
    expect(actions.select).toHaveBeenLastCalledWith(3);
    tab(2).dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(actions.select).toHaveBeenLastCalledWith(3);
    tab(2).dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    expect(actions.select).toHaveBeenLastCalledWith(1);
    tab(2).dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    expect(actions.select).toHaveBeenLastCalledWith(3);
    (document.querySelectorAll<HTMLButtonElement>(".tab-close")[0]).click();
    expect(actions.close).toHaveBeenLastCalledWith(1);
    tab(2).dispatchEvent(new KeyboardEvent("keydown", { key: "Delete", bubbles: true }));
    expect(actions.close).toHaveBeenLastCalledWith(2);
    tab(3).dispatchEvent(new MouseEvent("auxclick", { button: 1, bubbles: true }));
    expect(actions.close).toHaveBeenLastCalledWith(3);
    (document.getElementById("new") as HTMLButtonElement).click();
    expect(actions.add).toHaveBeenCalledTimes(1);
  });
});
