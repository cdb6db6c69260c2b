// "Request and run": a query refused for want of an elevation is remembered with the tab it
// belongs to, and runs by itself once that elevation is granted.
//
// At most one pending run per tab. It is decided when the request's grant shows (the request's
// own answer, or a status whose grants name its request id): the tab's text is compared with
// the text asked for, linted afresh under the grant, and run through the window's normal run
// path (the gate checks it again and picks the credentials) only if it is still the same text
// in the same tab, on the same database, and the verdict is now `allow`. Otherwise nothing runs
// and the window is told why in plain words. A denial, a withdrawal, a time-out (a refusal of
// the request, or its request leaving the waiting list without a grant), a refused request,
// signing out, "Don't run" and closing the tab drop it. It is taken out before anything is
// awaited, so it never runs twice.
import type { ElevationDecision, ElevationStatus } from "./api";
import type { CheckOutcome } from "./checker";
import { listNames } from "./elevation-text";
import { describeVerdict } from "./verdict";

/** The query a "Request and run" was pressed for. */
export interface PendingQuery {
  tabId: number;
  /** The tab's whole text when asked: the run needs the same text when the grant comes. */
  text: string;
  database: string | null;
  /** What runs: what Run would have run (the whole text, or the statement at the cursor of several). */
  sql: string;
  /** The elevation asked for. */
  elevation: string;
}

export interface PendingRunHooks {
  /** Tab `tabId`'s text and database now, or null when the tab is gone. */
  current(tabId: number): { text: string; database: string | null } | null;
  /** Resolves once no query is running (the window runs one at a time). */
  idle(): Promise<void>;
  /** Whether a query is running now. */
  busy(): boolean;
  /** Lints `sql` afresh, under the grants in force now (never a remembered answer). */
  lint(sql: string, database: string | null): Promise<CheckOutcome>;
  /** Runs `sql` in tab `tabId` through the window's normal run path. */
  run(tabId: number, sql: string): void;
  /** Plain words about tab `tabId`'s pending run; `notRun`: it will not run, and why. */
  tell(tabId: number, message: string, notRun: boolean): void;
  /** The pending runs changed (the window redraws its note). */
  changed(): void;
}

/** What the request dialog calls for the request it sent with "Request and run". */
export interface PendingAsk {
  /** The request's answer (granted, waiting for an approver, or denied). */
  answered(decision: ElevationDecision): void;
  /** The request failed or its answer was not understood (the dialog says why). */
  failed(): void;
}

/** What the window shows of a tab's pending run. */
export interface PendingView {
  elevation: string;
  /** The request was sent and no answer came yet. */
  asking: boolean;
}

type State =
  | { kind: "asking" }
  /** `seen`: its request was in the waiting list once (so leaving it without a grant ends it). */
  | { kind: "waiting"; requestId: string; seen: boolean };

interface Entry {
  query: PendingQuery;
  state: State;
  token: number;
}

export class PendingRuns {
  private readonly entries = new Map<number, Entry>();
  /** Runs whose grant came, while they are checked again (tab id to token). */
  private readonly firing = new Map<number, number>();
  private tokens = 0;
  /** The newest elevation status seen. */
  private last: ElevationStatus | null = null;

  constructor(private readonly hooks: PendingRunHooks) {}

  /** Tab `tabId`'s pending run, or null. */
  of(tabId: number): PendingView | null {
    const entry = this.entries.get(tabId);
    return entry ? { elevation: entry.query.elevation, asking: entry.state.kind === "asking" } : null;
  }

  /** Whether tab `tabId`'s run is being checked again now that its grant came. */
  deciding(tabId: number): boolean {
    return this.firing.has(tabId);
  }

  /** Remembers `query` (replacing the tab's earlier one) as its request goes out. */
  ask(query: PendingQuery): PendingAsk {
    this.firing.delete(query.tabId);
    const token = ++this.tokens;
    this.entries.set(query.tabId, { query, state: { kind: "asking" }, token });
    this.hooks.changed();
    return {
      answered: (decision) => this.answered(query.tabId, token, decision),
      failed: () => this.drop(query.tabId, token),
    };
  }

  /** A status from the backend (or the one shown, taken again). */
  status(status: ElevationStatus): void {
    this.last = status;
    for (const entry of [...this.entries.values()]) this.judge(entry, status);
  }

  /** "Don't run": forgets tab `tabId`'s pending run; the request itself stands. */
  cancel(tabId: number): void {
    const pending = this.entries.delete(tabId);
    const deciding = this.firing.delete(tabId);
    if (pending || deciding) this.hooks.changed();
  }

  /** Tab `tabId` was closed: its pending run goes with it. */
  closed(tabId: number): void {
    this.cancel(tabId);
  }

  /** Signed out: no pending run survives, and each tab that had one is told. */
  signedOut(): void {
    const tabs = new Map<number, string>();
    for (const entry of this.entries.values()) tabs.set(entry.query.tabId, entry.query.elevation);
    this.entries.clear();
    this.firing.clear();
    if (tabs.size === 0) return;
    this.hooks.changed();
    for (const [tabId, elevation] of tabs) {
      this.hooks.tell(tabId, `You signed out, so the query waiting for ${elevation} will not run.`, true);
    }
  }

  /** Forgets everything (the window goes). */
  clear(): void {
    this.entries.clear();
    this.firing.clear();
  }

