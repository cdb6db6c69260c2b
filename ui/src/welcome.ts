// The first-run panel of the demo workspace: what Warden is, three queries to try (one the
// policy allows, one that needs an elevation, one it denies; generated from the Rust list the
// demo policy's test checks) and how to use an AWS account instead. It sits in the results
// area until it is dismissed or a query runs.
import { DEMO_QUERIES } from "./gen/demoQueries";
import { element } from "./dom";

type Verdict = (typeof DEMO_QUERIES)[number]["verdict"];

const VERDICT_LABEL: Record<Verdict, string> = {
  allow: "Allowed",
  elevate: "Needs an elevation",
  deny: "Denied",
};

export interface WelcomeHooks {
  /** Opens `sql` in the editor (the empty tab in front, or a new one). */
  open(sql: string): void;
  /** The panel was dismissed. */
  closed(): void;
  /** Opens the Add AWS workspace form. */
  addWorkspace(): void;
}

/** The panel (id `welcome`, a labelled region), ready to be placed. */
export function renderWelcome(hooks: WelcomeHooks): HTMLElement {
  const panel = element("section", "welcome");
  panel.id = "welcome";
  panel.setAttribute("aria-labelledby", "welcome-title");

  const head = element("div", "welcome-head");
  const title = element("h2", "welcome-title", "Welcome to Warden");
  title.id = "welcome-title";
  const close = element("button", "banner-close welcome-close");
  close.type = "button";
  close.setAttribute("aria-label", "Close the welcome panel");
  close.addEventListener("click", () => {
    panel.remove();
    hooks.closed();
  });
  head.append(title, close);

  const intro = element(
    "p",
    "welcome-text",
    "Warden checks each query against your security team's guardrails as you type, runs only " +
      "what they allow, and records every run in a tamper-evident audit journal. This is the demo " +
      "workspace: customers, orders and web events generated on this machine, no AWS account needed.",
  );

  const tryTitle = element("h3", "welcome-subtitle", "Try these");
  const list = element("ul", "welcome-queries");
  for (const query of DEMO_QUERIES) {
    const item = element("li", "welcome-query");
    item.dataset.verdict = query.verdict;
    const badge = element("span", `welcome-verdict is-${query.verdict}`, VERDICT_LABEL[query.verdict]);
    const name = element("span", "welcome-query-title", query.title);
    const note = element("span", "welcome-query-note", query.note);
    const open = element("button", "tool-button welcome-open", "Open");
    open.type = "button";
    open.setAttribute("aria-label", `Open “${query.title}” in the editor`);
    open.addEventListener("click", () => hooks.open(query.sql));
    item.append(badge, name, open, note);
    list.append(item);
  }

  const awsTitle = element("h3", "welcome-subtitle", "Your AWS account");
  const aws = element("p", "welcome-text");
  aws.append(
    "Add a workspace for your AWS account with the button below (your IAM Identity Center start URL, " +
      "account and role, or a profile from ~/.aws/config, plus where your security team publishes " +
      "its signed policy), pick it in the status bar and sign in: the same guardrails then apply to " +
      "Athena. From a terminal, ",
    element("code", "", "warden workspace add"),
    " does the same, and ",
    element("code", "", "warden workspace list"),
    " shows what is configured.",
  );
  const developers = element("p", "welcome-text");
  developers.append(
    "Working from a source checkout? ",
    element("code", "", "make sandbox"),
    " starts a local stand-in for AWS with a ready workspace, no account needed.",
  );
  const add = element("button", "tool-button welcome-add", "Add AWS workspace…");
  add.type = "button";
  add.id = "welcome-add-workspace";
  add.addEventListener("click", () => hooks.addWorkspace());

  panel.append(head, intro, tryTitle, list, awsTitle, aws, add, developers);
  return panel;
}
