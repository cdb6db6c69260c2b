//! What the desktop editor receives: verdicts with UTF-16 offsets for CodeMirror, the schema
//! with policy tags, and query summaries.

use serde::Serialize;
use ts_rs::TS;
use warden_core::{CachedCatalog, ColumnInfo, Execution, NoPolicy, Policy, Report, Value};

use crate::RunDetails;

/// Whether a text may run, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Elevate,
    Deny,
}

impl From<warden_core::Verdict> for Verdict {
    fn from(v: warden_core::Verdict) -> Self {
        match v {
            warden_core::Verdict::Allow => Self::Allow,
            warden_core::Verdict::Elevate => Self::Elevate,
            warden_core::Verdict::Deny => Self::Deny,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl From<warden_core::Severity> for Severity {
    fn from(s: warden_core::Severity) -> Self {
        match s {
            warden_core::Severity::Error => Self::Error,
            warden_core::Severity::Warning => Self::Warning,
            warden_core::Severity::Info => Self::Info,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    pub title: String,
    pub from: usize,
    pub to: usize,
    pub insert: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct LintDiagnostic {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// UTF-16 offsets, as CodeMirror counts.
    pub from: usize,
    pub to: usize,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub unlocked_by: Vec<String>,
    pub fix: Option<Fix>,
}

/// One `?` parameter of the text: its number (values are given in this order), the column it
/// is compared with when there is one, and where it is (UTF-16 offsets).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct LintParameter {
    pub number: u32,
    pub column: Option<String>,
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct LintReport {
    pub verdict: Verdict,
    pub elevations: Vec<String>,
    pub reads: Vec<String>,
    /// Why it may not run, in one sentence; `None` when it may.
    pub reason: Option<String>,
    pub diagnostics: Vec<LintDiagnostic>,
    /// The text's `?` parameters in order: Run asks for a value for each. The verdict holds
    /// whatever the values are.
    pub parameters: Vec<LintParameter>,
}

impl LintReport {
    /// The gate's answer for `sql`: its report, or a deny that says why no policy is in force.
    pub fn from_lint(result: &Result<Report, NoPolicy>) -> Self {
        match result {
            Ok(report) => Self::from_report(report),
            Err(no_policy) => Self {
                verdict: Verdict::Deny,
                elevations: Vec::new(),
                reads: Vec::new(),
                reason: Some(no_policy.to_string()),
                diagnostics: Vec::new(),
                parameters: Vec::new(),
            },
        }
    }

    pub fn from_report(report: &Report) -> Self {
        let diagnostics = report
            .diagnostics()
            .iter()
            .map(|d| LintDiagnostic {
                rule: d.rule.clone(),
                severity: d.severity.into(),
                message: d.message.clone(),
                from: d.span.start.utf16,
                to: d.span.end.utf16.max(d.span.start.utf16),
                line: d.span.start.line,
                column: d.span.start.column,
                end_line: d.span.end.line,
                end_column: d.span.end.column,
                unlocked_by: d.unlocked_by.clone(),
                fix: d.fix.as_ref().map(|f| Fix {
                    title: f.title.clone(),
                    from: f.span.start.utf16,
                    to: f.span.end.utf16,
                    insert: f.replacement.clone(),
                }),
            })
            .collect();
        let reason = deciding_reason(report);
        Self {
            verdict: report.verdict().into(),
            elevations: report.elevations().to_vec(),
            reads: report.reads().to_vec(),
            reason,
            diagnostics,
            parameters: report
                .placeholders()
                .iter()
                .map(|p| LintParameter {
                    number: p.number as u32,
                    column: p.column.clone(),
                    from: p.span.start.utf16,
                    to: p.span.end.utf16,
                })
                .collect(),
        }
    }
}

/// The sentence that decides the verdict: for a deny, an error no elevation lifts (an error an
/// elevation could lift, such as a scan budget, does not explain a deny); for an elevate, an
/// error the needed elevations lift. The first diagnostic is often neither.
fn deciding_reason(report: &Report) -> Option<String> {
    let errors = || {
        report
            .diagnostics()
            .iter()
            .filter(|d| d.severity == warden_core::Severity::Error)
    };
    match Verdict::from(report.verdict()) {
        Verdict::Allow => None,
        Verdict::Elevate => {
            let needed = report.elevations();
            let decisive = errors()
                .find(|d| d.unlocked_by.iter().any(|e| needed.contains(e)))
                .or_else(|| errors().next());
            Some(format!(
                "needs the {} elevation: {}",
                needed.join(" and "),
                decisive
                    .map(|d| d.message.as_str())
                    .unwrap_or("a rule requires it")
            ))
        }
        Verdict::Deny => Some(
            errors()
                .find(|d| d.unlocked_by.is_empty())
                .or_else(|| errors().next())
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "the policy does not allow it".into()),
        ),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogColumn {
    pub name: String,
    pub data_type: String,
    pub partition_key: bool,
    /// The policy's tags for the column (pii, restricted, ...).
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogTable {
    pub name: String,
    pub columns: Vec<CatalogColumn>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogDatabase {
    pub name: String,
    pub tables: Vec<CatalogTable>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default, TS)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub databases: Vec<CatalogDatabase>,
    /// When the engine (Glue, on Athena) was read, RFC 3339 in UTC.
    pub read_at: String,
    /// Served from the workspace's cache (an earlier session's read) rather than read now.
    pub from_cache: bool,
}

impl Catalog {
    /// The engine's catalog, each column marked with the tags the policy gives it (no tags while
    /// no policy is in force: nothing can run then anyway).
    pub fn new(read: &CachedCatalog, policy: Option<&Policy>) -> Self {
        let databases = read
            .catalog
            .databases
            .iter()
            .map(|db| CatalogDatabase {
                name: db.name.clone(),
                tables: db
                    .tables
                    .iter()
                    .map(|t| {
                        let policy_table =
                            policy.and_then(|p| p.catalog().table(&db.name, &t.name));
                        CatalogTable {
                            name: t.name.clone(),
                            columns: t
                                .columns
                                .iter()
                                .map(|c| CatalogColumn {
                                    name: c.name.clone(),
                                    data_type: c.data_type.clone(),
                                    partition_key: c.partition_key,
                                    tags: policy_table
                                        .and_then(|pt| pt.column(&c.name))
                                        .map(|pc| pc.tags.iter().cloned().collect())
                                        .unwrap_or_default(),
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect();
        Self {
            databases,
            read_at: read
                .read_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            from_cache: read.from_cache,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    pub result_id: String,
    pub columns: Vec<ResultColumn>,
    pub row_count: usize,
    pub bytes_scanned: u64,
    pub duration_ms: u64,
    pub query_id: String,
    pub engine: String,
    /// The run details panel's facts, as a failed or cancelled run sends them with its error.
    pub run: RunDetails,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResultColumn {
    pub name: String,
    pub data_type: String,
}

impl QueryResult {
    pub fn new(result_id: String, e: &Execution) -> Self {
        Self {
            result_id,
            columns: e
                .result
                .columns
                .iter()
                .map(|c: &ColumnInfo| ResultColumn {
                    name: c.name.clone(),
                    data_type: c.data_type.clone(),
                })
                .collect(),
            row_count: e.result.len(),
            bytes_scanned: e.bytes_scanned,
            duration_ms: e.duration.as_millis() as u64,
            query_id: e.query_id.clone(),
            engine: e.engine.to_string(),
            run: RunDetails::from(e),
        }
    }
}

/// One cell as the grid receives it: numbers stay numbers.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(untagged)]
pub enum CellValue {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
}

/// A page of rows of a kept result.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RowPage {
    /// Cells as the engine gives them (`Value` serialises untagged, like `CellValue`).
    #[ts(as = "Vec<Vec<CellValue>>")]
    pub rows: Vec<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_guardrails::{lint, LintContext};

    const POLICY: &str = r#"
format: warden-policy/1
name: editor-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii] }
            card: { type: varchar, tags: [restricted] }
elevations:
  pii-read: { description: Read personal data }
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read] }
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error, message: "{column} is restricted" }
"#;

    #[test]
    fn offsets_are_utf16_for_codemirror() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        // The emoji is two UTF-16 units and four UTF-8 bytes.
        let sql = "SELECT '😀', email FROM sales.customers";
        let view = LintReport::from_report(&lint(&policy, sql, &LintContext::default()));
        assert_eq!(view.verdict, Verdict::Elevate);
        assert_eq!(view.elevations, vec!["pii-read".to_string()]);
        let d = &view.diagnostics[0];
        let utf16: Vec<u16> = sql.encode_utf16().collect();
        assert_eq!(String::from_utf16_lossy(&utf16[d.from..d.to]), "email");
        assert!(view
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("pii-read")));
    }

    #[test]
    fn allowed_text_has_no_reason() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let view = LintReport::from_report(&lint(
            &policy,
            "SELECT customer_id FROM sales.customers",
            &LintContext::default(),
        ));
        assert_eq!(view.verdict, Verdict::Allow);
        assert_eq!(view.reason, None);
        assert_eq!(view.reads, vec!["sales.customers.customer_id".to_string()]);
    }

    #[test]
    fn a_deny_says_what_no_elevation_lifts_not_the_first_error() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        // email (lifted by pii-read) comes first; card decides the deny.
        let view = LintReport::from_report(&lint(
            &policy,
            "SELECT email, card FROM sales.customers",
            &LintContext::default(),
        ));
        assert_eq!(view.verdict, Verdict::Deny);
        assert_eq!(view.diagnostics[0].rule, "pii");
        assert_eq!(
            view.reason.as_deref(),
            Some("sales.customers.card is restricted")
        );
    }
}
