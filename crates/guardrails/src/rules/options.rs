//! What a kind's `build` reads: the rule as written, with places for error messages.

use std::collections::BTreeSet;

use crate::policy::file::{RuleFile, SizeValue};
use crate::policy::locate::Locations;
use crate::policy::{size, Catalog, PolicyError};

pub(crate) struct Options<'a> {
    pub file: &'a RuleFile,
    pub catalog: &'a Catalog,
    pub known_tags: &'a BTreeSet<&'a String>,
    pub loc: &'a Locations,
    /// The rule's path in the policy, `rules/<n>`.
    pub path: String,
}

impl Options<'_> {
    /// The place of the value under `key` (a path below the rule, `tables/0`).
    pub fn at(&self, key: &str) -> (usize, usize) {
        self.loc.value(&format!("{}/{key}", self.path))
    }

    pub fn error(&self, key: &str, message: impl std::fmt::Display) -> PolicyError {
        PolicyError::at(self.at(key), format!("rule {}: {message}", self.file.id))
    }

    pub fn missing(&self, key: &str) -> PolicyError {
        PolicyError::at(
            self.loc.key(&self.path),
            format!(
                "rule {} of kind {} needs the key {key}",
                self.file.id, self.file.kind
            ),
        )
    }

    pub fn required<'v, T>(&self, key: &str, value: &'v Option<T>) -> Result<&'v T, PolicyError> {
        value.as_ref().ok_or_else(|| self.missing(key))
    }

    pub fn size(&self, key: &str, value: &SizeValue) -> Result<u64, PolicyError> {
        size(value, self.at(key))
    }

    /// `database.table` names, lowercased; `must_exist` checks them against the catalog.
    pub fn tables(
        &self,
        key: &str,
        list: &[String],
        must_exist: bool,
    ) -> Result<BTreeSet<String>, PolicyError> {
        let mut out = BTreeSet::new();
        for (j, t) in list.iter().enumerate() {
            let at = format!("{key}/{j}");
            let parts: Vec<&str> = t.split('.').collect();
            let [db, table] = parts.as_slice() else {
                return Err(self.error(&at, format!("{t:?} is not of the form database.table")));
            };
            if must_exist && self.catalog.table(db, table).is_none() {
                return Err(self.error(&at, format!("table {t} is not in the catalog")));
            }
            out.insert(t.to_lowercase());
        }
        Ok(out)
    }
}
