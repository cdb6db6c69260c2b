//! Predicates that bound the rows read from a table: the sargable forms Athena can use to
//! prune partitions, and tautologies that bound nothing.

use std::collections::BTreeSet;

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Spanned, UnaryOperator, Value, Visit, Visitor};

use super::scope::{Aliases, Found, Qualified, Scope};
use crate::scan::Comparison;

/// A predicate on one column of one table instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraint {
    pub column: String,
    /// `Some(values)`: equality or `IN` with these literal values, told apart by their text
    /// (so `1` and `1.0` count twice: an estimate too high, never too low); `None`: a range.
    pub values: Option<BTreeSet<String>>,
    /// A range's bounds, the column on the left (`dt >= '2024-01-01'`; `BETWEEN` gives two),
    /// each constant as its SQL text; empty for an equality, and for a range that is not one
    /// interval (an `OR` of ranges).
    pub range: Vec<(Comparison, String)>,
}

impl Constraint {
    /// How many values an equality or `IN` selects; a value listed twice selects its
    /// partition once, in one `IN` or across the branches of an `OR`.
    pub(crate) fn selected(&self) -> Option<usize> {
        self.values.as_ref().map(BTreeSet::len)
    }
}

/// The conjuncts of `a AND b AND ...` (through parentheses).
pub(crate) fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let mut out = conjuncts(left);
            out.extend(conjuncts(right));
            out
        }
        Expr::Nested(inner) => conjuncts(inner),
        other => vec![other],
    }
}

/// A value known before the query runs: literals and arithmetic or casts over literals. A `?`
/// counts: its value is checked to be one literal other than NULL (`params.rs`).
pub(crate) fn is_constant(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => !matches!(v.value, Value::Null),
        Expr::TypedString(_) | Expr::Interval(_) => true,
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => is_constant(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => is_constant(expr),
        Expr::BinaryOp { left, op, right } => {
            matches!(
                op,
                BinaryOperator::Plus
                    | BinaryOperator::Minus
                    | BinaryOperator::Multiply
                    | BinaryOperator::Divide
                    | BinaryOperator::StringConcat
            ) && is_constant(left)
                && is_constant(right)
        }
        _ => false,
    }
}

/// The relation (index in `scope`) and column a bare column reference names, in this scope only.
fn column_of(e: &Expr, scope: &Scope<'_, '_>, lambda_params: &[String]) -> Option<(usize, String)> {
    match e {
        Expr::Nested(inner) => column_of(inner, scope, lambda_params),
        Expr::Identifier(id) => {
            let name = id.value.to_lowercase();
            if lambda_params.contains(&name) {
                return None;
            }
            match scope.find_column(&name, Aliases::No) {
                Found::Columns(sid, hits) if sid == scope.id && hits.len() == 1 => {
                    let (i, rel) = hits[0];
                    Some((i, rel.base_column(&name).unwrap_or(&name).to_string()))
                }
                _ => None,
            }
        }
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let names: Vec<String> = parts.iter().map(|p| p.value.to_lowercase()).collect();
            let column = names.last()?;
            // Only a relation of this very scope, with that column, named by all the rest.
            match scope.resolve(&names) {
                Qualified::Column {
                    scope: sid,
                    index,
                    rel,
                    k,
                } if sid == scope.id && k + 1 == names.len() => {
                    Some((index, rel.base_column(column).unwrap_or(column).to_string()))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The bound a conjunct puts on one column: `=`, `IN`, `BETWEEN` and range comparisons
/// against constants, or an `OR` whose every branch bounds the same column.
pub(crate) fn constraint(
    e: &Expr,
    scope: &Scope<'_, '_>,
    lambda_params: &[String],
) -> Option<(usize, Constraint)> {
    match e {
        Expr::Nested(inner) => constraint(inner, scope, lambda_params),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            let (a, ca) = constraint(left, scope, lambda_params)?;
            let (b, cb) = constraint(right, scope, lambda_params)?;
            if a != b || ca.column != cb.column {
                return None;
            }
            let values = match (ca.values, cb.values) {
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    Some(x)
                }
                _ => None,
            };
            Some((
                a,
                Constraint {
                    column: ca.column,
                    values,
                    range: Vec::new(),
                },
            ))
        }
        Expr::BinaryOp { left, op, right } => {
            let ((rel, column), value, flipped) = if is_constant(right) {
                (column_of(left, scope, lambda_params)?, right, false)
            } else if is_constant(left) {
                (column_of(right, scope, lambda_params)?, left, true)
            } else {
                return None;
            };
            let comparison = match op {
                BinaryOperator::Eq => {
                    return Some((
                        rel,
                        Constraint {
                            column,
                            values: Some(BTreeSet::from([value_key(value)])),
                            range: Vec::new(),
                        },
                    ))
                }
                BinaryOperator::Lt => Comparison::Lt,
                BinaryOperator::LtEq => Comparison::LtEq,
                BinaryOperator::Gt => Comparison::Gt,
                BinaryOperator::GtEq => Comparison::GtEq,
                _ => return None,
            };
            // `'2024' <= dt` bounds dt as `dt >= '2024'` does.
            let comparison = if flipped {
                comparison.flipped()
            } else {
                comparison
            };
            Some((
                rel,
                Constraint {
                    column,
                    values: None,
                    range: vec![(comparison, value_key(value))],
                },
            ))
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } if !list.is_empty() && list.iter().all(is_constant) => {
            let (rel, column) = column_of(expr, scope, lambda_params)?;
            Some((
                rel,
                Constraint {
                    column,
                    values: Some(list.iter().map(value_key).collect()),
                    range: Vec::new(),
                },
            ))
        }
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } if is_constant(low) && is_constant(high) => {
            let (rel, column) = column_of(expr, scope, lambda_params)?;
            Some((
                rel,
                Constraint {
                    column,
                    values: None,
                    range: vec![
                        (Comparison::GtEq, value_key(low)),
                        (Comparison::LtEq, value_key(high)),
                    ],
                },
            ))
        }
        _ => None,
    }
}

/// Whether an expression holds a `?` parameter.
fn has_placeholder(e: &Expr) -> bool {
    struct Find;
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Value(v) if matches!(v.value, Value::Placeholder(_)) => {
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        }
    }
    e.visit(&mut Find).is_break()
}

