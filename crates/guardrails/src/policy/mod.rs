//! Policy file, format `warden-policy/1` (see docs/policy.md and docs/policy.schema.json).

mod aws;
pub(crate) mod file;
mod guard;
pub(crate) mod locate;
mod rules;
pub(crate) mod units;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sha2::{Digest, Sha256};

use file::{ColumnSpec, PolicyFile, SizeValue};
use locate::Locations;
pub(crate) use rules::Rule;

pub use aws::{AwsGrant, AwsTarget, PermissionSetGrant, MAX_SESSION_POLICY_CHARS};
pub use guard::{MAX_POLICY_BYTES, MAX_POLICY_FLOW_DEPTH};

pub const POLICY_FORMAT: &str = "warden-policy/1";

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// `at` is "line L, column C" (1-based) or "file" when the problem has no single place.
    #[error("policy {at}: {message}")]
    Invalid { at: String, message: String },
}

impl PolicyError {
    pub(crate) fn at((line, column): (usize, usize), message: impl Into<String>) -> Self {
        PolicyError::Invalid {
            at: format!("line {line}, column {column}"),
            message: message.into(),
        }
    }
    pub(crate) fn general(message: impl Into<String>) -> Self {
        PolicyError::Invalid {
            at: "file".into(),
            message: message.into(),
        }
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
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
    pub fn is_partition_key(&self, name: &str) -> bool {
        self.partition_keys
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
    }
    /// `database.table`, lowercase.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.database, self.name)
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
        self.databases
            .get(&database.to_lowercase())?
            .get(&table.to_lowercase())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Auto,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Justification {
    Required,
    Optional,
}

/// A privilege that can be granted for a while (see docs/policy.md, "elevations").
#[derive(Debug, Clone)]
pub struct Elevation {
    pub name: String,
    pub description: String,
    pub max_duration: Duration,
    pub default_duration: Duration,
    pub approval: Approval,
    pub justification: Justification,
    /// A regular expression a ticket reference must match, checked to compile at load time.
    pub ticket_pattern: Option<String>,
    /// The IAM Identity Center group (display name) an approver must be in. Only the AWS
    /// elevation broker checks it, in the identity store.
    pub approver_group: Option<String>,
    /// What the elevation grants on AWS; `None` where it grants nothing there (the demo).
    pub aws: Option<AwsGrant>,
}

/// Used when an elevation does not say: short, and approved by a person.
const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(3600);

/// The longest any elevation may last: "just in time" is not "for good", and it keeps every
/// grant's end far inside what clocks can represent.
pub const LONGEST_ELEVATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// How query events in the audit journal keep the SQL: the text itself, or only its SHA-256
/// (for teams whose queries may quote personal data in literals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlText {
    #[default]
    Full,
    Hash,
}

#[derive(Debug, Clone)]
pub struct Policy {
    name: String,
    audit_sql_text: SqlText,
    audit_max_unsynced: Option<Duration>,
    fingerprint: String,
    catalog: Catalog,
    elevation_names: BTreeSet<String>,
    elevations: BTreeMap<String, Elevation>,
    pub(crate) rules: Vec<Rule>,
}

impl Policy {
    /// Parses and validates a policy; every problem is reported with its place in the file.
    pub fn from_yaml(text: &str) -> Result<Self, PolicyError> {
        guard::check(text)?;
        let file: PolicyFile = serde_yaml_ng::from_str(text).map_err(|e| match e.location() {
            Some(loc) => PolicyError::at((loc.line(), loc.column()), explain_serde(&e.to_string())),
            None => PolicyError::general(explain_serde(&e.to_string())),
        })?;
        let loc = Locations::of(text);
        if file.format != POLICY_FORMAT {
            return Err(PolicyError::at(
                loc.value("format"),
                format!(
                    "format is {:?}; this Warden reads {POLICY_FORMAT:?}",
                    file.format
                ),
            ));
        }
        if file.name.trim().is_empty() {
            return Err(PolicyError::at(
                loc.value("name"),
                "name is empty: give the policy a name",
            ));
        }
        let catalog = build_catalog(&file, &loc)?;
        let elevations = build_elevations(&file, &loc)?;
        let rules = rules::build(&file.rules, &catalog, &elevations, &loc)?;
        let audit_max_unsynced = match &file.audit.max_unsynced {
            None => None,
            Some(t) => Some(
                units::parse_duration(t)
                    .map_err(|m| PolicyError::at(loc.value("audit/max_unsynced"), m))?,
            ),
        };
        let fingerprint = hex(&Sha256::digest(text.as_bytes()));
        Ok(Self {
            name: file.name,
            audit_sql_text: file.audit.sql_text,
            audit_max_unsynced,
            fingerprint,
            catalog,
            elevation_names: elevations.keys().cloned().collect(),
            elevations,
            rules,
        })
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
    /// Whether the audit journal may keep query text (`audit: { sql_text: full | hash }`).
    pub fn audit_sql_text(&self) -> SqlText {
        self.audit_sql_text
    }
    /// How long an event may wait for the central store before new runs are refused
    /// (`audit: { max_unsynced: 15m }`); `None`: no bound.
    pub fn audit_max_unsynced(&self) -> Option<Duration> {
        self.audit_max_unsynced
    }
    pub fn elevation_names(&self) -> &BTreeSet<String> {
        &self.elevation_names
    }
    pub fn elevation(&self, name: &str) -> Option<&Elevation> {
        self.elevations.get(name)
    }
    pub fn elevations(&self) -> &BTreeMap<String, Elevation> {
        &self.elevations
    }
    /// Rule ids in file order.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.id.as_str()).collect()
    }
}

fn build_catalog(file: &PolicyFile, loc: &Locations) -> Result<Catalog, PolicyError> {
    let mut catalog = Catalog::default();
    for (db_name, db) in &file.catalog.databases.0 {
        let db_path = format!("catalog/databases/{db_name}");
        check_name(db_name, loc.key(&db_path), "database")?;
        let db_lower = db_name.to_lowercase();
        let tables = catalog.databases.entry(db_lower.clone()).or_default();
        for (table_name, t) in &db.tables.0 {
            let t_path = format!("{db_path}/tables/{table_name}");
            check_name(table_name, loc.key(&t_path), "table")?;
            let mut columns = Vec::new();
            for (name, spec) in &t.columns.0 {
                check_name(name, loc.key(&format!("{t_path}/columns/{name}")), "column")?;
                let (data_type, tags) = match spec {
                    ColumnSpec::Type(ty) => (ty.clone(), BTreeSet::new()),
                    ColumnSpec::Full(c) => (c.data_type.clone(), c.tags.iter().cloned().collect()),
                };
                if data_type.trim().is_empty() {
                    return Err(PolicyError::at(
                        loc.value(&format!("{t_path}/columns/{name}")),
                        format!(
                            "column {name} has an empty type: write its Athena type, e.g. varchar"
                        ),
                    ));
                }
                columns.push(Column {
                    name: name.to_lowercase(),
                    data_type,
                    tags,
                });
            }
            if columns.is_empty() {
                return Err(PolicyError::at(
                    loc.key(&format!("{t_path}/columns")),
                    format!("table {db_name}.{table_name} has no columns"),
                ));
            }
            let mut partition_keys = Vec::new();
            for (i, key) in t.partition_keys.iter().enumerate() {
                if !columns.iter().any(|c| c.name.eq_ignore_ascii_case(key)) {
                    return Err(PolicyError::at(
                        loc.value(&format!("{t_path}/partition_keys/{i}")),
                        format!("partition key {key} is not a column of {db_name}.{table_name}: list it under columns"),
                    ));
                }
                partition_keys.push(key.to_lowercase());
            }
            let stats = t.stats.as_ref();
            let size_bytes = match stats.and_then(|s| s.size_bytes.clone()) {
                None => None,
                Some(v) => Some(size(&v, loc.value(&format!("{t_path}/stats/size_bytes")))?),
            };
            let partitions = stats.and_then(|s| s.partitions);
            if partitions == Some(0) {
                return Err(PolicyError::at(
                    loc.value(&format!("{t_path}/stats/partitions")),
                    "partitions must be at least 1",
                ));
            }
            tables.insert(
                table_name.to_lowercase(),
                Table {
                    database: db_lower.clone(),
                    name: table_name.to_lowercase(),
                    columns,
                    partition_keys,
                    size_bytes,
                    partitions,
                },
            );
        }
    }
    Ok(catalog)
}

fn build_elevations(
    file: &PolicyFile,
    loc: &Locations,
) -> Result<BTreeMap<String, Elevation>, PolicyError> {
    let mut out = BTreeMap::new();
    for (name, e) in &file.elevations.0 {
        let path = format!("elevations/{name}");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(PolicyError::at(
                loc.key(&path),
                format!("elevation name {name:?} may use only letters, digits, '-' and '_'"),
            ));
        }
        let duration = |key: &str,
                        text: &Option<String>|
         -> Result<Option<Duration>, PolicyError> {
            match text {
                None => Ok(None),
                Some(t) => match units::parse_duration(t) {
                    Ok(d) if d > LONGEST_ELEVATION => Err(PolicyError::at(
                        loc.value(&format!("{path}/{key}")),
                        format!("{key} of elevation {name} is {t}; an elevation lasts at most 168h (7 days)"),
                    )),
                    Ok(d) => Ok(Some(d)),
                    Err(m) => Err(PolicyError::at(loc.value(&format!("{path}/{key}")), m)),
                },
            }
        };
        let max_duration =
            duration("max_duration", &e.max_duration)?.unwrap_or(DEFAULT_MAX_DURATION);
        let default_duration =
            duration("default_duration", &e.default_duration)?.unwrap_or(max_duration);
        if default_duration > max_duration {
            return Err(PolicyError::at(
                loc.value(&format!("{path}/default_duration")),
                format!("default_duration of elevation {name} is longer than its max_duration"),
            ));
        }
        let approval = match e.approval.as_deref() {
            None | Some("manual") => Approval::Manual,
            Some("auto") => Approval::Auto,
            Some(other) => {
                return Err(PolicyError::at(
                    loc.value(&format!("{path}/approval")),
                    format!("approval {other:?} is not one of auto, manual"),
                ))
            }
        };
        let justification = match e.justification.as_deref() {
            None | Some("required") => Justification::Required,
            Some("optional") => Justification::Optional,
            Some(other) => {
                return Err(PolicyError::at(
                    loc.value(&format!("{path}/justification")),
                    format!("justification {other:?} is not one of required, optional"),
                ))
            }
        };
        if let Some(p) = &e.ticket_pattern {
            if let Err(err) = regex::Regex::new(p) {
                return Err(PolicyError::at(
                    loc.value(&format!("{path}/ticket_pattern")),
                    format!(
                        "ticket_pattern is not a valid regular expression: {}",
                        one_line(&err.to_string())
                    ),
                ));
            }
        }
        let approver_group = match &e.approver_group {
            None => None,
            Some(g) => {
                aws::check_group(g).map_err(|m| {
                    PolicyError::at(
                        loc.value(&format!("{path}/approver_group")),
                        format!("approver_group of elevation {name}: {m}"),
                    )
                })?;
                Some(g.clone())
            }
        };
        let aws = match &e.aws {
            None => None,
            Some(a) => Some(build_aws(name, &path, a, loc)?),
        };
        out.insert(
            name.clone(),
            Elevation {
                name: name.clone(),
                description: e.description.clone(),
                max_duration,
                default_duration,
                approval,
                justification,
                ticket_pattern: e.ticket_pattern.clone(),
                approver_group,
                aws,
            },
        );
    }
    Ok(out)
}

