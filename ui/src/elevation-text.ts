// Words and checks for elevations: durations, how a request is approved,
// what the status bar and the banner say, and the checks made before a
// request is sent. The backend checks every request again; these only
// spare the user a round trip.
import type { ActiveElevation, ElevationOption, ElevationRefusal, ElevationStatus, PendingElevation } from "./api";
import { formatDateTime } from "./time";

/** The durations the dialog offers, as far as the elevation's maximum allows. */
export const DURATION_STEPS_S = [300, 900, 1800, 3600, 7200, 14_400, 28_800];

const positive = (value: number) => Number.isFinite(value) && value > 0;

/** "45 s", "15 min", "1 h", "1 h 30 min". */
export function durationLabel(seconds: number): string {
  if (!positive(seconds)) return "unknown";
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} h`);
  if (minutes > 0) parts.push(`${minutes} min`);
  if (rest > 0) parts.push(`${rest} s`);
  return parts.join(" ");
}

/**
 * The durations to offer, shortest first: the usual steps up to the maximum,
 * the maximum itself, and always the default (which the dialog preselects).
 * Without a usable maximum only the default is offered.
 */
export function durationChoices(option: Pick<ElevationOption, "defaultDurationS" | "maxDurationS">): number[] {
  const choices = new Set<number>();
  if (positive(option.maxDurationS)) {
    for (const step of DURATION_STEPS_S) if (step <= option.maxDurationS) choices.add(step);
    choices.add(option.maxDurationS);
  }
  if (positive(option.defaultDurationS)) choices.add(option.defaultDurationS);
  return [...choices].sort((a, b) => a - b);
}

/**
 * How much more (seconds) a grant of `option` ending at `expiresAtMs` may be given at `now`:
 * its new end may be at most the elevation's maximum from now.
 */
export function extensionRoomS(option: Pick<ElevationOption, "maxDurationS">, expiresAtMs: number, now: number): number {
  if (!positive(option.maxDurationS)) return 0;
  return Math.max(0, Math.floor((option.maxDurationS * 1000 - (expiresAtMs - now)) / 1000));
}

/** The durations an extension may ask for: the usual choices that fit, and the most that fits (whole minutes). */
export function extensionChoices(
  option: Pick<ElevationOption, "defaultDurationS" | "maxDurationS">,
  expiresAtMs: number,
  now: number,
): number[] {
  const room = extensionRoomS(option, expiresAtMs, now);
  const choices = new Set(durationChoices(option).filter((seconds) => seconds <= room));
  const whole = Math.floor(room / 60) * 60;
  if (whole > 0) choices.add(whole);
  return [...choices].sort((a, b) => a - b);
}

/** "14:20": a time of day on this machine's clock. */
export function clockTime(ms: number): string {
  const at = new Date(ms);
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

/** "pii-read extended until 14:20." */
export function extendedText(name: string, expiresAtMs: number): string {
  return `${name} extended until ${clockTime(expiresAtMs)}.`;
}

/** How a request for this elevation is decided. Anything unknown reads as needing an approver. */
export function approvalText(approval: ElevationOption["approval"]): string {
  return approval === "auto" ? "Approved automatically by policy" : "An approver must approve it";
}

/**
 * Whether `ticket` matches `pattern` as a whole; null when the pattern does
 * not compile here (it is written for the backend's regex engine, which
 * then decides). Unicode mode, so escapes this engine does not know fail to
 * compile instead of quietly matching something else.
 */
export function ticketMatches(pattern: string, ticket: string): boolean | null {
  let whole: RegExp;
  try {
    whole = new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    return null;
  }
  return whole.test(ticket);
}

/**
 * The ticket pattern as the dialog shows it: a leading `^` and a trailing
 * `$` are left out, since the whole ticket has to match anyway.
 */
export function ticketFormat(pattern: string): string {
  let shown = pattern;
  if (shown.startsWith("^")) shown = shown.slice(1);
  // A trailing `\$` is a literal dollar sign and stays.
  const backslashes = /(\\*)\$$/.exec(shown)?.[1].length ?? -1;
  if (backslashes >= 0 && backslashes % 2 === 0) shown = shown.slice(0, -1);
  return shown || pattern;
}

/** The hint beside the Ticket label: "(must match INC-[0-9]+)". */
export function ticketHint(pattern: string): string {
  return `(must match ${ticketFormat(pattern)})`;
}

export interface RequestFields {
  justification: string;
  ticket: string;
}

export type FieldProblem = { field: "justification" | "ticket"; message: string };

/** What is wrong with a request before it is sent, or null when it may go. */
export function checkRequest(option: ElevationOption, fields: RequestFields): FieldProblem | null {
  if (option.justification === "required" && fields.justification.trim() === "") {
    return { field: "justification", message: `Say why you need ${option.name}: a justification is required.` };
  }
  if (option.ticketPattern !== null) {
    const ticket = fields.ticket.trim();
    if (ticketMatches(option.ticketPattern, ticket) === false) {
      const format = ticketFormat(option.ticketPattern);
      return {
        field: "ticket",
        message:
          ticket === ""
            ? `Enter a ticket for ${option.name}; it must match ${format}.`
            : `The ticket ${ticket} does not match ${format}.`,
      };
    }
  }
  return null;
}

/** "14 min", "1 h", "1 h 5 min", rounded up to the minute; null once the time is up. */
export function timeLeft(expiresAtMs: number, now: number): string | null {
  const left = expiresAtMs - now;
  if (!(left > 0)) return null;
  const minutes = Math.ceil(left / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** Active elevations that end within the warning window (or are ending now). */
export function endingSoon(status: Pick<ElevationStatus, "active" | "warnBeforeS">, now: number): ActiveElevation[] {
  return status.active.filter((grant) => grant.expiresAtMs - now <= status.warnBeforeS * 1000);
}

/** "pii-read", "pii-read and large-scan", "a, b and c". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function grantText(grant: ActiveElevation, now: number): string {
  const left = timeLeft(grant.expiresAtMs, now);
  return left ? `${grant.name} · ${left} left` : `${grant.name} · ending`;
}

function grantTitle(grant: ActiveElevation): string {
  const by = grant.approver ? `approved by ${grant.approver}` : "approved by policy";
  return `${grant.name}: granted ${formatDateTime(new Date(grant.grantedAtMs).toISOString())}, ends ${formatDateTime(new Date(grant.expiresAtMs).toISOString())} (${by})`;
}

/** When a request was sent, as a time of day. */
function sentAt(request: PendingElevation): string {
  return request.requestedAtMs > 0 ? `, sent ${formatDateTime(new Date(request.requestedAtMs).toISOString())}` : "";
}

function pendingTitle(request: PendingElevation): string {
  const id = request.requestId ? `request ${request.requestId}` : "request";
  return `${request.name}: waiting for an approver (${id}${sentAt(request)})`;
}

/** What precedes the names of requests waiting for an approver in the status bar. */
export const WAITING_LABEL = "waiting for approval:";

export interface ElevationItemDisplay {
  /** "Elevated" while any is active, else "Elevation". */
  label: string;
  /** One entry per active elevation: "pii-read · 14 min left". */
  grants: Array<{ name: string; text: string }>;
  /** Names of the elevations waiting for an approver, each once; shown after `WAITING_LABEL`. */
  pending: string[];
  warning: boolean;
  title: string;
}

/** The status bar item for `status`, or null when nothing is active or pending. */
export function describeElevations(status: ElevationStatus, now: number): ElevationItemDisplay | null {
  if (status.active.length === 0 && status.pending.length === 0) return null;
  return {
    label: status.active.length > 0 ? "Elevated" : "Elevation",
    grants: status.active.map((grant) => ({ name: grant.name, text: grantText(grant, now) })),
    pending: [...new Set(status.pending.map((request) => request.name))],
    warning: endingSoon(status, now).length > 0,
    title: [...status.active.map(grantTitle), ...status.pending.map(pendingTitle)].join("\n"),
  };
}

/** "pii-read ends in 4 min. Queries that need it and are still running then are cancelled." */
export function warningText(grants: readonly ActiveElevation[], now: number): string | null {
  if (grants.length === 0) return null;
  const sentences = grants.map((grant) => {
    const left = timeLeft(grant.expiresAtMs, now);
    return left ? `${grant.name} ends in ${left}.` : `${grant.name} is ending now.`;
  });
  const them = grants.length === 1 ? "it" : "them";
  return `${sentences.join(" ")} Queries that need ${them} and are still running then are cancelled.`;
}

/** "pii-read has ended; the editor is back to your usual access." */
export function endedText(names: readonly string[]): string | null {
  if (names.length === 0) return null;
  return `${listNames(names)} ${names.length === 1 ? "has" : "have"} ended; the editor is back to your usual access.`;
}

/** The verdict box's note while a request waits: "Waiting for an approver: large-scan". */
export function pendingNote(name: string): string {
  return `Waiting for an approver: ${name}`;
}

/** The note's tooltip, which carries the request id. */
export function pendingNoteTitle(request: PendingElevation): string {
  return pendingTitle(request);
}

/** Backend reasons start in lower case; in the banner they start a sentence. */
function capitalized(value: string): string {
  return value ? value[0].toUpperCase() + value.slice(1) : value;
}

/** "large-scan was not granted: Denied by alice." One sentence per refusal, in the order given. */
export function refusalText(refusals: readonly ElevationRefusal[]): string | null {
  if (refusals.length === 0) return null;
  return refusals
    .map((refusal) => {
      const reason = capitalized(refusal.reason.trim());
      if (reason === "") return `${refusal.name} was not granted.`;
      return `${refusal.name} was not granted: ${reason}${/[.!?]$/.test(reason) ? "" : "."}`;
    })
    .join(" ");
}

/** Elevations an `elevate` verdict needs that cannot be requested now: "Elevation requests are unavailable right now". */
export const UNAVAILABLE_NOTE = "Elevation requests are unavailable right now";
