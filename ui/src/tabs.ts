// Query tabs: the strip above the editor (role tablist, arrows move between tabs) and what is
// kept of them across restarts. Only each tab's title, text and database are kept, in a file of
// the app's data folder on this machine, per workspace (`kept_tabs` / `keep_tabs`, written after
// every change); they are never sent anywhere. The verdict and the result of a tab are
// recomputed or gone after a restart.

/** Where the tabs are kept: the app's file (`keptStore`), or any `Storage` in tests. */
export type TabStore = Pick<Storage, "getItem" | "setItem">;

/**
 * A store over the one text the backend keeps for the open workspace: `kept` is what it had at
 * start, `keep` sends each new text (its failure loses the tabs, never the window).
 */
export function keptStore(kept: string | null, keep: (text: string) => void): TabStore {
  let current = kept;
  return {
    getItem: () => current,
    setItem: (_key: string, value: string) => {
      current = value;
      keep(value);
    },
  };
}

export interface SavedTab {
  title: string;
  text: string;
  database: string | null;
}

export interface SavedTabs {
  tabs: SavedTab[];
  /** Index of the tab in front. */
  active: number;
}

/** The storage key of the tabs of `workspace` (a scope name). */
export function tabsKey(workspace: string): string {
  return `warden.tabs.${workspace}`;
}

/** The kept tabs of `workspace`, or null when there are none or they cannot be read. */
export function loadTabs(storage: TabStore | null, workspace: string): SavedTabs | null {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(tabsKey(workspace)) ?? null;
  } catch {
    return null; // Storage refused (disabled, quota): start with one empty tab.
  }
  const read = readTabs(raw);
  return read.kind === "kept" ? read.saved : null;
}

/** What a kept text holds: nothing, tabs, or something the window cannot read (and why). */
export type TabsRead = { kind: "none" } | { kind: "kept"; saved: SavedTabs } | { kind: "unreadable"; why: string };

/**
 * Reads a kept text. One that is not JSON, not the window's format (a newer Warden's, say) or
 * has no tab the window can read is `unreadable`: it may hold the analyst's texts, so the window
 * must not write over it.
 */
export function readTabs(raw: string | null): TabsRead {
  if (raw === null) return { kind: "none" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { kind: "unreadable", why: "it is not JSON" };
  }
  const shape = { kind: "unreadable", why: "it is not in a format this version of Warden reads" } as const;
  if (typeof parsed !== "object" || parsed === null) return shape;
  const { tabs, active } = parsed as { tabs?: unknown; active?: unknown };
  if (!Array.isArray(tabs)) return shape;
  if (tabs.length === 0) return { kind: "none" };
  const kept: SavedTab[] = tabs
    .filter((tab): tab is Record<string, unknown> => typeof tab === "object" && tab !== null)
    .filter((tab) => typeof tab.text === "string")
    .map((tab, index) => ({
      title: typeof tab.title === "string" && tab.title.trim() !== "" ? tab.title : `Query ${index + 1}`,
      text: tab.text as string,
      database: typeof tab.database === "string" ? tab.database : null,
    }));
  if (kept.length === 0) return shape;
  const front = typeof active === "number" && Number.isInteger(active) ? Math.min(Math.max(active, 0), kept.length - 1) : 0;
  return { kind: "kept", saved: { tabs: kept, active: front } };
}

/** Keeps `saved`; a storage that refuses (full, disabled) loses the tabs, never the window. */
export function saveTabs(storage: TabStore | null, workspace: string, saved: SavedTabs): void {
  try {
    storage?.setItem(tabsKey(workspace), JSON.stringify(saved));
  } catch {
    // Nothing to do: the tabs are still open, only not kept.
  }
}

/** "Query N" with N one past the highest number in use. */
export function nextTitle(titles: readonly string[]): string {
  let highest = 0;
  for (const title of titles) {
    const match = /^Query (\d+)$/.exec(title);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return `Query ${highest + 1}`;
}

export interface StripTab {
  id: number;
  title: string;
  /** A run is going on in it. */
  running: boolean;
  /** The elevation whose grant its query waits for to run ("Request and run"), if any. */
  waiting?: string | null;
}

export interface StripActions {
  select(id: number): void;
  close(id: number): void;
  add(): void;
}

/** The tab strip. `render` draws it from scratch; focus follows the tab in front when asked. */
export class TabStrip {
  constructor(
    private readonly list: HTMLElement,
    addButton: HTMLButtonElement,
    private readonly panel: HTMLElement,
    private readonly actions: StripActions,
  ) {
    addButton.addEventListener("click", () => actions.add());
    list.addEventListener("keydown", (event) => this.onKey(event));
  }

  private tabs: StripTab[] = [];
  private active = -1;

  render(tabs: StripTab[], active: number, focus = false): void {
    this.tabs = tabs;
    this.active = active;
    this.list.replaceChildren(
      ...tabs.map((tab) => {
        const item = document.createElement("div");
        item.className = "tab";
        item.setAttribute("role", "presentation");
        item.classList.toggle("is-active", tab.id === active);
        const button = document.createElement("button");
        button.type = "button";
        button.id = `tab-${tab.id}`;
        button.className = "tab-title";
        button.setAttribute("role", "tab");
        button.setAttribute("aria-selected", String(tab.id === active));
        button.setAttribute("aria-controls", this.panel.id);
        button.tabIndex = tab.id === active ? 0 : -1;
        button.dataset.tab = String(tab.id);
        button.textContent = tab.title;
        if (tab.running) button.classList.add("is-running");
        if (tab.waiting && !tab.running) {
          button.classList.add("is-waiting");
          button.title = `${tab.title}: runs once ${tab.waiting} is granted`;
        }
        button.addEventListener("click", () => this.actions.select(tab.id));
        // Middle click closes, as in browsers.
        button.addEventListener("auxclick", (event) => {
          if (event.button === 1) this.actions.close(tab.id);
        });
        const close = document.createElement("button");
        close.type = "button";
        close.className = "tab-close";
        close.tabIndex = -1;
        close.setAttribute("aria-label", `Close ${tab.title}`);
        close.title = "Close (Ctrl+W)";
        close.addEventListener("click", (event) => {
          event.stopPropagation();
          this.actions.close(tab.id);
        });
        item.append(button, close);
        return item;
      }),
    );
    this.panel.setAttribute("aria-labelledby", `tab-${active}`);
    if (focus) this.list.querySelector<HTMLButtonElement>(`#tab-${active}`)?.focus();
  }

  /** Arrow keys, Home and End move between tabs; Delete closes the focused one. */
  private onKey(event: KeyboardEvent): void {
    const index = this.tabs.findIndex((tab) => tab.id === this.active);
    if (index < 0) return;
    let target: number | null = null;
    if (event.key === "ArrowRight") target = (index + 1) % this.tabs.length;
    else if (event.key === "ArrowLeft") target = (index - 1 + this.tabs.length) % this.tabs.length;
    else if (event.key === "Home") target = 0;
    else if (event.key === "End") target = this.tabs.length - 1;
    else if (event.key === "Delete") {
      event.preventDefault();
      this.actions.close(this.active);
      this.list.querySelector<HTMLButtonElement>(`#tab-${this.active}`)?.focus();
      return;
    }
    if (target === null) return;
    event.preventDefault();
    this.actions.select(this.tabs[target].id);
    this.list.querySelector<HTMLButtonElement>(`#tab-${this.tabs[target].id}`)?.focus();
  }
}
