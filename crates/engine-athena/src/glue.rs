//! The schema panel's catalog from Glue: `GetDatabases` and `GetTables`, paginated.

use warden_engine::{CatalogColumn, CatalogDatabase, CatalogSnapshot, CatalogTable};

use crate::sdk_error::classify;
use crate::AthenaError;

/// Every database (or only `only`, when given) with its tables and columns; partition keys
/// come last, as Athena lists them.
pub async fn snapshot(
    glue: &aws_sdk_glue::Client,
    catalog_id: Option<&str>,
    only: &[String],
) -> Result<CatalogSnapshot, AthenaError> {
    let mut names = Vec::new();
    let mut pages = glue
        .get_databases()
        .set_catalog_id(catalog_id.map(str::to_string))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("glue:GetDatabases", None, e))?;
        names.extend(
            page.database_list()
                .iter()
                .map(|d| d.name().to_string())
                .filter(|n| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(n))),
        );
    }
    names.sort();
    let mut databases = Vec::with_capacity(names.len());
    for name in names {
        let mut tables = Vec::new();
        let mut pages = glue
            .get_tables()
            .set_catalog_id(catalog_id.map(str::to_string))
            .database_name(&name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("glue:GetTables", None, e))?;
            for t in page.table_list() {
                let data = t
                    .storage_descriptor()
                    .map(|sd| sd.columns())
                    .unwrap_or_default()
                    .iter()
                    .map(|c| (c, false));
                let keys = t.partition_keys().iter().map(|c| (c, true));
                let columns = data
                    .chain(keys)
                    .map(|(c, partition_key)| CatalogColumn {
                        name: c.name().to_string(),
                        data_type: c.r#type().unwrap_or("unknown").to_string(),
                        partition_key,
                    })
                    .collect();
                tables.push(CatalogTable {
                    name: t.name().to_string(),
                    columns,
                });
            }
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        databases.push(CatalogDatabase { name, tables });
    }
    Ok(CatalogSnapshot { databases })
}
