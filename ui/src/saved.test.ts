import { describe, expect, it, vi } from "vitest";
import type { SavedQuery, SaveQuery, WorkgroupQueries } from "./api";
import { SavedPanel } from "./saved";

function query(name: string, extra: Partial<SavedQuery> = {}): SavedQuery {
  return { name, description: "", sql: `SELECT '${name}'`, database: "sales", savedAt: Date.UTC(2026, 11, 4, 12), ...extra };
}

/** A backend that keeps the list in memory, as the real one keeps it in a file. */
function backend(initial: SavedQuery[] = [], named: () => Promise<WorkgroupQueries | null> = async () => null) {
  let list = [...initial];
  return {
    named: vi.fn(named),
    list: vi.fn(async () => list),
    save: vi.fn(async (q: SaveQuery) => {
      if (q.name.trim() === "") throw { kind: "invalid", message: "give the query a name to save it under" };
      list = [...list.filter((s) => s.name.toLowerCase() !== q.name.toLowerCase()), query(q.name, { ...q, savedAt: 1 })];
      return list;
    }),
    remove: vi.fn(async (name: string) => {
      list = list.filter((s) => s.name !== name);
      return list;
    }),
  };
}

function mount(calls = backend()) {
  const root = document.createElement("aside");
  root.id = "saved-panel";
  const toggle = document.createElement("button");
  document.body.replaceChildren(toggle, root);
  const hooks = { open: vi.fn(), saved: vi.fn() };
  const panel = new SavedPanel(root, toggle, calls, hooks);
  panel.saveFrom(() => ({ tab: 1, sql: "SELECT 1", database: "web", name: "Query 3" }));
  return { panel, root, toggle, hooks, calls };
}

const NAMED: WorkgroupQueries = {
  workgroup: "analysts",
  truncated: false,
  queries: [
    { id: "n1", name: "Daily revenue", description: "finance's", database: "sales", sql: "SELECT 1" },
    { id: "n2", name: "Visits", description: "", database: null, sql: "SELECT 2" },
  ],
};

describe("Athena's named queries in the Saved panel", () => {
  const namedRows = (panel: SavedPanel) => [...panel.namedList.querySelectorAll<HTMLElement>(".saved-row")];

  it("are hidden on a workspace without workgroups", async () => {
    const { panel } = mount();
    await panel.setOpen(true);
    expect(panel.namedSection.hidden).toBe(true);
  });

  it("are listed under the workgroup's name, read-only, and open in a new tab", async () => {
    const { panel, hooks } = mount(backend([], async () => NAMED));
    await panel.setOpen(true);
    expect(panel.namedSection.hidden).toBe(false);
    expect(panel.namedSection.querySelector("h3")?.textContent).toBe("Named queries in Athena (workgroup analysts)");
    expect(panel.namedList.getAttribute("aria-labelledby")).toBe("named-title");
    const rows = namedRows(panel);
    expect(rows.map((r) => r.dataset.id)).toEqual(["n1", "n2"]);
    expect(rows[0].querySelector(".saved-delete")).toBeNull();
    expect(rows[0].textContent).toContain("database sales");
    (rows[1].querySelector("button") as HTMLButtonElement).click();
    expect(hooks.open).toHaveBeenCalledWith(NAMED.queries[1]);
  });

  it("say when the workgroup has none, more than are shown, or could not be read", async () => {
    const { panel } = mount(backend([], async () => ({ ...NAMED, queries: [] })));
    await panel.setOpen(true);
    expect(panel.namedList.textContent).toBe("The analysts workgroup has no named queries.");

    const more = mount(backend([], async () => ({ ...NAMED, truncated: true })));
    await more.panel.setOpen(true);
    expect(more.panel.namedList.textContent).toContain("Only the first 2 are shown: the workgroup has more.");

    const broken = mount(
      backend([], async () => {
        throw { kind: "engine", message: "the workgroup's named queries could not be read: access denied" };
      }),
    );
    await broken.panel.setOpen(true);
    expect(broken.panel.namedSection.hidden).toBe(false);
    expect(broken.panel.namedList.querySelector(".is-error")?.textContent).toContain("access denied");
    // The analyst's own queries still show.
    expect(broken.panel.list.textContent).toContain("No saved queries yet");
  });
});

