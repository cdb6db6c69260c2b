//! Rules as the engine applies them, and their validation against the catalog and elevations.

use std::collections::{BTreeMap, BTreeSet};

use super::file::RuleFile;
use super::locate::Locations;
use super::{size, Catalog, Elevation, PolicyError};
use crate::report::{Severity, StatementClass};

/// Ids the engine itself reports; a policy rule cannot take them.
pub(crate) const BUILT_IN_RULES: [&str; 3] = ["parse_error", "unresolved", "query_size"];

#[derive(Debug, Clone)]
pub(crate) enum RuleKind {
    StatementClass {
        allow: BTreeSet<StatementClass>,
    },
    SingleStatement,
    /// Lowercase database names and `database.table` names.
    ObjectAllowlist {
        databases: BTreeSet<String>,
        tables: BTreeSet<String>,
    },
    RestrictedColumns {
        tags: BTreeSet<String>,
    },
    RequiredRowPredicate {
        tables: BTreeSet<String>,
        column: String,
    },
    RequirePartitionFilter {
        tables: BTreeSet<String>,
    },
    MaxScanBytes {
        limit: u64,
    },
    SelectStar,
    RequireLimit {
        max_rows: Option<u64>,
    },
    CrossJoin,
    ExportDestination {
        allow_prefixes: Vec<String>,
    },
    BlockedFunctions {
        functions: BTreeSet<String>,
    },
    UnboundedWrite,
    OrderByWithoutLimit,
    NullComparison,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub severity: Severity,
    pub message: Option<String>,
    pub unlocked_by: Vec<String>,
    pub kind: RuleKind,
}

const KINDS: [(&str, &[&str]); 15] = [
    ("statement_class", &["allow"]),
    ("single_statement", &[]),
    ("object_allowlist", &["databases", "tables"]),
    ("restricted_columns", &["tags"]),
    ("required_row_predicate", &["tables", "column"]),
    ("require_partition_filter", &["tables"]),
    ("max_scan_bytes", &["limit"]),
    ("select_star", &[]),
    ("require_limit", &["max_rows"]),
    ("cross_join", &[]),
    ("export_destination", &["allow_prefixes"]),
    ("blocked_functions", &["functions"]),
    ("unbounded_write", &[]),
    ("order_by_without_limit", &[]),
    ("null_comparison", &[]),
];

