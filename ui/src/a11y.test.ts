// The whole window, with a result in the grid and then as a chart, checked for what the issue
// asks of every control: an accessible name, reachable by Tab, a visible focus. The backend is
// the mock one, answering what the real backend answered on the demo workspace (mock.ts).
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startApp, type App } from "./app";
import { FIXTURES, installMockBackend } from "./mock";

// jsdom has no canvas: the chart library is replaced by one that records what it was given.
const charts = vi.hoisted(() => [] as unknown[][][]);
vi.mock("uplot", () => ({
  default: class {
    static paths = { bars: () => "bars" };
    constructor(_opts: unknown, data: unknown[][]) {
      charts.push(data);
    }
    destroy() {}
    setSize() {}
  },
}));

/** Roles whose elements need no name of their own (live regions, structure, text). */
const UNNAMED_ROLES = new Set(["status", "alert", "log", "row", "rowgroup", "presentation", "none", "list", "listitem", "group", "note", "generic", "paragraph", "toolbar", "tooltip", "gridcell", "cell"]);

/** Roles named by their content when nothing else names them. */
const CONTENT_ROLES = new Set(["button", "menuitem", "tab", "gridcell", "cell", "columnheader", "rowheader", "option", "link", "heading", "treeitem", "checkbox", "radio", "switch"]);

/** Elements that take the focus without a tabindex. */
const NATIVE_FOCUSABLE = "button, select, input, textarea, a[href], [contenteditable=true], [contenteditable='']";

/** Composite widgets, reached by Tab as one stop and moved in with the arrow keys. */
const COMPOSITES = "[role=grid], [role=tablist], [role=listbox], [role=tree], [role=menu], [role=radiogroup], [role=treegrid]";

function text(el: Element | null): string {
  return (el?.textContent ?? "").replace(/\s+/g, " ").trim();
}

/** The name a screen reader announces for `el` (the parts of the accessible-name rules the window uses). */
function accessibleName(el: HTMLElement): string {
  const labelledBy = el.getAttribute("aria-labelledby");
  if (labelledBy) return labelledBy.split(/\s+/).map((id) => text(document.getElementById(id))).join(" ").trim();
  const label = el.getAttribute("aria-label");
  if (label?.trim()) return label.trim();
  if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) {
    const labels = el.labels ? [...el.labels].map(text).join(" ").trim() : "";
    if (labels) return labels;
  }
  const role = el.getAttribute("role") ?? (el instanceof HTMLButtonElement ? "button" : "");
  if (CONTENT_ROLES.has(role) && text(el)) return text(el);
  const title = el.getAttribute("title")?.trim();
  if (title) return title;
  if ((el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) && el.placeholder.trim()) return el.placeholder.trim();
  return "";
}

/** Whether `el` is shown: not hidden itself or inside something hidden. */
function shown(el: HTMLElement): boolean {
  return el.closest("[hidden], [aria-hidden=true], [inert]") === null;
}

function disabled(el: HTMLElement): boolean {
  return (el as HTMLButtonElement).disabled === true;
}

/** Roles of controls: such an element is one even when only a script focuses it (tabindex -1). */
const WIDGET_ROLES = new Set(["button", "checkbox", "gridcell", "link", "menuitem", "option", "radio", "separator", "slider", "spinbutton", "switch", "tab", "textbox", "treeitem", "combobox", "searchbox", "grid", "listbox"]);

/** The element's place in the Tab order as a browser sees it (jsdom gives contenteditable none). */
function tabIndexOf(el: HTMLElement): number {
  if (el.hasAttribute("tabindex")) return el.tabIndex;
  return el.matches(NATIVE_FOCUSABLE) ? 0 : -1;
}

/** Controls: native ones, Tab stops, and widget roles a script focuses. */
function controls(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(`${NATIVE_FOCUSABLE}, [tabindex]`)].filter(
    (el) => shown(el) && (el.matches(NATIVE_FOCUSABLE) || tabIndexOf(el) >= 0 || WIDGET_ROLES.has(el.getAttribute("role") ?? "")),
  );
}

/** The Tab sequence of the window, as a browser builds it: positive tabindex first, then document order. */
function tabSequence(): HTMLElement[] {
  const tabbable = controls().filter((el) => !disabled(el) && tabIndexOf(el) >= 0);
  const positive = tabbable.filter((el) => tabIndexOf(el) > 0).sort((a, b) => tabIndexOf(a) - tabIndexOf(b));
  return [...positive, ...tabbable.filter((el) => tabIndexOf(el) === 0)];
}

