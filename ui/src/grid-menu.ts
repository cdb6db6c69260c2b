// A small context menu (the WAI-ARIA menu pattern) for the results grid: opened with a right
// click, the Menu key or Shift+F10; ↑ ↓ Home End move, Enter or Space picks, Esc or Tab or a
// click elsewhere closes it, and the focus goes back where it was.
import { element } from "./dom";

export interface MenuItem {
  label: string;
  /** The key that does the same, shown beside the label (aria-keyshortcuts syntax). */
  shortcut?: string;
  disabled?: boolean;
  run: () => void;
}

let open: (() => void) | null = null;

/** Whether a menu is open. */
export function menuIsOpen(): boolean {
  return open !== null;
}

/** Closes the menu that is open, if any. */
export function closeMenu(): void {
  open?.();
}

/**
 * Opens a menu named `name` of `items` at (`x`, `y`) in the window; the focus goes back to
 * `back` when it closes. Resolves once it closed (after the picked item ran, if any).
 */
export function openMenu(name: string, items: MenuItem[], x: number, y: number, back: HTMLElement): Promise<void> {
  closeMenu();
  return new Promise((resolve) => {
    const menu = element("div", "grid-menu");
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", name);
    menu.style.left = `${Math.max(0, Math.round(x))}px`;
    menu.style.top = `${Math.max(0, Math.round(y))}px`;
    const buttons = items.map((item) => {
      const button = element("button", "grid-menu-item");
      button.type = "button";
      button.setAttribute("role", "menuitem");
      button.tabIndex = -1;
      button.append(element("span", "grid-menu-label", item.label));
      if (item.shortcut) {
        button.setAttribute("aria-keyshortcuts", item.shortcut);
        const keys = element("kbd", "grid-menu-keys", item.shortcut.replace(/Control/g, "Ctrl").replace(/Arrow/g, ""));
        keys.setAttribute("aria-hidden", "true");
        button.append(keys);
      }
      if (item.disabled) button.setAttribute("aria-disabled", "true");
      button.addEventListener("click", () => {
        if (item.disabled) return;
        close(true);
        item.run();
      });
      return button;
    });
    const enabled = () => buttons.filter((button) => button.getAttribute("aria-disabled") !== "true");
    const move = (step: number | "first" | "last") => {
      const list = enabled();
      if (list.length === 0) return;
      const at = list.indexOf(document.activeElement as HTMLButtonElement);
      const next = step === "first" ? 0 : step === "last" ? list.length - 1 : (at + step + list.length) % list.length;
      list[next].focus();
    };
    const onKey = (event: KeyboardEvent) => {
      const keys: Record<string, () => void> = {
        ArrowDown: () => move(1),
        ArrowUp: () => move(-1),
        Home: () => move("first"),
        End: () => move("last"),
        Escape: () => close(true),
        Tab: () => close(true),
      };
      const act = keys[event.key];
      if (!act) return;
      event.preventDefault();
      event.stopPropagation();
      act();
    };
    const onPointer = (event: Event) => {
      if (!(event.target instanceof Node) || !menu.contains(event.target)) close(false);
    };
    const close = (refocus: boolean) => {
      if (open !== closer) return;
      open = null;
      menu.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer, true);
      document.removeEventListener("mousedown", onPointer, true);
      window.removeEventListener("blur", closer);
      menu.remove();
      if (refocus) back.focus();
      resolve();
    };
    const closer = () => close(false);
    open = closer;
    menu.append(...buttons);
    menu.addEventListener("keydown", onKey);
    // The Menu key or Shift+F10 that opened it sends the webview's own menu here next: not that one.
    menu.addEventListener("contextmenu", (event) => event.preventDefault());
    document.addEventListener("pointerdown", onPointer, true);
    document.addEventListener("mousedown", onPointer, true);
    window.addEventListener("blur", closer);
    document.body.append(menu);
    // Kept inside the window.
    const box = menu.getBoundingClientRect();
    if (box.right > window.innerWidth) menu.style.left = `${Math.max(0, window.innerWidth - box.width - 4)}px`;
    if (box.bottom > window.innerHeight) menu.style.top = `${Math.max(0, window.innerHeight - box.height - 4)}px`;
    move("first");
  });
}
