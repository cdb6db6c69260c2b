import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throttle } from "./throttle";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date(2026, 10, 21, 12, 0, 0));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("throttle", () => {
  it("runs at once, then at most once per interval", () => {
    const action = vi.fn();
    const refresh = throttle(action, 30_000);
    expect(refresh()).toBe(true);
    expect(action).toHaveBeenCalledTimes(1);

    vi.advanceTimersByTime(10_000);
    expect(refresh()).toBe(false);
    vi.advanceTimersByTime(19_999);
    expect(refresh()).toBe(false);
    expect(action).toHaveBeenCalledTimes(1);

    vi.advanceTimersByTime(1);
    expect(refresh()).toBe(true);
    expect(action).toHaveBeenCalledTimes(2);
  });

  it("drops calls inside the interval instead of running them later", () => {
    const action = vi.fn();
    const refresh = throttle(action, 30_000);
    refresh();
    refresh();
    refresh();
    vi.advanceTimersByTime(120_000);
    expect(action).toHaveBeenCalledTimes(1);
  });

  it("measures from the last run, not the last call", () => {
    const action = vi.fn();
    const refresh = throttle(action, 30_000);
    refresh();
    vi.advanceTimersByTime(25_000);
    refresh(); // dropped: does not push the window out
    vi.advanceTimersByTime(5_000);
    expect(refresh()).toBe(true);
    expect(action).toHaveBeenCalledTimes(2);
  });

  it("runs again at once after reset", () => {
    const action = vi.fn();
    const refresh = throttle(action, 30_000);
    refresh();
    refresh.reset();
    expect(refresh()).toBe(true);
    expect(action).toHaveBeenCalledTimes(2);
  });
});