let app: App;

beforeEach(() => {
  charts.length = 0;
  installMockBackend();
  document.body.innerHTML = `<div id="app"></div>`;
});

afterEach(async () => {
  app?.dispose();
  app?.grid.destroy();
  app?.editor.view.destroy();
  // The app stops listening to backend events a moment after; the mock events go after that.
  await new Promise((resolve) => setTimeout(resolve, 50));
  clearMocks();
  document.body.innerHTML = "";
});

function byId(id: string): HTMLElement {
  return document.getElementById(id) as HTMLElement;
}

/** The window with the demo's first query run: its rows in the grid, every side panel open. */
async function windowWithResult(): Promise<void> {
  app = await startApp(byId("app"), "Linux x86_64");
  await vi.waitFor(() => expect(document.querySelector(".schema-table-name")).not.toBeNull(), { timeout: 3000 });
  // The first-run panel, shown until a query runs, is named throughout too.
  await vi.waitFor(() => expect(document.getElementById("welcome")).not.toBeNull(), { timeout: 3000 });
  expect(unnamed()).toEqual([]);
  // jsdom has no layout: give the grid a viewport so rows come into view.
  Object.defineProperty(byId("grid"), "clientHeight", { configurable: true, get: () => 300 });
  app.setSql(FIXTURES.run_query.sql);
  await vi.waitFor(() => expect(byId("verdict").dataset.verdict).toBe("allow"), { timeout: 3000 });
  await app.run();
  await vi.waitFor(() => expect(document.querySelectorAll("#grid .grid-row").length).toBeGreaterThan(0), { timeout: 3000 });
  // The side panels build their controls when opened.
  byId("history-toggle").click();
  byId("saved-toggle").click();
  byId("audit-toggle").click();
  await vi.waitFor(() => expect(byId("audit-panel").hidden).toBe(false), { timeout: 3000 });
}

/** Every element that must be named: controls and roles that need a name. */
function unnamed(): string[] {
  const roles = [...document.querySelectorAll<HTMLElement>("[role]")].filter((el) => shown(el) && !UNNAMED_ROLES.has(el.getAttribute("role") ?? ""));
  return [...new Set([...controls(), ...roles])].filter((el) => accessibleName(el) === "").map((el) => el.outerHTML.slice(0, 140));
}

/**
 * Focusable elements no Tab reaches: not in the Tab sequence, and not inside a composite widget
 * (a grid, a tab list) that is, or has a member that is.
 */
function unreachable(): string[] {
  const sequence = new Set(tabSequence());
  return controls()
    .filter((el) => !disabled(el))
    .filter((el) => !sequence.has(el))
    .filter((el) => {
      const composite = el.closest<HTMLElement>(COMPOSITES);
      return composite === null || !(sequence.has(composite) || [...sequence].some((member) => composite.contains(member)));
    })
    .map((el) => el.outerHTML.slice(0, 140));
}

