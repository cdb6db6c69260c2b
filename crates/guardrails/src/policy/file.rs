//! The policy file as written (format `warden-policy/1`), before validation.

use std::collections::BTreeMap;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;

#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyFile {
    pub format: String,
    pub name: String,
    #[serde(default)]
    pub catalog: CatalogFile,
    #[serde(default)]
    pub elevations: OrderedMap<ElevationFile>,
    #[serde(default)]
    pub rules: Vec<RuleFile>,
    #[serde(default)]
    pub audit: AuditFile,
}

/// What the audit journal keeps of each query.
#[derive(DeriveDeserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditFile {
    #[serde(default)]
    pub sql_text: crate::policy::SqlText,
    /// Longest time an event may wait for the central store before new runs are refused.
    #[serde(default)]
    pub max_unsynced: Option<String>,
}

#[derive(DeriveDeserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    #[serde(default)]
    pub databases: OrderedMap<DatabaseFile>,
}

#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatabaseFile {
    #[serde(default)]
    pub tables: OrderedMap<TableFile>,
}

#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableFile {
    pub columns: OrderedMap<ColumnSpec>,
    #[serde(default)]
    pub partition_keys: Vec<String>,
    #[serde(default)]
    pub stats: Option<StatsFile>,
}

#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatsFile {
    pub size_bytes: Option<SizeValue>,
    pub partitions: Option<u64>,
}

/// A size as a plain byte count or as text with a unit (`1TB`, `500GiB`).
#[derive(DeriveDeserialize, Clone)]
#[serde(untagged)]
pub(crate) enum SizeValue {
    Bytes(u64),
    Text(String),
}

#[derive(DeriveDeserialize)]
#[serde(untagged)]
pub(crate) enum ColumnSpec {
    Type(String),
    Full(ColumnFile),
}

#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ColumnFile {
    #[serde(rename = "type")]
    pub data_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ElevationFile {
    #[serde(default)]
    pub description: String,
    pub max_duration: Option<String>,
    pub default_duration: Option<String>,
    pub approval: Option<String>,
    pub justification: Option<String>,
    pub ticket_pattern: Option<String>,
    /// The IAM Identity Center group an approver must be in (checked by the AWS broker).
    pub approver_group: Option<String>,
    pub aws: Option<AwsFile>,
}

/// `elevations.<name>.aws`: what the elevation grants on AWS: `role_arn` (and
/// `session_policy`) for the STS mode, or `permission_set_arn` and `account_id` (and
/// `instance_arn`, `role_name`) for the Identity Center mode. Which keys go together is
/// checked after reading, so that the error can name the key.
#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AwsFile {
    pub role_arn: Option<String>,
    /// A mapping, or a string holding the JSON document.
    pub session_policy: Option<serde_json::Value>,
    pub workgroup: Option<String>,
    pub permission_set_arn: Option<String>,
    pub account_id: Option<AccountValue>,
    pub instance_arn: Option<String>,
    pub role_name: Option<String>,
}

/// An AWS account id, quoted or not (YAML reads `123456789012` as a number).
#[derive(DeriveDeserialize, Clone)]
#[serde(untagged)]
pub(crate) enum AccountValue {
    Number(u64),
    Text(String),
}

/// Every key any rule kind takes; which ones a kind accepts is checked after reading.
#[derive(DeriveDeserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    pub id: String,
    pub kind: String,
    pub severity: Option<String>,
    pub message: Option<String>,
    pub unlocked_by: Option<Vec<String>>,
    pub allow: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub databases: Option<Vec<String>>,
    pub tables: Option<Vec<String>>,
    pub column: Option<String>,
    pub limit: Option<SizeValue>,
    pub max_rows: Option<u64>,
    pub allow_prefixes: Option<Vec<String>>,
    pub functions: Option<Vec<String>>,
}

/// The kind-specific keys of `RuleFile`, each read by the kinds that declare it.
pub(crate) const RULE_KEYS: [&str; 9] = [
    "allow",
    "tags",
    "databases",
    "tables",
    "column",
    "limit",
    "max_rows",
    "allow_prefixes",
    "functions",
];

impl RuleFile {
    /// The kind-specific keys present in this rule.
    pub fn specific_keys(&self) -> Vec<&'static str> {
        let present = [
            self.allow.is_some(),
            self.tags.is_some(),
            self.databases.is_some(),
            self.tables.is_some(),
            self.column.is_some(),
            self.limit.is_some(),
            self.max_rows.is_some(),
            self.allow_prefixes.is_some(),
            self.functions.is_some(),
        ];
        RULE_KEYS
            .iter()
            .zip(present)
            .filter(|(_, is)| *is)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// A mapping that keeps the file's order (columns expand `*` in this order) and refuses
/// duplicate keys.
pub(crate) struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seen<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Seen<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                let mut seen = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<String, V>()? {
                    if seen.insert(k.to_lowercase(), ()).is_some() {
                        return Err(serde::de::Error::custom(format!(
                            "{k:?} appears twice (names are case-insensitive)"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(Seen(std::marker::PhantomData))
    }
}
