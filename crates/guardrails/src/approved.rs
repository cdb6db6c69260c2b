use std::collections::BTreeSet;
use std::fmt;

use sqlparser::ast::Statement;

use crate::report::{Report, Verdict};

/// A query that passed the guardrails: the only thing an engine will execute.
///
/// It has no public constructor. It carries the exact text and the statements parsed from it,
/// so an engine cannot be handed one text while another was checked.
#[derive(Debug)]
pub struct Approved {
    sql: String,
    statements: Vec<Statement>,
    default_database: Option<String>,
    policy_fingerprint: String,
    elevations: BTreeSet<String>,
    reads: Vec<String>,
}

impl Approved {
    pub(crate) fn from_report(report: Report) -> Result<Self, Refusal> {
        if report.verdict != Verdict::Allow || report.statements.is_empty() {
            return Err(Refusal { report });
        }
        Ok(Self {
            sql: report.sql,
            statements: report.statements,
            default_database: report.default_database,
            policy_fingerprint: report.policy_fingerprint,
            elevations: report.active_elevations,
            reads: report.reads,
        })
    }

    pub fn sql(&self) -> &str {
        &self.sql
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

/// A report that could not be approved, kept whole so the caller can show why.
#[derive(Debug)]
pub struct Refusal {
    pub report: Report,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = &self.report;
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
