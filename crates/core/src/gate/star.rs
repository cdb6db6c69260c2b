//! `*` and the live catalog. The guardrails expand a star over the columns the policy's catalog
//! lists, but the engine expands it over the table's live columns: on Athena, Glue's, which a
//! bundle can lag behind (a column added since the security team last classified the table).
//! Such a column was never checked, so a query with a star over that table is refused, naming
//! the columns, until the policy lists them or the query names its columns.

use std::collections::BTreeSet;

use warden_guardrails::{Policy, Report};

use super::Gate;

impl Gate {
    /// `Err` says which columns a star would read that the policy does not list (or that the
    /// live catalog could not be read to know).
    pub(crate) async fn star_columns_known(
        &self,
        report: &Report,
        policy: &Policy,
    ) -> Result<(), String> {
        if report.star_tables().is_empty() {
            return Ok(());
        }
        let live = self.engine.catalog().await.map_err(|e| {
            format!(
                "not allowed: Warden cannot tell which columns * reads, the catalog could not be read ({e}); name the columns you need instead of *"
            )
        })?;
        // The panel may as well show what was just read.
        let live = self.remember_catalog(live);
        let live = &live.catalog;
        for qualified in report.star_tables() {
            let Some((database, table)) = qualified.split_once('.') else {
                continue;
            };
            let Some(known) = policy.catalog().table(database, table) else {
                continue;
            };
            let known: BTreeSet<String> = known
                .columns
                .iter()
                .map(|c| c.name.to_lowercase())
                .chain(known.partition_keys.iter().map(|k| k.to_lowercase()))
                .collect();
            let unlisted: Vec<String> = live
                .databases
                .iter()
                .filter(|d| d.name.eq_ignore_ascii_case(database))
                .flat_map(|d| d.tables.iter())
                .filter(|t| t.name.eq_ignore_ascii_case(table))
                .flat_map(|t| t.columns.iter())
                .map(|c| c.name.to_lowercase())
                .filter(|c| !known.contains(c))
                .collect();
            if !unlisted.is_empty() {
                return Err(format!(
                    "not allowed: * on {qualified} would also read {}, which the policy does not list (the table has changed since it was classified); name the columns you need, or ask the security team to add these to the policy",
                    unlisted.join(", ")
                ));
            }
        }
        Ok(())
    }
}
