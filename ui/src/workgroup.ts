// The workgroup picker of an Athena workspace: the workgroups baseline runs may use, each with
// its scan cutoff. The backend decides what is offered and refuses anything else; the picker
// only shows its answer. Hidden on workspaces without workgroups (the demo).
import type { WorkgroupEntry, WorkgroupPicker } from "./api";
import { describeError } from "./errors";
import { formatBytes } from "./format";

/** "adhoc · cutoff 10.0 GB", "primary · no scan cutoff". */
export function workgroupLabel(workgroup: WorkgroupEntry): string {
  const cutoff = workgroup.cutoffBytes === null ? "no scan cutoff" : `cutoff ${formatBytes(workgroup.cutoffBytes)}`;
  return `${workgroup.name} · ${cutoff}`;
}

export function renderWorkgroups(select: HTMLSelectElement, picker: WorkgroupPicker | null): void {
  if (picker === null) {
    select.hidden = true;
    select.replaceChildren();
    return;
  }
  select.hidden = false;
  select.replaceChildren(
    ...picker.workgroups.map((workgroup) => {
      const option = document.createElement("option");
      option.value = workgroup.name;
      option.textContent = workgroupLabel(workgroup) + (workgroup.name === picker.defaultWorkgroup ? " (default)" : "");
      option.title = workgroup.description || workgroupLabel(workgroup);
      option.selected = workgroup.name === picker.current;
      return option;
    }),
  );
  select.disabled = picker.workgroups.length === 0;
  const where = `Athena workgroup of your runs (runs under an elevation use its own): ${picker.current}`;
  // A pick remembered from an earlier session that is no longer allowed: say why runs moved.
  select.title = picker.note === null ? where : `${picker.note}. ${where}`;
  select.classList.toggle("noted", picker.note !== null);
}

/** The picker could not be listed: say why, keep runs where they go. */
export function renderWorkgroupsError(select: HTMLSelectElement, error: unknown): void {
  select.hidden = false;
  const option = document.createElement("option");
  option.textContent = "workgroups unavailable";
  select.replaceChildren(option);
  select.disabled = true;
  select.title = `The workgroups could not be listed. ${describeError(error)}`;
}

/**
 * Wires the picker: a change asks the backend to switch; a refusal is reported through
 * `onRefused` and the picker shows where runs still go.
 */
export function wireWorkgroups(
  select: HTMLSelectElement,
  choose: (name: string) => Promise<WorkgroupPicker>,
  reload: () => Promise<WorkgroupPicker | null>,
  onRefused: (message: string) => void,
): void {
  select.addEventListener("change", () => {
    const name = select.value;
    select.disabled = true;
    choose(name).then(
      (picker) => renderWorkgroups(select, picker),
      (error: unknown) => {
        onRefused(describeError(error));
        reload().then(
          (picker) => renderWorkgroups(select, picker),
          (again: unknown) => renderWorkgroupsError(select, again),
        );
      },
    );
  });
}
