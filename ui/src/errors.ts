// Turns whatever a failed command or a thrown exception carries into one
// plain sentence. Objects are never serialised: only a known `message`
// string is ever shown, so no debug dump reaches the window.

const MAX_MESSAGE = 600;

const LEADS = new Map<unknown, string>([
  ["blocked", "Not allowed"],
  ["engine", "The query failed"],
  ["invalid", "The request was not valid"],
  ["unavailable", "The workspace cannot be opened"],
  ["internal", "Something went wrong inside Warden"],
]);

const GENERIC = "Something went wrong";

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_MESSAGE ? `${trimmed.slice(0, MAX_MESSAGE - 1)}…` : trimmed;
}

function withLead(lead: string, message: string | null): string {
  if (!message) return `${lead}.`;
  return `${lead}: ${message}`;
}

function messageOf(value: unknown): string | null {
  if (typeof value === "object" && value !== null && "message" in value) {
    const message = (value as { message: unknown }).message;
    if (typeof message === "string" && message.trim() !== "") return clip(message);
  }
  return null;
}

/** A plain-words description of an error of any shape. */
export function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null && (error as { kind?: unknown }).kind === "cancelled") {
    return "The query was cancelled.";
  }
  if (typeof error === "string") {
    return error.trim() === "" ? `${GENERIC}.` : clip(error);
  }
  const message = messageOf(error);
  if (typeof error === "object" && error !== null && "kind" in error) {
    const lead = LEADS.get((error as { kind: unknown }).kind);
    if (lead) return withLead(lead, message);
  }
  return withLead(GENERIC, message);
}

/** Whether a command failed because the workspace could not be opened (every command then does). */
export function isWorkspaceUnavailable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { kind?: unknown }).kind === "unavailable";
}
