//! Policy file, format `warden-policy/1` (see docs/policy.md).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::report::{Severity, StatementClass};

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("policy {at}: {message}")]
    Invalid { at: String, message: String },
}

impl PolicyError {
    fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        PolicyError::Invalid { at: format!("line {line}, column {column}"), message: message.into() }
    }
    fn general(message: impl Into<String>) -> Self {
        PolicyError::Invalid { at: "file".into(), message: message.into() }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub tags: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub database: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub partition_keys: Vec<String>,
    pub size_bytes: Option<u64>,
    pub partitions: Option<u64>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        let name = name.to_lowercase();
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Databases and tables that names resolve against. Names are stored lowercase, as Athena
/// compares them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub databases: BTreeMap<String, BTreeMap<String, Table>>,
}

impl Catalog {
    pub fn table(&self, database: &str, table: &str) -> Option<&Table> {
        self.databases.get(&database.to_lowercase())?.get(&table.to_lowercase())
    }
}

#[derive(Debug, Clone)]
pub(crate) enum RuleKind {
    StatementClass { allow: BTreeSet<StatementClass> },
    RestrictedColumns { tags: BTreeSet<String> },
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub severity: Severity,
    pub message: Option<String>,
    pub unlocked_by: Vec<String>,
    pub kind: RuleKind,
}

#[derive(Debug, Clone)]
pub struct Policy {
    name: String,
    fingerprint: String,
    catalog: Catalog,
    elevations: BTreeSet<String>,
    pub(crate) rules: Vec<Rule>,
}

impl Policy {
    /// Parses and validates a policy; every problem is reported with its place in the file.
    pub fn from_yaml(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile = serde_yaml_ng::from_str(text).map_err(|e| match e.location() {
            Some(loc) => PolicyError::at(loc.line(), loc.column(), strip_location(&e.to_string())),
            None => PolicyError::general(e.to_string()),
        })?;
        if file.format != "warden-policy/1" {
            return Err(PolicyError::general(format!(
                "format is {:?}; this Warden reads \"warden-policy/1\"",
                file.format
            )));
        }
        let mut catalog = Catalog::default();
        for (db_name, db) in file.catalog.databases {
            let db_name = db_name.to_lowercase();
            let tables = catalog.databases.entry(db_name.clone()).or_default();
            for (table_name, t) in db.tables {
                let columns = t
                    .columns
                    .into_iter()
                    .map(|(name, spec)| match spec {
                        ColumnSpec::Type(data_type) => {
                            Column { name: name.to_lowercase(), data_type, tags: BTreeSet::new() }
                        }
                        ColumnSpec::Full { data_type, tags } => Column {
                            name: name.to_lowercase(),
                            data_type,
                            tags: tags.into_iter().collect(),
                        },
                    })
                    .collect();
                tables.insert(
                    table_name.to_lowercase(),
                    Table {
                        database: db_name.clone(),
                        name: table_name.to_lowercase(),
                        columns,
                        partition_keys: t.partition_keys.iter().map(|k| k.to_lowercase()).collect(),
                        size_bytes: t.stats.as_ref().and_then(|s| s.size_bytes),
                        partitions: t.stats.as_ref().and_then(|s| s.partitions),
                    },
                );
            }
        }
        let elevations: BTreeSet<String> = file.elevations.keys().cloned().collect();
        let mut rules = Vec::new();
        for r in file.rules {
            let severity = match r.severity.as_deref().unwrap_or("error") {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                other => {
                    return Err(PolicyError::general(format!(
                        "rule {}: severity {other:?} is not one of error, warning, info",
                        r.id
                    )))
                }
            };
            for e in &r.unlocked_by {
                if !elevations.contains(e) {
                    return Err(PolicyError::general(format!(
                        "rule {}: unlocked_by names elevation {e:?}, which the policy does not define",
                        r.id
                    )));
                }
            }
            let kind = match r.kind.as_str() {
                "statement_class" => {
                    let mut allow = BTreeSet::new();
                    for c in &r.allow {
                        allow.insert(StatementClass::parse(c).ok_or_else(|| {
                            PolicyError::general(format!(
                                "rule {}: {c:?} is not a statement class",
                                r.id
                            ))
                        })?);
                    }
                    RuleKind::StatementClass { allow }
                }
                "restricted_columns" => {
                    RuleKind::RestrictedColumns { tags: r.tags.iter().cloned().collect() }
                }
                other => {
                    return Err(PolicyError::general(format!(
                        "rule {}: kind {other:?} is not known",
                        r.id
                    )))
                }
            };
            rules.push(Rule { id: r.id, severity, message: r.message, unlocked_by: r.unlocked_by, kind });
        }
        let fingerprint = hex(&Sha256::digest(text.as_bytes()));
        Ok(Self { name: file.name, fingerprint, catalog, elevations, rules })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    /// SHA-256 of the policy text, so a verdict can be tied to the exact policy that gave it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
    pub fn elevation_names(&self) -> &BTreeSet<String> {
        &self.elevations
    }
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    format: String,
    name: String,
    #[serde(default)]
    catalog: CatalogFile,
    #[serde(default)]
    elevations: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    databases: BTreeMap<String, DatabaseFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseFile {
    #[serde(default)]
    tables: BTreeMap<String, TableFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    columns: indexmap_like::OrderedMap<ColumnSpec>,
    #[serde(default)]
    partition_keys: Vec<String>,
    #[serde(default)]
    stats: Option<StatsFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsFile {
    size_bytes: Option<u64>,
    partitions: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ColumnSpec {
    Type(String),
    Full {
        #[serde(rename = "type")]
        data_type: String,
        #[serde(default)]
        tags: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    kind: String,
    severity: Option<String>,
    message: Option<String>,
    #[serde(default)]
    unlocked_by: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Columns keep the order the policy gives them (it is the order `*` expands in).
mod indexmap_like {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    pub struct OrderedMap<V>(pub Vec<(String, V)>);

    impl<V> IntoIterator for OrderedMap<V> {
        type Item = (String, V);
        type IntoIter = std::vec::IntoIter<(String, V)>;
        fn into_iter(self) -> Self::IntoIter {
            self.0.into_iter()
        }
    }

    impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V2<V>(PhantomData<V>);
            impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
                type Value = OrderedMap<V>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a map of column names to types")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = m.next_entry::<String, V>()? {
                        out.push((k, v));
                    }
                    Ok(OrderedMap(out))
                }
            }
            d.deserialize_map(V2(PhantomData))
        }
    }
}
