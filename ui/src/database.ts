// The database picker: which database unqualified table names resolve in (Athena's query
// execution context). The linter and the gate both receive the choice.

/** The value of the "(no database)" option: the picker's change handler reads it as null. */
export const NO_DATABASE = "";

/** The database a picker's value names: `NO_DATABASE` is none. */
export function pickedDatabase(value: string): string | null {
  return value === NO_DATABASE ? null : value;
}

/**
 * Fills `select` with `names`, keeping `current` selected (added if the catalog lacks it). A tab
 * without a database (an Athena workspace without `default_database`) shows "(no database)"
 * selected first, so the picker says what lint and run use, and picking any listed database is a
 * change.
 */
export function renderDatabases(select: HTMLSelectElement, names: string[], current: string | null): void {
  const all = current !== null && !names.includes(current) ? [current, ...names] : names;
  const option = (value: string, label: string) => {
    const item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    item.selected = value === (current ?? NO_DATABASE);
    return item;
  };
  const none = current === null && all.length > 0 ? [option(NO_DATABASE, "(no database)")] : [];
  select.replaceChildren(...none, ...all.map((name) => option(name, name)));
  select.disabled = all.length === 0;
}
