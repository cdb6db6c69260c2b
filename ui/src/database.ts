// The database picker: which database unqualified table names resolve in (Athena's query
// execution context). The linter and the gate both receive the choice.

/** Fills `select` with `names`, keeping `current` selected (added if the catalog lacks it). */
export function renderDatabases(select: HTMLSelectElement, names: string[], current: string | null): void {
  const all = current !== null && !names.includes(current) ? [current, ...names] : names;
  select.replaceChildren(
    ...all.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      option.selected = name === current;
      return option;
    }),
  );
  select.disabled = all.length === 0;
}
