import { describe, expect, it } from "vitest";
import {
  approvalText,
  checkRequest,
  describeElevations,
  durationChoices,
  durationLabel,
  endedText,
  endingSoon,
  pendingNote,
  pendingNoteTitle,
  refusalText,
  ticketFormat,
  ticketHint,
  ticketMatches,
  timeLeft,
  warningText,
} from "./elevation-text";
import { elevationStatus, grant, largeScan, piiRead, refusal } from "./testing";

const NOW = new Date(2026, 10, 21, 12, 0).getTime();
const MIN = 60_000;

describe("durations", () => {
  it("labels seconds as people say them", () => {
    expect(durationLabel(300)).toBe("5 min");
    expect(durationLabel(900)).toBe("15 min");
    expect(durationLabel(3600)).toBe("1 h");
    expect(durationLabel(5400)).toBe("1 h 30 min");
    expect(durationLabel(28_800)).toBe("8 h");
    expect(durationLabel(45)).toBe("45 s");
    expect(durationLabel(0)).toBe("unknown");
  });

  it("offers the usual steps up to the maximum, with the maximum itself", () => {
    expect(durationChoices({ defaultDurationS: 900, maxDurationS: 3600 })).toEqual([300, 900, 1800, 3600]);
    expect(durationChoices({ defaultDurationS: 3600, maxDurationS: 28_800 })).toEqual([300, 900, 1800, 3600, 7200, 14_400, 28_800]);
    expect(durationChoices({ defaultDurationS: 600, maxDurationS: 2700 })).toEqual([300, 600, 900, 1800, 2700]);
  });

  it("always offers the default, even one off the usual steps", () => {
    expect(durationChoices({ defaultDurationS: 1200, maxDurationS: 3600 })).toContain(1200);
    expect(durationChoices({ defaultDurationS: 120, maxDurationS: 240 })).toEqual([120, 240]);
  });

  it("offers only the default when the maximum is unusable", () => {
    expect(durationChoices({ defaultDurationS: 900, maxDurationS: 0 })).toEqual([900]);
    expect(durationChoices({ defaultDurationS: 900, maxDurationS: Number.NaN })).toEqual([900]);
  });
});

describe("approval", () => {
  it("says who decides, and treats anything unknown as an approver", () => {
    expect(approvalText("auto")).toBe("Approved automatically by policy");
    expect(approvalText("manual")).toBe("An approver must approve it");
    expect(approvalText("later" as "manual")).toBe("An approver must approve it");
  });
});

describe("request checks", () => {
  it("matches a ticket against the whole pattern", () => {
    expect(ticketMatches("^(INC|SUP)-[0-9]+$", "INC-42")).toBe(true);
    expect(ticketMatches("^(INC|SUP)-[0-9]+$", "INC-42x")).toBe(false);
    // Unanchored patterns still have to cover the whole ticket.
    expect(ticketMatches("INC-[0-9]+", "see INC-42")).toBe(false);
    expect(ticketMatches("INC-[0-9]+|SUP-[0-9]+", "SUP-7")).toBe(true);
  });

  it("leaves a pattern this engine cannot compile to the backend", () => {
    expect(ticketMatches("(?i)inc-[0-9]+", "INC-1")).toBeNull();
    expect(ticketMatches("\\AINC\\z", "INC")).toBeNull();
    expect(checkRequest(piiRead({ ticketPattern: "(?i)inc-[0-9]+" }), { justification: "audit", ticket: "whatever" })).toBeNull();
  });

  it("asks for a required justification", () => {
    expect(checkRequest(piiRead(), { justification: "  \n", ticket: "INC-1" })).toEqual({
      field: "justification",
      message: "Say why you need pii-read: a justification is required.",
    });
    expect(checkRequest(largeScan(), { justification: "", ticket: "" })).toBeNull();
  });

  it("asks for a ticket in the expected format", () => {
    expect(checkRequest(piiRead(), { justification: "audit", ticket: " " })).toEqual({
      field: "ticket",
      message: "Enter a ticket for pii-read; it must match (INC|SUP)-[0-9]+.",
    });
    expect(checkRequest(piiRead(), { justification: "audit", ticket: "JIRA-9" })).toEqual({
      field: "ticket",
      message: "The ticket JIRA-9 does not match (INC|SUP)-[0-9]+.",
    });
    expect(checkRequest(piiRead(), { justification: "audit", ticket: " SUP-12 " })).toBeNull();
  });
});

describe("the ticket hint", () => {
  it("shows the pattern plainly, without the anchors a whole match makes redundant", () => {
    expect(ticketHint("INC-[0-9]+")).toBe("(must match INC-[0-9]+)");
    expect(ticketHint("^(INC|SUP)-[0-9]+$")).toBe("(must match (INC|SUP)-[0-9]+)");
    expect(ticketFormat("^INC-[0-9]+")).toBe("INC-[0-9]+");
    expect(ticketFormat("INC-[0-9]+$")).toBe("INC-[0-9]+");
  });

  it("keeps a dollar sign that is part of the ticket, and a pattern that is only anchors", () => {
    expect(ticketFormat("COST-\\$")).toBe("COST-\\$");
    expect(ticketFormat("A\\\\$")).toBe("A\\\\");
    expect(ticketFormat("^$")).toBe("^$");
  });
});

