// The Saved panel: queries kept under a name and a description on this machine, per workspace
// (the backend keeps them in its data folder, like the tabs). Ctrl+S opens it with the front
// tab's name filled in, and the description of the saved query of that name if there is one;
// saving under an existing name replaces that query. A click on a saved
// query opens it in a new tab; Delete asks once more before it deletes. On an Athena workspace
// the panel also lists the named queries of the workgroup in use, read-only (they are managed in
// Athena); a click opens one in a new tab, where it is linted like any text.
import type { NamedQueryEntry, SavedQuery, SaveQuery, WorkgroupQueries } from "./api";
import { describeError } from "./errors";
import { formatDateTime } from "./time";
import { element } from "./dom";
import { panelHead } from "./panel_head";

export interface SavedCalls {
  list(): Promise<SavedQuery[]>;
  save(query: SaveQuery): Promise<SavedQuery[]>;
  remove(name: string): Promise<SavedQuery[]>;
  /** The workgroup's Athena named queries; `null` on a workspace without (the demo). */
  named(): Promise<WorkgroupQueries | null>;
}

export interface SavedHooks {
  /** Opens a saved query in a new tab. */
  open(query: SavedQuery | NamedQueryEntry): void;
  /** A query was saved under `name` from the tab `tab` (the one Ctrl+S was pressed in). */
  saved(name: string, tab: number): void;
}

/** What the form saves: a tab's text and database. */
export interface SaveSource {
  /** The tab's id. */
  tab: number;
  sql: string;
  database: string | null;
  /** The name the form starts with (the tab's title). */
  name: string;
}

