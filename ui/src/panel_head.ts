// The head every side panel opens with (Approvals, Audit, History, Saved): its title as a
// heading and a close button named for the panel, so that the four look and read the same.
import { element } from "./dom";

export interface PanelHead {
  /** The `div.audit-head` to put first in the panel. */
  readonly head: HTMLDivElement;
  readonly title: HTMLHeadingElement;
  readonly close: HTMLButtonElement;
}

/**
 * A head with `title` (an `h2`) and a close button whose accessible name is `closeLabel`
 * (it shows only a cross); a click on it calls `onClose`.
 */
export function panelHead(title: string, closeLabel: string, onClose: () => void): PanelHead {
  const head = element("div", "audit-head");
  const heading = element("h2", "panel-title", title);
  const close = element("button", "audit-close");
  close.type = "button";
  close.setAttribute("aria-label", closeLabel);
  close.addEventListener("click", onClose);
  head.append(heading, close);
  return { head, title: heading, close };
}
