use std::collections::BTreeSet;
use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::{Diagnostic, StatementClass};

pub(crate) const KIND: Kind = Kind {
    name: "statement_class",
    keys: &[Key {
        name: "allow",
        schema: r#"{"type": "array", "items": {"enum": ["query", "explain", "show", "describe",
            "unload", "ctas", "insert", "ddl", "dml", "prepared", "other"]}}"#,
    }],
    requires: Requires::All(&["allow"]),
    hint: false,
    build,
    source: include_str!("statement_class.rs"),
};

/// ## What it does
/// Fires on a statement whose class is not in `allow`.
///
/// ## Why
/// A read-only policy must refuse writes, DDL and exports whatever they look like.
///
/// ## Options
/// `allow: [query, explain, show, describe, unload, ctas, insert, ddl, dml, prepared, other]`.
/// The class is the statement's worst effect: `UNLOAD` is `unload`, `CREATE TABLE ... AS` is
/// `ctas`, views, `MSCK`, `ALTER`, `DROP`, `VACUUM`, `OPTIMIZE` are `ddl`, `DELETE`/`UPDATE`/`MERGE`
/// are `dml`, other engines' statements `other`. A plain `EXPLAIN` is `explain` whatever it
/// plans (nothing runs); `EXPLAIN ANALYZE` runs its statement, so `EXPLAIN ANALYZE INSERT ...`
/// is `insert` (likewise `ctas`, `unload`, ...), and only `EXPLAIN ANALYZE` of a query is
/// `explain`. A statement whose reads and writes Warden does
/// not model (`CREATE DATABASE`, `DROP DATABASE`, anything of class `other`) is refused whatever
/// this rule allows: no other rule could see what it touches.
///
/// ## Example
/// ```yaml
/// - { id: read-only, kind: statement_class, allow: [query, explain, show, describe] }
/// ```
/// Fires: `DROP TABLE orders` ("ddl statements are not allowed by this policy (allowed: query,
/// explain, show, describe)").
/// Does not fire: `SELECT order_id FROM orders`.
#[derive(Debug)]
pub(crate) struct StatementClassRule {
    allow: BTreeSet<StatementClass>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let list = o.required("allow", &o.file.allow)?;
    let mut allow = BTreeSet::new();
    for (j, c) in list.iter().enumerate() {
        allow.insert(StatementClass::parse(c).ok_or_else(|| {
            o.error(
                &format!("allow/{j}"),
                format!("{c:?} is not a statement class (query, explain, show, describe, unload, ctas, insert, ddl, dml, prepared, other)"),
            )
        })?);
    }
    Ok(Arc::new(StatementClassRule { allow }))
}

impl Check for StatementClassRule {
    fn check(&self, rule: &Rule, a: &Analysis, ctx: &StatementContext, out: &mut Vec<Diagnostic>) {
        if self.allow.contains(&a.class) {
            return;
        }
        let allowed: Vec<&str> = self.allow.iter().map(|c| c.as_str()).collect();
        out.push(diagnostic(
            rule,
            ctx.statement_span(a),
            format!(
                "{} statements are not allowed by this policy (allowed: {})",
                a.class.as_str(),
                allowed.join(", ")
            ),
            &[("class", a.class.as_str())],
        ));
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
