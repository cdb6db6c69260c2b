//! The catalog section of a policy written from Glue, for administrators
//! (`warden policy catalog --from-glue`): columns with their types, partition keys, and sizes
//! (bytes of the table's S3 objects, Glue partition count; for a table with partition
//! projection, the objects its layout holds). Tags stay those of the existing
//! policy, which is the authority for them; columns it does not have are listed for review.

use std::fmt::Write as _;

use aws_sdk_glue::types::Table;
use warden_guardrails::Catalog;

use crate::projection;
use crate::sdk_error::classify;
use crate::{AthenaClients, AthenaError};

/// One table as Glue and S3 describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlueTable {
    pub database: String,
    pub name: String,
    /// Data columns, then partition keys, as Athena lists them: (name, Athena type).
    pub columns: Vec<(String, String)>,
    pub partition_keys: Vec<String>,
    pub size_bytes: Option<u64>,
    pub partitions: Option<u64>,
}

/// The catalog section and what an administrator should review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogDraft {
    /// `catalog:` and below, YAML.
    pub yaml: String,
    /// `db.table.column` that the existing policy does not have: untagged until reviewed.
    pub new_columns: Vec<String>,
    pub tables: Vec<GlueTable>,
}

/// Hive types as Athena's SQL names them.
fn athena_type(glue: &str) -> String {
    let lower = glue.trim().to_ascii_lowercase();
    match lower.as_str() {
        "string" => "varchar".into(),
        "int" => "integer".into(),
        "float" => "real".into(),
        _ => lower,
    }
}

async fn s3_size(s3: &aws_sdk_s3::Client, location: &str) -> Option<u64> {
    let rest = location.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut total = 0u64;
    while let Some(page) = pages.next().await {
        // A location that cannot be listed gives no size; the policy then keeps none.
        let page = page.ok()?;
        total += page
            .contents()
            .iter()
            .map(|o| o.size().unwrap_or(0).max(0) as u64)
            .sum::<u64>();
    }
    Some(total)
}

/// A table with partition projection: its bytes are those of the objects under its layout's
/// partition locations (its template may put them outside the table's location, and Glue's
/// partitions, which Athena ignores for it, may be none or stale); every object under the
/// layout's fixed prefix when some key takes the query's values, which may hold `/`. No
/// partition count: folders no projected value names would inflate it, and a larger count
/// makes the stats' share of one partition too small. A layout that cannot be read back, or a
/// listing refused, gives no stats.
async fn projected_size(s3: &aws_sdk_s3::Client, table: &Table) -> Option<u64> {
    let layout = projection::Layout::of(table).ok()?;
    let listing = layout.everything();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&listing.bucket)
        .prefix(&listing.prefix)
        .into_paginator()
        .send();
    let mut total = 0u64;
    while let Some(page) = pages.next().await {
        for object in page.ok()?.contents() {
            let key = object.key().unwrap_or_default();
            if layout.has_open_keys() || layout.partition_of(key).is_some() {
                total += object.size().unwrap_or(0).max(0) as u64;
            }
        }
    }
    Some(total)
}

/// How many partitions Glue holds for the table, and where each lives.
async fn glue_partitions(
    glue: &aws_sdk_glue::Client,
    db: &str,
    table: &str,
) -> Result<(u64, Vec<String>), AthenaError> {
    let mut pages = glue
        .get_partitions()
        .database_name(db)
        .table_name(table)
        .exclude_column_schema(true)
        .into_paginator()
        .send();
    let mut n = 0u64;
    let mut locations = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("glue:GetPartitions", None, e))?;
        n += page.partitions().len() as u64;
        locations.extend(
            page.partitions()
                .iter()
                .filter_map(|p| p.storage_descriptor()?.location())
                .map(str::to_string),
        );
    }
    Ok((n, locations))
}

/// Whether `location` lies under `root` (both `s3://bucket/prefix`), as a folder of it.
fn is_under(location: &str, root: &str) -> bool {
    let folder = |l: &str| format!("{}/", l.trim_end_matches('/'));
    folder(location).starts_with(&folder(root))
}

