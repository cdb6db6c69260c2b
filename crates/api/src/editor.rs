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
    /// What the engine's catalog (Glue) says that the verdict does not: a table the policy
    /// lists and the text reads that Glue lacks (the run will be refused for it).
    pub catalog_notes: Vec<String>,
    /// The scan estimate the budget rule judged ("about 42 GB, budget 1 TB (from the policy's
    /// stats)"); `None` when the policy has no scan budget. As typed it comes from the policy's
    /// stats; `lint_measured` measures it as a run would.
    pub scan: Option<String>,
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
                catalog_notes: Vec::new(),
                scan: None,
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
            catalog_notes: Vec::new(),
            scan: report.scan_estimate().map(ToString::to_string),
        }
    }

    /// The same with `notes` from the engine's catalog ([`Gate::tables_missing`]).
    ///
    /// [`Gate::tables_missing`]: warden_core::Gate::tables_missing
    pub fn with_catalog_notes(mut self, notes: Vec<String>) -> Self {
        self.catalog_notes = notes;
        self
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
    /// The engine (Glue) has it but the policy's catalog does not: reading it is refused until
    /// the security team adds it.
    pub unlisted: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogTable {
    pub name: String,
    pub columns: Vec<CatalogColumn>,
    /// The engine has the table but the policy's catalog does not (every column is unlisted).
    pub unlisted: bool,
    /// The policy lists the table but the engine's catalog (Glue) does not have it: a query
    /// cannot read it. Its columns are the policy's.
    pub missing: bool,
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
    /// The engine's catalog, each column marked with the tags the policy gives it, or as
    /// unlisted when the policy lacks it; the policy's tables the engine lacks are added as
    /// missing. No tags and no marks while no policy is in force: nothing can run then anyway.
    pub fn new(read: &CachedCatalog, policy: Option<&Policy>) -> Self {
        let mut databases: Vec<CatalogDatabase> = read
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
                        let listed = |name: &str| {
                            policy_table.is_some_and(|pt| {
                                pt.column(name).is_some() || pt.is_partition_key(name)
                            })
                        };
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
                                    unlisted: policy.is_some() && !listed(&c.name),
                                })
                                .collect(),
                            unlisted: policy.is_some() && policy_table.is_none(),
                            missing: false,
                        }
                    })
                    .collect(),
            })
            .collect();
        if let Some(policy) = policy {
            add_missing_tables(&mut databases, policy);
        }
        Self {
            databases,
            read_at: read
                .read_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            from_cache: read.from_cache,
        }
    }
}

