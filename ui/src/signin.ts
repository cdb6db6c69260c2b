// AWS sign-in in the window: the status bar item (Sign in, or who is signed in
// until when, and Sign out), the device-code dialog (#sign-in-code), the
// workspace picker (#workspace-picker, only when several are configured), and
// the banner (#session-banner) when a session ends by itself. While an AWS
// workspace is signed out its work is locked (`locked`), and Run stays off.
import type { DeviceCode, SessionEnded, SignInStatus, WorkspaceEntry } from "./api";
import { describeError } from "./errors";
import { formatDateTime } from "./time";

export interface SignInSource {
  status(): Promise<SignInStatus>;
  signIn(deviceCode: boolean): Promise<SignInStatus>;
  signOut(): Promise<SignInStatus>;
  workspaces(): Promise<WorkspaceEntry[]>;
  switchWorkspace(name: string): Promise<void>;
}

export interface SignInHooks {
  /** Whether AWS work is locked changed (the window redraws Run). */
  lockChanged(): void;
  error(message: string): void;
}

export interface SignInElements {
  banner: HTMLElement;
  bannerText: HTMLElement;
}

export interface SignInDisplay {
  value: string;
  title: string;
  tone: "ok" | "warning" | "error";
}

/** The status item's text for a sign-in status (null: the workspace needs none). */
export function describeSignIn(status: SignInStatus): SignInDisplay | null {
  if (!status.needed) return null;
  if (status.problem && !status.signedIn) {
    return { value: "sign-in unavailable", title: status.problem, tone: "error" };
  }
  if (!status.signedIn) {
    return { value: "signed out", title: `Sign in to AWS to work in ${status.workspace}.`, tone: "warning" };
  }
  const who = status.roleName && status.accountId ? `${status.roleName} @ ${status.accountId}` : "signed in";
  const until = status.expiresAtMs !== null ? new Date(status.expiresAtMs).toISOString() : null;
  const lines = [status.identity ? `Identity: ${status.identity}` : null, until ? `Session until ${formatDateTime(until)} (renewed before then)` : null];
  return {
    value: until ? `${who} · until ${formatDateTime(until)}` : who,
    title: lines.filter((line): line is string => line !== null).join("\n"),
    tone: "ok",
  };
}

/** The banner's words when a session ends without the user signing out. */
export function endedText(ended: SessionEnded): string {
  const reason = ended.reason.trim().replace(/[.\s]+$/, "");
  return `Your AWS sign-in to ${ended.workspace} ended (${reason}). AWS work is locked until you sign in again.`;
}

function button(id: string, text: string, title: string): HTMLButtonElement {
  const node = document.createElement("button");
  node.type = "button";
  node.id = id;
  node.className = "status-button";
  node.textContent = text;
  node.title = title;
  return node;
}

export class SignIn {
  /** The status bar item (appended by the window after the other items). */
  readonly item: HTMLElement;
  /** The workspace picker, present in the status bar only when several are configured. */
  readonly picker: HTMLSelectElement;
  private status: SignInStatus | null = null;
  private busy = false;
  private dialog: HTMLElement | null = null;

  constructor(
    private readonly elements: SignInElements,
    private readonly source: SignInSource,
    private readonly hooks: SignInHooks,
  ) {
    this.item = document.createElement("span");
    this.item.className = "status-item";
    this.item.dataset.item = "sign-in";
    this.item.hidden = true;
    this.picker = document.createElement("select");
    this.picker.id = "workspace-picker";
    this.picker.className = "status-select";
    this.picker.setAttribute("aria-label", "Workspace");
    this.picker.hidden = true;
    this.picker.addEventListener("change", () => void this.switchTo(this.picker.value));
  }

  /** AWS work is locked: an AWS workspace that is not signed in. */
  get locked(): boolean {
    return this.status !== null && this.status.needed && !this.status.signedIn;
  }

  async load(): Promise<void> {
    const [status, workspaces] = await Promise.allSettled([this.source.status(), this.source.workspaces()]);
    if (status.status === "fulfilled") this.update(status.value);
    if (workspaces.status === "fulfilled") this.showWorkspaces(workspaces.value);
  }

  update(status: SignInStatus): void {
    const wasLocked = this.locked;
    this.status = status;
    if (status.signedIn) this.showBanner(null);
    this.render();
    if (wasLocked !== this.locked) this.hooks.lockChanged();
  }

