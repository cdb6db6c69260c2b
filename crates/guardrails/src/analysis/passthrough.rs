//! Derived tables and CTEs that only pass rows of one base table through.
//!
//! `SELECT ... FROM (SELECT * FROM orders) t WHERE t.dt = '2025-01-01'` bounds the rows read
//! from `orders` just as a WHERE inside would: every row of `t` is a row of `orders`, unchanged.
//! That holds only for a plain projection of one table: no join, grouping, DISTINCT, LIMIT,
//! window, set operation, sample or computed column in between. Anything else keeps its bounds
//! inside (a false alarm is possible, a bypass is not).

use sqlparser::ast::{
    Expr, GroupByExpr, Query, SelectItem, SetExpr, Spanned, TableFactor, WildcardAdditionalOptions,
};

/// One output column of a plain projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Projected {
    /// `*`: every column of the table, in order.
    All,
    /// A column of the table, by the name written (lowercase).
    Column(String),
}

/// The table name's span and the projection, when `q` is a plain projection of one table.
pub(crate) fn plain_projection(q: &Query) -> Option<(sqlparser::tokenizer::Span, Vec<Projected>)> {
    if q.with.is_some()
        || q.limit_clause.is_some()
        || q.fetch.is_some()
        || !q.pipe_operators.is_empty()
    {
        return None;
    }
    let SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    let plain_select = s.distinct.is_none()
        && s.top.is_none()
        && s.exclude.is_none()
        && s.into.is_none()
        && s.lateral_views.is_empty()
        && s.prewhere.is_none()
        && s.connect_by.is_empty()
        && matches!(&s.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
        && s.cluster_by.is_empty()
        && s.distribute_by.is_empty()
        && s.having.is_none()
        && s.named_window.is_empty()
        && s.qualify.is_none()
        && s.value_table_mode.is_none();
    if !plain_select || s.from.len() != 1 || !s.from[0].joins.is_empty() {
        return None;
    }
    let TableFactor::Table {
        name,
        alias,
        args: None,
        with_hints,
        version: None,
        with_ordinality: false,
        partitions,
        json_path: None,
        sample: None,
        index_hints,
    } = &s.from[0].relation
    else {
        return None;
    };
    if !with_hints.is_empty() || !partitions.is_empty() || !index_hints.is_empty() {
        return None;
    }
    // `AS t(a, b)` renames columns by position; not worth following.
    if alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
        return None;
    }
    let table_parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .collect();
    let alias_name = alias.as_ref().map(|a| a.name.value.to_lowercase());
    // A qualifier must name this table, never an outer one.
    let names_this_table = |qualifier: &[String]| match &alias_name {
        Some(a) => qualifier.len() == 1 && &qualifier[0] == a,
        None => table_parts.ends_with(qualifier),
    };
    let mut projected = Vec::new();
    for item in &s.projection {
        let expr = match item {
            SelectItem::Wildcard(options) if plain_wildcard(options) => {
                projected.push(Projected::All);
                continue;
            }
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => return None,
        };
        match expr {
            Expr::Identifier(id) => projected.push(Projected::Column(id.value.to_lowercase())),
            Expr::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(|p| p.value.to_lowercase()).collect();
                let (column, qualifier) = names.split_last()?;
                if !names_this_table(qualifier) {
                    return None;
                }
                projected.push(Projected::Column(column.clone()));
            }
            _ => return None,
        }
    }
    Some((name.span(), projected))
}

fn plain_wildcard(o: &WildcardAdditionalOptions) -> bool {
    o.opt_ilike.is_none()
        && o.opt_exclude.is_none()
        && o.opt_except.is_none()
        && o.opt_replace.is_none()
        && o.opt_rename.is_none()
        && o.opt_alias.is_none()
}
