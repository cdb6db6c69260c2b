//! Warden's guardrail engine: what a SQL text reads and whether a policy lets it run.
//!
//! Pure and synchronous on purpose: it runs on every keystroke in the editor, inside the
//! execution gate, and in `warden lint`, and it must give the same answer in all three.
//!
//! The only way to obtain an [`Approved`] query, which is what every engine demands before it
//! executes anything, is [`Report::approve`] on a report that [`lint`] produced with verdict
//! `allow`. That is what makes the gate a matter of types rather than of convention.

mod analysis;
mod approved;
mod bounds;
mod dialect;
mod format;
mod lexical;
mod lint;
pub mod output;
mod params;
mod policy;
mod report;
mod rules;
mod scan;
mod span;
mod verdict;

pub use approved::{Approved, Refusal};
pub use bounds::{MAX_CTES, MAX_NESTING, MAX_OPERATORS, MAX_SET_OPERATIONS};
pub use dialect::AthenaDialect;
pub use format::format_sql;
pub use lint::{lint, lint_measured, LintContext, MAX_PARSE_DEPTH, MAX_QUERY_BYTES};
pub use params::{bind, check_value, ParameterError, Placeholder};
pub use policy::units::human_size;
pub use policy::{
    Approval, AwsGrant, AwsTarget, Catalog, Column, Elevation, Justification, PermissionSetGrant,
    Policy, PolicyError, SqlText, Table, LONGEST_ELEVATION, MAX_POLICY_BYTES,
    MAX_POLICY_FLOW_DEPTH, MAX_SESSION_POLICY_CHARS, POLICY_FORMAT,
};
pub use report::{Diagnostic, Fix, Report, Severity, StatementClass, UnknownColumn, Verdict};
pub use rules::DEFAULT_FIX_LIMIT;
pub use scan::{
    Comparison, Measured, PartitionFilter, PartitionRange, ScanEstimate, ScanSizes, ScanSource,
    ScanTarget,
};
pub use span::{Position, Span};

/// Re-exported so engines that share this parser version can take the parsed statements
/// instead of parsing the text a second time.
pub use sqlparser;