fn build_aws(
    name: &str,
    path: &str,
    a: &file::AwsFile,
    loc: &Locations,
) -> Result<AwsGrant, PolicyError> {
    let at = |key: &str| loc.value(&format!("{path}/aws/{key}"));
    let bad = |key: &str, m: String| {
        PolicyError::at(at(key), format!("elevations.{name}.aws.{key}: {m}"))
    };
    if let Some(w) = &a.workgroup {
        aws::check_workgroup(w).map_err(|m| bad("workgroup", m))?;
    }
    let target = match (&a.role_arn, &a.permission_set_arn) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "permission_set_arn",
                "give either role_arn (STS mode) or permission_set_arn (Identity Center mode), not both".into(),
            ))
        }
        (None, None) => {
            return Err(PolicyError::at(
                loc.value(&format!("{path}/aws")),
                format!(
                    "elevations.{name}.aws: say what the elevation grants: role_arn (STS mode) or permission_set_arn and account_id (Identity Center mode)"
                ),
            ))
        }
        (Some(role_arn), None) => {
            let sts_only = |key: &str| {
                bad(
                    key,
                    format!("only the Identity Center mode (permission_set_arn) takes {key}; remove it, or give permission_set_arn instead of role_arn"),
                )
            };
            if a.account_id.is_some() {
                return Err(sts_only("account_id"));
            }
            if a.instance_arn.is_some() {
                return Err(sts_only("instance_arn"));
            }
            if a.role_name.is_some() {
                return Err(sts_only("role_name"));
            }
            aws::check_role_arn(role_arn).map_err(|m| bad("role_arn", m))?;
            let session_policy = match &a.session_policy {
                None => None,
                Some(v) => Some(aws::session_policy(v).map_err(|m| bad("session_policy", m))?),
            };
            AwsTarget::Role {
                role_arn: role_arn.clone(),
                session_policy,
            }
        }
        (None, Some(ps)) => {
            let instance = aws::check_permission_set_arn(ps).map_err(|m| bad("permission_set_arn", m))?;
            if a.session_policy.is_some() {
                return Err(bad(
                    "session_policy",
                    "the Identity Center mode takes no session policy (the permission set's own policies apply); remove it, or use role_arn".into(),
                ));
            }
            let account_id = match &a.account_id {
                None => {
                    return Err(bad(
                        "permission_set_arn",
                        "the Identity Center mode needs account_id too: the 12-digit account the permission set is assigned in".into(),
                    ))
                }
                Some(file::AccountValue::Number(n)) => n.to_string(),
                Some(file::AccountValue::Text(t)) => t.clone(),
            };
            aws::check_account_id(&account_id).map_err(|m| bad("account_id", m))?;
            if let Some(arn) = &a.instance_arn {
                let own = aws::check_instance_arn(arn).map_err(|m| bad("instance_arn", m))?;
                if own != instance {
                    return Err(bad(
                        "instance_arn",
                        format!("it is instance {own}, but the permission set belongs to {instance}"),
                    ));
                }
            }
            if let Some(r) = &a.role_name {
                aws::check_role_name(r).map_err(|m| bad("role_name", m))?;
            }
            AwsTarget::PermissionSet(PermissionSetGrant {
                permission_set_arn: ps.clone(),
                account_id,
                instance_arn: a.instance_arn.clone(),
                role_name: a.role_name.clone(),
            })
        }
    };
    Ok(AwsGrant {
        target,
        workgroup: a.workgroup.clone(),
    })
}

pub(crate) fn size(value: &SizeValue, at: (usize, usize)) -> Result<u64, PolicyError> {
    match value {
        SizeValue::Bytes(b) => Ok(*b),
        SizeValue::Text(t) => units::parse_size(t).map_err(|m| PolicyError::at(at, m)),
    }
}

fn check_name(name: &str, at: (usize, usize), what: &str) -> Result<(), PolicyError> {
    if name.trim().is_empty() || name.contains('.') {
        return Err(PolicyError::at(
            at,
            format!("{what} name {name:?} must be non-empty and contain no '.'"),
        ));
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// serde's messages, minus the location we print ourselves, plus a hint where its words are obscure.
fn explain_serde(message: &str) -> String {
    let m = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    if m.contains("untagged enum ColumnSpec") {
        return "a column is either a type (`email: varchar`) or `{ type: varchar, tags: [pii] }` with no other keys".into();
    }
    if m.contains("untagged enum SizeValue") {
        return "a size is a byte count or a number with a unit, e.g. 1TB or 500GiB".into();
    }
    m.to_string()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
