//! The queries the window's first-run panel offers on the demo workspace: one the demo policy
//! allows, one that needs an elevation and one it denies, so a new user sees each verdict. A
//! test lints them against the demo policy, so the panel never promises a verdict the policy
//! does not give; the window gets them generated (`ui/src/gen/demoQueries.ts`).

use warden_guardrails::Verdict;

/// One query to try, with the verdict the demo policy gives it.
pub struct DemoQuery {
    pub title: &'static str,
    pub sql: &'static str,
    pub verdict: Verdict,
    /// What the verdict shows the user, in a sentence.
    pub note: &'static str,
}

pub const DEMO_QUERIES: [DemoQuery; 3] = [
    DemoQuery {
        title: "Customers by country",
        sql: "SELECT country, count(*) AS customers\nFROM sales.customers\nGROUP BY country\nORDER BY customers DESC",
        verdict: Verdict::Allow,
        note: "Reads no personal data and stays within the scan budget: it runs at once.",
    },
    DemoQuery {
        title: "Names and e-mail addresses",
        sql: "SELECT full_name, email\nFROM sales.customers\nWHERE country = 'DE'\nLIMIT 20",
        verdict: Verdict::Elevate,
        note: "Reads columns tagged pii: it runs once you request the pii-read elevation, which the demo policy grants for a short time with a justification.",
    },
    DemoQuery {
        title: "Social security numbers",
        sql: "SELECT customer_id, ssn\nFROM sales.customers\nLIMIT 10",
        verdict: Verdict::Deny,
        note: "Reads a restricted column: no elevation unlocks it, so it never runs.",
    },
];
