// The "Add AWS workspace" dialog: how the workspace signs in (an AWS CLI profile or IAM
// Identity Center), where its queries run, and where its signed policy comes from. The backend
// checks every value and writes config.toml (refused when an administrator sets the
// workspaces); this form only gathers them and shows the backend's answer.

import type { NewWorkspace, WorkspaceEntry } from "./api";
import { describeError } from "./errors";
import { field, Modal, node, plainInput } from "./modal";

export interface WorkspaceDialogHooks {
  /** The ~/.aws/config profiles that sign in through IAM Identity Center. */
  profiles: () => Promise<string[]>;
  /** Writes the workspace; resolves to every workspace now configured. */
  add: (workspace: NewWorkspace) => Promise<WorkspaceEntry[]>;
  /** Called once it is written. */
  done: (name: string, entries: WorkspaceEntry[]) => void;
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
  private readonly modal: Modal;
  private readonly profileFields: HTMLElement;
  private readonly centerFields: HTMLElement;
  private busy = false;

  constructor(
    host: HTMLElement,
    private readonly hooks: WorkspaceDialogHooks,
  ) {
    this.modal = new Modal(
      {
        prefix: "workspace",
        title: "Add AWS workspace",
        text: "Warden adds it to your config.toml. Queries on it run on Amazon Athena under your AWS sign-in, checked against the policy your security team signs.",
        submit: "Add",
      },
      () => void this.send(),
    );
    this.dialog = this.modal.dialog;
    this.error = this.modal.error;
    this.submit = this.modal.submit;

    this.name = plainInput("workspace-name", "analytics");
    this.method = node("select", { id: "workspace-method", className: "dialog-input" });
    for (const [value, label] of [
      ["identityCenter", "IAM Identity Center (start URL, account, role)"],
      ["profile", "A profile of the AWS CLI (~/.aws/config)"],
    ] as const) {
      const choice = node("option", { text: label });
      choice.value = value;
      this.method.append(choice);
    }
    this.profile = node("select", { id: "workspace-profile", className: "dialog-input" });
    this.startUrl = plainInput("workspace-start-url", "https://my-org.awsapps.com/start");
    this.ssoRegion = plainInput("workspace-sso-region", "eu-west-1");
    this.accountId = plainInput("workspace-account", "123456789012");
    this.roleName = plainInput("workspace-role", "AthenaAnalyst");
    this.region = plainInput("workspace-region", "the sign-in's region");
    this.workgroup = plainInput("workspace-workgroup", "primary");
    this.database = plainInput("workspace-database", "sales");
    this.source = plainInput("workspace-source", "s3://security-bundles/warden/");
    this.key = node("textarea", { id: "workspace-key", className: "dialog-input" });
    this.key.rows = 2;
    this.key.spellcheck = false;
    this.key.placeholder = "/etc/warden/security.pub, or the key text";

    this.profileFields = node("div", { className: "dialog-group" });
    this.profileFields.append(field("Profile", this.profile));
    this.centerFields = node("div", { className: "dialog-group" });
    this.centerFields.append(
      field("Start URL", this.startUrl, "(the AWS access portal)"),
      field("Identity Center region", this.ssoRegion),
      field("Account", this.accountId, "(12 digits)"),
      field("Role", this.roleName, "(permission set)"),
    );
    this.showMethod();
    this.method.addEventListener("change", () => this.showMethod());

    this.modal.open(
      host,
      [
        field("Name", this.name, "(lowercase letters, digits, - and _)"),
        field("Sign in with", this.method),
        this.profileFields,
        this.centerFields,
        field("Region", this.region, "(of Athena, S3 and Glue; optional)"),
        field("Workgroup", this.workgroup, "(optional)"),
        field("Default database", this.database, "(optional)"),
        field("Policy bundle source", this.source, "(from your security team)"),
        field("Trusted key", this.key, "(your security team's public key)"),
      ],
      this.name,
    );
    void this.loadProfiles();
  }

  get isOpen(): boolean {
    return this.modal.isOpen;
  }

  close(): void {
    this.modal.close();
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
    if (!this.modal.isOpen) return;
    const options = names.map((name) => {
      const choice = node("option", { text: name });
      choice.value = name;
      return choice;
    });
    if (options.length === 0) {
      const none = node("option", { text: problem ?? "No profile of ~/.aws/config signs in through IAM Identity Center" });
      none.value = "";
      none.disabled = true;
      options.push(none);
    }
    this.profile.replaceChildren(...options);
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
    if (this.busy || !this.modal.isOpen) return;
    const gathered = this.gather();
    if ("missing" in gathered) {
      this.modal.showError(`Give ${gathered.missing}.`, gathered.field);
      return;
    }
    this.modal.showError(null);
    this.busy = true;
    this.submit.disabled = true;
    this.submit.textContent = "Adding…";
    try {
      const entries = await this.hooks.add(gathered);
      this.hooks.done(gathered.name, entries);
      this.close();
    } catch (error) {
      this.modal.showError(describeError(error));
    } finally {
      this.busy = false;
      this.submit.disabled = false;
      this.submit.textContent = "Add";
    }
  }
}
