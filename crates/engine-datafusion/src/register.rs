//! Registers each lake table as a DataFusion listing table in the `datafusion` catalog, one
//! schema per database, with Hive partition keys read from the folder names.

use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::MemorySchemaProvider;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use warden_demo_lake::TableSpec;

use crate::error::OpenError;
use warden_demo_client::types::arrow_type;

pub(crate) const CATALOG: &str = "datafusion";

pub(crate) fn register_all(
    ctx: &SessionContext,
    root: &Path,
    tables: &[TableSpec],
) -> Result<(), OpenError> {
    let catalog = ctx.catalog(CATALOG).ok_or_else(|| OpenError::Register {
        table: String::new(),
        message: format!("the session has no {CATALOG} catalog"),
    })?;
    for spec in tables {
        if catalog.schema(spec.database).is_none() {
            catalog
                .register_schema(spec.database, Arc::new(MemorySchemaProvider::new()))
                .map_err(|e| OpenError::Register {
                    table: spec.qualified_name(),
                    message: e.strip_backtrace(),
                })?;
        }
        register(ctx, root, spec)?;
    }
    Ok(())
}

fn register(ctx: &SessionContext, root: &Path, spec: &TableSpec) -> Result<(), OpenError> {
    let fail = |message: String| OpenError::Register {
        table: spec.qualified_name(),
        message,
    };
    let dir = root.join(spec.relative_dir());
    if !dir.is_dir() {
        return Err(OpenError::MissingTable {
            table: spec.qualified_name(),
            path: dir,
        });
    }
    // Built from a path rather than parsed from a string, so characters such as `*` or `[`
    // in the folder name are never taken for a glob pattern.
    let url = url::Url::from_directory_path(&dir)
        .map_err(|()| fail(format!("{} is not an absolute folder path", dir.display())))?;
    let table_url = ListingTableUrl::try_new(url, None).map_err(|e| fail(e.strip_backtrace()))?;

    let partition_cols: Vec<(String, DataType)> = spec
        .columns
        .iter()
        .filter(|c| c.partition_key)
        .map(|c| (c.name.to_string(), arrow_type(c.data_type)))
        .collect();
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(partition_cols);
    // The schema comes from the table's description, not from whatever files happen to be
    // there, so a stray file cannot add or retype columns.
    let file_schema = Arc::new(Schema::new(
        spec.data_columns()
            .map(|c| Field::new(c.name, arrow_type(c.data_type), true))
            .collect::<Vec<_>>(),
    ));
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .with_schema(file_schema);
    let table = ListingTable::try_new(config).map_err(|e| fail(e.strip_backtrace()))?;
    ctx.register_table(
        TableReference::partial(spec.database, spec.name),
        Arc::new(table),
    )
    .map_err(|e| fail(e.strip_backtrace()))?;
    Ok(())
}