/// Reads `databases` from Glue (tables, columns, partitions) and S3 (sizes).
pub async fn read_tables(
    clients: &AthenaClients,
    databases: &[String],
) -> Result<Vec<GlueTable>, AthenaError> {
    let mut out = Vec::new();
    for db in databases {
        let mut pages = clients
            .glue
            .get_tables()
            .database_name(db)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("glue:GetTables", None, e))?;
            for t in page.table_list() {
                let sd = t.storage_descriptor();
                let mut columns: Vec<(String, String)> = sd
                    .map(|sd| sd.columns())
                    .unwrap_or_default()
                    .iter()
                    .map(|c| {
                        (
                            c.name().to_ascii_lowercase(),
                            athena_type(c.r#type().unwrap_or("unknown")),
                        )
                    })
                    .collect();
                let partition_keys: Vec<String> = t
                    .partition_keys()
                    .iter()
                    .map(|c| c.name().to_ascii_lowercase())
                    .collect();
                columns.extend(t.partition_keys().iter().map(|c| {
                    (
                        c.name().to_ascii_lowercase(),
                        athena_type(c.r#type().unwrap_or("varchar")),
                    )
                }));
                let (size_bytes, partitions) = match projection::is_projected(t) {
                    Ok(true) => (projected_size(&clients.s3, t).await, None),
                    // Whether Athena projects it is not known: no stats, which the budget
                    // refuses when the scan cannot be measured.
                    Err(_) => (None, None),
                    Ok(false) => {
                        let root = sd.and_then(|sd| sd.location());
                        let mut size_bytes = match root {
                            Some(location) => s3_size(&clients.s3, location).await,
                            None => None,
                        };
                        let partitions = if partition_keys.is_empty() {
                            None
                        } else {
                            let (count, locations) =
                                glue_partitions(&clients.glue, db, t.name()).await?;
                            // Athena reads a partition where Glue places it, which may be
                            // outside the table's location: those bytes count too.
                            for other in locations
                                .iter()
                                .filter(|l| !root.is_some_and(|r| is_under(l, r)))
                            {
                                size_bytes = match (size_bytes, s3_size(&clients.s3, other).await) {
                                    (Some(a), Some(b)) => Some(a + b),
                                    _ => None,
                                };
                            }
                            Some(count)
                        };
                        (size_bytes, partitions)
                    }
                };
                out.push(GlueTable {
                    database: db.to_ascii_lowercase(),
                    name: t.name().to_ascii_lowercase(),
                    columns,
                    partition_keys,
                    size_bytes,
                    partitions,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.database, &a.name).cmp(&(&b.database, &b.name)));
    Ok(out)
}

/// A YAML key: plain when it is a simple name, double-quoted (JSON escaping) otherwise.
fn key(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        serde_json::to_string(name).unwrap_or_else(|_| format!("\"{name}\""))
    }
}

/// Writes the catalog section for `tables`, keeping the tags `existing` gives each column.
pub fn draft(tables: Vec<GlueTable>, existing: Option<&Catalog>) -> CatalogDraft {
    let mut yaml = String::from("catalog:\n  databases:\n");
    let mut new_columns = Vec::new();
    let mut current_db: Option<&str> = None;
    for t in &tables {
        if current_db != Some(t.database.as_str()) {
            let _ = writeln!(yaml, "    {}:\n      tables:", key(&t.database));
            current_db = Some(t.database.as_str());
        }
        let known = existing.and_then(|c| c.table(&t.database, &t.name));
        let _ = writeln!(yaml, "        {}:\n          columns:", key(&t.name));
        for (name, data_type) in &t.columns {
            let tags = known.and_then(|k| k.column(name)).map(|c| &c.tags);
            if known.and_then(|k| k.column(name)).is_none() {
                new_columns.push(format!("{}.{}.{}", t.database, t.name, name));
            }
            let ty = serde_json::to_string(data_type).unwrap_or_default();
            match tags {
                Some(tags) if !tags.is_empty() => {
                    let list: Vec<String> = tags.iter().map(|t| key(t)).collect();
                    let _ = writeln!(
                        yaml,
                        "            {}: {{ type: {ty}, tags: [{}] }}",
                        key(name),
                        list.join(", ")
                    );
                }
                _ => {
                    let _ = writeln!(yaml, "            {}: {ty}", key(name));
                }
            }
        }
        if !t.partition_keys.is_empty() {
            let keys: Vec<String> = t.partition_keys.iter().map(|k| key(k)).collect();
            let _ = writeln!(yaml, "          partition_keys: [{}]", keys.join(", "));
        }
        let mut stats = Vec::new();
        if let Some(size) = t.size_bytes {
            stats.push(format!("size_bytes: {size}"));
        }
        if let Some(p) = t.partitions.filter(|p| *p > 0) {
            stats.push(format!("partitions: {p}"));
        }
        if !stats.is_empty() {
            let _ = writeln!(yaml, "          stats: {{ {} }}", stats.join(", "));
        }
    }
    CatalogDraft {
        yaml,
        new_columns,
        tables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> GlueTable {
        GlueTable {
            database: "sales".into(),
            name: "orders".into(),
            columns: vec![
                ("order_id".into(), "bigint".into()),
                ("email".into(), "varchar".into()),
                ("new col".into(), "varchar".into()),
                ("dt".into(), "varchar".into()),
            ],
            partition_keys: vec!["dt".into()],
            size_bytes: Some(1234),
            partitions: Some(3),
        }
    }

    #[test]
    fn a_partition_is_under_the_tables_location_only_as_a_folder_of_it() {
        assert!(is_under(
            "s3://lake/sales/orders/dt=1/",
            "s3://lake/sales/orders"
        ));
        assert!(is_under(
            "s3://lake/sales/orders",
            "s3://lake/sales/orders/"
        ));
        assert!(!is_under(
            "s3://lake/sales/orders2/dt=1",
            "s3://lake/sales/orders"
        ));
        assert!(!is_under(
            "s3://other/sales/orders/dt=1",
            "s3://lake/sales/orders"
        ));
    }

    #[test]
    fn keeps_existing_tags_lists_new_columns_and_parses_as_a_policy() {
        let existing = warden_guardrails::Policy::from_yaml(
            "format: warden-policy/1\nname: p\ncatalog:\n  databases:\n    sales:\n      tables:\n        orders:\n          columns:\n            order_id: bigint\n            email: { type: varchar, tags: [pii] }\n            dt: varchar\n          partition_keys: [dt]\n",
        )
        .unwrap();
        let d = draft(vec![table()], Some(existing.catalog()));
        assert_eq!(d.new_columns, ["sales.orders.new col"]);
        assert!(
            d.yaml.contains("email: { type: \"varchar\", tags: [pii] }"),
            "{}",
            d.yaml
        );
        assert!(
            d.yaml
                .contains("stats: { size_bytes: 1234, partitions: 3 }"),
            "{}",
            d.yaml
        );
        let policy = warden_guardrails::Policy::from_yaml(&format!(
            "format: warden-policy/1\nname: p\n{}",
            d.yaml
        ))
        .unwrap();
        let t = policy.catalog().table("sales", "orders").unwrap();
        assert_eq!(t.partition_keys, ["dt"]);
        assert!(t.column("email").unwrap().tags.contains("pii"));
        assert!(t.column("new col").unwrap().tags.is_empty());
        assert_eq!((t.size_bytes, t.partitions), (Some(1234), Some(3)));
    }

    #[test]
    fn glue_types_read_as_athena_names_them() {
        assert_eq!(athena_type("string"), "varchar");
        assert_eq!(athena_type("INT"), "integer");
        assert_eq!(athena_type("decimal(10,2)"), "decimal(10,2)");
    }
}
