import { describe, expect, it, vi } from "vitest";
import type { RunDetails } from "./api";
import fixtures from "./gen/fixtures.json";
import { formatCost, renderRunDetails, runFacts, runOfError } from "./run-details";

function athena(extra: Partial<RunDetails> = {}): RunDetails {
  return {
    state: "cancelled",
    engine: "athena",
    queryId: "6e3c0a7e-0b0f-4c51-9a3a-1d2c3b4a5f60",
    workgroup: "primary",
    rows: null,
    bytesScanned: 12_300_000,
    costUsd: 0.0000625,
    durationMs: 4_200,
    ...extra,
  };
}

describe("run facts", () => {
  it("show what a cancelled Athena run scanned and cost, its workgroup, and no rows", () => {
    expect(runFacts(athena())).toEqual([
      { label: "State", value: "Cancelled" },
      { label: "Scanned", value: "12.3 MB" },
      { label: "Cost", value: "about $0.000063" },
      { label: "Duration", value: "4.2 s" },
      { label: "Engine", value: "athena" },
      { label: "Workgroup", value: "primary" },
    ]);
  });

  it("show what applies to the demo engine: rows, bytes, no cost and no workgroup", () => {
    // The demo run the backend recorded (ui/src/gen/fixtures.json).
    const run = fixtures.run_query.result.run as RunDetails;
    const labels = runFacts(run).map((f) => f.label);
    expect(labels).toEqual(["State", "Rows", "Scanned", "Duration", "Engine"]);
    expect(runFacts(run)[0].value).toBe("Succeeded");
    expect(runFacts(run).find((f) => f.label === "Engine")?.value).toBe("demo (DataFusion)");
  });

  it("say so when a failed run's engine reported no scan", () => {
    const facts = runFacts(athena({ state: "failed", engine: "datafusion", bytesScanned: null, costUsd: null, workgroup: null }));
    expect(facts.find((f) => f.label === "Scanned")?.value).toBe("not reported");
  });

  it("keep small costs readable and refuse nonsense", () => {
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(1.234)).toBe("$1.23");
    expect(formatCost(0.00004768)).toBe("$0.000048");
    expect(formatCost(-1)).toBe("unknown cost");
  });
});

describe("a run still going", () => {
  it("shows Athena's state and its id so far, without a scan not yet reported", () => {
    const queued = athena({ state: "queued", bytesScanned: null, costUsd: null, durationMs: 1_500 });
    expect(runFacts(queued)).toEqual([
      { label: "State", value: "Queued at Athena" },
      { label: "Engine", value: "athena" },
      { label: "Workgroup", value: "primary" },
    ]);
    expect(runFacts({ ...queued, state: "reading" })[0]).toEqual({ label: "State", value: "Reading the result" });
    const host = document.createElement("div");
    renderRunDetails(host, { ...queued, state: "running" }, async () => undefined);
    expect(host.hidden).toBe(false);
    expect(host.querySelector("[data-state]")?.getAttribute("data-state")).toBe("running");
    expect(host.textContent).toContain("6e3c0a7e-0b0f-4c51-9a3a-1d2c3b4a5f60");
  });

  it("is not taken for a run's end from an error", () => {
    expect(runOfError({ kind: "engine", message: "x", run: athena({ state: "running" }) })).toBeNull();
  });
});

describe("run of an error", () => {
  it("takes the details a failed run carries and nothing else", () => {
    expect(runOfError({ kind: "cancelled", message: "the query was cancelled", run: athena() })).toEqual(athena());
    expect(runOfError({ kind: "blocked", message: "not allowed" })).toBeNull();
    expect(runOfError({ kind: "engine", message: "x", run: { state: "exploded" } })).toBeNull();
    expect(runOfError("a string")).toBeNull();
    expect(runOfError(null)).toBeNull();
  });
});

describe("the run details line", () => {
  it("lists the facts and copies the Athena query id", async () => {
    const host = document.createElement("div");
    const copy = vi.fn(() => Promise.resolve());
    renderRunDetails(host, athena(), copy);
    expect(host.hidden).toBe(false);
    expect([...host.querySelectorAll("dt")].map((d) => d.textContent)).toContain("Athena query id");
    expect(host.querySelector("code")?.textContent).toBe(athena().queryId);
    const button = host.querySelector<HTMLButtonElement>("button");
    expect(button?.getAttribute("aria-label")).toBe("Copy the athena query id");
    button?.click();
    expect(copy).toHaveBeenCalledWith(athena().queryId);
    await Promise.resolve();
    await Promise.resolve();
    expect(button?.textContent).toBe("Copied");
  });

  it("says when the clipboard refused", async () => {
    const host = document.createElement("div");
    renderRunDetails(host, athena(), () => Promise.reject(new Error("denied")));
    const button = host.querySelector<HTMLButtonElement>("button");
    button?.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(button?.textContent).toBe("Copy failed: select the id instead");
  });

  it("has no id row before Athena named the run, and hides with no run", () => {
    const host = document.createElement("div");
    renderRunDetails(host, athena({ queryId: null }), () => Promise.resolve());
    expect(host.querySelector("button")).toBeNull();
    renderRunDetails(host, null, () => Promise.resolve());
    expect(host.hidden).toBe(true);
    expect(host.childElementCount).toBe(0);
  });
});