describe("the window's accessibility, with a result", () => {
  it("names every control, focusable element and named role, in the grid and in the chart", async () => {
    await windowWithResult();
    const grid = byId("grid");
    expect(grid.getAttribute("role")).toBe("grid");
    expect(accessibleName(grid)).toBe(`Query result, ${FIXTURES.run_query.result.rowCount} rows, 2 columns`);
    expect(document.querySelectorAll("#grid [role=columnheader]").length).toBe(3);
    expect(unnamed()).toEqual([]);

    // The grid's menu, and its items.
    document.querySelector("#grid .grid-row .grid-cell")?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true }));
    const menu = document.querySelector<HTMLElement>("[role=menu]");
    expect(menu).not.toBeNull();
    expect(menu?.contains(document.activeElement)).toBe(true);
    expect(unnamed()).toEqual([]);
    menu?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(document.querySelector("[role=menu]")).toBeNull();
    expect(document.activeElement).toBe(grid);

    byId("chart-toggle").click();
    await vi.waitFor(() => expect(charts).toHaveLength(1), { timeout: 3000 });
    const chart = byId("chart");
    expect(chart.getAttribute("role")).toBe("img");
    expect(accessibleName(chart)).toMatch(/^Bar chart of customers by country, \d+ rows/);
    expect(unnamed()).toEqual([]);
  });

  it("reaches every focusable element by Tab, with no tabindex out of order", async () => {
    await windowWithResult();
    const sequence = tabSequence();
    expect(sequence.filter((el) => tabIndexOf(el) > 0).map((el) => el.outerHTML.slice(0, 100))).toEqual([]);
    expect(sequence).toContain(document.querySelector("#editor .cm-content"));
    expect(sequence).toContain(byId("grid"));
    expect(sequence).toContain(byId("run"));
    expect(sequence).toContain(byId("chart-toggle"));
    expect(unreachable()).toEqual([]);
    // Each stop takes the focus when Tab arrives at it.
    for (const el of sequence) {
      el.focus();
      expect(document.activeElement, el.outerHTML.slice(0, 100)).toBe(el);
    }

    // The grid is one stop; its cells are reached from it with the arrow keys.
    const grid = byId("grid");
    grid.focus();
    const activeId = grid.getAttribute("aria-activedescendant");
    expect(activeId).toBeTruthy();
    expect(byId(activeId as string).textContent).toBe(String(FIXTURES.run_query.rows.rows[0][0]));
    grid.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true, cancelable: true }));
    expect(byId(grid.getAttribute("aria-activedescendant") as string).textContent).toBe(String(FIXTURES.run_query.rows.rows[0][1]));

    // Enter opens the active cell's value in a named dialog holding the focus; Esc goes back.
    grid.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    const viewer = byId("cell-viewer");
    expect(accessibleName(viewer)).toBe(FIXTURES.run_query.result.columns[1].name);
    expect(viewer.contains(document.activeElement)).toBe(true);
    expect(unnamed()).toEqual([]);
    document.activeElement?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(document.activeElement).toBe(grid));
    expect(byId("cell-viewer")).toBeNull();

    byId("chart-toggle").click();
    await vi.waitFor(() => expect(charts).toHaveLength(1), { timeout: 3000 });
    expect(tabSequence()).not.toContain(grid);
    expect(unreachable()).toEqual([]);
  });
});

describe("a visible focus", () => {
  let css = "";
  let rules = "";
  beforeAll(async () => {
    // Read from disk: vitest hands CSS imports (?raw too) to tests as empty text.
    const fs = (await import("node:fs" as string)) as { readFileSync: (path: string, encoding: "utf8") => string };
    css = fs.readFileSync(decodeURIComponent(import.meta.url.replace(/^file:\/\//, "").replace(/[^/]*$/, "style.css")), "utf8");
    rules = css.replace(/\/\*[\s\S]*?\*\//g, "");
  });
  /** The declarations of the rule whose selector list holds `selector`. */
  function rule(selector: string): string {
    const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const found = rules.match(new RegExp(`(?:^|[},])\\s*(?:[^{}]*,\\s*)?${escaped}\\s*(?:,[^{}]*)?\\{([^}]*)\\}`, "m"));
    return found?.[1] ?? "";
  }

  it("outlines the grid and its active cell, in the accent colour both themes define", () => {
    expect(rule(".grid:focus-visible")).toMatch(/outline:\s*2px solid var\(--accent\)/);
    expect(rule(".grid:focus .is-active")).toMatch(/outline:\s*2px solid var\(--accent\)/);
    // Without the focus the active cell keeps a mark, so the place is not lost.
    expect(rule(".grid .is-active")).toMatch(/outline:\s*1px dashed/);
    const dark = css.slice(css.indexOf(":root {"), css.indexOf("@media (prefers-color-scheme: light)"));
    const light = css.slice(css.indexOf("@media (prefers-color-scheme: light)"));
    expect(dark).toMatch(/--accent:\s*#[0-9a-f]{6};/i);
    expect(light.slice(0, light.indexOf("color-scheme: light;"))).toMatch(/--accent:\s*#[0-9a-f]{6};/i);
  });

  it("replaces every outline the grid and chart take away", () => {
    for (const selector of [".grid", ".grid-resize:focus-visible"]) {
      if (/outline:\s*none/.test(rule(selector))) {
        const replaced = selector === ".grid" ? rule(".grid:focus-visible") : rule(selector);
        expect(replaced, selector).toMatch(/outline:\s*2px|background:\s*var\(--accent\)/);
      }
    }
  });
});
