// Times as people read them: local, English month names, and "5 min ago".
// The backend sends RFC 3339 strings; anything unparseable reads "unknown time".

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const UNKNOWN = "unknown time";

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

const two = (value: number) => String(value).padStart(2, "0");

/** Local date: "21 Dec 2026". */
export function formatDate(iso: string | null | undefined): string {
  const date = parse(iso);
  if (!date) return UNKNOWN;
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
}

/** Local date and time: "21 Dec 2026, 14:03" (with `:05` seconds when asked). */
export function formatDateTime(iso: string | null | undefined, options: { seconds?: boolean } = {}): string {
  const date = parse(iso);
  if (!date) return UNKNOWN;
  const time = `${two(date.getHours())}:${two(date.getMinutes())}${options.seconds ? `:${two(date.getSeconds())}` : ""}`;
  return `${formatDate(iso)}, ${time}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", "in 4 days"; a date past 30 days. */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  const date = parse(iso);
  if (!date) return UNKNOWN;
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const past = seconds >= 0;
  const span = Math.abs(seconds);
  if (span < 45) return "just now";
  let amount: string;
  if (span < 3600) {
    amount = `${Math.floor(span / 60) || 1} min`;
  } else if (span < 86_400) {
    amount = `${Math.floor(span / 3600)} h`;
  } else if (span < 30 * 86_400) {
    const days = Math.floor(span / 86_400);
    amount = `${days} ${days === 1 ? "day" : "days"}`;
  } else {
    return formatDate(iso);
  }
  return past ? `${amount} ago` : `in ${amount}`;
}

/** True when `iso` is a real time before `now`. */
export function isPast(iso: string | null | undefined, now: Date = new Date()): boolean {
  const date = parse(iso);
  return date !== null && date.getTime() < now.getTime();
}

/** Whether `a` is strictly later than `b`; unparseable times are never later. */
export function isLater(a: string | null | undefined, b: string | null | undefined): boolean {
  const first = parse(a);
  const second = parse(b);
  return first !== null && second !== null && first.getTime() > second.getTime();
}

const RFC3339 = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Replaces RFC 3339 times inside a backend message with local ones. */
export function localizeTimes(message: string): string {
  return message.replace(RFC3339, (iso) => formatDateTime(iso));
}
