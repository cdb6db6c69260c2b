//! What the demo lake holds: databases, tables, columns, partition keys and personal-data tags.
//!
//! Tags follow the policy vocabulary:
//! - `pii`: data that identifies a person directly or with little effort (names, e-mail
//!   addresses, phone numbers, IP addresses). A demo policy typically lets analysts read these
//!   after a just-in-time elevation.
//! - `restricted`: data whose leak is harmful on its own (social security and payment card
//!   numbers). A demo policy typically needs a stronger elevation, or forbids them outright.
//!
//! `web.events.user_agent` is deliberately left untagged: a browser string names a device
//! class, not a person, and the demo needs a readable free-text column beside the tagged ones.

use serde::Serialize;

pub const TAG_PII: &str = "pii";
pub const TAG_RESTRICTED: &str = "restricted";

/// Column types, named as Athena (Trino) names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Bigint,
    Double,
    Varchar,
    Date,
    Timestamp,
}

impl ColumnType {
    pub fn athena_name(self) -> &'static str {
        match self {
            ColumnType::Bigint => "bigint",
            ColumnType::Double => "double",
            ColumnType::Varchar => "varchar",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub data_type: ColumnType,
    /// Personal-data tags ([`TAG_PII`], [`TAG_RESTRICTED`]); empty for ordinary columns.
    pub tags: &'static [&'static str],
    /// True for Hive partition keys: their values live in folder names (`dt=2025-09-01`),
    /// not in the Parquet files. Partition keys come last, as in Athena.
    pub partition_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSpec {
    pub database: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub columns: Vec<ColumnSpec>,
}

impl TableSpec {
    /// `database.table`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.database, self.name)
    }

    pub fn partition_keys(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter(|c| c.partition_key)
            .map(|c| c.name)
            .collect()
    }

    /// Columns stored inside the Parquet files (everything but the partition keys).
    pub fn data_columns(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns.iter().filter(|c| !c.partition_key)
    }

    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Folder of the table below the lake root: `<database>/<table>`.
    pub fn relative_dir(&self) -> std::path::PathBuf {
        std::path::Path::new(self.database).join(self.name)
    }
}

const fn col(
    name: &'static str,
    data_type: ColumnType,
    tags: &'static [&'static str],
) -> ColumnSpec {
    ColumnSpec {
        name,
        data_type,
        tags,
        partition_key: false,
    }
}

const fn partition(name: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        data_type: ColumnType::Varchar,
        tags: &[],
        partition_key: true,
    }
}

const PII: &[&str] = &[TAG_PII];
const RESTRICTED: &[&str] = &[TAG_RESTRICTED];
const NONE: &[&str] = &[];

/// The tables of the demo lake, sorted by database and name.
pub fn describe() -> Vec<TableSpec> {
    use ColumnType::*;
    vec![
        TableSpec {
            database: "sales",
            name: "customers",
            description: "One row per customer; not partitioned.",
            columns: vec![
                col("customer_id", Bigint, NONE),
                col("full_name", Varchar, PII),
                col("email", Varchar, PII),
                col("phone", Varchar, PII),
                col("ssn", Varchar, RESTRICTED),
                col("country", Varchar, NONE),
                col("segment", Varchar, NONE),
                col("signup_date", Date, NONE),
            ],
        },
        TableSpec {
            database: "sales",
            name: "orders",
            description: "One row per order, partitioned by order day (dt).",
            columns: vec![
                col("order_id", Bigint, NONE),
                col("customer_id", Bigint, NONE),
                col("order_ts", Timestamp, NONE),
                col("amount", Double, NONE),
                col("status", Varchar, NONE),
                col("card_number", Varchar, RESTRICTED),
                partition("dt"),
            ],
        },
        TableSpec {
            database: "web",
            name: "events",
            description: "Clickstream, one row per event, partitioned by event day (dt); user_id is null for anonymous visitors.",
            columns: vec![
                col("event_id", Bigint, NONE),
                col("user_id", Bigint, NONE),
                col("ip_address", Varchar, PII),
                col("user_agent", Varchar, NONE),
                col("url", Varchar, NONE),
                col("event_type", Varchar, NONE),
                col("ts", Timestamp, NONE),
                partition("dt"),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_partition_keys_come_last() {
        let tables = describe();
        let names: Vec<String> = tables.iter().map(TableSpec::qualified_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for t in &tables {
            let first_key = t
                .columns
                .iter()
                .position(|c| c.partition_key)
                .unwrap_or(t.columns.len());
            assert!(
                t.columns[first_key..].iter().all(|c| c.partition_key),
                "{}",
                t.qualified_name()
            );
        }
        let orders = tables
            .iter()
            .find(|t| t.name == "orders")
            .map(TableSpec::partition_keys);
        assert_eq!(orders, Some(vec!["dt"]));
    }

    #[test]
    fn personal_data_is_tagged() {
        let tables = describe();
        let tagged = |tag: &str| -> Vec<String> {
            tables
                .iter()
                .flat_map(|t| {
                    t.columns
                        .iter()
                        .filter(|c| c.tags.contains(&tag))
                        .map(move |c| format!("{}.{}", t.qualified_name(), c.name))
                })
                .collect()
        };
        assert_eq!(
            tagged(TAG_RESTRICTED),
            vec!["sales.customers.ssn", "sales.orders.card_number"]
        );
        assert_eq!(
            tagged(TAG_PII),
            vec![
                "sales.customers.full_name",
                "sales.customers.email",
                "sales.customers.phone",
                "web.events.ip_address"
            ]
        );
    }
}