/// How a selected value is told apart from the others: its text, and for one holding a `?`
/// also where it is, since two `?`s may be given two values (counted twice: an estimate too
/// high when they get the same one, never too low).
fn value_key(e: &Expr) -> String {
    if has_placeholder(e) {
        let at = e.span().start;
        format!("{e} at {}:{}", at.line, at.column)
    } else {
        e.to_string()
    }
}

/// Whether two constants, one of which holds a `?`, may be the same value (the `?` may be
/// given the other's). The verdict must hold for any values, so a `?` is taken as whatever
/// would make a condition bound nothing.
fn placeholder_may_match(left: &Expr, right: &Expr) -> bool {
    (has_placeholder(left) || has_placeholder(right)) && is_constant(left) && is_constant(right)
}

/// A condition that holds for every row (`1 = 1`, `true`, `x = x`, `... OR true`).
pub(crate) fn is_tautology(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_tautology(inner),
        // A `?` may be given TRUE.
        Expr::Value(v) => matches!(v.value, Value::Boolean(true) | Value::Placeholder(_)),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => is_tautology(left) || is_tautology(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => is_tautology(left) && is_tautology(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq | BinaryOperator::LtEq | BinaryOperator::GtEq,
            right,
        } => {
            left.to_string().eq_ignore_ascii_case(&right.to_string())
                || placeholder_may_match(left, right)
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::NotEq | BinaryOperator::Lt | BinaryOperator::Gt,
            right,
        } => {
            is_constant(left)
                && is_constant(right)
                && (left.to_string() != right.to_string()
                    || has_placeholder(left)
                    || has_placeholder(right))
                && {
                    // Two different numeric literals compared with <>: always true.
                    matches!(
                        e,
                        Expr::BinaryOp {
                            op: BinaryOperator::NotEq,
                            ..
                        }
                    )
                }
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => is_contradiction(expr),
        Expr::IsNotNull(inner) => is_constant(inner),
        _ => false,
    }
}

fn is_contradiction(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_contradiction(inner),
        // A `?` may be given FALSE.
        Expr::Value(v) => matches!(v.value, Value::Boolean(false) | Value::Placeholder(_)),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => is_contradiction(left) || is_contradiction(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => is_contradiction(left) && is_contradiction(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::NotEq,
            right,
        } => left.to_string() == right.to_string() || placeholder_may_match(left, right),
        _ => false,
    }
}
