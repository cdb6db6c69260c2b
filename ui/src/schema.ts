// The schema side panel: databases > tables > columns. Clicking a table
// inserts its qualified name into the editor.
import type { Catalog, CatalogColumn, CatalogTable } from "./api";
import { element } from "./dom";
import { describeError } from "./errors";
import { formatDateTime, formatRelative } from "./time";

/** Tags that mark sensitive columns with a warning badge. */
const SENSITIVE_TAGS = new Set(["pii", "restricted"]);

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** An identifier as Athena wants it: quoted unless plain lower-case. */
export function quoteIdentifier(name: string): string {
  return PLAIN_IDENTIFIER.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

function badge(text: string, kind: string, title: string): HTMLElement {
  const node = element("span", `badge badge-${kind}`, text);
  node.title = title;
  return node;
}

function columnItem(column: CatalogColumn): HTMLElement {
  const item = element("li", "schema-column");
  item.append(element("span", "schema-column-name", column.name), element("span", "schema-column-type", column.dataType));
  if (column.partitionKey) item.append(badge("partition", "partition", "Partition key: filter on it to scan less data"));
  for (const tag of column.tags ?? []) {
    const sensitive = SENSITIVE_TAGS.has(tag.toLowerCase());
    item.append(badge(tag, sensitive ? "sensitive" : "tag", sensitive ? `Tagged ${tag}: reading it is governed by the policy` : `Tagged ${tag}`));
  }
  if (column.unlisted) {
    item.append(badge("unlisted", "unlisted", "Not in the policy: ask the security team. Reading it is refused until they add it."));
    item.classList.add("is-unlisted");
  }
  if (column.partitionKey) item.classList.add("is-partition");
  return item;
}

function tableItem(database: string, table: CatalogTable, onInsert: (text: string) => void): HTMLElement {
  const item = element("li", "schema-table");
  const row = element("div", "schema-row");
  const toggle = element("button", "schema-toggle");
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-label", `Show columns of ${database}.${table.name}`);
  const name = element("button", "schema-table-name", table.name);
  name.type = "button";
  const qualified = qualifiedName(database, table.name);
  name.title = `Insert ${qualified}`;
  name.dataset.qualified = qualified;
  name.addEventListener("click", () => onInsert(qualified));
  const sensitive = table.columns.some((column) => (column.tags ?? []).some((tag) => SENSITIVE_TAGS.has(tag.toLowerCase())));
  row.append(toggle, name);
  if (sensitive) row.append(badge("pii", "sensitive", "Has columns tagged pii or restricted"));
  if (table.unlisted) {
    row.append(badge("not in policy", "unlisted", "Not in the policy: ask the security team. Its columns cannot be read until they add it."));
    item.classList.add("is-unlisted");
  } else if (table.columns.some((column) => column.unlisted)) {
    row.append(badge("unlisted columns", "unlisted", "Has columns that are not in the policy: ask the security team"));
  }
  if (table.missing) {
    row.append(badge("not in catalog", "missing", "In the policy but not in the catalog (Glue): a query cannot read it"));
    item.classList.add("is-missing");
  }

  const columns = element("ul", "schema-columns");
  columns.hidden = true;
  columns.append(...table.columns.map(columnItem));
  toggle.addEventListener("click", () => {
    columns.hidden = !columns.hidden;
    toggle.setAttribute("aria-expanded", String(!columns.hidden));
  });
  item.append(row, columns);
  return item;
}

/** When the schema was read, and whether it came from this machine's cache. */
export function readAtText(catalog: Catalog, now: Date = new Date()): string {
  const when = `${formatRelative(catalog.readAt, now)} (${formatDateTime(catalog.readAt)})`;
  return catalog.fromCache ? `Read ${when}, kept on this machine` : `Read ${when}`;
}

/** The panel's title, when the schema was read and, given `onRefresh`, a Refresh button. */
function header(catalog: Catalog, onRefresh?: () => Promise<void>): HTMLElement[] {
  const head = element("div", "schema-head");
  head.append(element("h2", "panel-title", "Schema"));
  const read = element("p", "schema-read", readAtText(catalog));
  read.setAttribute("role", "status");
  if (onRefresh) {
    const button = element("button", "schema-refresh", "Refresh");
    button.type = "button";
    button.setAttribute("aria-label", "Refresh the schema: read the catalog again");
    button.title = "Read the catalog again (Glue, on Athena)";
    button.addEventListener("click", () => {
      button.disabled = true;
      button.textContent = "Refreshing…";
      read.classList.remove("is-error");
      onRefresh().then(
        () => {
          button.disabled = false;
          button.textContent = "Refresh";
        },
        (error: unknown) => {
          button.disabled = false;
          button.textContent = "Refresh";
          read.classList.add("is-error");
          read.textContent = `Could not read the schema again. ${describeError(error)} Shown: the schema read ${formatRelative(catalog.readAt)}.`;
        },
      );
    });
    head.append(button);
  }
  return [head, read];
}

export function renderSchema(root: HTMLElement, catalog: Catalog, onInsert: (text: string) => void, onRefresh?: () => Promise<void>): void {
  const title = header(catalog, onRefresh);
  if (catalog.databases.length === 0) {
    root.replaceChildren(...title, element("p", "schema-empty", "No databases are visible under this policy."));
    return;
  }
  const list = element("ul", "schema-tree");
  for (const database of catalog.databases) {
    const item = element("li", "schema-database");
    const details = element("details", "schema-details");
    details.open = true;
    const summary = element("summary", "schema-database-name", database.name);
    const tables = element("ul", "schema-tables");
    tables.append(...database.tables.map((table) => tableItem(database.name, table, onInsert)));
    details.append(summary, tables);
    item.append(details);
    list.append(item);
  }
  root.replaceChildren(...title, list);
}

export function renderSchemaError(root: HTMLElement, message: string): void {
  root.replaceChildren(element("h2", "panel-title", "Schema"), element("p", "schema-empty", message));
}
