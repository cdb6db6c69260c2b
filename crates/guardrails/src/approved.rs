use std::collections::BTreeSet;
use std::fmt;

use sqlparser::ast::Statement;

use crate::params::ParameterError;
use crate::report::{Report, Verdict};
use crate::{LintContext, Policy};

/// A query that passed the guardrails: the only thing an engine will execute.
///
/// It has no public constructor. It carries the exact text and the statements parsed from it,
/// so an engine cannot be handed one text while another was checked. A text with `?`
/// parameters carries the values that were checked with it, and its statements are those of
/// the text with the values in place (which was linted too): an engine can only be handed
/// values that were checked.
#[derive(Debug)]
pub struct Approved {
    sql: String,
    parameters: Vec<String>,
    bound_sql: Option<String>,
    statements: Vec<Statement>,
    default_database: Option<String>,
    policy_fingerprint: String,
    elevations: BTreeSet<String>,
    reads: Vec<String>,
}

impl Approved {
    pub(crate) fn from_report(
        report: Report,
        parameters: Option<(&[String], &Policy, &LintContext)>,
    ) -> Result<Self, Refusal> {
        if report.verdict != Verdict::Allow || report.statements.is_empty() {
            return Err(Refusal {
                report,
                parameters: None,
            });
        }
        let given = parameters.map_or(0, |(values, ..)| values.len());
        let (parameters, bound_sql, statements) = match parameters {
            _ if report.placeholders.is_empty() && given == 0 => (vec![], None, None),
            None => {
                let n = report.placeholders.len();
                let problem = ParameterError {
                    number: None,
                    message: format!(
                        "the query has {n} parameter{} (?): give a value for each, in order",
                        if n == 1 { "" } else { "s" }
                    ),
                };
                return Err(Refusal {
                    report,
                    parameters: Some(problem),
                });
            }
            Some((values, policy, ctx)) => match bound(&report, values, policy, ctx) {
                Ok((values, sql, statements)) => (values, Some(sql), Some(statements)),
                Err(problem) => {
                    return Err(Refusal {
                        report,
                        parameters: Some(problem),
                    })
                }
            },
        };
        Ok(Self {
            sql: report.sql,
            parameters,
            bound_sql,
            statements: statements.unwrap_or(report.statements),
            default_database: report.default_database,
            policy_fingerprint: report.policy_fingerprint,
            elevations: report.active_elevations,
            reads: report.reads,
        })
    }

    /// The text as written, with its `?` parameters: what the guardrails judged and the
    /// journal records.
    pub fn sql(&self) -> &str {
        &self.sql
    }
    /// The checked values of the `?` parameters, in order, each one literal as SQL text (what
    /// Athena's `ExecutionParameters` take); empty for a text without parameters.
    pub fn parameters(&self) -> &[String] {
        &self.parameters
    }
    /// The text with the values in place (what Athena runs), or the text itself when it has no
    /// parameters; [`Approved::statements`] are parsed from it.
    pub fn bound_sql(&self) -> &str {
        self.bound_sql.as_deref().unwrap_or(&self.sql)
    }
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
    pub fn default_database(&self) -> Option<&str> {
        self.default_database.as_deref()
    }
    pub fn policy_fingerprint(&self) -> &str {
        &self.policy_fingerprint
    }
    /// The elevations that were active when the verdict was given; the gate checks they still are.
    pub fn elevations(&self) -> &BTreeSet<String> {
        &self.elevations
    }
    pub fn reads(&self) -> &[String] {
        &self.reads
    }
}

/// The values in place, linted again: the defence in depth behind the template's verdict,
/// which the guardrails give for any values. Refused unless that lint allows the text under
/// the same policy and context and reads the same columns.
fn bound(
    report: &Report,
    values: &[String],
    policy: &Policy,
    ctx: &LintContext,
) -> Result<(Vec<String>, String, Vec<Statement>), ParameterError> {
    let sql = crate::params::bind(&report.sql, values)?;
    let checked: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| crate::params::check_value(i + 1, v))
        .collect::<Result<_, _>>()?;
    let again = crate::lint_measured(policy, &sql, ctx, &report.scan_sizes);
    let same = again.verdict == Verdict::Allow
        && again.policy_fingerprint == report.policy_fingerprint
        && again.active_elevations == report.active_elevations
        && again.default_database == report.default_database
        && again.reads == report.reads
        && again.placeholders.is_empty()
        && again.statements.len() == report.statements.len();
    if !same {
        let why = again
            .diagnostics
            .iter()
            .find(|d| d.severity == crate::Severity::Error)
            .map(|d| format!(" ({}: {})", d.rule, d.message))
            .unwrap_or_default();
        return Err(ParameterError {
            number: None,
            message: format!(
                "with these values in place the query is not judged as it was without them{why}: check the values"
            ),
        });
    }
    Ok((checked, sql, again.statements))
}

/// A report that could not be approved, kept whole so the caller can show why.
#[derive(Debug)]
pub struct Refusal {
    pub report: Report,
    /// Set when the verdict allowed the text but its parameter values were refused.
    pub parameters: Option<ParameterError>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = &self.report;
        if let Some(problem) = &self.parameters {
            return write!(f, "not allowed: {problem}");
        }
        match report.verdict() {
            Verdict::Elevate => write!(
                f,
                "not allowed without elevation: request {}",
                report.elevations().join(", ")
            )?,
            _ => write!(f, "not allowed")?,
        }
        if let Some(first) = report
            .diagnostics()
            .iter()
            .find(|d| d.severity == crate::Severity::Error)
        {
            write!(f, " ({}: {})", first.rule, first.message)?;
        } else if report.statements.is_empty() {
            write!(f, " (there is no statement to run)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}
