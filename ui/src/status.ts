// The status bar: which workspace, engine and policy this window runs under.
import type { WorkspaceInfo } from "./api";

/** First 8 hex digits of a fingerprint such as `sha256:ab12…`. */
export function shortFingerprint(fingerprint: string): string {
  const digest = fingerprint.includes(":") ? fingerprint.slice(fingerprint.lastIndexOf(":") + 1) : fingerprint;
  return digest.slice(0, 8);
}

function item(label: string, value: string, title?: string): HTMLElement {
  const node = document.createElement("span");
  node.className = "status-item";
  const name = document.createElement("span");
  name.className = "status-label";
  name.textContent = label;
  const text = document.createElement("span");
  text.className = "status-value";
  text.textContent = value;
  node.append(name, text);
  if (title) node.title = title;
  return node;
}

export function renderStatus(root: HTMLElement, info: WorkspaceInfo): void {
  const fingerprint = shortFingerprint(info.policyFingerprint);
  root.replaceChildren(
    item("Workspace", info.workspace, info.home ? `Home: ${info.home}` : undefined),
    item("Engine", info.engine),
    item("Policy", fingerprint ? `${info.policyName} (${fingerprint})` : info.policyName, `Fingerprint: ${info.policyFingerprint}`),
    item("Database", info.defaultDatabase ?? "none"),
  );
}

export function renderStatusError(root: HTMLElement, message: string): void {
  const node = document.createElement("span");
  node.className = "status-item is-error";
  node.textContent = message;
  root.replaceChildren(node);
}