  showWorkspaces(entries: WorkspaceEntry[]): void {
    this.picker.replaceChildren(
      ...entries.map((entry) => {
        const option = document.createElement("option");
        option.value = entry.name;
        option.textContent = entry.kind === "athena" ? `${entry.name} (AWS)` : entry.name;
        option.selected = entry.current;
        return option;
      }),
    );
    this.picker.hidden = entries.length < 2;
  }

  /** `session-ended`: the banner says so, and the item shows signed out. */
  sessionEnded(ended: SessionEnded): void {
    this.showBanner(endedText(ended));
    void this.source.status().then(
      (status) => this.update(status),
      () => this.update({ ...(this.status ?? emptyStatus(ended.workspace)), signedIn: false, identity: null, expiresAtMs: null }),
    );
  }

  /** `sign-in-code`: the device flow's code, in a dialog until the sign-in ends. */
  showDeviceCode(code: DeviceCode): void {
    this.closeDialog();
    const overlay = document.createElement("div");
    overlay.className = "dialog-backdrop";
    overlay.id = "sign-in-code";
    const box = document.createElement("div");
    box.className = "dialog";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "sign-in-code-title");
    const title = document.createElement("h2");
    title.className = "dialog-title";
    title.id = "sign-in-code-title";
    title.textContent = "Sign in to AWS";
    const text = document.createElement("p");
    text.className = "dialog-text";
    text.textContent = `Open ${code.verificationUri} on any device and enter this code:`;
    const value = document.createElement("p");
    value.id = "sign-in-code-value";
    value.className = "sign-in-code";
    value.textContent = code.userCode;
    const wait = document.createElement("p");
    wait.className = "dialog-hint";
    wait.textContent = "This closes by itself once the code is approved.";
    box.append(title, text, value, wait);
    overlay.append(box);
    document.body.append(overlay);
    this.dialog = overlay;
  }

  private closeDialog(): void {
    this.dialog?.remove();
    this.dialog = null;
  }

  private showBanner(text: string | null): void {
    this.elements.bannerText.textContent = text ?? "";
    this.elements.banner.hidden = text === null;
  }

  private render(): void {
    const status = this.status;
    const display = status ? describeSignIn(status) : null;
    this.item.hidden = display === null;
    if (!status || !display) {
      this.item.replaceChildren();
      return;
    }
    const label = document.createElement("span");
    label.className = "status-label";
    label.textContent = "AWS";
    const value = document.createElement("span");
    value.className = "status-value";
    value.id = "sign-in-identity";
    value.textContent = display.value;
    this.item.title = display.title;
    this.item.classList.toggle("is-warning", display.tone === "warning");
    this.item.classList.toggle("is-error", display.tone === "error");
    const children: HTMLElement[] = [label, value];
    if (status.signedIn) {
      const out = button("sign-out", "Sign out", "Sign out of AWS: the tokens and credentials leave the OS keyring");
      out.addEventListener("click", () => void this.act(() => this.source.signOut()));
      children.push(out);
    } else if (!status.problem) {
      const browser = button("sign-in", "Sign in", "Sign in to AWS in your browser");
      browser.addEventListener("click", () => void this.act(() => this.source.signIn(false)));
      const device = button("sign-in-device", "Use a code", "Sign in with a code on another device (SSH, containers)");
      device.addEventListener("click", () => void this.act(() => this.source.signIn(true)));
      children.push(browser, device);
    }
    for (const child of children) if (child instanceof HTMLButtonElement) child.disabled = this.busy;
    this.item.replaceChildren(...children);
  }

  private async act(step: () => Promise<SignInStatus>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.render();
    try {
      this.update(await step());
    } catch (error) {
      this.hooks.error(`AWS sign-in: ${describeError(error)}`);
    } finally {
      this.busy = false;
      this.closeDialog();
      this.render();
    }
  }

  private async switchTo(name: string): Promise<void> {
    try {
      await this.source.switchWorkspace(name);
    } catch (error) {
      this.hooks.error(`Could not switch workspace. ${describeError(error)}`);
    }
  }
}

function emptyStatus(workspace: string): SignInStatus {
  return { workspace, needed: true, signedIn: false, identity: null, accountId: null, roleName: null, expiresAtMs: null, problem: null };
}
