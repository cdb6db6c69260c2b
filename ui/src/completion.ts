// Builds the schema used by @codemirror/lang-sql completion from the
// catalog: `{ "sales.customers": [columns…] }`, where a dot inside a name
// is escaped so lang-sql does not read it as a path separator.
import type { Completion } from "@codemirror/autocomplete";
import type { Catalog, CatalogColumn } from "./api";

function escapeName(name: string): string {
  return name.replace(/\./g, "\\.");
}

function columnDetail(column: CatalogColumn): string {
  const marks = [column.dataType];
  if (column.partitionKey) marks.push("partition key");
  for (const tag of column.tags) marks.push(tag);
  return marks.join(" · ");
}

export function columnCompletion(column: CatalogColumn): Completion {
  return { label: column.name, type: "property", detail: columnDetail(column) };
}

/** Maps every `database.table` to its column completions. */
export function completionSchema(catalog: Catalog): Record<string, Completion[]> {
  const schema: Record<string, Completion[]> = {};
  for (const database of catalog.databases) {
    for (const table of database.tables) {
      const key = `${escapeName(database.name)}.${escapeName(table.name)}`;
      schema[key] = table.columns.map(columnCompletion);
    }
  }
  return schema;
}

/** Qualified table names, offered as whole completions (e.g. `sales.orders`). */
export function tableCompletions(catalog: Catalog): Completion[] {
  const tables: Completion[] = [];
  for (const database of catalog.databases) {
    for (const table of database.tables) {
      tables.push({
        label: `${database.name}.${table.name}`,
        type: "type",
        detail: `${table.columns.length} columns`,
        boost: -1,
      });
    }
  }
  return tables;
}
