import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatDuration, resultMeta } from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.0 KB"],
    [1536, "1.5 KB"],
    [12_345_678, "12.3 MB"],
    [999_960, "1.0 MB"],
    [250_000_000, "250 MB"],
    [3_200_000_000, "3.2 GB"],
    [1.5e12, "1.5 TB"],
    [2e18, "2000 PB"],
  ])("%d bytes reads %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("says so when the size is not a real number", () => {
    expect(formatBytes(-1)).toBe("unknown size");
    expect(formatBytes(Number.NaN)).toBe("unknown size");
  });
});

describe("formatDuration", () => {
  it.each([
    [45, "45 ms"],
    [999.4, "999 ms"],
    [1234, "1.2 s"],
    [59_940, "59.9 s"],
    [59_960, "1 min 0 s"],
    [125_000, "2 min 5 s"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("result meta line", () => {
  it("joins rows, bytes scanned and time", () => {
    expect(resultMeta(1_234, 12_345_678, 45)).toBe("1,234 rows · 12.3 MB scanned · 45 ms");
  });

  it("uses the singular for one row", () => {
    expect(resultMeta(1, 10, 3)).toBe("1 row · 10 B scanned · 3 ms");
    expect(formatCount(0, "row")).toBe("0 rows");
  });
});
