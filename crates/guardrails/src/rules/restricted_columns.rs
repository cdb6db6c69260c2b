use std::collections::BTreeSet;
use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "restricted_columns",
    keys: &[Key {
        name: "tags",
        schema: r##"{"$ref": "#/$defs/common_strings"}"##,
    }],
    requires: Requires::All(&["tags"]),
    hint: false,
    build,
    source: include_str!("restricted_columns.rs"),
};

/// ## What it does
/// Fires on each read of a column carrying one of `tags`, anywhere in the statement (select
/// list, `WHERE`, joins, `GROUP BY`, `HAVING`, `ORDER BY`, windows, function and lambda
/// arguments, subqueries, the query of `SHOW STATS FOR (...)`; `SHOW STATS FOR <table>` reads
/// every column of the table). The select list of an `EXISTS` subquery reads nothing when that
/// subquery is one plain `SELECT` (no `UNION`/`INTERSECT`/`EXCEPT`, `DISTINCT`, `GROUP BY`,
/// `HAVING`, `ORDER BY` or subquery in the list): only then can the list not decide the result.
///
/// ## Why
/// Personal and restricted data is read only under an elevation, which is journalled.
///
/// ## Options
/// `tags`: each must be carried by some column of the catalog.
///
/// ## Example
/// ```yaml
/// - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read],
///     message: "{column} is personal data: request the pii-read elevation" }
/// ```
/// Fires: `SELECT customer_id FROM customers ORDER BY email` (verdict elevate, elevations
/// `[pii-read]`).
/// Does not fire: `SELECT customer_id AS email FROM customers -- email`.
#[derive(Debug)]
pub(crate) struct RestrictedColumns {
    tags: BTreeSet<String>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let list = o.required("tags", &o.file.tags)?;
    for (j, t) in list.iter().enumerate() {
        if !o.known_tags.contains(t) {
            return Err(o.error(
                &format!("tags/{j}"),
                format!("no column of the catalog carries the tag {t:?}"),
            ));
        }
    }
    Ok(Arc::new(RestrictedColumns {
        tags: list.iter().cloned().collect(),
    }))
}

impl Check for RestrictedColumns {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        for read in &a.reads {
            let Some(tag) = read.tags.iter().find(|t| self.tags.contains(*t)) else {
                continue;
            };
            let default = if rule.unlocked_by.is_empty() {
                format!(
                    "{} is tagged {tag}: it cannot be read under this policy",
                    read.qualified
                )
            } else {
                format!(
                    "{} is tagged {tag}: request the {} elevation to read it",
                    read.qualified,
                    rule.unlocked_by.join(" or ")
                )
            };
            out.push(diagnostic(
                rule,
                read.span,
                default,
                &[("column", &read.qualified), ("tag", tag)],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
