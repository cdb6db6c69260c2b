import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Catalog } from "./api";
import { qualifiedName, quoteIdentifier, readAtText, renderSchema } from "./schema";
import { renderStatus, shortFingerprint } from "./status";

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
            { name: "region", dataType: "varchar", partitionKey: true, tags: ["restricted", "geo"], unlisted: false },
          ],
          unlisted: false,
          missing: false,
        },
        { name: "Order Lines", columns: [], unlisted: false, missing: false },
      ],
    },
  ],
  readAt: "2026-12-04T20:00:00Z",
  fromCache: true,
};

let root: HTMLElement;

beforeEach(() => {
  document.body.innerHTML = `<aside id="schema"></aside><footer id="status"></footer>`;
  root = document.getElementById("schema") as HTMLElement;
});

describe("identifiers", () => {
  it("quotes only what Athena needs quoted", () => {
    expect(quoteIdentifier("orders")).toBe("orders");
    expect(quoteIdentifier("Order Lines")).toBe('"Order Lines"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(qualifiedName("sales", "Order Lines")).toBe('sales."Order Lines"');
  });
});

describe("schema panel", () => {
  it("lists databases, tables and columns with partition and sensitivity badges", () => {
    renderSchema(root, CATALOG, () => undefined);
    expect(root.querySelector(".schema-database-name")?.textContent).toBe("sales");
    const tables = [...root.querySelectorAll(".schema-table-name")].map((node) => node.textContent);
    expect(tables).toEqual(["customers", "Order Lines"]);
    const columns = [...root.querySelectorAll(".schema-column")];
    expect(columns.map((node) => node.querySelector(".schema-column-name")?.textContent)).toEqual([
      "customer_id",
      "email",
      "region",
    ]);
    expect(columns[0].querySelectorAll(".badge")).toHaveLength(0);
    expect(columns[1].querySelector(".badge-sensitive")?.textContent).toBe("pii");
    expect(columns[2].querySelector(".badge-partition")).not.toBeNull();
    expect(columns[2].querySelector(".badge-sensitive")?.textContent).toBe("restricted");
    expect(columns[2].querySelector(".badge-tag")?.textContent).toBe("geo");
  });

  it("inserts the qualified name when a table is clicked", () => {
    const insert = vi.fn();
    renderSchema(root, CATALOG, insert);
    const names = root.querySelectorAll<HTMLButtonElement>(".schema-table-name");
    names[0].click();
    names[1].click();
    expect(insert.mock.calls).toEqual([["sales.customers"], ['sales."Order Lines"']]);
  });

  it("expands a table's columns with its toggle", () => {
    renderSchema(root, CATALOG, () => undefined);
    const toggle = root.querySelector<HTMLButtonElement>(".schema-toggle");
    const columns = root.querySelector<HTMLElement>(".schema-columns");
    expect(columns?.hidden).toBe(true);
    toggle?.click();
    expect(columns?.hidden).toBe(false);
    expect(toggle?.getAttribute("aria-expanded")).toBe("true");
  });

  it("says so when nothing is visible", () => {
    renderSchema(root, { ...CATALOG, databases: [] }, () => undefined);
    expect(root.textContent).toContain("No databases are visible under this policy.");
  });

  it("renders names as text, never as markup", () => {
    const hostile: Catalog = { ...CATALOG, databases: [{ name: "<img src=x onerror=alert(1)>", tables: [] }] };
    renderSchema(root, hostile, () => undefined);
    expect(root.querySelector("img")).toBeNull();
    expect(root.textContent).toContain("<img src=x onerror=alert(1)>");
  });
});

describe("policy and catalog disagreements", () => {
  const DISAGREE: Catalog = {
    ...CATALOG,
    databases: [
      {
        name: "sales",
        tables: [
          {
            name: "customers",
            columns: [
              { name: "customer_id", dataType: "bigint", partitionKey: false, tags: [], unlisted: false },
              { name: "loyalty_tier", dataType: "string", partitionKey: false, tags: [], unlisted: true },
            ],
            unlisted: false,
            missing: false,
          },
          { name: "refunds", columns: [{ name: "refund_id", dataType: "bigint", partitionKey: false, tags: [], unlisted: false }], unlisted: false, missing: true },
          { name: "visits", columns: [{ name: "visit_id", dataType: "bigint", partitionKey: false, tags: [], unlisted: true }], unlisted: true, missing: false },
        ],
      },
    ],
  };

  it("marks a column Glue has and the policy lacks as unlisted, telling whom to ask", () => {
    renderSchema(root, DISAGREE, () => undefined);
    const columns = [...root.querySelectorAll(".schema-column")];
    expect(columns[0].querySelector(".badge-unlisted")).toBeNull();
    const unlisted = columns[1].querySelector<HTMLElement>(".badge-unlisted");
    expect(unlisted?.textContent).toBe("unlisted");
    expect(unlisted?.title).toContain("Not in the policy: ask the security team");
    const rows = [...root.querySelectorAll(".schema-row")];
    expect(rows[0].querySelector(".badge-unlisted")?.textContent).toBe("unlisted columns");
    expect(rows[2].querySelector(".badge-unlisted")?.textContent).toBe("not in policy");
  });

  it("reports a table of the policy that the catalog lacks", () => {
    renderSchema(root, DISAGREE, () => undefined);
    const rows = [...root.querySelectorAll(".schema-row")];
    const missing = rows[1].querySelector<HTMLElement>(".badge-missing");
    expect(missing?.textContent).toBe("not in catalog");
    expect(missing?.title).toContain("not in the catalog (Glue)");
    expect(rows[0].querySelector(".badge-missing")).toBeNull();
  });
});

describe("schema refresh", () => {
  it("says when the schema was read and whether it was kept from an earlier session", () => {
    const now = new Date("2026-12-04T20:05:00Z");
    expect(readAtText(CATALOG, now)).toMatch(/^Read 5 min ago \(4 Dec 2026, \d\d:00\), kept on this machine$/);
    expect(readAtText({ ...CATALOG, fromCache: false }, now)).toMatch(/^Read 5 min ago \(4 Dec 2026, \d\d:00\)$/);
    renderSchema(root, CATALOG, () => undefined);
    expect(root.querySelector(".schema-read")?.textContent).toContain("kept on this machine");
    // Without a refresh action there is no button.
    expect(root.querySelector(".schema-refresh")).toBeNull();
  });

  it("reads the catalog again on Refresh, disabled while it reads", async () => {
    let finish: () => void = () => undefined;
    const refresh = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    renderSchema(root, CATALOG, () => undefined, refresh);
    const button = root.querySelector<HTMLButtonElement>(".schema-refresh");
    expect(button?.getAttribute("aria-label")).toBe("Refresh the schema: read the catalog again");
    button?.click();
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(button?.disabled).toBe(true);
    expect(button?.textContent).toBe("Refreshing…");
    finish();
    await Promise.resolve();
    await Promise.resolve();
    expect(button?.disabled).toBe(false);
    expect(button?.textContent).toBe("Refresh");
  });

  it("keeps the schema shown and says why when the refresh fails", async () => {
    const refresh = vi.fn(() => Promise.reject({ kind: "engine", message: "glue:GetTables was refused (AccessDenied)" }));
    renderSchema(root, CATALOG, () => undefined, refresh);
    root.querySelector<HTMLButtonElement>(".schema-refresh")?.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const read = root.querySelector(".schema-read");
    expect(read?.classList.contains("is-error")).toBe(true);
    expect(read?.textContent).toContain("Could not read the schema again.");
    expect(read?.textContent).toContain("glue:GetTables was refused (AccessDenied)");
    expect(root.querySelectorAll(".schema-table-name")).toHaveLength(2);
  });
});

describe("status bar", () => {
  it("shows workspace, engine, policy with short fingerprint and database", () => {
    const status = document.getElementById("status") as HTMLElement;
    renderStatus(status, {
      workspace: "demo",
      engine: "datafusion",
      policyName: "demo-analyst",
      policyFingerprint: "sha256:3f9a1c0e7b2d4a6f",
      defaultDatabase: null,
      home: "/home/a/.warden",
    });
    const values = [...status.querySelectorAll(".status-value")].map((node) => node.textContent);
    expect(values).toEqual(["demo", "datafusion", "demo-analyst (3f9a1c0e)", "none"]);
  });

  it("shortens fingerprints with or without an algorithm prefix", () => {
    expect(shortFingerprint("sha256:abcdef0123456789")).toBe("abcdef01");
    expect(shortFingerprint("abcdef0123456789")).toBe("abcdef01");
    expect(shortFingerprint("")).toBe("");
  });
});
