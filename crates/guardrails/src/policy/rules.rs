//! Rules as the engine applies them: the keys every rule has, checked here; the keys of each
//! kind are read by that kind (see `crate::rules`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::file::RuleFile;
use super::locate::Locations;
use super::{Catalog, Elevation, PolicyError};
use crate::report::Severity;
use crate::rules::{Check, Options, KINDS};

/// Ids the engine itself reports; a policy rule cannot take them.
pub(crate) const BUILT_IN_RULES: [&str; 3] = ["parse_error", "unresolved", "query_size"];

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub severity: Severity,
    pub message: Option<String>,
    pub unlocked_by: Vec<String>,
    pub kind: Arc<dyn Check>,
}

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
        let Some(kind) = KINDS.iter().find(|k| k.name == r.kind) else {
            let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
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
            if !kind.keys.iter().any(|k| k.name == key) {
                return Err(PolicyError::at(
                    at_key(key),
                    format!("rule {}: key {key} does not apply to kind {}", r.id, r.kind),
                ));
            }
        }
        let severity = match r.severity.as_deref() {
            None if kind.hint => Severity::Warning,
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
        let check = (kind.build)(&Options {
            file: r,
            catalog,
            known_tags: &known_tags,
            loc,
            path,
        })?;
        rules.push(Rule {
            id: r.id.clone(),
            severity,
            message: r.message.clone(),
            unlocked_by,
            kind: check,
        });
    }
    Ok(rules)
}
