// The system clipboard, through the web API the webview offers (the window is a secure
// context). A refusal is an error for the caller to show, never a silent no-op.

export function copyText(text: string): Promise<void> {
  const clipboard = typeof navigator === "undefined" ? undefined : navigator.clipboard;
  if (!clipboard) return Promise.reject(new Error("this window has no clipboard access"));
  return clipboard.writeText(text);
}
