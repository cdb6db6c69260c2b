//! The editor's Format: laid out by the guardrails' formatter, and checked to read the same as
//! the text as typed under the policy in force.

use super::Gate;

impl Gate {
    /// `sql` formatted, or why it is left as typed (also when no policy is in force: there is
    /// nothing to check the formatted text against).
    pub fn format(&self, sql: &str, database: Option<&str>) -> Result<String, String> {
        let in_force = self.policy().map_err(|e| e.to_string())?;
        warden_guardrails::format_sql(in_force.policy(), sql, &self.context(database))
    }
}
