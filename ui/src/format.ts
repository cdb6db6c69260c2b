// Human-readable numbers for the result meta line.

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** Decimal (SI) units, as Athena reports data scanned: 12_300_000 -> "12.3 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "unknown size";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // 999.96 KB would print as "1000.0 KB": carry into the next unit instead.
  if (Number(value.toFixed(1)) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

export function formatCount(count: number, noun: string, plural = `${noun}s`): string {
  const safe = Number.isFinite(count) && count >= 0 ? Math.floor(count) : 0;
  return `${safe.toLocaleString("en-US")} ${safe === 1 ? noun : plural}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown time";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes} min ${seconds} s`;
}

export function resultMeta(rowCount: number, bytesScanned: number, durationMs: number): string {
  return [
    formatCount(rowCount, "row"),
    `${formatBytes(bytesScanned)} scanned`,
    formatDuration(durationMs),
  ].join(" · ");
}
