// Lints SQL through Rust, at most once per text: the live linter and the
// Run path share the answer for the same text.
import type { LintReport } from "./api";
import { describeError } from "./errors";

export type CheckOutcome =
  | { kind: "empty" }
  | { kind: "checked"; report: LintReport }
  | { kind: "unchecked"; message: string };

export type LintCall = (sql: string, database: string | null) => Promise<LintReport>;

const VERDICTS = new Set(["allow", "elevate", "deny"]);

/** A report the UI can rely on, or null for a malformed answer. */
function wellFormed(report: unknown): report is LintReport {
  if (typeof report !== "object" || report === null) return false;
  const candidate = report as Partial<LintReport>;
  return typeof candidate.verdict === "string" && VERDICTS.has(candidate.verdict) && Array.isArray(candidate.diagnostics);
}

export class Checker {
  private last: { sql: string; database: string | null; outcome: Promise<CheckOutcome> } | null = null;

  constructor(private readonly call: LintCall) {}

  /** Drops the remembered answer: the next check asks again (the policy changed). */
  forget(): void {
    this.last = null;
  }

  check(sql: string, database: string | null): Promise<CheckOutcome> {
    if (sql.trim() === "") return Promise.resolve({ kind: "empty" });
    if (this.last && this.last.sql === sql && this.last.database === database) return this.last.outcome;
    const outcome = this.call(sql, database).then(
      (report): CheckOutcome =>
        wellFormed(report)
          ? { kind: "checked", report }
          : { kind: "unchecked", message: "the linter's answer was not understood." },
      (error: unknown): CheckOutcome => ({ kind: "unchecked", message: describeError(error) }),
    );
    this.last = { sql, database, outcome };
    // A failed check is not remembered, so the next attempt asks again.
    void outcome.then((result) => {
      if (result.kind === "unchecked" && this.last?.outcome === outcome) this.last = null;
    });
    return outcome;
  }
}
