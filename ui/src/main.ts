import "./style.css";
import { startApp, type WardenHandle } from "./app";
import { describeError } from "./errors";

declare global {
  interface Window {
    __warden?: WardenHandle;
  }
}

function fatal(root: HTMLElement, message: string): void {
  const box = document.createElement("div");
  box.className = "fatal";
  box.id = "error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  root.replaceChildren(box);
}

async function main(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  // The mock backend exists only in builds made with `--mode mock`; in any
  // other build this branch and the mock module are removed entirely.
  if (import.meta.env.VITE_WARDEN_MOCK === "1" && !("__TAURI_INTERNALS__" in window)) {
    const { installMockBackend } = await import("./mock");
    installMockBackend();
  }
  if (!("__TAURI_INTERNALS__" in window)) {
    fatal(root, "This page is Warden's desktop window and only works inside the Warden app.");
    return;
  }
  try {
    const app = await startApp(root);
    window.__warden = { setSql: app.setSql, getSql: app.getSql, run: app.run };
  } catch (error) {
    fatal(root, `Warden could not start. ${describeError(error)}`);
  }
}

void main();
