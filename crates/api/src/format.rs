//! `format_sql`: the editor's Format.

use warden_core::Gate;

use crate::error::ApiError;

/// `sql` laid out by the formatter, or an `invalid` error saying why it stays as typed (the
/// formatted text would read differently under the policy, or no policy is in force).
pub fn format_sql(gate: &Gate, sql: &str, database: Option<&str>) -> Result<String, ApiError> {
    gate.format(sql, database).map_err(ApiError::invalid)
}
