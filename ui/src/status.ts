// The status bar: which workspace, engine, policy and policy bundle this
// window runs under. Items carry `data-item` (workspace, engine, policy,
// bundle, database); the bundle item is `is-warning` in grace, `is-error`
// when blocked.
import type { FetchVerdict, PolicyStatus, WorkspaceInfo } from "./api";
import { formatDate, formatDateTime, isPast, localizeTimes } from "./time";

export type BundleTone = "ok" | "warning" | "error";

export interface BundleDisplay {
  value: string;
  tone: BundleTone;
  title: string;
}

/** First 8 hex digits of a fingerprint such as `sha256:ab12…`. */
export function shortFingerprint(fingerprint: string): string {
  const digest = fingerprint.includes(":") ? fingerprint.slice(fingerprint.lastIndexOf(":") + 1) : fingerprint;
  return digest.slice(0, 8);
}

function item(key: string, label: string, value: string, title?: string): HTMLElement {
  const node = document.createElement("span");
  node.className = "status-item";
  node.dataset.item = key;
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

const FETCH_WORDS: Record<FetchVerdict["result"], string> = {
  updated: "updated the bundle",
  unchanged: "found no change",
  refused: "was refused",
  failed: "failed",
};

function fetchLine(verdict: FetchVerdict): string {
  const words = FETCH_WORDS[verdict.result] ?? "ended";
  const message = localizeTimes(verdict.message?.trim() ?? "");
  return `Last fetch ${words} (${formatDateTime(verdict.at)})${message ? `: ${message}` : ""}`;
}

function bundleLabel(status: PolicyStatus): string | null {
  if (!status.name) return null;
  return typeof status.revision === "number" ? `${status.name} r${status.revision}` : status.name;
}

/** The bundle item's text, tone and tooltip for a policy status. */
export function describeBundle(status: PolicyStatus, now: Date = new Date()): BundleDisplay {
  const label = bundleLabel(status);
  let value: string;
  let tone: BundleTone;
  switch (status.health) {
    case "valid":
      tone = "ok";
      value = label ?? "unnamed bundle";
      if (status.expiresAt) value += ` · ${isPast(status.expiresAt, now) ? "expired" : "expires"} ${formatDate(status.expiresAt)}`;
      break;
    case "grace":
      tone = "warning";
      value = `${label ?? "unnamed bundle"} · expired${status.expiresAt ? ` ${formatDate(status.expiresAt)}` : ""}`;
      break;
    default:
      tone = "error";
      value = label ? `${label} · blocked` : "no valid bundle";
  }

  const lines: string[] = [];
  if (status.health === "blocked") lines.push(`Blocked: ${localizeTimes(status.reason?.trim() || "no valid policy bundle is in force.")}`);
  if (status.health === "grace" && status.warning?.trim()) lines.push(`Expired: ${localizeTimes(status.warning.trim())}`);
  if (status.source) lines.push(`Source: ${status.source}`);
  if (status.keyId) lines.push(`Signed with key: ${status.keyId}`);
  if (status.issuedAt) lines.push(`Issued: ${formatDateTime(status.issuedAt)}`);
  if (status.expiresAt) lines.push(`Expires: ${formatDateTime(status.expiresAt)}`);
  lines.push(`Fetched: ${status.fetchedAt ? formatDateTime(status.fetchedAt) : "never"}`);
  if (status.lastFetch) lines.push(fetchLine(status.lastFetch));
  return { value, tone, title: lines.join("\n") };
}

/** The bundle item when the policy status could not be read. */
export function describeBundleError(message: string): BundleDisplay {
  return { value: "status unknown", tone: "error", title: `Could not read the policy status. ${message}` };
}

function bundleItem(bundle: BundleDisplay): HTMLElement {
  const node = item("bundle", "Bundle", bundle.value, bundle.title);
  node.classList.toggle("is-warning", bundle.tone === "warning");
  node.classList.toggle("is-error", bundle.tone === "error");
  return node;
}

export function renderStatus(root: HTMLElement, info: WorkspaceInfo, bundle: BundleDisplay | null = null): void {
  const fingerprint = shortFingerprint(info.policyFingerprint);
  const items = [
    item("workspace", "Workspace", info.workspace, info.home ? `Home: ${info.home}` : undefined),
    item("engine", "Engine", info.engine),
    item(
      "policy",
      "Policy",
      fingerprint ? `${info.policyName} (${fingerprint})` : info.policyName,
      `Fingerprint: ${info.policyFingerprint}`,
    ),
  ];
  if (bundle) items.push(bundleItem(bundle));
  items.push(item("database", "Database", info.defaultDatabase ?? "none"));
  root.replaceChildren(...items);
}

export function renderStatusError(root: HTMLElement, message: string): void {
  const node = document.createElement("span");
  node.className = "status-item is-error";
  node.dataset.item = "workspace";
  node.textContent = message;
  root.replaceChildren(node);
}
