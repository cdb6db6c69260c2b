import { afterEach, describe, expect, it, vi } from "vitest";
import type { NewWorkspace, WorkspaceEntry } from "./api";
import { WorkspaceDialog } from "./workspace-dialog";

const ENTRIES: WorkspaceEntry[] = [
  { name: "demo", kind: "demo", current: true },
  { name: "analytics", kind: "athena", current: false },
];

function open(profiles: () => Promise<string[]> = async () => ["analyst", "old"]) {
  const add = vi.fn(async (_: NewWorkspace) => ENTRIES);
  const done = vi.fn();
  const dialog = new WorkspaceDialog(document.body, { profiles, add, done });
  return { dialog, add, done };
}

function type(input: HTMLInputElement | HTMLTextAreaElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("the Add AWS workspace dialog", () => {
  it("is a labelled modal dialog with focus on the name", () => {
    const { dialog } = open();
    expect(dialog.dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.getElementById(dialog.dialog.getAttribute("aria-labelledby") ?? "")?.textContent).toBe("Add AWS workspace");
    expect(document.activeElement).toBe(dialog.name);
    for (const control of dialog.dialog.querySelectorAll("input, select, textarea")) {
      expect(document.querySelector(`label[for="${control.id}"]`), control.id).not.toBeNull();
    }
  });

  it("names the first required field left empty and sends nothing", async () => {
    const { dialog, add } = open();
    type(dialog.name, "analytics");
    await dialog.send();
    expect(add).not.toHaveBeenCalled();
    expect(dialog.error.hidden).toBe(false);
    expect(dialog.error.textContent).toBe("Give the start URL.");
    expect(dialog.startUrl.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(dialog.startUrl);
  });

  it("sends IAM Identity Center settings, empty optional fields as null, then closes", async () => {
    const { dialog, add, done } = open();
    type(dialog.name, " analytics ");
    type(dialog.startUrl, "https://my-org.awsapps.com/start");
    type(dialog.ssoRegion, "eu-west-1");
    type(dialog.accountId, "123456789012");
    type(dialog.roleName, "AthenaAnalyst");
    type(dialog.workgroup, "analysts");
    type(dialog.source, "s3://security-bundles/warden/");
    type(dialog.key, "/etc/warden/security.pub");
    await dialog.send();
    expect(add).toHaveBeenCalledWith({
      name: "analytics",
      signIn: {
        kind: "identityCenter",
        startUrl: "https://my-org.awsapps.com/start",
        ssoRegion: "eu-west-1",
        accountId: "123456789012",
        roleName: "AthenaAnalyst",
      },
      region: null,
      workgroup: "analysts",
      defaultDatabase: null,
      bundleSource: "s3://security-bundles/warden/",
      trustedKey: "/etc/warden/security.pub",
    });
    expect(done).toHaveBeenCalledWith("analytics", ENTRIES);
    expect(dialog.isOpen).toBe(false);
    expect(document.getElementById("workspace-dialog")).toBeNull();
  });

  it("offers the AWS CLI's SSO profiles and sends the one picked", async () => {
    const { dialog, add } = open();
    await vi.waitFor(() => expect([...dialog.profile.options].map((o) => o.value)).toEqual(["analyst", "old"]));
    dialog.method.value = "profile";
    dialog.method.dispatchEvent(new Event("change"));
    expect(dialog.startUrl.closest(".dialog-group")?.hasAttribute("hidden")).toBe(true);
    dialog.profile.value = "old";
    type(dialog.name, "team");
    type(dialog.source, "https://policy.example.com/warden/");
    type(dialog.key, "KEY TEXT");
    await dialog.send();
    expect(add.mock.calls[0][0].signIn).toEqual({ kind: "profile", profile: "old" });
  });

  it("says when no profile can be offered, and why", async () => {
    const { dialog } = open(async () => {
      throw "the AWS config file is not valid";
    });
    await vi.waitFor(() => expect(dialog.profile.options[0]?.textContent).toContain("could not be read"));
    expect(dialog.profile.options[0].disabled).toBe(true);
  });

  it("keeps the form open with the backend's reason when the workspace is refused", async () => {
    const add = vi.fn(async (_: NewWorkspace): Promise<WorkspaceEntry[]> => {
      throw "the workspace cannot be added: your administrator sets the workspaces on this machine";
    });
    const done = vi.fn();
    const dialog = new WorkspaceDialog(document.body, { profiles: async () => [], add, done });
    dialog.method.value = "profile";
    type(dialog.name, "team");
    type(dialog.source, "s3://b/");
    type(dialog.key, "k");
    // No profile to pick: the form says so before asking the backend.
    await dialog.send();
    expect(dialog.error.textContent).toBe("Give a profile.");
    dialog.method.value = "identityCenter";
    type(dialog.startUrl, "https://x.awsapps.com/start");
    type(dialog.ssoRegion, "eu-west-1");
    type(dialog.accountId, "123456789012");
    type(dialog.roleName, "R");
    await dialog.send();
    expect(dialog.error.textContent).toContain("administrator");
    expect(dialog.isOpen).toBe(true);
    expect(done).not.toHaveBeenCalled();
    expect(dialog.submit.disabled).toBe(false);
  });

  it("closes with Escape and gives focus back", () => {
    const before = document.createElement("button");
    document.body.append(before);
    before.focus();
    const { dialog } = open();
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(dialog.isOpen).toBe(false);
    expect(document.activeElement).toBe(before);
  });
});
