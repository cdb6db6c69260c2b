use std::collections::BTreeSet;

use serde::Serialize;
use sqlparser::ast::Statement;

use crate::approved::{Approved, Refusal};
use crate::params::Placeholder;
use crate::scan::{ScanEstimate, ScanSizes, ScanTarget};
use crate::span::Span;

/// A column name the policy's catalog does not have, where the text names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColumn {
    /// As written, lowercase.
    pub column: String,
    /// The base tables (`db.table`, lowercase) it could belong to: the one its qualifier names,
    /// or every base table in scope.
    pub tables: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Elevate,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Elevate => "elevate",
            Verdict::Deny => "deny",
        }
    }
}

/// What a statement does, worst effect first in the policy's eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementClass {
    Query,
    Explain,
    Show,
    Describe,
    Unload,
    Ctas,
    Insert,
    Ddl,
    Dml,
    Prepared,
    Other,
}

impl StatementClass {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementClass::Query => "query",
            StatementClass::Explain => "explain",
            StatementClass::Show => "show",
            StatementClass::Describe => "describe",
            StatementClass::Unload => "unload",
            StatementClass::Ctas => "ctas",
            StatementClass::Insert => "insert",
            StatementClass::Ddl => "ddl",
            StatementClass::Dml => "dml",
            StatementClass::Prepared => "prepared",
            StatementClass::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "query" => StatementClass::Query,
            "explain" => StatementClass::Explain,
            "show" => StatementClass::Show,
            "describe" => StatementClass::Describe,
            "unload" => StatementClass::Unload,
            "ctas" => StatementClass::Ctas,
            "insert" => StatementClass::Insert,
            "ddl" => StatementClass::Ddl,
            "dml" => StatementClass::Dml,
            "prepared" => StatementClass::Prepared,
            "other" => StatementClass::Other,
            _ => return None,
        })
    }
}

/// A text edit that fixes a diagnostic, e.g. appending `LIMIT 1000`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Elevations any one of which lifts this diagnostic; empty when none can.
    pub unlocked_by: Vec<String>,
    pub fix: Option<Fix>,
}

/// The guardrail verdict for one SQL text under one policy and one set of active elevations.
///
/// Only [`crate::lint`] builds a report, so holding one means the text was really checked.
#[derive(Debug)]
pub struct Report {
    pub(crate) sql: String,
    pub(crate) default_database: Option<String>,
    pub(crate) policy_fingerprint: String,
    pub(crate) active_elevations: BTreeSet<String>,
    pub(crate) lifted_by: BTreeSet<String>,
    pub(crate) verdict: Verdict,
    pub(crate) elevations: Vec<String>,
    pub(crate) reads: Vec<String>,
    pub(crate) star_tables: Vec<String>,
    /// Every base table the text reads (`db.table`, lowercase), in the policy's catalog.
    pub(crate) tables: Vec<String>,
    pub(crate) unknown_columns: Vec<UnknownColumn>,
    pub(crate) classes: Vec<StatementClass>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) placeholders: Vec<Placeholder>,
    /// The sizes the text was judged with (none: the policy's stats).
    pub(crate) scan_sizes: ScanSizes,
    pub(crate) scan_targets: Vec<ScanTarget>,
    pub(crate) scan_estimates: Vec<ScanEstimate>,
}

