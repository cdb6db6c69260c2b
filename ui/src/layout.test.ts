import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { NOTE_MAX_MS, NOTE_MS, noteMs, showNote } from "./layout";

describe("showNote", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("clears a short confirmation after NOTE_MS", () => {
    const note = document.createElement("span");
    showNote({ note }, "Copied the cell.");
    vi.advanceTimersByTime(NOTE_MS - 1);
    expect(note.textContent).toBe("Copied the cell.");
    vi.advanceTimersByTime(1);
    expect(note.textContent).toBe("");
  });

  it("keeps a long note until it can be read", () => {
    const note = document.createElement("span");
    const message =
      "Copied 3 rows as TSV; 2 values starting like a formula got a leading ' (menu: Copy values as-is).";
    expect(noteMs(message)).toBeGreaterThan(NOTE_MS);
    showNote({ note }, message);
    vi.advanceTimersByTime(NOTE_MS);
    expect(note.textContent).toBe(message);
    vi.advanceTimersByTime(noteMs(message) - NOTE_MS);
    expect(note.textContent).toBe("");
  });

  it("keeps no note longer than NOTE_MAX_MS", () => {
    const note = document.createElement("span");
    const message = `Copied the column ${"x".repeat(1000)} (3 rows) as TSV.`;
    expect(noteMs(message)).toBe(NOTE_MAX_MS);
    showNote({ note }, message);
    vi.advanceTimersByTime(NOTE_MAX_MS);
    expect(note.textContent).toBe("");
  });

  it("lets a newer note replace an older one and keep its own time", () => {
    const note = document.createElement("span");
    const long = "x".repeat(100);
    showNote({ note }, "Copied the cell.");
    vi.advanceTimersByTime(NOTE_MS - 500);
    showNote({ note }, long);
    // The older note's time is up, and it does not clear the newer one.
    vi.advanceTimersByTime(1000);
    expect(note.textContent).toBe(long);
    vi.advanceTimersByTime(noteMs(long) - 1000);
    expect(note.textContent).toBe("");
  });
});
