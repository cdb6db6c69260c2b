import { describe, expect, it } from "vitest";
import { pickedDatabase, renderDatabases } from "./database";

describe("the database picker", () => {
  it("lists the catalog's databases with the current one selected", () => {
    const select = document.createElement("select");
    renderDatabases(select, ["sales", "web"], "web");
    expect(Array.from(select.options).map((o) => o.value)).toEqual(["sales", "web"]);
    expect(select.value).toBe("web");
    expect(select.disabled).toBe(false);
  });

  it("keeps a configured default the catalog does not list, and is off when there is nothing", () => {
    const select = document.createElement("select");
    renderDatabases(select, ["sales"], "archive");
    expect(Array.from(select.options).map((o) => o.value)).toEqual(["archive", "sales"]);
    expect(select.value).toBe("archive");
    renderDatabases(select, [], null);
    expect(select.options).toHaveLength(0);
    expect(select.disabled).toBe(true);
  });

  it("shows a tab without a database as (no database), selected first, read back as null", () => {
    const select = document.createElement("select");
    renderDatabases(select, ["sales", "web"], null);
    expect(Array.from(select.options).map((o) => [o.value, o.textContent])).toEqual([
      ["", "(no database)"],
      ["sales", "sales"],
      ["web", "web"],
    ]);
    expect(select.value).toBe("");
    expect(select.selectedIndex).toBe(0);
    expect(pickedDatabase(select.value)).toBeNull();
    // Picking a listed database is a change from what is shown.
    select.value = "sales";
    expect(pickedDatabase(select.value)).toBe("sales");
    // A tab with a database has no such option.
    renderDatabases(select, ["sales", "web"], "web");
    expect(Array.from(select.options).map((o) => o.value)).toEqual(["sales", "web"]);
  });
});
