use datafusion::datasource::listing::ListingTable;
use datafusion::prelude::SessionContext;
use warden_engine::{CatalogColumn, CatalogDatabase, CatalogSnapshot, CatalogTable, EngineError};

use crate::register::CATALOG;
use warden_demo_client::types::athena_name;

/// What the session can actually resolve, read back from DataFusion rather than from the
/// table descriptions, so the schema panel shows exactly what queries will see.
pub(crate) async fn snapshot(ctx: &SessionContext) -> Result<CatalogSnapshot, EngineError> {
    let catalog = ctx
        .catalog(CATALOG)
        .ok_or_else(|| EngineError::Unavailable(format!("the session has no {CATALOG} catalog")))?;
    let mut schema_names = catalog.schema_names();
    schema_names.sort();
    let mut databases = Vec::new();
    for schema_name in schema_names {
        let Some(schema) = catalog.schema(&schema_name) else {
            continue;
        };
        let mut table_names = schema.table_names();
        table_names.sort();
        let mut tables = Vec::new();
        for table_name in table_names {
            let provider = schema
                .table(&table_name)
                .await
                .map_err(|e| EngineError::Unavailable(e.strip_backtrace()))?;
            let Some(provider) = provider else { continue };
            let partition_keys: Vec<String> = provider
                .downcast_ref::<ListingTable>()
                .map(|t| {
                    t.options()
                        .table_partition_cols
                        .iter()
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            let columns = provider
                .schema()
                .fields()
                .iter()
                .map(|f| CatalogColumn {
                    name: f.name().clone(),
                    data_type: athena_name(f.data_type()),
                    partition_key: partition_keys.contains(f.name()),
                })
                .collect();
            tables.push(CatalogTable {
                name: table_name,
                columns,
            });
        }
        // The session's built-in empty `public` schema is not a database of the lake.
        if !tables.is_empty() {
            databases.push(CatalogDatabase {
                name: schema_name,
                tables,
            });
        }
    }
    Ok(CatalogSnapshot { databases })
}
