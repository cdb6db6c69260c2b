import { CompletionContext, type Completion } from "@codemirror/autocomplete";
import { schemaCompletionSource } from "@codemirror/lang-sql";
import { EditorState } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import type { Catalog } from "./api";
import { completionSchema, tableCompletions } from "./completion";
import { AthenaSQL } from "./dialect";
import { tableSource } from "./editor";

const CATALOG: Catalog = {
  databases: [
    {
      name: "sales",
      tables: [
        {
          name: "customers",
          columns: [
            { name: "customer_id", dataType: "bigint", partitionKey: false, tags: [], unlisted: false },
            { name: "email", dataType: "varchar", partitionKey: false, tags: ["pii"], unlisted: false },
          ],
          unlisted: false,
          missing: false,
        },
        {
          name: "orders",
          columns: [{ name: "order_date", dataType: "date", partitionKey: true, tags: [], unlisted: false }],
          unlisted: false,
          missing: false,
        },
      ],
    },
    { name: "web.logs", tables: [{ name: "hits", columns: [], unlisted: false, missing: false }] },
  ],
  readAt: "2026-12-04T20:00:00Z",
  fromCache: false,
};

function labels(options: readonly Completion[]): string[] {
  return options.map((option) => option.label).sort();
}

function complete(doc: string, schema = completionSchema(CATALOG)) {
  const state = EditorState.create({ doc, extensions: [AthenaSQL.language] });
  const source = schemaCompletionSource({ dialect: AthenaSQL, schema, defaultSchema: "sales" });
  return source(new CompletionContext(state, doc.length, true));
}

describe("completionSchema", () => {
  it("keys columns by database.table with their type and tags", () => {
    const schema = completionSchema(CATALOG);
    expect(Object.keys(schema).sort()).toEqual(["sales.customers", "sales.orders", "web\\.logs.hits"]);
    expect(schema["sales.customers"]).toEqual([
      { label: "customer_id", type: "property", detail: "bigint" },
      { label: "email", type: "property", detail: "varchar · pii" },
    ]);
    expect(schema["sales.orders"][0].detail).toBe("date · partition key");
  });

  it("lets lang-sql complete tables of a database and columns of a table", async () => {
    const tables = await complete("SELECT * FROM sales.");
    expect(labels(tables?.options ?? [])).toEqual(["customers", "orders"]);
    const columns = await complete("SELECT sales.customers.");
    expect(labels(columns?.options ?? [])).toEqual(["customer_id", "email"]);
  });

  it("offers the default database's tables without a prefix", async () => {
    const top = await complete("SELECT * FROM ");
    expect(labels(top?.options ?? [])).toEqual(expect.arrayContaining(["customers", "orders", "sales"]));
  });

  it("keeps a dotted database name whole", async () => {
    const top = await complete("SELECT * FROM ");
    const web = top?.options.find((option) => option.label === "web.logs");
    expect(web?.apply).toBe('"web.logs"');
  });
});

describe("table completions", () => {
  it("lists every qualified table name", () => {
    expect(labels(tableCompletions(CATALOG))).toEqual(["sales.customers", "sales.orders", "web.logs.hits"]);
  });

  it("fires on a word but not after a dot", () => {
    const source = tableSource(tableCompletions(CATALOG));
    const at = (doc: string) =>
      source(new CompletionContext(EditorState.create({ doc }), doc.length, false));
    expect(at("SELECT * FROM ord")).toMatchObject({ from: 14 });
    expect(at("SELECT * FROM sales.ord")).toBeNull();
    expect(at("SELECT * FROM ")).toBeNull();
  });
});