/// Adds the policy's tables the engine's catalog lacks, marked missing, in name order.
fn add_missing_tables(databases: &mut Vec<CatalogDatabase>, policy: &Policy) {
    for (db_name, tables) in &policy.catalog().databases {
        for (table_name, table) in tables {
            let present = databases
                .iter()
                .filter(|d| d.name.eq_ignore_ascii_case(db_name))
                .flat_map(|d| d.tables.iter())
                .any(|t| t.name.eq_ignore_ascii_case(table_name));
            if present {
                continue;
            }
            let columns = table
                .columns
                .iter()
                .map(|c| CatalogColumn {
                    name: c.name.clone(),
                    data_type: c.data_type.clone(),
                    partition_key: false,
                    tags: c.tags.iter().cloned().collect(),
                    unlisted: false,
                })
                .chain(table.partition_keys.iter().map(|k| CatalogColumn {
                    name: k.clone(),
                    data_type: String::new(),
                    partition_key: true,
                    tags: Vec::new(),
                    unlisted: false,
                }))
                .collect();
            let missing = CatalogTable {
                name: table_name.clone(),
                columns,
                unlisted: false,
                missing: true,
            };
            let i = match databases
                .iter()
                .position(|d| d.name.eq_ignore_ascii_case(db_name))
            {
                Some(i) => i,
                None => {
                    let at = databases
                        .iter()
                        .position(|d| d.name.as_str() > db_name.as_str())
                        .unwrap_or(databases.len());
                    databases.insert(
                        at,
                        CatalogDatabase {
                            name: db_name.clone(),
                            tables: Vec::new(),
                        },
                    );
                    at
                }
            };
            let tables = &mut databases[i].tables;
            let at = tables
                .iter()
                .position(|t| t.name.as_str() > table_name.as_str())
                .unwrap_or(tables.len());
            tables.insert(at, missing);
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

impl ResultColumn {
    pub fn all(columns: &[ColumnInfo]) -> Vec<Self> {
        columns
            .iter()
            .map(|c| Self {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
            })
            .collect()
    }
}

impl QueryResult {
    pub fn new(result_id: String, e: &Execution) -> Self {
        Self {
            result_id,
            columns: ResultColumn::all(e.result.columns()),
            row_count: e.result.len() as usize,
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

    fn read(tables: &[(&str, &[&str])]) -> CachedCatalog {
        let tables: Vec<serde_json::Value> = tables
            .iter()
            .map(|(name, columns)| {
                let columns: Vec<serde_json::Value> = columns
                    .iter()
                    .map(|c| serde_json::json!({ "name": c, "data_type": "varchar", "partition_key": false }))
                    .collect();
                serde_json::json!({ "name": name, "columns": columns })
            })
            .collect();
        let snapshot = serde_json::json!({ "databases": [{ "name": "sales", "tables": tables }] });
        CachedCatalog {
            catalog: serde_json::from_value(snapshot).expect("a catalog"),
            read_at: chrono::DateTime::from_timestamp(1_764_878_400, 0).expect("time"),
            from_cache: true,
        }
    }

    #[test]
    fn columns_glue_has_and_the_policy_lacks_are_unlisted() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let glue = read(&[
            (
                "customers",
                &["customer_id", "email", "card", "loyalty_tier"],
            ),
            ("visits", &["visit_id"]),
        ]);
        let view = Catalog::new(&glue, Some(&policy));
        assert_eq!(view.read_at, "2025-12-04T20:00:00Z");
        assert!(view.from_cache);
        let tables = &view.databases[0].tables;
        let customers = &tables[0];
        let unlisted: Vec<(&str, bool)> = customers
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.unlisted))
            .collect();
        assert_eq!(
            unlisted,
            [
                ("customer_id", false),
                ("email", false),
                ("card", false),
                ("loyalty_tier", true)
            ]
        );
        assert_eq!(customers.columns[1].tags, ["pii"]);
        assert!(!customers.unlisted && !customers.missing);
        // A table the policy does not know at all.
        assert_eq!(tables[1].name, "visits");
        assert!(tables[1].unlisted && tables[1].columns[0].unlisted);
        // No policy in force: nothing is marked.
        let bare = Catalog::new(&glue, None);
        assert!(bare.databases[0].tables[0]
            .columns
            .iter()
            .all(|c| !c.unlisted));
        assert!(!bare.databases[0].tables[1].unlisted);
    }

    #[test]
    fn a_table_the_policy_lists_and_glue_lacks_is_missing() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let view = Catalog::new(&read(&[("visits", &["visit_id"])]), Some(&policy));
        let names: Vec<(&str, bool)> = view.databases[0]
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.missing))
            .collect();
        assert_eq!(names, [("customers", true), ("visits", false)]);
        let customers = &view.databases[0].tables[0];
        assert_eq!(customers.columns.len(), 3);
        assert_eq!(customers.columns[1].tags, ["pii"]);
        // A database Glue lacks altogether is added too.
        let empty = CachedCatalog {
            catalog: Default::default(),
            ..read(&[])
        };
        let view = Catalog::new(&empty, Some(&policy));
        assert_eq!(view.databases[0].name, "sales");
        assert!(view.databases[0].tables[0].missing);
    }

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
