import { describe, expect, it } from "vitest";
import { describeError, isWorkspaceUnavailable } from "./errors";

describe("describeError", () => {
  it("leads each known kind with plain words", () => {
    expect(describeError({ kind: "blocked", message: "Column email is tagged pii." })).toBe(
      "Not allowed: Column email is tagged pii.",
    );
    expect(describeError({ kind: "engine", message: "Table nowhere does not exist." })).toBe(
      "The query failed: Table nowhere does not exist.",
    );
    expect(describeError({ kind: "invalid", message: "The SQL is empty." })).toBe(
      "The request was not valid: The SQL is empty.",
    );
    expect(describeError({ kind: "internal", message: "The journal is locked." })).toBe(
      "Something went wrong inside Warden: The journal is locked.",
    );
    expect(describeError({ kind: "unavailable", message: "the configuration file config.toml is not valid" })).toBe(
      "The workspace cannot be opened: the configuration file config.toml is not valid",
    );
    expect(isWorkspaceUnavailable({ kind: "unavailable", message: "x" })).toBe(true);
    expect(isWorkspaceUnavailable({ kind: "internal", message: "x" })).toBe(false);
    expect(isWorkspaceUnavailable("unavailable")).toBe(false);
  });

  it("shows a plain string as it is", () => {
    expect(describeError("Workspace not found.")).toBe("Workspace not found.");
    expect(describeError("   ")).toBe("Something went wrong.");
  });

  it("keeps only the message of an Error", () => {
    expect(describeError(new TypeError("x is undefined"))).toBe("Something went wrong: x is undefined");
  });

  it("never dumps an object of unknown shape", () => {
    const weird = { kind: "exotic", detail: { stack: ["a", "b"] }, message: { nested: true } };
    const text = describeError(weird);
    expect(text).toBe("Something went wrong.");
    for (const value of [weird, { a: 1 }, [1, 2], null, undefined, 42, Symbol("s")]) {
      const shown = describeError(value);
      expect(shown).not.toMatch(/[{}[\]]|object Object|undefined|null/);
      expect(shown.startsWith("Something went wrong")).toBe(true);
    }
  });

  it("keeps the message of an unknown kind behind the generic sentence", () => {
    expect(describeError({ kind: "exotic", message: "Disk full." })).toBe("Something went wrong: Disk full.");
    expect(describeError({ kind: "toString", message: "Disk full." })).toBe("Something went wrong: Disk full.");
  });

  it("clips very long messages", () => {
    const text = describeError({ kind: "engine", message: "x".repeat(5000) });
    expect(text.length).toBeLessThan(700);
    expect(text.endsWith("…")).toBe(true);
  });
});
