import { describe, expect, it } from "vitest";
import { renderDatabases } from "./database";

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
});
