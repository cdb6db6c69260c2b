// Words and checks for elevations: durations, how a request is approved,
// what the status bar and the banner say, and the checks made before a
// request is sent. The backend checks every request again; these only
// spare the user a round trip.
import type { ActiveElevation, ElevationOption, ElevationStatus, PendingElevation } from "./api";
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
      return {
        field: "ticket",
        message:
          ticket === ""
            ? `Enter a ticket for ${option.name} (format ${option.ticketPattern}).`
            : `The ticket ${ticket} does not have the expected format (${option.ticketPattern}).`,
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

function pendingTitle(request: PendingElevation): string {
  return `${request.name}: waiting for an approver (request ${request.requestId})`;
}

export interface ElevationItemDisplay {
  /** "Elevated" while any is active, else "Elevation". */
  label: string;
  /** One entry per active elevation: "pii-read · 14 min left". */
  grants: Array<{ name: string; text: string }>;
  /** "pending: large-scan", or "" when nothing waits. */
  pending: string;
  warning: boolean;
  title: string;
}

/** The status bar item for `status`, or null when nothing is active or pending. */
export function describeElevations(status: ElevationStatus, now: number): ElevationItemDisplay | null {
  if (status.active.length === 0 && status.pending.length === 0) return null;
  return {
    label: status.active.length > 0 ? "Elevated" : "Elevation",
    grants: status.active.map((grant) => ({ name: grant.name, text: grantText(grant, now) })),
    pending: status.pending.length > 0 ? `pending: ${status.pending.map((request) => request.name).join(", ")}` : "",
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

/** "Waiting for an approver (request req-7)". */
export function pendingNote(requestId: string): string {
  return requestId ? `Waiting for an approver (request ${requestId})` : "Waiting for an approver";
}
