//! The demo's catalog, from the tables' descriptions: the engine registers exactly these
//! (`warden-engine-datafusion`'s `register.rs`), so the schema panel needs no engine process
//! to show them, and an idle app starts none. The engine's tests check that this is what its
//! session resolves.

use warden_demo_lake::TableSpec;
use warden_engine::{CatalogColumn, CatalogDatabase, CatalogSnapshot, CatalogTable};

use crate::types::{arrow_type, athena_name};

/// Databases and tables sorted by name; each table's stored columns in order, then its
/// partition keys, as the engine's listing tables put them.
pub fn snapshot(tables: &[TableSpec]) -> CatalogSnapshot {
    let mut sorted: Vec<&TableSpec> = tables.iter().collect();
    sorted.sort_by_key(|t| (t.database, t.name));
    let mut databases: Vec<CatalogDatabase> = Vec::new();
    for spec in sorted {
        let columns = spec
            .data_columns()
            .chain(spec.columns.iter().filter(|c| c.partition_key))
            .map(|c| CatalogColumn {
                name: c.name.to_string(),
                data_type: athena_name(&arrow_type(c.data_type)),
                partition_key: c.partition_key,
            })
            .collect();
        let table = CatalogTable {
            name: spec.name.to_string(),
            columns,
        };
        match databases.last_mut() {
            Some(db) if db.name == spec.database => db.tables.push(table),
            _ => databases.push(CatalogDatabase {
                name: spec.database.to_string(),
                tables: vec![table],
            }),
        }
    }
    CatalogSnapshot { databases }
}
