import { beforeEach, describe, expect, it, vi } from "vitest";
import type { WorkgroupPicker } from "./api";
import { renderWorkgroups, renderWorkgroupsError, wireWorkgroups, workgroupLabel } from "./workgroup";

const PICKER: WorkgroupPicker = {
  workgroups: [
    { name: "adhoc", description: "Ad hoc analysis", cutoffBytes: 10_000_000_000 },
    { name: "primary", description: "", cutoffBytes: null },
  ],
  current: "primary",
  defaultWorkgroup: "primary",
  note: null,
};

let select: HTMLSelectElement;

beforeEach(() => {
  document.body.innerHTML = `<select id="workgroup" aria-label="Workgroup" hidden></select>`;
  select = document.getElementById("workgroup") as HTMLSelectElement;
});

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("workgroup picker", () => {
  it("lists each workgroup with its scan cutoff and selects where runs go", () => {
    renderWorkgroups(select, PICKER);
    expect(select.hidden).toBe(false);
    const options = [...select.options].map((o) => o.textContent);
    expect(options).toEqual(["adhoc · cutoff 10.0 GB", "primary · no scan cutoff (default)"]);
    expect(select.value).toBe("primary");
    expect(select.options[0].title).toBe("Ad hoc analysis");
    expect(workgroupLabel(PICKER.workgroups[1])).toBe("primary · no scan cutoff");
  });

  it("says why a pick remembered from an earlier session is no longer used", () => {
    const note = "the workgroup picked earlier, finance, is no longer allowed (not allowed): runs go to the workspace's default, primary";
    renderWorkgroups(select, { ...PICKER, note });
    expect(select.title.startsWith(`${note}. Athena workgroup of your runs`)).toBe(true);
    expect(select.classList.contains("noted")).toBe(true);
    renderWorkgroups(select, PICKER);
    expect(select.title).toBe("Athena workgroup of your runs (runs under an elevation use its own): primary");
    expect(select.classList.contains("noted")).toBe(false);
  });

  it("is hidden on a workspace without workgroups", () => {
    renderWorkgroups(select, PICKER);
    renderWorkgroups(select, null);
    expect(select.hidden).toBe(true);
    expect(select.options).toHaveLength(0);
  });

  it("switches through the backend and shows its answer", async () => {
    renderWorkgroups(select, PICKER);
    const choose = vi.fn(async (name: string) => ({ ...PICKER, current: name }));
    wireWorkgroups(select, choose, async () => PICKER, () => undefined);
    select.value = "adhoc";
    select.dispatchEvent(new Event("change"));
    expect(select.disabled).toBe(true);
    await flush();
    expect(choose).toHaveBeenCalledWith("adhoc");
    expect(select.value).toBe("adhoc");
    expect(select.disabled).toBe(false);
  });

  it("reports a refusal and shows where runs still go", async () => {
    renderWorkgroups(select, PICKER);
    const refused = vi.fn();
    const choose = vi.fn(() =>
      Promise.reject({ kind: "blocked", message: "not switched: workgroup adhoc is not one the aws workspace allows (its [athena] workgroups); pick one of: primary" }),
    );
    wireWorkgroups(select, choose, async () => PICKER, refused);
    select.value = "adhoc";
    select.dispatchEvent(new Event("change"));
    await flush();
    await flush();
    expect(refused).toHaveBeenCalledTimes(1);
    expect(refused.mock.calls[0][0]).toContain("workgroup adhoc is not one the aws workspace allows");
    expect(select.value).toBe("primary");
  });

  it("says why when the workgroups cannot be listed", () => {
    renderWorkgroupsError(select, { kind: "engine", message: "athena:ListWorkGroups was refused" });
    expect(select.disabled).toBe(true);
    expect(select.title).toContain("athena:ListWorkGroups was refused");
  });
});