export class SavedPanel {
  readonly name: HTMLInputElement;
  readonly description: HTMLTextAreaElement;
  readonly submit: HTMLButtonElement;
  readonly note: HTMLElement;
  readonly list: HTMLOListElement;
  /** The workgroup's named queries, hidden on a workspace without. */
  readonly namedSection: HTMLElement;
  readonly namedList: HTMLOListElement;
  private readonly namedTitle: HTMLElement;
  private queries: SavedQuery[] = [];
  private named: WorkgroupQueries | null = null;
  private namedFailed: string | null = null;
  private open = false;
  private failed: string | null = null;
  private source: ((tab?: number) => SaveSource | null) | null = null;
  /**
   * The tab Ctrl+S was pressed in: Save saves its text as it is then, whichever tab is in front
   * by then. Without one (the panel opened from its button), Save takes the front tab.
   */
  private started: number | null = null;
  /** The row whose Delete was pressed once. */
  private confirming: string | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly toggleButton: HTMLButtonElement,
    private readonly calls: SavedCalls,
    private readonly hooks: SavedHooks,
  ) {
    const { head } = panelHead("Saved queries", "Close the saved queries", () => void this.setOpen(false));

    const form = element("form", "saved-form");
    form.setAttribute("aria-label", "Save the current tab");
    this.name = element("input", "saved-name");
    this.name.id = "save-name";
    this.name.placeholder = "Name";
    this.name.maxLength = 100;
    this.name.setAttribute("aria-label", "Name of the saved query");
    this.description = element("textarea", "saved-description");
    this.description.id = "save-description";
    this.description.placeholder = "Description (optional)";
    this.description.rows = 2;
    this.description.setAttribute("aria-label", "Description of the saved query");
    this.submit = element("button", "tool-button saved-submit", "Save current tab");
    this.submit.id = "save-submit";
    this.submit.type = "submit";
    this.note = element("p", "saved-note");
    this.note.id = "save-note";
    this.note.setAttribute("role", "status");
    form.append(this.name, this.description, this.submit, this.note);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save();
    });

    this.list = element("ol", "history-list saved-list");
    this.list.id = "saved-list";
    this.list.setAttribute("aria-label", "Saved queries");
    this.namedSection = element("section", "named-queries");
    this.namedTitle = element("h3", "panel-subtitle", "Named queries in Athena");
    this.namedTitle.id = "named-title";
    this.namedList = element("ol", "history-list named-list");
    this.namedList.id = "named-list";
    this.namedList.setAttribute("aria-labelledby", this.namedTitle.id);
    this.namedSection.append(this.namedTitle, this.namedList);
    this.namedSection.hidden = true;
    root.replaceChildren(head, form, this.list, this.namedSection);
    root.hidden = true;
    toggleButton.setAttribute("aria-expanded", "false");
    toggleButton.setAttribute("aria-controls", root.id || "saved-panel");
    toggleButton.addEventListener("click", () => void this.setOpen(!this.open));
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Where Save takes the text from; set once the editor exists. */
  /** The Save button names the tab it saves: the one Ctrl+S was pressed in, or the front one. */
  private labelSubmit(tab: string | null): void {
    this.submit.textContent = tab === null ? "Save current tab" : `Save tab ${tab}`;
  }

  /** `source()` is the front tab, `source(id)` the tab `id` (null once it is closed). */
  saveFrom(source: (tab?: number) => SaveSource | null): void {
    this.source = source;
  }

  async setOpen(open: boolean): Promise<void> {
    this.open = open;
    this.root.hidden = !open;
    this.toggleButton.setAttribute("aria-expanded", String(open));
    this.toggleButton.classList.toggle("is-active", open);
    if (!open) {
      this.started = null;
      this.labelSubmit(null);
    }
    if (open) await this.load();
  }

  /**
   * Ctrl+S: the panel open, the name filled in from the front tab and focused, and the
   * description that of the saved query of that name, or none: saving under a name replaces
   * the whole entry, so a description left from another query would be saved with this one.
   */
  async startSave(): Promise<void> {
    const source = this.source?.() ?? null;
    this.started = source?.tab ?? null;
    this.labelSubmit(source?.name ?? null);
    if (source) this.name.value = source.name;
    this.note.textContent = "";
    // From the list known now, then from the one read as the panel opens, unless the form was
    // typed in meanwhile.
    const filled = { name: this.name.value, description: this.descriptionOf(this.name.value) };
    this.description.value = filled.description;
    const opening = this.setOpen(true);
    this.name.focus();
    this.name.select();
    await opening;
    if (this.name.value === filled.name && this.description.value === filled.description) {
      this.description.value = this.descriptionOf(filled.name);
    }
  }

  /** The description of the saved query named `name` (as the backend matches it), or "". */
  private descriptionOf(name: string): string {
    const wanted = name.trim().toLowerCase();
    return this.queries.find((query) => query.name.toLowerCase() === wanted)?.description ?? "";
  }

  async load(): Promise<void> {
    const named = this.loadNamed();
    try {
      this.queries = await this.calls.list();
      this.failed = null;
    } catch (error) {
      this.failed = `Could not read the saved queries. ${describeError(error)}`;
    }
    this.render();
    await named;
  }

  private async loadNamed(): Promise<void> {
    try {
      this.named = await this.calls.named();
      this.namedFailed = null;
    } catch (error) {
      this.namedFailed = `Could not read the workgroup's named queries from Athena. ${describeError(error)}`;
    }
    this.renderNamed();
  }

  private renderNamed(): void {
    if (this.namedFailed !== null) {
      this.namedSection.hidden = false;
      this.namedTitle.textContent = "Named queries in Athena";
      this.namedList.replaceChildren(element("li", "audit-empty is-error", this.namedFailed));
      return;
    }
    const named = this.named;
    this.namedSection.hidden = named === null;
    if (named === null) return;
    this.namedTitle.textContent = `Named queries in Athena (workgroup ${named.workgroup})`;
    if (named.queries.length === 0) {
      this.namedList.replaceChildren(element("li", "audit-empty", `The ${named.workgroup} workgroup has no named queries.`));
      return;
    }
    const rows = named.queries.map((query) => this.namedRow(query));
    if (named.truncated) rows.push(element("li", "audit-empty", `Only the first ${named.queries.length} are shown: the workgroup has more.`));
    this.namedList.replaceChildren(...rows);
  }

  private namedRow(query: NamedQueryEntry): HTMLLIElement {
    const item = element("li", "history-row saved-row");
    item.dataset.id = query.id;
    const open = element("button", "history-open");
    open.type = "button";
    open.title = "Open in a new tab (read-only here: it is kept in Athena)";
    open.append(element("span", "saved-title", query.name));
    if (query.description) open.append(element("span", "history-facts", query.description));
    if (query.database) open.append(element("span", "history-facts", `database ${query.database}`));
    open.append(element("span", "history-text", query.sql));
    open.addEventListener("click", () => this.hooks.open(query));
    item.append(open);
    return item;
  }

  async save(): Promise<void> {
    const started = this.started;
    const source = started !== null ? this.source?.(started) : this.source?.();
    if (!source) {
      if (started !== null) {
        // Kept: a second press must not save whichever tab is in front instead.
        this.note.textContent = "The tab this was to save is closed: press Ctrl+S in the tab to save.";
        this.note.classList.add("is-error");
      }
      return;
    }
    const name = this.name.value.trim();
    this.submit.disabled = true;
    try {
      this.queries = await this.calls.save({
        name,
        description: this.description.value,
        sql: source.sql,
        database: source.database,
      });
      this.failed = null;
      this.note.textContent = `Saved as “${name}”.`;
      this.note.classList.remove("is-error");
      // Saved: a next Save (the panel still open) is of the tab in front then.
      if (this.started === started) {
        this.started = null;
        this.labelSubmit(null);
      }
      this.hooks.saved(name, source.tab);
    } catch (error) {
      this.note.textContent = describeError(error);
      this.note.classList.add("is-error");
    } finally {
      this.submit.disabled = false;
    }
    this.render();
  }

  private async remove(name: string): Promise<void> {
    this.confirming = null;
    try {
      this.queries = await this.calls.remove(name);
      this.failed = null;
    } catch (error) {
      this.failed = `Could not delete “${name}”. ${describeError(error)}`;
    }
    this.render();
  }

  private message(content: string, failed = false): void {
    this.list.replaceChildren(element("li", failed ? "audit-empty is-error" : "audit-empty", content));
  }

  private render(): void {
    if (this.failed !== null) return this.message(this.failed, true);
    if (this.queries.length === 0) return this.message("No saved queries yet: Ctrl+S starts saving the current tab.");
    this.list.replaceChildren(...this.queries.map((query) => this.row(query)));
  }

  private row(query: SavedQuery): HTMLLIElement {
    const item = element("li", "history-row saved-row");
    item.dataset.name = query.name;
    const open = element("button", "history-open");
    open.type = "button";
    open.title = "Open in a new tab";
    open.append(element("span", "saved-title", query.name));
    if (query.description) open.append(element("span", "history-facts", query.description));
    const facts = [query.database ? `database ${query.database}` : null, `saved ${formatDateTime(new Date(query.savedAt).toISOString())}`];
    open.append(element("span", "history-facts", facts.filter(Boolean).join(" · ")));
    open.append(element("span", "history-text", query.sql));
    open.addEventListener("click", () => this.hooks.open(query));
    const remove = element("button", "tool-button saved-delete", this.confirming === query.name ? "Delete?" : "Delete");
    remove.type = "button";
    remove.setAttribute("aria-label", this.confirming === query.name ? `Confirm deleting ${query.name}` : `Delete ${query.name}`);
    remove.addEventListener("click", () => {
      if (this.confirming === query.name) void this.remove(query.name);
      else {
        this.confirming = query.name;
        this.render();
      }
    });
    item.append(open, remove);
    return item;
  }
}