describe("the Saved panel", () => {
  it("saves the front tab under the name given, and says so", async () => {
    const { panel, hooks, calls } = mount();
    await panel.startSave();
    expect(panel.name.value).toBe("Query 3");
    expect(document.activeElement).toBe(panel.name);
    panel.name.value = "Weekly orders";
    panel.description.value = "for the Monday meeting";
    panel.submit.click();
    await vi.waitFor(() => expect(hooks.saved).toHaveBeenCalledWith("Weekly orders", 1));
    expect(calls.save).toHaveBeenCalledWith({ name: "Weekly orders", description: "for the Monday meeting", sql: "SELECT 1", database: "web" });
    expect(panel.note.textContent).toBe("Saved as “Weekly orders”.");
    expect([...panel.list.querySelectorAll<HTMLElement>(".saved-row")].map((r) => r.dataset.name)).toEqual(["Weekly orders"]);
  });

  it("saves the tab Ctrl+S was pressed in, even if another is in front by then", async () => {
    const { panel, calls, hooks } = mount();
    const tabs = new Map([
      [1, { tab: 1, sql: "SELECT 1", database: "web", name: "Query 1" }],
      [2, { tab: 2, sql: "SELECT 2", database: "sales", name: "Query 2" }],
    ]);
    let front = 1;
    panel.saveFrom((id) => tabs.get(id ?? front) ?? null);
    await panel.startSave();
    expect(panel.submit.textContent).toBe("Save tab Query 1");
    front = 2;
    panel.name.value = "First";
    panel.submit.click();
    await vi.waitFor(() => expect(hooks.saved).toHaveBeenCalledWith("First", 1));
    expect(calls.save).toHaveBeenLastCalledWith({ name: "First", description: "", sql: "SELECT 1", database: "web" });
    // Saved once: Save again (the panel still open) takes the tab in front now.
    panel.name.value = "Second";
    panel.submit.click();
    await vi.waitFor(() => expect(hooks.saved).toHaveBeenCalledWith("Second", 2));
    expect(calls.save).toHaveBeenLastCalledWith({ name: "Second", description: "", sql: "SELECT 2", database: "sales" });
  });

  it("saves the tab's text as it is when Save is pressed, and says so when the tab is gone", async () => {
    const { panel, calls, hooks } = mount();
    const tabs = new Map([[1, { tab: 1, sql: "SELECT 1", database: "web", name: "Query 1" }]]);
    let front = 1;
    panel.saveFrom((id) => tabs.get(id ?? front) ?? null);
    await panel.startSave();
    // A typo fixed in the editor after Ctrl+S, before Save.
    tabs.set(1, { tab: 1, sql: "SELECT 1 AS fixed", database: "web", name: "Query 1" });
    panel.submit.click();
    await vi.waitFor(() => expect(calls.save).toHaveBeenCalledTimes(1));
    expect(calls.save).toHaveBeenLastCalledWith({ name: "Query 1", description: "", sql: "SELECT 1 AS fixed", database: "web" });
    await panel.startSave();
    tabs.delete(1);
    tabs.set(2, { tab: 2, sql: "SELECT 2", database: "web", name: "Query 2" });
    front = 2;
    panel.submit.click();
    await vi.waitFor(() => expect(panel.note.textContent).toBe("The tab this was to save is closed: press Ctrl+S in the tab to save."));
    // Pressed again: still not the tab in front.
    panel.submit.click();
    await Promise.resolve();
    expect(panel.note.textContent).toBe("The tab this was to save is closed: press Ctrl+S in the tab to save.");
    expect(calls.save).toHaveBeenCalledTimes(1);
    expect(hooks.saved).toHaveBeenCalledTimes(1);
  });

  it("starts another tab's save with no description, not the last one typed", async () => {
    const { panel, calls } = mount();
    let front = { tab: 1, sql: "SELECT 1", database: "web", name: "Weekly orders" };
    panel.saveFrom(() => front);
    await panel.startSave();
    panel.description.value = "for the Monday meeting";
    panel.submit.click();
    await vi.waitFor(() => expect(calls.save).toHaveBeenCalledTimes(1));
    front = { tab: 2, sql: "SELECT 2", database: "web", name: "Query 2" };
    await panel.startSave();
    expect(panel.name.value).toBe("Query 2");
    expect(panel.description.value).toBe("");
    panel.submit.click();
    await vi.waitFor(() => expect(calls.save).toHaveBeenCalledTimes(2));
    expect(calls.save).toHaveBeenLastCalledWith({ name: "Query 2", description: "", sql: "SELECT 2", database: "web" });
  });

  it("starts a saved query's save with its own description, so saving again keeps it", async () => {
    const calls = backend([query("Weekly orders", { description: "for the Monday meeting" }), query("b", { description: "other" })]);
    const { panel } = mount(calls);
    // The tab opened from the Saved panel carries the query's name; the panel was never opened
    // before, so the description comes from the list read as it opens.
    panel.saveFrom(() => ({ tab: 1, sql: "SELECT 'Weekly orders' LIMIT 5", database: "sales", name: "Weekly orders" }));
    panel.description.value = "left from before";
    await panel.startSave();
    expect(panel.description.value).toBe("for the Monday meeting");
    panel.submit.click();
    await vi.waitFor(() => expect(calls.save).toHaveBeenCalledTimes(1));
    expect(calls.save).toHaveBeenCalledWith({
      name: "Weekly orders",
      description: "for the Monday meeting",
      sql: "SELECT 'Weekly orders' LIMIT 5",
      database: "sales",
    });
    // The backend matches names whatever their case; so does the form.
    panel.saveFrom(() => ({ tab: 1, sql: "SELECT 2", database: "sales", name: "B" }));
    await panel.startSave();
    expect(panel.description.value).toBe("other");
  });

  it("keeps what was typed into the form while the list was read", async () => {
    let answer: (list: SavedQuery[]) => void = () => undefined;
    const calls = backend([query("Query 3", { description: "old" })]);
    calls.list.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const { panel } = mount(calls);
    const starting = panel.startSave();
    panel.description.value = "typed at once";
    answer([query("Query 3", { description: "old" })]);
    await starting;
    expect(panel.description.value).toBe("typed at once");
  });

  it("shows why a save was refused, and keeps the form", async () => {
    const { panel, hooks } = mount();
    await panel.startSave();
    panel.name.value = "  ";
    panel.submit.click();
    await vi.waitFor(() => expect(panel.note.textContent).toContain("give the query a name to save it under"));
    expect(panel.note.classList.contains("is-error")).toBe(true);
    expect(hooks.saved).not.toHaveBeenCalled();
  });

  it("opens a saved query, and deletes one only on the second press", async () => {
    const calls = backend([query("a", { description: "first" }), query("b")]);
    const { panel, toggle, hooks } = mount(calls);
    toggle.click();
    await vi.waitFor(() => expect(panel.list.querySelectorAll(".saved-row")).toHaveLength(2));
    expect(panel.list.textContent).toContain("first");
    panel.list.querySelector<HTMLButtonElement>(".saved-row .history-open")?.click();
    expect(hooks.open).toHaveBeenCalledWith(expect.objectContaining({ name: "a", sql: "SELECT 'a'" }));

    const deleteB = () => panel.list.querySelector<HTMLButtonElement>('[data-name="b"] .saved-delete');
    deleteB()?.click();
    expect(calls.remove).not.toHaveBeenCalled();
    expect(deleteB()?.textContent).toBe("Delete?");
    deleteB()?.click();
    await vi.waitFor(() => expect(panel.list.querySelectorAll(".saved-row")).toHaveLength(1));
    expect(calls.remove).toHaveBeenCalledWith("b");
  });

  it("says when there is nothing saved, or the list cannot be read", async () => {
    const { panel, toggle } = mount();
    toggle.click();
    await vi.waitFor(() => expect(panel.list.textContent).toContain("No saved queries yet"));
    const failing = mount({
      list: vi.fn(async () => {
        throw { kind: "internal", message: "the saved queries at /x cannot be read (bad json); move the file away to start a new list" };
      }),
      save: vi.fn(),
      remove: vi.fn(),
      named: vi.fn(async () => null),
    });
    failing.toggle.click();
    await vi.waitFor(() => expect(failing.panel.list.textContent).toContain("move the file away"));
  });
});
