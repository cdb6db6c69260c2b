import { beforeEach, describe, expect, it, vi } from "vitest";
import type { SignInStatus, WorkspaceEntry } from "./api";
import { SignIn, describeSignIn, endedText } from "./signin";

function status(extra: Partial<SignInStatus> = {}): SignInStatus {
  return {
    workspace: "sandbox",
    needed: true,
    signedIn: false,
    identity: null,
    accountId: null,
    roleName: null,
    expiresAtMs: null,
    problem: null,
    ...extra,
  };
}

const SIGNED_IN = status({
  signedIn: true,
  identity: "arn:aws:sts::123456789012:assumed-role/Analyst/alice",
  accountId: "123456789012",
  roleName: "Analyst",
  expiresAtMs: new Date(2026, 11, 4, 15, 30).getTime(),
});

const WORKSPACES: WorkspaceEntry[] = [
  { name: "demo", kind: "demo", current: false },
  { name: "sandbox", kind: "athena", current: true },
];

let banner: HTMLElement;
let bannerText: HTMLElement;
let source: {
  status: ReturnType<typeof vi.fn<() => Promise<SignInStatus>>>;
  signIn: ReturnType<typeof vi.fn<(deviceCode: boolean) => Promise<SignInStatus>>>;
  signOut: ReturnType<typeof vi.fn<() => Promise<SignInStatus>>>;
  workspaces: ReturnType<typeof vi.fn<() => Promise<WorkspaceEntry[]>>>;
  switchWorkspace: ReturnType<typeof vi.fn<(name: string) => Promise<void>>>;
};
let hooks: { lockChanged: ReturnType<typeof vi.fn<() => void>>; error: ReturnType<typeof vi.fn<(m: string) => void>> };

function make(initial: SignInStatus, workspaces = WORKSPACES): SignIn {
  source.status.mockResolvedValue(initial);
  source.workspaces.mockResolvedValue(workspaces);
  const signIn = new SignIn({ banner, bannerText }, source, hooks);
  document.body.append(signIn.item, signIn.picker);
  return signIn;
}

const click = (id: string) => (document.getElementById(id) as HTMLButtonElement).click();
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  document.body.replaceChildren();
  banner = document.createElement("div");
  banner.hidden = true;
  bannerText = document.createElement("span");
  banner.append(bannerText);
  document.body.append(banner);
  source = {
    status: vi.fn(),
    signIn: vi.fn(),
    signOut: vi.fn(),
    workspaces: vi.fn(),
    switchWorkspace: vi.fn(),
  };
  hooks = { lockChanged: vi.fn(), error: vi.fn() };
});

describe("describeSignIn", () => {
  it("shows nothing for a workspace that needs no sign-in", () => {
    expect(describeSignIn(status({ needed: false }))).toBeNull();
  });

  it("names the role, account and end of the session, with the identity in the tooltip", () => {
    const shown = describeSignIn(SIGNED_IN);
    expect(shown?.value).toMatch(/^Analyst @ 123456789012 · until /);
    expect(shown?.title).toContain("arn:aws:sts::123456789012:assumed-role/Analyst/alice");
    expect(shown?.tone).toBe("ok");
  });

  it("says why sign-in is unavailable", () => {
    const shown = describeSignIn(status({ problem: "the OS keyring is not available" }));
    expect(shown).toEqual({ value: "sign-in unavailable", title: "the OS keyring is not available", tone: "error" });
  });
});

describe("SignIn", () => {
  it("offers Sign in while signed out, locks AWS work, and shows the identity once signed in", async () => {
    const signIn = make(status());
    await signIn.load();
    expect(signIn.locked).toBe(true);
    expect(document.getElementById("sign-in")).not.toBeNull();
    expect(document.getElementById("sign-out")).toBeNull();
    source.signIn.mockResolvedValue(SIGNED_IN);
    click("sign-in");
    await settle();
    expect(source.signIn).toHaveBeenCalledWith(false);
    expect(signIn.locked).toBe(false);
    expect(hooks.lockChanged).toHaveBeenCalled();
    expect(document.getElementById("sign-in-identity")?.textContent).toContain("Analyst @ 123456789012");
    expect(document.getElementById("sign-out")).not.toBeNull();
  });

  it("signs in with a code: the dialog shows it and closes when the sign-in ends", async () => {
    const signIn = make(status());
    await signIn.load();
    let finish: (s: SignInStatus) => void = () => undefined;
    source.signIn.mockReturnValue(new Promise((resolve) => (finish = resolve)));
    click("sign-in-device");
    expect(source.signIn).toHaveBeenCalledWith(true);
    expect((document.getElementById("sign-in") as HTMLButtonElement).disabled).toBe(true);
    signIn.showDeviceCode({ userCode: "WXYZ-1234", verificationUri: "https://device.sso.example/", completeUri: null });
    expect(document.getElementById("sign-in-code-value")?.textContent).toBe("WXYZ-1234");
    expect(document.getElementById("sign-in-code")?.textContent).toContain("https://device.sso.example/");
    finish(SIGNED_IN);
    await settle();
    expect(document.getElementById("sign-in-code")).toBeNull();
  });

  it("a failed sign-in is reported and leaves the workspace locked", async () => {
    const signIn = make(status());
    await signIn.load();
    source.signIn.mockRejectedValue({ kind: "blocked", message: "the device code expired before it was approved" });
    click("sign-in");
    await settle();
    expect(hooks.error).toHaveBeenCalledWith(expect.stringContaining("the device code expired"));
    expect(signIn.locked).toBe(true);
  });

  it("signs out", async () => {
    const signIn = make(SIGNED_IN);
    await signIn.load();
    source.signOut.mockResolvedValue(status());
    click("sign-out");
    await settle();
    expect(source.signOut).toHaveBeenCalled();
    expect(signIn.locked).toBe(true);
    expect(document.getElementById("sign-in")).not.toBeNull();
  });

  it("a session that ends by itself shows the banner and locks AWS work", async () => {
    const signIn = make(SIGNED_IN);
    await signIn.load();
    source.status.mockResolvedValue(status());
    signIn.sessionEnded({ workspace: "sandbox", reason: "the refresh was refused." });
    expect(banner.hidden).toBe(false);
    expect(bannerText.textContent).toBe(
      "Your AWS sign-in to sandbox ended (the refresh was refused). AWS work is locked until you sign in again.",
    );
    await settle();
    expect(signIn.locked).toBe(true);
    // Signing in again clears the banner.
    signIn.update(SIGNED_IN);
    expect(banner.hidden).toBe(true);
  });

  it("the picker appears only with several workspaces and switches on change", async () => {
    const one = make(status({ needed: false }), [{ name: "demo", kind: "demo", current: true }]);
    await one.load();
    expect(one.picker.hidden).toBe(true);
    expect(one.item.hidden).toBe(true);
    const several = make(status());
    await several.load();
    expect(several.picker.hidden).toBe(false);
    expect([...several.picker.options].map((o) => o.textContent)).toEqual(["demo", "sandbox (AWS)"]);
    expect(several.picker.value).toBe("sandbox");
    source.switchWorkspace.mockResolvedValue(undefined);
    several.picker.value = "demo";
    several.picker.dispatchEvent(new Event("change"));
    expect(source.switchWorkspace).toHaveBeenCalledWith("demo");
  });

  it("endedText keeps the reason inside one sentence", () => {
    expect(endedText({ workspace: "w", reason: "signed out elsewhere. " })).toBe(
      "Your AWS sign-in to w ended (signed out elsewhere). AWS work is locked until you sign in again.",
    );
  });
});
