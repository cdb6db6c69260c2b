//! Resolving expressions: every column reference is placed, or reported.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator,
    FunctionArgumentClause, FunctionArguments, Ident, Query, Spanned, Subscript, Value, Visit,
    Visitor, WindowType,
};

use super::scope::{Aliases, Found, Qualified, Scope};
use super::Resolver;

impl<'c> Resolver<'c, '_> {
    pub(crate) fn expr(&mut self, e: &Expr, scope: &Scope<'_, 'c>, aliases: Aliases) {
        if !self.enter() {
            self.leave();
            return;
        }
        self.expr_inner(e, scope, aliases);
        self.leave();
    }

    fn expr_inner(&mut self, e: &Expr, scope: &Scope<'_, 'c>, aliases: Aliases) {
        match e {
            Expr::Identifier(id) => self.identifier(id, scope, aliases),
            Expr::CompoundIdentifier(parts) => self.compound(parts, scope, aliases),
            Expr::CompoundFieldAccess { root, access_chain } => {
                // `t.m['k']` and `t.a[1]` arrive as `t` then `.m` then a subscript: the leading
                // names are one qualified name (a column of t, or a field of column t), resolved
                // as such, and what follows applies to its value.
                let mut chain = access_chain.as_slice();
                match root.as_ref() {
                    Expr::Identifier(first) => {
                        let mut parts = vec![first.clone()];
                        while let Some((AccessExpr::Dot(Expr::Identifier(name)), rest)) =
                            chain.split_first()
                        {
                            parts.push(name.clone());
                            chain = rest;
                        }
                        if parts.len() == 1 {
                            self.identifier(first, scope, aliases);
                        } else {
                            self.compound(&parts, scope, aliases);
                        }
                    }
                    other => self.expr(other, scope, aliases),
                }
                for access in chain {
                    match access {
                        // `.field` names a field of a row, not a column.
                        AccessExpr::Dot(_) => {}
                        AccessExpr::Subscript(Subscript::Index { index }) => {
                            self.expr(index, scope, aliases)
                        }
                        AccessExpr::Subscript(s) => {
                            let span = self.span(root.span());
                            self.children(s, false, span, scope, aliases)
                        }
                    }
                }
            }
            Expr::Value(_) | Expr::TypedString(_) => {}
            Expr::Subquery(q) => {
                self.query(q, Some(scope));
            }
            Expr::Exists { subquery, .. } => self.exists_query(subquery, scope),
            Expr::InSubquery { expr, subquery, .. } => {
                self.expr(expr, scope, aliases);
                self.query(subquery, Some(scope));
            }
            Expr::Lambda(l) => {
                let before = self.lambda_params.len();
                for p in l.params.iter() {
                    self.lambda_params.push(p.name.value.to_lowercase());
                }
                self.expr(&l.body, scope, aliases);
                self.lambda_params.truncate(before);
            }
            Expr::Function(f) => self.function(f, scope, aliases),
            Expr::BinaryOp { left, op, right } => {
                if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
                    && (is_null(left) || is_null(right))
                {
                    let span = self.span(e.span());
                    self.shape.null_comparisons.push(span);
                }
                self.expr(left, scope, aliases);
                self.expr(right, scope, aliases);
            }
            Expr::Nested(inner)
            | Expr::UnaryOp { expr: inner, .. }
            | Expr::Cast { expr: inner, .. }
            | Expr::IsNull(inner)
            | Expr::IsNotNull(inner)
            | Expr::IsTrue(inner)
            | Expr::IsFalse(inner)
            | Expr::IsNotTrue(inner)
            | Expr::IsNotFalse(inner)
            | Expr::Extract { expr: inner, .. } => self.expr(inner, scope, aliases),
            Expr::Between {
                expr, low, high, ..
            } => {
                self.expr(expr, scope, aliases);
                self.expr(low, scope, aliases);
                self.expr(high, scope, aliases);
            }
            Expr::InList { expr, list, .. } => {
                self.expr(expr, scope, aliases);
                for item in list {
                    self.expr(item, scope, aliases);
                }
            }
            Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
                self.expr(expr, scope, aliases);
                self.expr(pattern, scope, aliases);
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(o) = operand {
                    self.expr(o, scope, aliases);
                }
                for w in conditions {
                    self.expr(&w.condition, scope, aliases);
                    self.expr(&w.result, scope, aliases);
                }
                if let Some(x) = else_result {
                    self.expr(x, scope, aliases);
                }
            }
            Expr::Tuple(items) => {
                for item in items {
                    self.expr(item, scope, aliases);
                }
            }
            Expr::Wildcard(_) | Expr::QualifiedWildcard(..) => {
                let span = self.span(e.span());
                self.unresolved(span, "a wildcard is not allowed here");
            }
            other => {
                let span = self.span(other.span());
                self.children(other, true, span, scope, aliases)
            }
        }
    }

    fn identifier(&mut self, id: &Ident, scope: &Scope<'_, 'c>, aliases: Aliases) {
        let name = id.value.to_lowercase();
        if self.lambda_params.contains(&name) {
            return;
        }
        let span = self.span(id.span);
        match scope.find_column(&name, aliases) {
            Found::Columns(scope_id, hits) => {
                for (i, rel) in hits {
                    self.touched.push((scope_id, i));
                    if let Some((_, table)) = rel.base {
                        let base = rel.base_column(&name).unwrap_or(&name).to_string();
                        self.read(table, &base, span);
                    }
                }
            }
            Found::Alias => {}
            Found::Ambiguous(rels) => {
                let names: Vec<String> = rels.iter().map(|r| r.display_name()).collect();
                self.unresolved(
                    span,
                    format!(
                        "column {} is ambiguous: it is in {}; qualify it with a table name or alias",
                        id.value,
                        names.join(" and ")
                    ),
                );
            }
            Found::Nothing => {
                let tables = scope.base_tables();
                self.unresolved_column(
                    span,
                    format!(
                        "column {} is not in any table of this query (check the name and the catalog)",
                        id.value
                    ),
                    &name,
                    tables,
                )
            }
        }
    }

    /// The earlier FROM item (see `Resolver::hidden`) that a prefix of `names` names.
    fn hidden_prefix(&self, names: &[String]) -> Option<String> {
        self.hidden
            .iter()
            .find(|h| h.len() < names.len() && names.starts_with(h))
            .map(|h| h.join("."))
    }

    fn compound(&mut self, parts: &[Ident], scope: &Scope<'_, 'c>, aliases: Aliases) {
        let names: Vec<String> = parts.iter().map(|p| p.value.to_lowercase()).collect();
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return;
        };
        let span = self.span(first.span.union(&last.span));
        if self.lambda_params.contains(&names[0]) {
            return;
        }
        match scope.resolve(&names) {
            Qualified::Column {
                scope: scope_id,
                index,
                rel,
                k,
            } => {
                self.touched.push((scope_id, index));
                if let Some((_, table)) = rel.base {
                    let base = rel.base_column(&names[k]).unwrap_or(&names[k]).to_string();
                    self.read(table, &base, span);
                }
            }
            // `col.field`: a field of a row-typed column.
            Qualified::Field => self.identifier(first, scope, aliases),
            Qualified::Nothing {
                missing: Some((rel, k)),
            } => {
                let column = &names[k];
                let message = format!("{} has no column {}", rel.display_name(), parts[k].value);
                match rel.base {
                    // Only a base table's own columns can be missing from the policy.
                    Some((_, table)) if rel.via.is_none() => {
                        let qualified = format!("{}.{}", table.database, table.name).to_lowercase();
                        self.unresolved_column(span, message, column, vec![qualified]);
                    }
                    _ => self.unresolved(span, message),
                }
            }
            Qualified::Nothing { missing: None } => match scope.find_column(&names[0], aliases) {
                Found::Nothing if self.hidden_prefix(&names).is_some() => {
                    let q = self.hidden_prefix(&names).unwrap_or_default();
                    self.unresolved(
                        span,
                        format!(
                            "{q} is an earlier FROM item, which this join cannot see: Athena reads `a, b JOIN c ON ...` as `a, (b JOIN c ON ...)`; join {q} with JOIN instead of a comma, or move the condition to WHERE"
                        ),
                    );
                }
                Found::Nothing => {
                    let qualifier: Vec<&str> = parts[..parts.len() - 1]
                        .iter()
                        .map(|p| p.value.as_str())
                        .collect();
                    self.unresolved(
                        span,
                        format!(
                            "{} is not a table or alias of this query",
                            qualifier.join(".")
                        ),
                    );
                }
                _ => self.identifier(first, scope, aliases),
            },
        }
    }

    fn function(&mut self, f: &Function, scope: &Scope<'_, 'c>, aliases: Aliases) {
        let name_span = self.span(f.name.span());
        let full: Vec<String> = f
            .name
            .0
            .iter()
            .filter_map(|p| p.as_ident())
            .map(|i| i.value.to_lowercase())
            .collect();
        self.shape.functions.push((full.join("."), name_span));
        for args in [&f.parameters, &f.args] {
            match args {
                FunctionArguments::None => {}
                FunctionArguments::Subquery(q) => {
                    self.query(q, Some(scope));
                }
                FunctionArguments::List(list) => {
                    for arg in &list.args {
                        let a = match arg {
                            FunctionArg::Unnamed(arg) => arg,
                            FunctionArg::Named {
                                name,
                                arg,
                                operator,
                            } => {
                                match operator {
                                    // Trino's JSON_OBJECT(key VALUE value): the key is an
                                    // expression (`ssn` is the column), not a parameter name.
                                    FunctionArgOperator::Value => {
                                        self.identifier(name, scope, aliases)
                                    }
                                    // `name => value` names a table function's parameters in
                                    // Trino, and other forms are other dialects'.
                                    _ => {
                                        let span = self.span(name.span);
                                        self.unresolved(
                                            span,
                                            format!(
                                                "a named argument ({name} {operator} ...) is not \
                                                 Athena syntax for this function: pass the \
                                                 values in order"
                                            ),
                                        )
                                    }
                                }
                                arg
                            }
                            FunctionArg::ExprNamed { name, arg, .. } => {
                                self.expr(name, scope, aliases);
                                arg
                            }
                        };
                        match a {
                            FunctionArgExpr::Expr(e) => self.expr(e, scope, aliases),
                            // count(*) reads no column.
                            FunctionArgExpr::Wildcard => {}
                            FunctionArgExpr::WildcardWithOptions(_) => self.unresolved(
                                name_span,
                                "a wildcard with options is not supported here",
                            ),
                            FunctionArgExpr::QualifiedWildcard(name) => {
                                let parts: Vec<String> = name
                                    .0
                                    .iter()
                                    .filter_map(|p| p.as_ident())
                                    .map(|i| i.value.to_lowercase())
                                    .collect();
                                let span = self.span(name.span());
                                match scope.find_rel(&parts) {
                                    Some((_, _, rel)) => {
                                        if let Some((_, table)) = rel.base {
                                            for c in &table.columns {
                                                self.read(table, &c.name, span);
                                            }
                                        }
                                    }
                                    None => self.unresolved(
                                        span,
                                        format!("{name} is not a table or alias of this query"),
                                    ),
                                }
                            }
                        }
                    }
                    for clause in &list.clauses {
                        match clause {
                            FunctionArgumentClause::OrderBy(items) => {
                                for o in items {
                                    self.expr(&o.expr, scope, aliases);
                                }
                            }
                            FunctionArgumentClause::Limit(e) => self.expr(e, scope, aliases),
                            other => self.children(other, false, name_span, scope, aliases),
                        }
                    }
                }
            }
        }
        if let Some(filter) = &f.filter {
            self.expr(filter, scope, aliases);
        }
        for o in &f.within_group {
            self.expr(&o.expr, scope, aliases);
        }
        match &f.over {
            Some(WindowType::WindowSpec(spec)) => self.window(spec, name_span, scope, aliases),
            Some(WindowType::NamedWindow(_)) | None => {}
        }
    }

    pub(crate) fn window(
        &mut self,
        spec: &sqlparser::ast::WindowSpec,
        span: crate::span::Span,
        scope: &Scope<'_, 'c>,
        aliases: Aliases,
    ) {
        for e in &spec.partition_by {
            self.expr(e, scope, aliases);
        }
        for o in &spec.order_by {
            self.expr(&o.expr, scope, aliases);
        }
        if let Some(frame) = &spec.window_frame {
            self.children(frame, false, span, scope, aliases);
        }
    }

    /// Resolves the expressions directly below a node this resolver has no special case for.
    /// A query below such a node cannot be placed in the right scope, so it is refused.
    pub(crate) fn children<V: Visit>(
        &mut self,
        node: &V,
        root_is_expr: bool,
        span: crate::span::Span,
        scope: &Scope<'_, 'c>,
        aliases: Aliases,
    ) {
        let mut collector = Children {
            root_is_expr,
            ..Children::default()
        };
        let _ = node.visit(&mut collector);
        if collector.query_inside {
            self.unresolved(
                span,
                "a subquery in this position is not supported: rewrite it as a join or a CTE",
            );
        }
        for child in &collector.found {
            self.expr(child, scope, aliases);
        }
    }
}

fn is_null(e: &Expr) -> bool {
    matches!(e, Expr::Value(v) if matches!(v.value, Value::Null))
}

/// Collects the outermost expressions below a node (the node itself when it is one).
#[derive(Default)]
struct Children {
    depth: usize,
    root_is_expr: bool,
    found: Vec<Expr>,
    query_inside: bool,
}

impl Visitor for Children {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        self.depth += 1;
        let child_depth = if self.root_is_expr { 2 } else { 1 };
        if self.depth == child_depth {
            self.found.push(expr.clone());
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        let limit = if self.root_is_expr { 1 } else { 0 };
        if self.depth <= limit {
            self.query_inside = true;
        }
        ControlFlow::Continue(())
    }
}
