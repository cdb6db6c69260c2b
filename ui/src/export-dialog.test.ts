import { afterEach, describe, expect, it, vi } from "vitest";
import type { ExportDone } from "./api";
import { ExportDialog, exportedText, switchExtension, withExtension } from "./export-dialog";
import fixtures from "./gen/fixtures.json";
import { FIXTURES, installMockBackend } from "./mock";
import * as api from "./api";

afterEach(() => {
  document.body.replaceChildren();
});

describe("export helpers", () => {
  it("add the format's extension only when the file has none", () => {
    expect(withExtension("/home/ana/report", "csv")).toBe("/home/ana/report.csv");
    expect(withExtension(" /home/ana/report.json ", "csv")).toBe("/home/ana/report.json");
    expect(withExtension("/home/ana.v2/report", "json")).toBe("/home/ana.v2/report.json");
    expect(withExtension("  ", "csv")).toBe("");
  });

  it("switch the other format's extension only", () => {
    expect(switchExtension("/home/ana/orders.csv", "json")).toBe("/home/ana/orders.json");
    expect(switchExtension("/home/ana/orders.JSON", "csv")).toBe("/home/ana/orders.csv");
    expect(switchExtension("/home/ana/orders.csv", "csv")).toBe("/home/ana/orders.csv");
    expect(switchExtension("/home/ana/orders.txt", "json")).toBe("/home/ana/orders.txt");
    expect(switchExtension("/home/ana/csv", "json")).toBe("/home/ana/csv");
  });

  it("say how many rows went where", () => {
    expect(exportedText({ rows: 12_345, path: "/tmp/a.csv" })).toBe("Exported 12,345 rows to /tmp/a.csv");
    expect(exportedText({ rows: 1, path: "/tmp/a.csv" })).toBe("Exported 1 row to /tmp/a.csv");
  });
});

describe("the export dialog", () => {
  it("takes the path from the Save dialog, in the format picked, and keeps the typed one when it is closed", async () => {
    const write = vi.fn((path: string) => Promise.resolve<ExportDone>({ rows: 3, path }));
    const choose = vi.fn(async () => "/home/ana/Downloads/orders.json");
    const dialog = new ExportDialog(document.body, 3, { write, done: vi.fn(), choose });
    expect(dialog.choose.getAttribute("aria-label")).toBe("Choose the file in a Save dialog");
    dialog.format.value = "json";
    dialog.path.value = "/home/ana/draft";
    dialog.choose.click();
    await vi.waitFor(() => expect(dialog.path.value).toBe("/home/ana/Downloads/orders.json"));
    expect(choose).toHaveBeenCalledWith("json", "/home/ana/draft");
    expect(document.activeElement).toBe(dialog.submit);

    // The format changed after the file was picked: its name follows.
    dialog.format.value = "csv";
    dialog.format.dispatchEvent(new Event("change"));
    expect(dialog.path.value).toBe("/home/ana/Downloads/orders.csv");
    dialog.format.value = "json";
    dialog.format.dispatchEvent(new Event("change"));
    expect(dialog.path.value).toBe("/home/ana/Downloads/orders.json");

    choose.mockResolvedValueOnce(null as unknown as string);
    dialog.choose.click();
    await vi.waitFor(() => expect(choose).toHaveBeenCalledTimes(2));
    expect(dialog.path.value).toBe("/home/ana/Downloads/orders.json");
    dialog.submit.click();
    await vi.waitFor(() => expect(write).toHaveBeenCalledWith("/home/ana/Downloads/orders.json", "json"));
  });

  it("shows why the Save dialog could not open", async () => {
    const choose = vi.fn(async () => {
      throw { kind: "internal", message: "the save dialog closed without an answer" };
    });
    const dialog = new ExportDialog(document.body, 3, { write: vi.fn(), done: vi.fn(), choose });
    dialog.choose.click();
    await vi.waitFor(() => expect(dialog.error.textContent).toContain("the save dialog closed without an answer"));
    expect(dialog.choose.disabled).toBe(false);
  });

  it("sends the format and the path, reports the file and closes", async () => {
    const write = vi.fn((path: string) => Promise.resolve<ExportDone>({ rows: 3, path }));
    const done = vi.fn();
    const dialog = new ExportDialog(document.body, 3, { write, done, choose: vi.fn() });
    expect(document.querySelector("#export-dialog")?.getAttribute("role")).toBe("dialog");
    expect(document.querySelector("#export-text")?.textContent).toContain("All 3 rows of this result");
    expect(document.activeElement).toBe(dialog.path);
    dialog.format.value = "json";
    dialog.path.value = "/home/ana/orders";
    dialog.submit.click();
    await vi.waitFor(() => expect(done).toHaveBeenCalledWith({ rows: 3, path: "/home/ana/orders.json" }));
    expect(write).toHaveBeenCalledWith("/home/ana/orders.json", "json");
    expect(dialog.isOpen).toBe(false);
    expect(document.querySelector("#export-dialog")).toBeNull();
  });

  it("asks for a path, and shows the backend's refusal without closing", async () => {
    const write = vi.fn(() => Promise.reject({ kind: "invalid", message: "cannot export the result: out.csv is not an absolute path" }));
    const dialog = new ExportDialog(document.body, 3, { write, done: vi.fn(), choose: vi.fn() });
    dialog.submit.click();
    await Promise.resolve();
    expect(write).not.toHaveBeenCalled();
    expect(dialog.error.hidden).toBe(false);
    expect(dialog.path.getAttribute("aria-invalid")).toBe("true");
    dialog.path.value = "out.csv";
    dialog.submit.click();
    await vi.waitFor(() => expect(dialog.error.textContent).toContain("not an absolute path"));
    expect(dialog.isOpen).toBe(true);
    expect(dialog.submit.disabled).toBe(false);
  });

  it("closes on Escape", () => {
    const dialog = new ExportDialog(document.body, 1, { write: vi.fn(), done: vi.fn(), choose: vi.fn() });
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(dialog.isOpen).toBe(false);
  });
});

describe("the mock backend's export", () => {
  it("answers as the real backend recorded, and refuses a relative path as it did", async () => {
    installMockBackend(FIXTURES);
    const id = fixtures.run_query.result.resultId;
    await expect(api.exportResult(id, "/tmp/x.csv", "csv")).resolves.toEqual({ rows: fixtures.export_result.rows, path: "/tmp/x.csv" });
    await expect(api.exportResult(id, "x.csv", "csv")).rejects.toEqual(fixtures.errors.export_relative);
  });
});
