//! `warden policy catalog --from-glue`: the catalog section of a policy written from an
//! `athena` workspace's Glue Data Catalog, keeping the tags of an existing policy.

use warden_engine_athena::policy_catalog::{draft, read_tables, CatalogDraft};
use warden_guardrails::Policy;

use crate::error::CoreError;
use crate::workspace::Workspace;

impl Workspace {
    /// Reads `databases` from the workspace's Glue (columns, types, partition keys, sizes) and
    /// drafts the catalog section; `existing`'s tags are kept, and columns it lacks are listed
    /// in `new_columns` for review.
    pub async fn draft_catalog_from_glue(
        &self,
        databases: &[String],
        existing: Option<&Policy>,
    ) -> Result<CatalogDraft, CoreError> {
        if databases.is_empty() {
            return Err(CoreError::GlueCatalog(
                "name at least one Glue database with --database".into(),
            ));
        }
        let clients = self.metadata_clients().await?;
        let tables = read_tables(&clients, databases)
            .await
            .map_err(|e| CoreError::GlueCatalog(e.to_string()))?;
        for db in databases {
            if !tables.iter().any(|t| t.database == db.to_ascii_lowercase()) {
                return Err(CoreError::GlueCatalog(format!(
                    "Glue has no table in database `{db}`; check the name (glue:GetTables found none)"
                )));
            }
        }
        Ok(draft(tables, existing.map(Policy::catalog)))
    }
}
