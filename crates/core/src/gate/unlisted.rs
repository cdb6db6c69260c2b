//! Where the policy's catalog and the engine's (Glue, on Athena) disagree. The policy stays the
//! authority: a column it does not list is unknown and refused whatever Glue says. What the
//! engine's catalog adds is the explanation: a column Glue has but the policy lacks is one the
//! security team has not classified yet, and a table the policy lists but Glue lacks cannot be
//! read by Athena at all.

use std::sync::Arc;

use warden_engine::CatalogSnapshot;
use warden_guardrails::{Policy, Report};

use super::Gate;
use crate::catalog_cache::{self, CachedCatalog};

/// The tables of `catalog` named `qualified` (`db.table`), case as Athena ignores it.
fn tables<'a>(
    catalog: &'a CatalogSnapshot,
    qualified: &'a str,
) -> impl Iterator<Item = &'a warden_engine::CatalogTable> + 'a {
    let (database, table) = qualified.split_once('.').unwrap_or(("", ""));
    catalog
        .databases
        .iter()
        .filter(move |d| !database.is_empty() && d.name.eq_ignore_ascii_case(database))
        .flat_map(|d| d.tables.iter())
        .filter(move |t| t.name.eq_ignore_ascii_case(table))
}

/// Whether `catalog` has the table `qualified` (`db.table`).
pub(crate) fn has_table(catalog: &CatalogSnapshot, qualified: &str) -> bool {
    tables(catalog, qualified).next().is_some()
}

fn has_column(catalog: &CatalogSnapshot, qualified: &str, column: &str) -> bool {
    tables(catalog, qualified)
        .flat_map(|t| t.columns.iter())
        .any(|c| c.name.eq_ignore_ascii_case(column))
}

/// The tables of the policy's catalog, as `db.table` in lowercase.
fn policy_has_table(policy: &Policy, qualified: &str) -> bool {
    qualified
        .split_once('.')
        .is_some_and(|(d, t)| policy.catalog().table(d, t).is_some())
}

impl Gate {
    /// What the engine's catalog is called in messages.
    pub(crate) fn catalog_name(&self) -> &'static str {
        if self.engine.name() == "athena" {
            "Glue"
        } else {
            "the engine's catalog"
        }
    }

    /// The catalog known without reading the engine: this session's read, else the cache file.
    pub(crate) fn catalog_known(&self) -> Option<Arc<CachedCatalog>> {
        if let Some(seen) = self.catalog_seen() {
            return Some(seen);
        }
        let cached = Arc::new(catalog_cache::load(
            self.catalog_cache.as_deref()?,
            &self.workspace,
        )?);
        *self.catalog_seen.write().unwrap_or_else(|p| p.into_inner()) = Some(cached.clone());
        Some(cached)
    }

    /// Words the guardrails' "no such column" for a column the engine's catalog has: it exists,
    /// the policy does not list it, and only the security team can change that.
    pub(crate) fn explain_unlisted(&self, report: &mut Report) {
        if report.unknown_columns().is_empty() {
            return;
        }
        let Some(known) = self.catalog_known() else {
            return;
        };
        let source = self.catalog_name();
        report.explain_unknown_columns(|unknown| {
            let table = unknown
                .tables
                .iter()
                .find(|t| has_column(&known.catalog, t, &unknown.column))?;
            Some(format!(
                "column {} of {table} is not in the policy: {source} has it, but the security team has not classified it, so Warden cannot check it; ask the security team to add it to the policy",
                unknown.column
            ))
        });
    }

    /// One sentence per table the text reads that the policy lists but `catalog` lacks.
    pub(crate) fn tables_missing_from(
        &self,
        report: &Report,
        policy: &Policy,
        catalog: &CatalogSnapshot,
    ) -> Vec<String> {
        report
            .tables()
            .iter()
            .filter(|t| policy_has_table(policy, t) && !has_table(catalog, t))
            .map(|t| {
                format!(
                    "table {t} is in the policy but not in {}: the query cannot read it; check the name, or ask the data team whether it was dropped or renamed",
                    self.catalog_name()
                )
            })
            .collect()
    }

    /// [`Gate::tables_missing_from`] the catalog known now (none when none is known): what the
    /// verdict shows, without reading the engine.
    pub fn tables_missing(&self, report: &Report) -> Vec<String> {
        let (Some(known), Ok(in_force)) = (self.catalog_known(), self.policy()) else {
            return Vec::new();
        };
        self.tables_missing_from(report, in_force.policy(), &known.catalog)
    }

    /// Before a run: `Err` names the tables the policy lists, the text reads and the engine's
    /// catalog lacks. A table missing from the known catalog is looked up live before the run
    /// is refused (the cache may predate it).
    pub(crate) async fn tables_present(
        &self,
        report: &Report,
        policy: &Policy,
    ) -> Result<(), String> {
        let Some(known) = self.catalog_known() else {
            return Ok(());
        };
        if self
            .tables_missing_from(report, policy, &known.catalog)
            .is_empty()
        {
            return Ok(());
        }
        let Ok(live) = self.engine.catalog().await else {
            // The engine will say what it finds; the cache alone refuses nothing.
            return Ok(());
        };
        let live = self.remember_catalog(live);
        let missing = self.tables_missing_from(report, policy, &live.catalog);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("not run: {}", missing.join("; ")))
        }
    }
}