describe("time left", () => {
  it("rounds up to the minute and switches to hours", () => {
    expect(timeLeft(NOW + 14 * MIN, NOW)).toBe("14 min");
    expect(timeLeft(NOW + 13 * MIN + 1000, NOW)).toBe("14 min");
    expect(timeLeft(NOW + 20_000, NOW)).toBe("1 min");
    expect(timeLeft(NOW + 60 * MIN, NOW)).toBe("1 h");
    expect(timeLeft(NOW + 65 * MIN, NOW)).toBe("1 h 5 min");
    expect(timeLeft(NOW, NOW)).toBeNull();
    expect(timeLeft(NOW - MIN, NOW)).toBeNull();
  });

  it("counts grants within the warning window as ending soon", () => {
    const status = elevationStatus({ active: [grant("pii-read", NOW, 5 * MIN), grant("large-scan", NOW, 5 * MIN + 1)] });
    expect(endingSoon(status, NOW).map((g) => g.name)).toEqual(["pii-read"]);
  });
});

describe("status item", () => {
  it("is nothing while nothing is active or pending", () => {
    expect(describeElevations(elevationStatus(), NOW)).toBeNull();
  });

  it("names each active elevation with its time left", () => {
    const status = elevationStatus({ active: [grant("pii-read", NOW, 14 * MIN), grant("large-scan", NOW, 90 * MIN, "alice")] });
    const display = describeElevations(status, NOW);
    expect(display?.label).toBe("Elevated");
    expect(display?.grants.map((g) => g.text).join(", ")).toBe("pii-read · 14 min left, large-scan · 1 h 30 min left");
    expect(display?.warning).toBe(false);
    expect(display?.pending).toEqual([]);
    expect(display?.title).toContain("(approved by policy)");
    expect(display?.title).toContain("(approved by alice)");
  });

  it("warns when one ends within the window, and says when one is ending", () => {
    const display = describeElevations(elevationStatus({ active: [grant("pii-read", NOW, 4 * MIN), grant("large-scan", NOW, -1000)] }), NOW);
    expect(display?.warning).toBe(true);
    expect(display?.grants.map((g) => g.text)).toEqual(["pii-read · 4 min left", "large-scan · ending"]);
  });

  it("lists what waits for an approver, each name once, with the request in the tooltip", () => {
    const display = describeElevations(
      elevationStatus({
        pending: [
          { requestId: "req-7", name: "large-scan", requestedAtMs: NOW },
          { requestId: "req-8", name: "large-scan", requestedAtMs: 0 },
        ],
      }),
      NOW,
    );
    expect(display?.label).toBe("Elevation");
    expect(display?.pending).toEqual(["large-scan"]);
    expect(display?.title).toBe(
      "large-scan: waiting for an approver (request req-7, sent 21 Nov 2026, 12:00)\nlarge-scan: waiting for an approver (request req-8)",
    );
  });
});

describe("banner words", () => {
  it("warns that a grant ends and what that means for running queries", () => {
    expect(warningText([grant("pii-read", NOW, 4 * MIN)], NOW)).toBe(
      "pii-read ends in 4 min. Queries that need it and are still running then are cancelled.",
    );
    expect(warningText([grant("pii-read", NOW, 4 * MIN), grant("large-scan", NOW, 0)], NOW)).toBe(
      "pii-read ends in 4 min. large-scan is ending now. Queries that need them and are still running then are cancelled.",
    );
    expect(warningText([], NOW)).toBeNull();
  });

  it("says a grant has ended", () => {
    expect(endedText(["pii-read"])).toBe("pii-read has ended; the editor is back to your usual access.");
    expect(endedText(["pii-read", "large-scan"])).toBe("pii-read and large-scan have ended; the editor is back to your usual access.");
    expect(endedText(["a", "b", "c"])).toBe("a, b and c have ended; the editor is back to your usual access.");
    expect(endedText([])).toBeNull();
  });

  it("says what waits for an approver, keeping the request id for the tooltip", () => {
    const id = "7f1c9e2a-5b3d-4e6f-8a9b-0c1d2e3f4a5b";
    expect(pendingNote("large-scan")).toBe("Waiting for an approver: large-scan");
    expect(pendingNote("large-scan")).not.toContain("req");
    expect(pendingNoteTitle({ requestId: id, name: "large-scan", requestedAtMs: 0 })).toBe(
      `large-scan: waiting for an approver (request ${id})`,
    );
    expect(pendingNoteTitle({ requestId: "", name: "large-scan", requestedAtMs: 0 })).toBe("large-scan: waiting for an approver (request)");
  });

  it("says a request was not granted, with the reason as given and capitalised", () => {
    expect(refusalText([refusal("r1", "large-scan", "denied by alice: not during the freeze")])).toBe(
      "large-scan was not granted: Denied by alice: not during the freeze.",
    );
    expect(refusalText([refusal("r1", "large-scan", " timed out after 1 hour. ")])).toBe("large-scan was not granted: Timed out after 1 hour.");
    expect(refusalText([refusal("r1", "large-scan", "")])).toBe("large-scan was not granted.");
    expect(
      refusalText([refusal("r2", "pii-read", "approved, but the grant would outlast the policy!"), refusal("r1", "large-scan", "withdrawn")]),
    ).toBe("pii-read was not granted: Approved, but the grant would outlast the policy! large-scan was not granted: Withdrawn.");
    expect(refusalText([])).toBeNull();
  });
});