pub(crate) fn build(
    files: &[RuleFile],
    catalog: &Catalog,
    elevations: &BTreeMap<String, Elevation>,
    loc: &Locations,
) -> Result<Vec<Rule>, PolicyError> {
    let known_tags: BTreeSet<&String> = catalog
        .databases
        .values()
        .flat_map(|d| d.values())
        .flat_map(|t| t.columns.iter())
        .flat_map(|c| c.tags.iter())
        .collect();
    let mut ids = BTreeSet::new();
    let mut rules = Vec::new();
    for (i, r) in files.iter().enumerate() {
        let path = format!("rules/{i}");
        let at_key = |key: &str| loc.key(&format!("{path}/{key}"));
        let at_value = |key: &str| loc.value(&format!("{path}/{key}"));
        if r.id.trim().is_empty() {
            return Err(PolicyError::at(at_value("id"), "rule id is empty"));
        }
        if BUILT_IN_RULES.contains(&r.id.as_str()) {
            return Err(PolicyError::at(
                at_value("id"),
                format!(
                    "rule id {} is reserved for a built-in check: choose another id",
                    r.id
                ),
            ));
        }
        if !ids.insert(r.id.clone()) {
            return Err(PolicyError::at(
                at_value("id"),
                format!("rule id {} is used twice", r.id),
            ));
        }
        let Some((_, accepted)) = KINDS.iter().find(|(k, _)| *k == r.kind) else {
            let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
            return Err(PolicyError::at(
                at_value("kind"),
                format!(
                    "rule {}: kind {:?} is not known; kinds are {}",
                    r.id,
                    r.kind,
                    names.join(", ")
                ),
            ));
        };
        for key in r.specific_keys() {
            if !accepted.contains(&key) {
                return Err(PolicyError::at(
                    at_key(key),
                    format!("rule {}: key {key} does not apply to kind {}", r.id, r.kind),
                ));
            }
        }
        let hint = matches!(
            r.kind.as_str(),
            "order_by_without_limit" | "null_comparison"
        );
        let severity = match r.severity.as_deref() {
            None if hint => Severity::Warning,
            None | Some("error") => Severity::Error,
            Some("warning") => Severity::Warning,
            Some("info") => Severity::Info,
            Some(other) => {
                return Err(PolicyError::at(
                    at_value("severity"),
                    format!(
                        "rule {}: severity {other:?} is not one of error, warning, info",
                        r.id
                    ),
                ))
            }
        };
        let unlocked_by = r.unlocked_by.clone().unwrap_or_default();
        for (j, e) in unlocked_by.iter().enumerate() {
            if !elevations.contains_key(e) {
                return Err(PolicyError::at(
                    at_value(&format!("unlocked_by/{j}")),
                    format!("rule {}: unlocked_by names elevation {e:?}, which the policy does not define under elevations", r.id),
                ));
            }
        }
        let missing = |key: &str| {
            PolicyError::at(
                loc.key(&path),
                format!("rule {} of kind {} needs the key {key}", r.id, r.kind),
            )
        };
        let tables = |key: &str,
                      list: &[String],
                      must_exist: bool|
         -> Result<BTreeSet<String>, PolicyError> {
            let mut out = BTreeSet::new();
            for (j, t) in list.iter().enumerate() {
                let at = at_value(&format!("{key}/{j}"));
                let parts: Vec<&str> = t.split('.').collect();
                let [db, table] = parts.as_slice() else {
                    return Err(PolicyError::at(
                        at,
                        format!("rule {}: {t:?} is not of the form database.table", r.id),
                    ));
                };
                if must_exist && catalog.table(db, table).is_none() {
                    return Err(PolicyError::at(
                        at,
                        format!("rule {}: table {t} is not in the catalog", r.id),
                    ));
                }
                out.insert(t.to_lowercase());
            }
            Ok(out)
        };
        let kind = match r.kind.as_str() {
            "statement_class" => {
                let list = r.allow.as_ref().ok_or_else(|| missing("allow"))?;
                let mut allow = BTreeSet::new();
                for (j, c) in list.iter().enumerate() {
                    allow.insert(StatementClass::parse(c).ok_or_else(|| {
                        PolicyError::at(
                            at_value(&format!("allow/{j}")),
                            format!(
                                "rule {}: {c:?} is not a statement class (query, explain, show, describe, unload, ctas, insert, ddl, dml, prepared, other)",
                                r.id
                            ),
                        )
                    })?);
                }
                RuleKind::StatementClass { allow }
            }
            "single_statement" => RuleKind::SingleStatement,
            "object_allowlist" => {
                if r.databases.is_none() && r.tables.is_none() {
                    return Err(missing("databases or tables"));
                }
                RuleKind::ObjectAllowlist {
                    databases: r
                        .databases
                        .iter()
                        .flatten()
                        .map(|d| d.to_lowercase())
                        .collect(),
                    tables: tables("tables", r.tables.as_deref().unwrap_or_default(), false)?,
                }
            }
            "restricted_columns" => {
                let list = r.tags.as_ref().ok_or_else(|| missing("tags"))?;
                for (j, t) in list.iter().enumerate() {
                    if !known_tags.contains(t) {
                        return Err(PolicyError::at(
                            at_value(&format!("tags/{j}")),
                            format!(
                                "rule {}: no column of the catalog carries the tag {t:?}",
                                r.id
                            ),
                        ));
                    }
                }
                RuleKind::RestrictedColumns {
                    tags: list.iter().cloned().collect(),
                }
            }
            "required_row_predicate" => {
                let list = r.tables.as_ref().ok_or_else(|| missing("tables"))?;
                let column = r
                    .column
                    .as_ref()
                    .ok_or_else(|| missing("column"))?
                    .to_lowercase();
                let set = tables("tables", list, true)?;
                for (j, t) in list.iter().enumerate() {
                    let (db, table) = t.split_once('.').unwrap_or_default();
                    if catalog
                        .table(db, table)
                        .and_then(|t| t.column(&column))
                        .is_none()
                    {
                        return Err(PolicyError::at(
                            at_value(&format!("tables/{j}")),
                            format!("rule {}: table {t} has no column {column}", r.id),
                        ));
                    }
                }
                RuleKind::RequiredRowPredicate {
                    tables: set,
                    column,
                }
            }
            "require_partition_filter" => {
                let list = r.tables.as_ref().ok_or_else(|| missing("tables"))?;
                let set = tables("tables", list, true)?;
                for (j, t) in list.iter().enumerate() {
                    let (db, table) = t.split_once('.').unwrap_or_default();
                    if catalog
                        .table(db, table)
                        .is_some_and(|t| t.partition_keys.is_empty())
                    {
                        return Err(PolicyError::at(
                            at_value(&format!("tables/{j}")),
                            format!(
                                "rule {}: table {t} has no partition_keys in the catalog",
                                r.id
                            ),
                        ));
                    }
                }
                RuleKind::RequirePartitionFilter { tables: set }
            }
            "max_scan_bytes" => {
                let limit = r.limit.as_ref().ok_or_else(|| missing("limit"))?;
                RuleKind::MaxScanBytes {
                    limit: size(limit, at_value("limit"))?,
                }
            }
            "select_star" => RuleKind::SelectStar,
            "require_limit" => {
                if r.max_rows == Some(0) {
                    return Err(PolicyError::at(
                        at_value("max_rows"),
                        "max_rows must be at least 1",
                    ));
                }
                RuleKind::RequireLimit {
                    max_rows: r.max_rows,
                }
            }
            "cross_join" => RuleKind::CrossJoin,
            "export_destination" => RuleKind::ExportDestination {
                allow_prefixes: r
                    .allow_prefixes
                    .clone()
                    .ok_or_else(|| missing("allow_prefixes"))?,
            },
            "blocked_functions" => RuleKind::BlockedFunctions {
                functions: r
                    .functions
                    .as_ref()
                    .ok_or_else(|| missing("functions"))?
                    .iter()
                    .map(|f| f.to_lowercase())
                    .collect(),
            },
            "unbounded_write" => RuleKind::UnboundedWrite,
            "order_by_without_limit" => RuleKind::OrderByWithoutLimit,
            _ => RuleKind::NullComparison,
        };
        rules.push(Rule {
            id: r.id.clone(),
            severity,
            message: r.message.clone(),
            unlocked_by,
            kind,
        });
    }
    Ok(rules)
}