impl Report {
    pub fn sql(&self) -> &str {
        &self.sql
    }
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }
    /// The smallest set of elevations that would turn an `elevate` verdict into `allow`.
    pub fn elevations(&self) -> &[String] {
        &self.elevations
    }
    /// The base tables (lowercase `database.table`) of every statement with a `*` or `t.*`:
    /// the engine expands a star over a table's live columns, which may be more than the
    /// policy's catalog lists, so the gate compares them before it runs the query.
    pub fn star_tables(&self) -> &[String] {
        &self.star_tables
    }
    /// Base-table columns read, as lowercase `database.table.column`, sorted and unique.
    pub fn reads(&self) -> &[String] {
        &self.reads
    }
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    pub fn statement_classes(&self) -> &[StatementClass] {
        &self.classes
    }
    pub fn policy_fingerprint(&self) -> &str {
        &self.policy_fingerprint
    }
    pub fn active_elevations(&self) -> &BTreeSet<String> {
        &self.active_elevations
    }
    /// The active elevations that lifted at least one diagnostic of this text.
    pub fn lifted_by(&self) -> &BTreeSet<String> {
        &self.lifted_by
    }
    pub fn default_database(&self) -> Option<&str> {
        self.default_database.as_deref()
    }
    /// Rule ids of the error diagnostics, the ones that decide the verdict.
    pub fn blocking_rules(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.rule.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// A report for a text that could not be checked at all (e.g. not UTF-8): verdict deny.
    pub(crate) fn refused(
        policy: &crate::Policy,
        sql: String,
        ctx: &crate::LintContext,
        diagnostic: Diagnostic,
    ) -> Self {
        Report {
            sql,
            default_database: ctx.default_database.clone(),
            policy_fingerprint: policy.fingerprint().to_string(),
            active_elevations: ctx.elevations.clone(),
            lifted_by: BTreeSet::new(),
            verdict: Verdict::Deny,
            elevations: vec![],
            reads: vec![],
            star_tables: vec![],
            tables: vec![],
            unknown_columns: vec![],
            classes: vec![],
            diagnostics: vec![diagnostic],
            statements: vec![],
            placeholders: vec![],
            scan_sizes: ScanSizes::none(),
            scan_targets: vec![],
            scan_estimates: vec![],
        }
    }

    /// The tables (and partitions) the text reads, when the policy has a scan budget: what a
    /// run-time measurement of the scan needs ([`crate::lint_measured`]). Empty otherwise.
    pub fn scan_targets(&self) -> &[ScanTarget] {
        &self.scan_targets
    }

    /// The scan estimate of the statement nearest its budget (or over it): "about 42 GB, budget
    /// 1 TB (from S3 object sizes)". `None` when the policy has no scan budget.
    pub fn scan_estimate(&self) -> Option<&ScanEstimate> {
        self.scan_estimates.iter().max_by(|a, b| {
            let share = |e: &ScanEstimate| match e.bytes {
                None => f64::INFINITY,
                Some(b) => b as f64 / e.budget.max(1) as f64,
            };
            share(a).total_cmp(&share(b))
        })
    }

    /// The sizes this report was judged with.
    pub fn scan_sizes(&self) -> &ScanSizes {
        &self.scan_sizes
    }

    /// Every base table of the policy's catalog the text reads (`db.table`, lowercase).
    pub fn tables(&self) -> &[String] {
        &self.tables
    }

    /// Column names that matched no column of the policy's catalog (each an `unresolved`
    /// error), with the tables they could belong to.
    pub fn unknown_columns(&self) -> &[UnknownColumn] {
        &self.unknown_columns
    }

    /// Words the `unresolved` error of each unknown column `explain` knows more about (on
    /// Athena: the column is in Glue, the policy lags). Only the message changes: the error,
    /// and so the verdict, stays.
    pub fn explain_unknown_columns(&mut self, explain: impl Fn(&UnknownColumn) -> Option<String>) {
        for unknown in &self.unknown_columns {
            let Some(message) = explain(unknown) else {
                continue;
            };
            for d in self
                .diagnostics
                .iter_mut()
                .filter(|d| d.rule == "unresolved" && d.span == unknown.span)
            {
                d.message = message.clone();
            }
        }
    }

    /// The text's `?` parameters in order; the verdict holds whatever literal each one is given.
    pub fn placeholders(&self) -> &[Placeholder] {
        &self.placeholders
    }

    /// Turns an `allow` report into the token engines require; anything else is refused, and
    /// so is a text with `?` parameters (they need values: [`Report::approve_with_parameters`]).
    pub fn approve(self) -> Result<Approved, Refusal> {
        Approved::from_report(self, None)
    }

    /// [`Report::approve`] for a text with `?` parameters: each value must be one literal, there
    /// must be one per `?`, and the text with the values in place is linted again under the same
    /// policy and context; it must be allowed and read the same columns, or it is refused.
    pub fn approve_with_parameters(
        self,
        values: &[String],
        policy: &crate::Policy,
        ctx: &crate::LintContext,
    ) -> Result<Approved, Refusal> {
        Approved::from_report(self, Some((values, policy, ctx)))
    }
}