  private answered(tabId: number, token: number, decision: ElevationDecision): void {
    const entry = this.entries.get(tabId);
    if (!entry || entry.token !== token || entry.state.kind !== "asking") return;
    switch (decision.outcome) {
      case "granted":
        // Granted at once (the policy approves it): the grant is the answer's.
        void this.fire(entry);
        return;
      case "pending": {
        const requestId = decision.requestId ?? "";
        if (requestId === "") {
          // Without its request's id no grant can be told to be this one's: never guess by name.
          this.drop(tabId, token);
          this.hooks.tell(tabId, `The request for ${entry.query.elevation} has no id to follow, so the query will not run by itself.`, true);
          return;
        }
        // The answer's status may leave the request out; the shown one has it.
        const status = this.last;
        const seen = status !== null && status.pending.some((request) => this.sameRequest(request, requestId));
        entry.state = { kind: "waiting", requestId, seen };
        this.hooks.changed();
        if (status) this.judge(entry, status);
        return;
      }
      default:
        // Denied: the dialog says why; nothing waits any more.
        this.drop(tabId, token);
    }
  }

  /** The request of `entry` is `requestId` (never empty: an answer without one is dropped). */
  private sameRequest(candidate: { requestId: string }, requestId: string): boolean {
    return requestId !== "" && candidate.requestId === requestId;
  }

  /** What `status` means for a run that waits for its grant. */
  private judge(entry: Entry, status: ElevationStatus): void {
    if (entry.state.kind !== "waiting") return;
    const { requestId } = entry.state;
    const name = entry.query.elevation;
    if (status.active.some((grant) => this.sameRequest(grant, requestId))) {
      void this.fire(entry);
      return;
    }
    const refusal = status.refusals.find((candidate) => this.sameRequest(candidate, requestId));
    if (refusal) {
      this.forget(entry);
      const reason = refusal.reason.trim().replace(/[.\s]+$/, "");
      this.hooks.tell(entry.query.tabId, `${name} was not granted${reason ? ` (${reason})` : ""}, so the query did not run.`, true);
      return;
    }
    if (status.pending.some((request) => this.sameRequest(request, requestId))) {
      entry.state.seen = true;
    } else if (entry.state.seen) {
      // Gone from the waiting list without a grant or a refusal: withdrawn (End, Withdraw).
      this.forget(entry);
      this.hooks.tell(entry.query.tabId, `The request for ${name} was withdrawn, so the query will not run.`, true);
    }
  }

  private forget(entry: Entry): void {
    this.drop(entry.query.tabId, entry.token);
  }

  private drop(tabId: number, token: number): void {
    if (this.entries.get(tabId)?.token !== token) return;
    this.entries.delete(tabId);
    this.hooks.changed();
  }

  /** Why the tab no longer holds the query asked for, or null when it does ("" when the tab is gone). */
  private moved(query: PendingQuery): string | null {
    const now = this.hooks.current(query.tabId);
    if (now === null) return "";
    if (now.text !== query.text) return "the query changed since you asked";
    if (now.database !== query.database) return "the database changed since you asked";
    return null;
  }

  /** The grant came: checks the query again and runs it, or says why not. Once per pending run. */
  private async fire(entry: Entry): Promise<void> {
    const { query, token } = entry;
    const { tabId, elevation: name } = query;
    // Out of the pending runs before anything is awaited: a second grant or status finds nothing.
    this.entries.delete(tabId);
    this.firing.set(tabId, token);
    this.hooks.changed();
    const still = () => this.firing.get(tabId) === token;
    const notRun = (why: string, detail = "") =>
      this.hooks.tell(tabId, `${name} granted; ${why}, so it did not run.${detail ? ` ${detail}` : ""}`, true);
    try {
      for (;;) {
        // One query at a time: the one running finishes first.
        await this.hooks.idle();
        if (!still()) return;
        const before = this.moved(query);
        if (before !== null) {
          if (before !== "") notRun(before);
          return;
        }
        const outcome = await this.hooks.lint(query.sql, query.database);
        if (!still()) return;
        const after = this.moved(query);
        if (after !== null) {
          if (after !== "") notRun(after);
          return;
        }
        if (outcome.kind !== "checked") {
          const why = outcome.kind === "unchecked" ? `: ${outcome.message.replace(/[.\s]+$/, "")}` : "";
          notRun(`Warden could not check the query again${why}`);
          return;
        }
        const { report } = outcome;
        if (report.verdict !== "allow") {
          const { reason } = describeVerdict({ kind: "checked", report }, null);
          const needs = [...new Set(report.elevations ?? [])];
          if (report.verdict === "elevate" && needs.length > 0) notRun(`the query still needs ${listNames(needs)}`, reason);
          else notRun("the query is not allowed", reason);
          return;
        }
        if ((report.parameters ?? []).length > 0) {
          notRun("the query has ? parameters", "Press Run to give their values.");
          return;
        }
        // A run started while this one was checked: wait for it, and check again.
        if (this.hooks.busy()) continue;
        this.firing.delete(tabId);
        this.hooks.run(tabId, query.sql);
        this.hooks.tell(tabId, `${name} granted; running the query you asked for.`, false);
        return;
      }
    } finally {
      if (still()) this.firing.delete(tabId);
      this.hooks.changed();
    }
  }
}
