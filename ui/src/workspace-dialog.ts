// The "Add AWS workspace" dialog: how the workspace signs in (an AWS CLI profile or IAM
// Identity Center), where its queries run, and where its signed policy comes from. The backend
// checks every value and writes config.toml (refused when an administrator sets the
// workspaces); this form only gathers them and shows the backend's answer.

import type { NewWorkspace, WorkspaceEntry } from "./api";
import { element } from "./dom";
import { describeError } from "./errors";

export interface WorkspaceDialogHooks {
  /** The ~/.aws/config profiles that sign in through IAM Identity Center. */
  profiles: () => Promise<string[]>;
  /** Writes the workspace; resolves to every workspace now configured. */
  add: (workspace: NewWorkspace) => Promise<WorkspaceEntry[]>;
  /** Called once it is written. */
  done: (name: string, entries: WorkspaceEntry[]) => void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: { id?: string; className?: string; text?: string } = {}): HTMLElementTagNameMap[K] {
  const node = element(tag, options.className ?? "", options.text);
  if (options.id) node.id = options.id;
  return node;
}

/** An empty optional field is left out. */
function optional(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export class WorkspaceDialog {
  readonly dialog: HTMLElement;
  readonly name: HTMLInputElement;
  readonly method: HTMLSelectElement;
  readonly profile: HTMLSelectElement;
  readonly startUrl: HTMLInputElement;
  readonly ssoRegion: HTMLInputElement;
  readonly accountId: HTMLInputElement;
  readonly roleName: HTMLInputElement;
  readonly region: HTMLInputElement;
  readonly workgroup: HTMLInputElement;
  readonly database: HTMLInputElement;
  readonly source: HTMLInputElement;
  readonly key: HTMLTextAreaElement;
  readonly error: HTMLElement;
  readonly submit: HTMLButtonElement;
  private readonly profileFields: HTMLElement;
  private readonly centerFields: HTMLElement;
  private readonly overlay: HTMLElement;
  private readonly returnFocus: Element | null;
  private closed = false;
  private busy = false;
  private readonly onKey = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || this.closed) return;
    event.preventDefault();
    event.stopPropagation();
    this.close();
  };

  constructor(
    host: HTMLElement,
    private readonly hooks: WorkspaceDialogHooks,
  ) {
    this.returnFocus = document.activeElement;
    const input = (id: string, placeholder: string) => {
      const node = el("input", { id, className: "dialog-input" });
      node.type = "text";
      node.autocomplete = "off";
      node.spellcheck = false;
      node.placeholder = placeholder;
      return node;
    };
    const field = (label: string, control: HTMLElement, hint = "") => {
      const wrap = el("div", { className: "dialog-field" });
      const caption = el("label", { className: "dialog-label", text: label });
      caption.htmlFor = control.id;
      if (hint) caption.append(" ", el("span", { className: "dialog-hint", text: hint }));
      wrap.append(caption, control);
      return wrap;
    };

    this.overlay = el("div", { className: "dialog-backdrop" });
    this.dialog = el("div", { id: "workspace-dialog", className: "dialog" });
    this.dialog.setAttribute("role", "dialog");
    this.dialog.setAttribute("aria-modal", "true");
    this.dialog.setAttribute("aria-labelledby", "workspace-dialog-title");
    const title = el("h2", { id: "workspace-dialog-title", className: "dialog-title", text: "Add AWS workspace" });
    const text = el("p", {
      id: "workspace-dialog-text",
      className: "dialog-text",
      text: "Warden adds it to your config.toml. Queries on it run on Amazon Athena under your AWS sign-in, checked against the policy your security team signs.",
    });
    this.dialog.setAttribute("aria-describedby", text.id);

    this.name = input("workspace-name", "analytics");
    this.method = el("select", { id: "workspace-method", className: "dialog-input" });
    for (const [value, label] of [
      ["identityCenter", "IAM Identity Center (start URL, account, role)"],
      ["profile", "A profile of the AWS CLI (~/.aws/config)"],
    ] as const) {
      const choice = el("option", { text: label });
      choice.value = value;
      this.method.append(choice);
    }
    this.profile = el("select", { id: "workspace-profile", className: "dialog-input" });
    this.startUrl = input("workspace-start-url", "https://my-org.awsapps.com/start");
    this.ssoRegion = input("workspace-sso-region", "eu-west-1");
    this.accountId = input("workspace-account", "123456789012");
    this.roleName = input("workspace-role", "AthenaAnalyst");
    this.region = input("workspace-region", "the sign-in's region");
    this.workgroup = input("workspace-workgroup", "primary");
    this.database = input("workspace-database", "sales");
    this.source = input("workspace-source", "s3://security-bundles/warden/");
    this.key = el("textarea", { id: "workspace-key", className: "dialog-input" });
    this.key.rows = 2;
    this.key.spellcheck = false;
    this.key.placeholder = "/etc/warden/security.pub, or the key text";

    this.profileFields = el("div", { className: "dialog-group" });
    this.profileFields.append(field("Profile", this.profile));
    this.centerFields = el("div", { className: "dialog-group" });
    this.centerFields.append(
      field("Start URL", this.startUrl, "(the AWS access portal)"),
      field("Identity Center region", this.ssoRegion),
      field("Account", this.accountId, "(12 digits)"),
      field("Role", this.roleName, "(permission set)"),
    );
    this.showMethod();
    this.method.addEventListener("change", () => this.showMethod());

    this.error = el("p", { id: "workspace-error", className: "dialog-error" });
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    const cancel = el("button", { id: "workspace-cancel", className: "dialog-button", text: "Cancel" });
    cancel.type = "button";
    this.submit = el("button", { id: "workspace-submit", className: "dialog-button is-primary", text: "Add" });
    this.submit.type = "submit";
    const actions = el("div", { className: "dialog-actions" });
    actions.append(cancel, this.submit);
    const form = el("form", { className: "dialog-form" });
    form.noValidate = true;
    form.append(
      field("Name", this.name, "(lowercase letters, digits, - and _)"),
      field("Sign in with", this.method),
      this.profileFields,
      this.centerFields,
      field("Region", this.region, "(of Athena, S3 and Glue; optional)"),
      field("Workgroup", this.workgroup, "(optional)"),
      field("Default database", this.database, "(optional)"),
      field("Policy bundle source", this.source, "(from your security team)"),
      field("Trusted key", this.key, "(your security team's public key)"),
      this.error,
      actions,
    );
    this.dialog.append(title, text, form);
    this.overlay.append(this.dialog);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send();
    });
    cancel.addEventListener("click", () => this.close());
    document.addEventListener("keydown", this.onKey, true);
    host.append(this.overlay);
    this.name.focus();
    void this.loadProfiles();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    document.removeEventListener("keydown", this.onKey, true);
    this.overlay.remove();
    const back = this.returnFocus;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
  }

  private showMethod(): void {
    const profile = this.method.value === "profile";
    this.profileFields.hidden = !profile;
    this.centerFields.hidden = profile;
  }

  private async loadProfiles(): Promise<void> {
    let names: string[] = [];
    let problem: string | null = null;
    try {
      names = await this.hooks.profiles();
    } catch (error) {
      problem = `The AWS CLI's profiles could not be read. ${describeError(error)}`;
    }
    if (this.closed) return;
    const options = names.map((name) => {
      const choice = el("option", { text: name });
      choice.value = name;
      return choice;
    });
    if (options.length === 0) {
      const none = el("option", { text: problem ?? "No profile of ~/.aws/config signs in through IAM Identity Center" });
      none.value = "";
      none.disabled = true;
      options.push(none);
    }
    this.profile.replaceChildren(...options);
  }

  private showError(message: string | null, field?: HTMLElement): void {
    this.error.textContent = message ?? "";
    this.error.hidden = message === null;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }

  /** The form as the backend takes it, or the first required field left empty. */
  private gather(): NewWorkspace | { missing: string; field: HTMLElement } {
    const required: [string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement][] = [["a name", this.name]];
    if (this.method.value === "profile") required.push(["a profile", this.profile]);
    else
      required.push(
        ["the start URL", this.startUrl],
        ["the Identity Center region", this.ssoRegion],
        ["the account", this.accountId],
        ["the role", this.roleName],
      );
    required.push(["the policy bundle source", this.source], ["the trusted key", this.key]);
    for (const [, control] of required) control.removeAttribute("aria-invalid");
    for (const [what, control] of required) {
      if (control.value.trim() === "") return { missing: what, field: control };
    }
    return {
      name: this.name.value.trim(),
      signIn:
        this.method.value === "profile"
          ? { kind: "profile", profile: this.profile.value }
          : {
              kind: "identityCenter",
              startUrl: this.startUrl.value.trim(),
              ssoRegion: this.ssoRegion.value.trim(),
              accountId: this.accountId.value.trim(),
              roleName: this.roleName.value.trim(),
            },
      region: optional(this.region.value),
      workgroup: optional(this.workgroup.value),
      defaultDatabase: optional(this.database.value),
      bundleSource: this.source.value.trim(),
      trustedKey: this.key.value.trim(),
    };
  }

  async send(): Promise<void> {
    if (this.busy || this.closed) return;
    const gathered = this.gather();
    if ("missing" in gathered) {
      this.showError(`Give ${gathered.missing}.`, gathered.field);
      return;
    }
    this.showError(null);
    this.busy = true;
    this.submit.disabled = true;
    this.submit.textContent = "Adding…";
    try {
      const entries = await this.hooks.add(gathered);
      this.hooks.done(gathered.name, entries);
      this.close();
    } catch (error) {
      this.showError(describeError(error));
    } finally {
      this.busy = false;
      this.submit.disabled = false;
      this.submit.textContent = "Add";
    }
  }
}
