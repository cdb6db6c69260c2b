import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatRelative, isLater, isPast, localizeTimes } from "./time";

// Built from local components so the expectations hold in any time zone.
const local = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => new Date(y, m - 1, d, h, min, s).toISOString();

describe("absolute times", () => {
  it("reads a date as day, English month and year", () => {
    expect(formatDate(local(2026, 12, 21, 9, 30))).toBe("21 Dec 2026");
    expect(formatDate(local(2027, 1, 5))).toBe("5 Jan 2027");
    expect(formatDate(local(2026, 9, 1))).toBe("1 Sep 2026");
  });

  it("adds the local time, with seconds when asked", () => {
    expect(formatDateTime(local(2026, 11, 21, 14, 3, 5))).toBe("21 Nov 2026, 14:03");
    expect(formatDateTime(local(2026, 11, 21, 4, 7, 9), { seconds: true })).toBe("21 Nov 2026, 04:07:09");
  });

  it("says unknown time for missing or unparseable input", () => {
    expect(formatDate(null)).toBe("unknown time");
    expect(formatDate("soon")).toBe("unknown time");
    expect(formatDateTime(undefined)).toBe("unknown time");
  });

  it("rewrites RFC 3339 times inside a message as local times", () => {
    const at = local(2026, 12, 21, 18, 0);
    expect(localizeTimes(`the policy bundle expired at ${at}; refused from ${at}`)).toBe(
      "the policy bundle expired at 21 Dec 2026, 18:00; refused from 21 Dec 2026, 18:00",
    );
    expect(localizeTimes("at 2026-12-21T17:00:00+01:00 sharp")).toBe(`at ${formatDateTime("2026-12-21T16:00:00Z")} sharp`);
    expect(localizeTimes("revision 3, no time here")).toBe("revision 3, no time here");
  });
});

describe("relative times", () => {
  const now = new Date(2026, 10, 21, 12, 0, 0);
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it.each([
    [10_000, "just now"],
    [50_000, "1 min ago"],
    [5 * 60_000, "5 min ago"],
    [59 * 60_000 + 59_000, "59 min ago"],
    [3 * 3_600_000 + 40 * 60_000, "3 h ago"],
    [86_400_000, "1 day ago"],
    [6 * 86_400_000, "6 days ago"],
    [-2 * 86_400_000, "in 2 days"],
    [-20 * 60_000, "in 20 min"],
  ])("%d ms before now reads %s", (ms, text) => {
    expect(formatRelative(ago(ms), now)).toBe(text);
  });

  it("falls back to the date after a month", () => {
    expect(formatRelative(local(2026, 9, 1, 12), now)).toBe("1 Sep 2026");
  });

  it("compares times", () => {
    expect(isPast(ago(1000), now)).toBe(true);
    expect(isPast(ago(-1000), now)).toBe(false);
    expect(isPast("nonsense", now)).toBe(false);
    expect(isLater(ago(0), ago(1000))).toBe(true);
    expect(isLater(ago(1000), ago(0))).toBe(false);
    expect(isLater(null, ago(0))).toBe(false);
  });
});
