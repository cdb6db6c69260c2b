// Generated from warden_core::DEMO_QUERIES by crates/api/src/ts.rs (`make ts`). Do not edit.

export const DEMO_QUERIES = [
  {"note":"Reads no personal data and stays within the scan budget: it runs at once.","sql":"SELECT country, count(*) AS customers\nFROM sales.customers\nGROUP BY country\nORDER BY customers DESC","title":"Customers by country","verdict":"allow"},
  {"note":"Reads columns tagged pii: it runs once you request the pii-read elevation, which the demo policy grants for a short time with a justification.","sql":"SELECT full_name, email\nFROM sales.customers\nWHERE country = 'DE'\nLIMIT 20","title":"Names and e-mail addresses","verdict":"elevate"},
  {"note":"Reads a restricted column: no elevation unlocks it, so it never runs.","sql":"SELECT customer_id, ssn\nFROM sales.customers\nLIMIT 10","title":"Social security numbers","verdict":"deny"},
] as const;
