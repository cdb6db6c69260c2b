//! Resolving queries: CTEs, set operations, SELECT and its FROM clause.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Distinct, Expr, Fetch, GroupByExpr, JoinConstraint, JoinOperator, LimitClause, NamedWindowExpr,
    ObjectName, OrderBy, OrderByExpr, OrderByKind, Query, Select, SelectFlavor, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Spanned, TableAlias, TableFactor, TableSampleKind,
    TableWithJoins, Value, Visit, Visitor, WildcardAdditionalOptions,
};

use super::passthrough::{plain_projection, Projected};
use super::predicate::{conjuncts, constraint, Constraint};
use super::scope::Via;
use super::scope::{Aliases, Rel, Scope};
use super::{Instance, Resolver};
use crate::span::Span;

/// Lowercase identifiers of an object name; None when a part is not a plain identifier.
pub(crate) fn name_parts(name: &ObjectName) -> Option<Vec<String>> {
    name.0
        .iter()
        .map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
        .collect()
}

fn rename(columns: Vec<String>, alias: Option<&TableAlias>) -> Vec<String> {
    match alias {
        Some(a) if !a.columns.is_empty() => {
            let mut out: Vec<String> = a
                .columns
                .iter()
                .map(|c| c.name.value.to_lowercase())
                .collect();
            // Trino requires as many names as columns; extra source columns stay unreachable.
            out.truncate(columns.len().max(out.len()));
            out
        }
        _ => columns,
    }
}

/// The names that qualify `rel`'s columns: its alias or table name, and `db.table`.
fn name_forms(rel: &Rel<'_>) -> Vec<Vec<String>> {
    let mut forms: Vec<Vec<String>> = Vec::new();
    if let Some(n) = &rel.name {
        forms.push(vec![n.clone()]);
    }
    if let Some(q) = &rel.qualified {
        forms.push(q.split('.').map(str::to_string).collect());
    }
    forms
}

/// An UNNEST or LATERAL subquery, which may read the relations to its left.
fn is_lateral(f: &TableFactor) -> bool {
    matches!(
        f,
        TableFactor::UNNEST { .. } | TableFactor::Derived { lateral: true, .. }
    )
}

fn ordinal(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.to_string().parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `*` carries options other dialects have (`EXCEPT`, `EXCLUDE`, `REPLACE`, ...).
fn has_options(o: &WildcardAdditionalOptions) -> bool {
    let WildcardAdditionalOptions {
        wildcard_token: _,
        opt_ilike,
        opt_exclude,
        opt_except,
        opt_replace,
        opt_rename,
        opt_alias,
    } = o;
    opt_ilike.is_some()
        || opt_exclude.is_some()
        || opt_except.is_some()
        || opt_replace.is_some()
        || opt_rename.is_some()
        || opt_alias.is_some()
}

/// Whether the select list of `q`, the subquery of an EXISTS, decides nothing: whether a row
/// comes back then depends only on its FROM, WHERE, LIMIT and OFFSET, which are read as
/// anywhere. That holds for one plain SELECT only: a set operation compares select lists
/// (`EXISTS (SELECT ssn ... INTERSECT SELECT '123-45-6789')` tests a value), DISTINCT counts the
/// distinct values of the list, GROUP BY and HAVING may group and filter by the list's items
/// (by position or alias), ORDER BY evaluates what it sorts by, and a subquery in the list could
/// fail depending on what it reads. Anything else reads its select list like any query.
fn select_list_decides_nothing(q: &Query) -> bool {
    let SetExpr::Select(s) = q.body.as_ref() else {
        return false;
    };
    struct AnyQuery;
    impl Visitor for AnyQuery {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    let subquery_in_list = s
        .projection
        .iter()
        .any(|item| item.visit(&mut AnyQuery).is_break());
    q.order_by.is_none()
        && q.pipe_operators.is_empty()
        && matches!(s.distinct, None | Some(Distinct::All))
        && matches!(&s.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
        && s.having.is_none()
        && s.qualify.is_none()
        && !subquery_in_list
}

impl<'c> Resolver<'c, '_> {
    /// Resolves a query and returns the names of its output columns.
    pub(crate) fn query(&mut self, q: &Query, parent: Option<&Scope<'_, 'c>>) -> Vec<String> {
        self.query_with(q, parent, false)
    }

    /// The subquery of `EXISTS (...)`: only whether it returns a row counts, so when its select
    /// list cannot change that (see `select_list_decides_nothing`) what the list names is not
    /// read. The choice is an argument of this one query's own SELECT, never state a later
    /// SELECT could pick up.
    pub(crate) fn exists_query(&mut self, q: &Query, scope: &Scope<'_, 'c>) {
        let unused = select_list_decides_nothing(q);
        self.query_with(q, Some(scope), unused);
    }

    /// `projection_unused`: the select list of `q`'s own SELECT is resolved but not read (only
    /// ever true for the subquery of an EXISTS whose body is a plain SELECT).
    fn query_with(
        &mut self,
        q: &Query,
        parent: Option<&Scope<'_, 'c>>,
        projection_unused: bool,
    ) -> Vec<String> {
        if !self.enter() {
            self.leave();
            return Vec::new();
        }
        // Every part of the query is resolved or refused: no field is left out unseen (a new
        // one in sqlparser fails to compile here).
        let Query {
            with,
            body,
            order_by,
            limit_clause,
            fetch,
            locks,
            for_clause,
            settings,
            format_clause,
            pipe_operators,
        } = q;
        let mut refused: Vec<&str> = Vec::new();
        if !pipe_operators.is_empty() {
            refused.push("the pipe syntax |> is not Athena SQL: write the query as SELECT ... FROM ... (with subqueries or a WITH clause)");
        }
        if !locks.is_empty() {
            refused
                .push("FOR UPDATE and FOR SHARE are not Athena syntax: remove the locking clause");
        }
        if for_clause.is_some() {
            refused
                .push("FOR XML, FOR JSON and FOR BROWSE are not Athena syntax: remove the clause");
        }
        if settings.is_some() {
            refused.push("SETTINGS is not Athena syntax: remove the clause");
        }
        if format_clause.is_some() {
            refused.push("a FORMAT clause is not Athena syntax: remove it (the window and the CLI choose how rows are shown)");
        }
        if !refused.is_empty() {
            // Only then: a query's span is a walk of the whole query.
            let span = self.span(q.span());
            for message in refused {
                self.unresolved(span, message);
            }
        }
        let ctes_before = self.ctes.len();
        if let Some(with) = with {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.to_lowercase();
                if cte.from.is_some() || cte.materialized.is_some() {
                    let span = self.span(cte.alias.name.span);
                    self.unresolved(
                        span,
                        "MATERIALIZED and FROM on a WITH query are not Athena syntax: write WITH name AS (query)",
                    );
                }
                if with.recursive {
                    let cols = cte
                        .alias
                        .columns
                        .iter()
                        .map(|c| c.name.value.to_lowercase())
                        .collect();
                    self.ctes.push((name.clone(), cols, None));
                }
                self.has_ctes = true;
                let first = self.instances.len();
                let cols = self.query(&cte.query, parent);
                let via = if with.recursive {
                    None
                } else {
                    self.cte_uses.push(0);
                    self.via(&cte.query, first, cols.len(), Some(self.cte_uses.len() - 1))
                };
                let cols = rename(cols, Some(&cte.alias));
                // A CTE's name is visible after its own definition (it may shadow a table).
                self.ctes.push((name, cols, via));
            }
        }
        let outputs = match body.as_ref() {
            SetExpr::Select(select) => {
                self.select(select, parent, order_by.as_ref(), projection_unused)
            }
            other => {
                let outputs = self.set_expr(other, parent);
                if let Some(order_by) = order_by {
                    // Only the output columns are visible to the ORDER BY of a set operation.
                    let scope = Scope {
                        id: self.new_scope_id(),
                        rels: vec![Rel {
                            name: None,
                            qualified: None,
                            columns: outputs.clone(),
                            base: None,
                            from_item: 0,
                            via: None,
                        }],
                        merged: Vec::new(),
                        parent,
                        aliases: Vec::new(),
                        outputs: Vec::new(),
                    };
                    self.order_by(order_by, &scope, outputs.len());
                }
                outputs
            }
        };
        if let Some(limit) = limit_clause {
            let empty = self.empty_scope(parent);
            match limit {
                LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                } => {
                    if let Some(l) = limit {
                        self.expr(l, &empty, Aliases::No);
                    }
                    if let Some(o) = offset {
                        self.expr(&o.value, &empty, Aliases::No);
                    }
                    for e in limit_by {
                        self.expr(e, &empty, Aliases::No);
                    }
                }
                LimitClause::OffsetCommaLimit { offset, limit } => {
                    self.expr(offset, &empty, Aliases::No);
                    self.expr(limit, &empty, Aliases::No);
                }
            }
        }
        // `FETCH FIRST n ROWS`: its count is an expression like LIMIT's.
        if let Some(Fetch {
            quantity: Some(n), ..
        }) = fetch
        {
            let empty = self.empty_scope(parent);
            self.expr(n, &empty, Aliases::No);
        }
        self.ctes.truncate(ctes_before);
        self.leave();
        outputs
    }

    pub(crate) fn new_scope_id(&mut self) -> usize {
        self.next_scope_id += 1;
        self.next_scope_id
    }

    fn empty_scope<'s>(&mut self, parent: Option<&'s Scope<'s, 'c>>) -> Scope<'s, 'c> {
        Scope {
            id: self.new_scope_id(),
            rels: Vec::new(),
            merged: Vec::new(),
            parent,
            aliases: Vec::new(),
            outputs: Vec::new(),
        }
    }

    fn set_expr(&mut self, body: &SetExpr, parent: Option<&Scope<'_, 'c>>) -> Vec<String> {
        match body {
            SetExpr::Select(s) => self.select(s, parent, None, false),
            SetExpr::Query(q) => self.query(q, parent),
            SetExpr::SetOperation { left, right, .. } => {
                if !self.enter() {
                    self.leave();
                    return Vec::new();
                }
                let outputs = self.set_expr(left, parent);
                self.set_expr(right, parent);
                self.leave();
                outputs
            }
            SetExpr::Values(values) => {
                let scope = self.empty_scope(parent);
                let mut width = 0;
                for row in &values.rows {
                    width = width.max(row.content.len());
                    for e in &row.content {
                        self.expr(e, &scope, Aliases::No);
                    }
                }
                (1..=width).map(|i| format!("_col{i}")).collect()
            }
            other => {
                let span = self.span(other.span());
                self.unresolved(span, "this kind of query body is not supported here");
                Vec::new()
            }
        }
    }

    fn select(
        &mut self,
        s: &Select,
        parent: Option<&Scope<'_, 'c>>,
        order_by: Option<&OrderBy>,
        projection_unused: bool,
    ) -> Vec<String> {
        let id = self.new_scope_id();
        let mut rels: Vec<Rel<'c>> = Vec::new();
        let mut merged = Vec::new();
        let hidden_before = std::mem::take(&mut self.hidden);
        for (item, twj) in s.from.iter().enumerate() {
            // Trino reads `a, b JOIN c ON ...` as `a, (b JOIN c ON ...)`: a join's ON, and an
            // UNNEST or LATERAL inside it, see only that join's relations (and outer queries).
            // An UNNEST or LATERAL standing alone as a comma item sees the items before it.
            if twj.joins.is_empty() && is_lateral(&twj.relation) {
                self.table_with_joins(twj, item, id, parent, &mut rels, &mut merged);
            } else {
                self.hidden = rels.iter().flat_map(name_forms).collect();
                let (mut own, mut own_merged) = (Vec::new(), Vec::new());
                self.table_with_joins(twj, item, id, parent, &mut own, &mut own_merged);
                rels.append(&mut own);
                merged.extend(own_merged);
            }
        }
        self.hidden = hidden_before;
        self.refuse_duplicate_names(s, &rels);
        self.refuse_other_dialects(s);
        let mut scope = Scope {
            id,
            rels,
            merged,
            parent,
            aliases: Vec::new(),
            outputs: Vec::new(),
        };

        // WHERE, one conjunct at a time, noting which FROM items each conjunct links.
        let mut links: Vec<Vec<usize>> = Vec::new();
        let where_conjuncts: Vec<&Expr> = s.selection.as_ref().map(conjuncts).unwrap_or_default();
        for c in &where_conjuncts {
            let mark = self.touched.len();
            self.expr(c, &scope, Aliases::No);
            let mut items: Vec<usize> = self.touched[mark..]
                .iter()
                .filter(|(sid, _)| *sid == id)
                .filter_map(|(_, i)| scope.rels.get(*i).map(|r| r.from_item))
                .collect();
            items.sort_unstable();
            items.dedup();
            links.push(items);
        }

        let mut outputs = Vec::new();
        let mut aliases = Vec::new();
        // Under EXISTS the select list is never evaluated, whatever it holds: its names are
        // still resolved (an unknown one is still refused), but nothing it names is read.
        let reads_before = self.reads.len();
        for item in &s.projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    self.expr(e, &scope, Aliases::No);
                    outputs.push(match e {
                        Expr::Identifier(i) => i.value.to_lowercase(),
                        Expr::CompoundIdentifier(p) => {
                            p.last().map(|i| i.value.to_lowercase()).unwrap_or_default()
                        }
                        _ => format!("_col{}", outputs.len()),
                    });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    self.expr(expr, &scope, Aliases::No);
                    outputs.push(alias.value.to_lowercase());
                    aliases.push(alias.value.to_lowercase());
                }
                SelectItem::ExprWithAliases {
                    expr,
                    aliases: names,
                } => {
                    self.expr(expr, &scope, Aliases::No);
                    for n in names {
                        outputs.push(n.value.to_lowercase());
                        aliases.push(n.value.to_lowercase());
                    }
                }
                SelectItem::Wildcard(_) => {
                    let span = self.span(item.span());
                    self.shape.wildcards.push(span);
                    if scope.rels.is_empty() {
                        self.unresolved(span, "SELECT * needs a FROM clause");
                    }
                    for i in 0..scope.rels.len() {
                        outputs.extend(self.expand(&scope.rels[i], span, projection_unused));
                    }
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let span = self.span(item.span());
                    self.shape.wildcards.push(span);
                    match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(name) => {
                            let parts = name_parts(name).unwrap_or_default();
                            match scope.rels.iter().position(|r| r.named_by(&parts)) {
                                Some(i) => outputs.extend(self.expand(
                                    &scope.rels[i],
                                    span,
                                    projection_unused,
                                )),
                                None => self.unresolved(
                                    span,
                                    format!("{name} is not a table or alias of this query"),
                                ),
                            }
                        }
                        SelectItemQualifiedWildcardKind::Expr(_) => self.unresolved(
                            span,
                            "expanding the fields of a row with .* is not supported: name them",
                        ),
                    }
                }
            }
        }
        if projection_unused {
            self.reads.truncate(reads_before);
        }
        scope.aliases = aliases;
        scope.outputs = outputs.clone();

        if let GroupByExpr::Expressions(exprs, _) = &s.group_by {
            for e in exprs {
                match ordinal(e) {
                    Some(n) => self.check_ordinal(e, n, outputs.len()),
                    None => self.expr(e, &scope, Aliases::After),
                }
            }
        }
        if let Some(h) = &s.having {
            self.expr(h, &scope, Aliases::After);
        }
        for w in &s.named_window {
            if let NamedWindowExpr::WindowSpec(spec) = &w.1 {
                let span = self.span(w.0.span);
                self.window(spec, span, &scope, Aliases::No);
            }
        }
        if let Some(order_by) = order_by {
            self.order_by(order_by, &scope, outputs.len());
        }

        // Predicates of WHERE that bound the rows of each base table read here (inner joins'
        // ON conditions were applied where they stand, against the relations visible there).
        self.bound_by(&where_conjuncts, &scope, 0);
        self.comma_joins(s, &scope, &links);
        outputs
    }

    /// Refuses two relations of one FROM that one name (`c`, `customers`, `db.customers`)
    /// qualifies: which one `c.x` or `c.*` means would be Trino's choice, not ours.
    fn refuse_duplicate_names(&mut self, s: &Select, rels: &[Rel<'c>]) {
        for (i, rel) in rels.iter().enumerate() {
            let Some(parts) = name_forms(rel)
                .into_iter()
                .find(|p| rels[..i].iter().any(|r| r.named_by(p)))
            else {
                continue;
            };
            let span = match s.from.get(rel.from_item) {
                Some(twj) => self.span(twj.span()),
                None => self.span(s.span()),
            };
            self.unresolved(
                span,
                format!(
                    "{} names two relations of this query: give them different aliases",
                    parts.join(".")
                ),
            );
        }
    }

    /// Refuses the parts of a SELECT that other dialects have and Athena has not: sqlparser
    /// parses them, but Athena would reject the query or read it differently, and the rules
    /// would not see what they compute. Every field is named (a new one fails to compile here)
    /// and is either resolved by `select` or refused below.
    fn refuse_other_dialects(&mut self, s: &Select) {
        let Select {
            select_token: _,
            // `/*+ ... */` is a comment to Athena: it reads nothing.
            optimizer_hints: _,
            distinct,
            select_modifiers,
            top,
            top_before_distinct: _,
            projection,
            exclude,
            into,
            from: _,
            lateral_views,
            prewhere,
            selection: _,
            connect_by,
            group_by,
            cluster_by,
            distribute_by,
            sort_by,
            having: _,
            named_window: _,
            qualify,
            window_before_qualify: _,
            value_table_mode,
            flavor,
        } = s;
        let mut refused: Vec<&str> = Vec::new();
        if let Some(Distinct::On(_)) = distinct {
            refused.push("DISTINCT ON is not Athena syntax: use DISTINCT, or keep one row per key with row_number() OVER (PARTITION BY ...) in a subquery");
        }
        if select_modifiers.is_some() {
            refused.push("MySQL's SELECT modifiers (HIGH_PRIORITY, SQL_NO_CACHE, ...) are not Athena syntax: remove them");
        }
        if top.is_some() {
            refused.push("SELECT TOP is not Athena syntax: use LIMIT");
        }
        let wildcard_options = projection.iter().any(|item| match item {
            SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => has_options(o),
            _ => false,
        });
        if exclude.is_some() || wildcard_options {
            refused.push("* EXCEPT, EXCLUDE, REPLACE, RENAME and ILIKE are not Athena syntax: list the columns you need");
        }
        if into.is_some() {
            refused.push("SELECT ... INTO is not Athena syntax: use CREATE TABLE ... AS SELECT");
        }
        if !lateral_views.is_empty() {
            refused.push("LATERAL VIEW is not Athena query syntax: use CROSS JOIN UNNEST(...)");
        }
        if prewhere.is_some() {
            refused.push("PREWHERE is not Athena syntax: use WHERE");
        }
        if !connect_by.is_empty() {
            refused.push("CONNECT BY is not Athena syntax: use WITH RECURSIVE");
        }
        match group_by {
            GroupByExpr::All(_) => {
                refused.push("GROUP BY ALL is not Athena syntax: name the grouping columns")
            }
            GroupByExpr::Expressions(_, modifiers) if !modifiers.is_empty() => refused.push(
                "GROUP BY ... WITH ROLLUP, CUBE or TOTALS is not Athena syntax: use GROUP BY ROLLUP (...), CUBE (...) or GROUPING SETS (...)",
            ),
            GroupByExpr::Expressions(..) => {}
        }
        if !cluster_by.is_empty() || !distribute_by.is_empty() || !sort_by.is_empty() {
            refused.push(
                "CLUSTER BY, DISTRIBUTE BY and SORT BY are not Athena query syntax: use ORDER BY",
            );
        }
        if qualify.is_some() {
            refused.push("QUALIFY is not Athena syntax: compute the window function in a subquery and filter it with WHERE");
        }
        if value_table_mode.is_some() {
            refused.push(
                "SELECT AS STRUCT and SELECT AS VALUE are not Athena syntax: select the columns",
            );
        }
        if !matches!(flavor, SelectFlavor::Standard) {
            refused.push(
                "a query that starts with FROM is not Athena syntax: write SELECT ... FROM ...",
            );
        }
        if !refused.is_empty() {
            let span = self.span(s.span());
            for message in refused {
                self.unresolved(span, message);
            }
        }
    }

    fn check_ordinal(&mut self, e: &Expr, n: usize, width: usize) {
        if n == 0 || n > width {
            let span = self.span(e.span());
            self.unresolved(
                span,
                format!("position {n} is not in the select list (1 to {width})"),
            );
        }
    }

    fn order_by(&mut self, order_by: &OrderBy, scope: &Scope<'_, 'c>, width: usize) {
        let OrderBy { kind, interpolate } = order_by;
        if interpolate.is_some() {
            let span = self.span(order_by.span());
            self.unresolved(span, "INTERPOLATE is not Athena syntax: remove it");
        }
        match kind {
            OrderByKind::All(_) => {
                let span = self.span(order_by.span());
                self.unresolved(
                    span,
                    "ORDER BY ALL is not Athena syntax: name the columns to sort by",
                )
            }
            OrderByKind::Expressions(items) => {
                for o in items {
                    let OrderByExpr {
                        expr,
                        options: _,
                        with_fill,
                    } = o;
                    if with_fill.is_some() {
                        let span = self.span(o.span());
                        self.unresolved(span, "WITH FILL is not Athena syntax: remove it");
                    }
                    match ordinal(expr) {
                        Some(n) => self.check_ordinal(expr, n, width),
                        None => self.expr(expr, scope, Aliases::Before),
                    }
                }
            }
        }
    }

    /// `TABLESAMPLE BERNOULLI (p)` or `SYSTEM (p)`: its percentage is an expression like any
    /// other (a blocked function there is still blocked); other dialects' forms are refused.
    fn sample(&mut self, sample: &TableSampleKind, span: Span, parent: Option<&Scope<'_, 'c>>) {
        use sqlparser::ast::{TableSample, TableSampleMethod, TableSampleModifier};
        let (TableSampleKind::BeforeTableAlias(t) | TableSampleKind::AfterTableAlias(t)) = sample;
        let TableSample {
            modifier,
            name,
            quantity,
            seed,
            bucket,
            offset,
        } = t.as_ref();
        let athena = matches!(modifier, TableSampleModifier::TableSample)
            && matches!(
                name,
                Some(TableSampleMethod::Bernoulli | TableSampleMethod::System)
            )
            && quantity.as_ref().is_some_and(|q| q.unit.is_none())
            && seed.is_none()
            && bucket.is_none()
            && offset.is_none();
        if !athena {
            self.unresolved(
                span,
                "this sampling clause is not Athena syntax: write TABLESAMPLE BERNOULLI (percentage) or TABLESAMPLE SYSTEM (percentage)",
            );
        }
        let empty = self.empty_scope(parent);
        self.children(t.as_ref(), false, span, &empty, Aliases::No);
    }

    /// `*` over one relation: its columns, each base column read at the `*`.
    fn expand(&mut self, rel: &Rel<'c>, span: Span, unused: bool) -> Vec<String> {
        if let (Some((_, table)), false) = (rel.base, unused) {
            for c in &table.columns {
                self.read(table, &c.name, span);
            }
        }
        rel.columns.clone()
    }

    /// FROM items with no join predicate between them multiply rows: a cross join.
    fn comma_joins(&mut self, s: &Select, scope: &Scope<'_, 'c>, links: &[Vec<usize>]) {
        let n = s.from.len();
        if n < 2 {
            return;
        }
        let mut group: Vec<usize> = (0..n).collect();
        fn root(g: &mut [usize], mut i: usize) -> usize {
            while g[i] != i {
                g[i] = g[g[i]];
                i = g[i];
            }
            i
        }
        for items in links {
            for pair in items.windows(2) {
                let (a, b) = (root(&mut group, pair[0]), root(&mut group, pair[1]));
                group[a] = b;
            }
        }
        // UNNEST and LATERAL items depend on the items before them: not a product.
        for (i, twj) in s.from.iter().enumerate().skip(1) {
            if matches!(
                twj.relation,
                TableFactor::UNNEST { .. } | TableFactor::Derived { lateral: true, .. }
            ) {
                let (a, b) = (root(&mut group, i), root(&mut group, i - 1));
                group[a] = b;
            }
        }
        let first = root(&mut group, 0);
        for (i, twj) in s.from.iter().enumerate().skip(1) {
            if root(&mut group, i) != first {
                let span = self.span(twj.relation.span());
                let _ = scope;
                self.shape.cross_joins.push(span);
                let r = root(&mut group, i);
                group[r] = first;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn table_with_joins<'q>(
        &mut self,
        twj: &'q TableWithJoins,
        item: usize,
        id: usize,
        parent: Option<&Scope<'_, 'c>>,
        rels: &mut Vec<Rel<'c>>,
        merged: &mut Vec<String>,
    ) {
        let mut left = self.factor(&twj.relation, item, id, parent, rels, merged);
        rels.append(&mut left);
        for join in &twj.joins {
            let left_len = rels.len();
            let mut right = self.factor(&join.relation, item, id, parent, rels, merged);
            let right_is_lateral = matches!(
                join.relation,
                TableFactor::UNNEST { .. } | TableFactor::Derived { lateral: true, .. }
            );
            rels.append(&mut right);
            let (constraint, inner) = match &join.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::StraightJoin(c) => {
                    (c, true)
                }
                JoinOperator::CrossJoin(c) => {
                    if !right_is_lateral {
                        let span = self.span(join.relation.span());
                        self.shape.cross_joins.push(span);
                    }
                    (c, true)
                }
                JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::Semi(c)
                | JoinOperator::LeftSemi(c)
                | JoinOperator::RightSemi(c)
                | JoinOperator::Anti(c)
                | JoinOperator::LeftAnti(c)
                | JoinOperator::RightAnti(c) => (c, false),
                _ => {
                    let span = self.span(join.relation.span());
                    self.unresolved(span, "this join kind is not Athena syntax");
                    continue;
                }
            };
            let optional_right = matches!(
                join.join_operator,
                JoinOperator::Left(_) | JoinOperator::LeftOuter(_)
            );
            match constraint {
                JoinConstraint::On(e) => {
                    let scope = Scope {
                        id,
                        rels: std::mem::take(rels),
                        merged: merged.clone(),
                        parent,
                        aliases: Vec::new(),
                        outputs: Vec::new(),
                    };
                    self.expr(e, &scope, Aliases::No);
                    // Judged here, where a name may still mean an outer relation that a later
                    // FROM item of the same name would hide.
                    if inner {
                        self.bound_by(&conjuncts(e), &scope, 0);
                    } else if optional_right {
                        // Athena pushes a LEFT JOIN's ON filter on the optional side into that
                        // side's scan; on the preserved side it filters nothing out.
                        self.bound_by(&conjuncts(e), &scope, left_len);
                    }
                    *rels = scope.rels;
                }
                JoinConstraint::Using(names) => {
                    for name in names {
                        let span = self.span(name.span());
                        let Some(col) = name_parts(name).and_then(|p| p.last().cloned()) else {
                            continue;
                        };
                        let (l, r) = rels.split_at(left_len);
                        let l_has = l.iter().any(|x| x.has_column(&col));
                        let r_has = r.iter().any(|x| x.has_column(&col));
                        if !(l_has && r_has) {
                            self.unresolved(
                                span,
                                format!("USING column {col} is not on both sides of the join"),
                            );
                            continue;
                        }
                        self.read_merged(rels, &col, span);
                        merged.push(col);
                    }
                }
                JoinConstraint::Natural => {
                    let (l, r) = rels.split_at(left_len);
                    let common: Vec<String> = r
                        .iter()
                        .flat_map(|x| x.columns.iter())
                        .filter(|c| l.iter().any(|x| x.has_column(c)))
                        .cloned()
                        .collect();
                    let span = self.span(join.relation.span());
                    for col in common {
                        self.read_merged(rels, &col, span);
                        merged.push(col);
                    }
                }
                JoinConstraint::None => {}
            }
        }
    }

    fn read_merged(&mut self, rels: &[Rel<'c>], col: &str, span: Span) {
        for r in rels {
            if let (true, Some((_, table))) = (r.has_column(col), r.base) {
                let base = r.base_column(col).unwrap_or(col).to_string();
                self.read(table, &base, span);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn factor<'q>(
        &mut self,
        factor: &'q TableFactor,
        item: usize,
        id: usize,
        parent: Option<&Scope<'_, 'c>>,
        left: &mut Vec<Rel<'c>>,
        merged: &mut Vec<String>,
    ) -> Vec<Rel<'c>> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_hints,
            } => {
                let span = self.span(name.span());
                if args.is_some() {
                    self.unresolved(span, format!("table function {name} is not supported"));
                    return Vec::new();
                }
                if !with_hints.is_empty()
                    || *with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || !index_hints.is_empty()
                {
                    let span = self.span(factor.span());
                    self.unresolved(
                        span,
                        "table hints, PARTITION (...), WITH ORDINALITY on a table and JSON paths are not Athena syntax: name the table alone",
                    );
                }
                // `FOR TIMESTAMP AS OF ...` / `FOR VERSION AS OF ...` (Iceberg time travel):
                // its expressions are resolved like any other.
                if let Some(v) = version {
                    let span = self.span(factor.span());
                    let empty = self.empty_scope(parent);
                    self.children(v, false, span, &empty, Aliases::No);
                }
                if let Some(s) = sample {
                    let span = self.span(factor.span());
                    self.sample(s, span, parent);
                }
                let mut rel = self.table(name, alias.as_ref(), span, item);
                if let Some(r) = rel.as_mut().filter(|_| sample.is_some()) {
                    // Same rule as for a sampled derived table: bounds stay outside.
                    r.via = None;
                }
                rel.into_iter().collect()
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if let Some(s) = sample {
                    let span = self.span(factor.span());
                    self.sample(s, span, parent);
                }
                let first = self.instances.len();
                let columns = if *lateral {
                    let scope = Scope {
                        id,
                        rels: std::mem::take(left),
                        merged: merged.clone(),
                        parent,
                        aliases: Vec::new(),
                        outputs: Vec::new(),
                    };
                    let cols = self.query(subquery, Some(&scope));
                    *left = scope.rels;
                    cols
                } else {
                    self.query(subquery, parent)
                };
                let via = if *lateral || sample.is_some() {
                    None
                } else {
                    self.via(subquery, first, columns.len(), None)
                };
                vec![Rel {
                    name: alias.as_ref().map(|a| a.name.value.to_lowercase()),
                    qualified: None,
                    columns: rename(columns, alias.as_ref()),
                    base: None,
                    from_item: item,
                    via,
                }]
            }
            TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset,
                with_offset_alias: _,
                with_ordinality,
            } => {
                let scope = Scope {
                    id,
                    rels: std::mem::take(left),
                    merged: merged.clone(),
                    parent,
                    aliases: Vec::new(),
                    outputs: Vec::new(),
                };
                for e in array_exprs {
                    self.expr(e, &scope, Aliases::No);
                }
                *left = scope.rels;
                if *with_offset {
                    let span = self.span(factor.span());
                    self.unresolved(
                        span,
                        "UNNEST ... WITH OFFSET is not Athena syntax: use WITH ORDINALITY",
                    );
                }
                let mut columns: Vec<String> = Vec::new();
                if let Some(a) = alias {
                    columns = a
                        .columns
                        .iter()
                        .map(|c| c.name.value.to_lowercase())
                        .collect();
                }
                let _ = with_ordinality;
                vec![Rel {
                    name: alias.as_ref().map(|a| a.name.value.to_lowercase()),
                    qualified: None,
                    columns,
                    base: None,
                    from_item: item,
                    via: None,
                }]
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let mut inner = Vec::new();
                let mut inner_merged = merged.clone();
                self.table_with_joins(
                    table_with_joins,
                    item,
                    id,
                    parent,
                    &mut inner,
                    &mut inner_merged,
                );
                if alias.is_some() {
                    let span = self.span(factor.span());
                    self.unresolved(span, "an alias on a parenthesised join is not supported");
                }
                merged.extend(inner_merged);
                inner
            }
            other => {
                let span = self.span(other.span());
                self.unresolved(
                    span,
                    "this kind of FROM item is not supported by the guardrails",
                );
                Vec::new()
            }
        }
    }

    /// Notes the bounds `conjuncts` put on the base tables of `scope` (directly, or through a
    /// plain projection).
    /// Records the bounds `conjuncts` put on relations `from..` of `scope`.
    fn bound_by(&mut self, conjuncts: &[&Expr], scope: &Scope<'_, 'c>, from: usize) {
        for c in conjuncts {
            let Some((rel, constraint)) = constraint(c, scope, &self.lambda_params) else {
                continue;
            };
            if rel < from {
                continue;
            }
            let Some(r) = scope.rels.get(rel) else {
                continue;
            };
            if let Some((instance, _)) = r.base {
                if let Some(i) = self.instances.get_mut(instance) {
                    i.constraints.push(constraint);
                }
            } else if let Some((instance, column, cte)) = r.through(&constraint.column) {
                let bound = Constraint {
                    column,
                    values: constraint.values,
                    range: constraint.range,
                };
                match cte {
                    // Whether the CTE is read elsewhere too is known only at the end.
                    Some(id) => self.deferred.push((id, instance, bound)),
                    None => {
                        if let Some(i) = self.instances.get_mut(instance) {
                            i.constraints.push(bound);
                        }
                    }
                }
            }
        }
    }

    /// How `q`'s output columns (`width` of them) map onto the one base table it reads, when it
    /// is a plain projection whose FROM table became instance `first`.
    fn via(&self, q: &Query, first: usize, width: usize, cte: Option<usize>) -> Option<Via> {
        let (name_span, projected) = plain_projection(q)?;
        let instance = self.instances.get(first)?;
        // The FROM name must be that base table, not a CTE of the same name.
        if instance.span != self.span(name_span) {
            return None;
        }
        let mut columns = Vec::new();
        for p in projected {
            match p {
                Projected::All => {
                    columns.extend(instance.table.columns.iter().map(|c| Some(c.name.clone())))
                }
                Projected::Column(name) => {
                    columns.push(instance.table.column(&name).map(|c| c.name.clone()))
                }
            }
        }
        (columns.len() == width).then_some(Via {
            instance: first,
            columns,
            cte,
        })
    }

    /// A table name in FROM: a CTE when one of that name is visible, else a catalog table.
    fn table(
        &mut self,
        name: &ObjectName,
        alias: Option<&TableAlias>,
        span: Span,
        item: usize,
    ) -> Option<Rel<'c>> {
        let Some(parts) = name_parts(name) else {
            self.unresolved(span, format!("{name} is not a plain table name"));
            return None;
        };
        if let [single] = parts.as_slice() {
            if let Some((_, cols, via)) = self.ctes.iter().rev().find(|(n, _, _)| n == single) {
                let (cols, via) = (cols.clone(), via.clone());
                if let Some(id) = via.as_ref().and_then(|v| v.cte) {
                    if let Some(uses) = self.cte_uses.get_mut(id) {
                        *uses += 1;
                    }
                }
                return Some(Rel {
                    name: Some(
                        alias
                            .map(|a| a.name.value.to_lowercase())
                            .unwrap_or_else(|| single.clone()),
                    ),
                    qualified: None,
                    columns: rename(cols, alias),
                    base: None,
                    from_item: item,
                    via,
                });
            }
        }
        let table = self.catalog_table(&parts, name, span)?;
        // Names by position follow the policy's column order, which need not be the table's
        // (Glue's): `a` could be the restricted column where the lint took it for another.
        if alias.is_some_and(|a| !a.columns.is_empty()) {
            self.unresolved(
                span,
                format!(
                    "renaming the columns of table {} by position (AS t(a, b, ...)) is not \
                     supported: the policy may list them in another order than the table has; \
                     rename them in the select list instead (SELECT x AS a, ...)",
                    table.qualified_name()
                ),
            );
        }
        let instance = self.instances.len();
        self.instances.push(Instance {
            table,
            span,
            constraints: Vec::new(),
        });
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        Some(Rel {
            name: Some(
                alias
                    .map(|a| a.name.value.to_lowercase())
                    .unwrap_or_else(|| table.name.clone()),
            ),
            qualified: if alias.is_none() {
                Some(table.qualified_name())
            } else {
                None
            },
            columns: rename(columns, alias),
            base: Some((instance, table)),
            from_item: item,
            via: None,
        })
    }

    /// Looks a table name up in the catalog (default database for one-part names).
    pub(crate) fn catalog_table(
        &mut self,
        parts: &[String],
        name: &ObjectName,
        span: Span,
    ) -> Option<&'c crate::policy::Table> {
        let (db, table) = match parts {
            [t] => match &self.default_database {
                Some(db) => (db.to_lowercase(), t.clone()),
                None => {
                    self.unresolved(
                        span,
                        format!("table {t} has no database: write database.{t} or choose a default database"),
                    );
                    return None;
                }
            },
            [db, t] => (db.clone(), t.clone()),
            [c, db, t] if c == "awsdatacatalog" => (db.clone(), t.clone()),
            [c, ..] if parts.len() == 3 => {
                self.shape.foreign_objects.push((parts.join("."), span));
                self.unresolved(
                    span,
                    format!("{name} is in catalog {c}, which this policy does not describe"),
                );
                return None;
            }
            _ => {
                self.unresolved(
                    span,
                    format!("{name} is not a table name this policy knows"),
                );
                return None;
            }
        };
        match self.catalog.table(&db, &table) {
            Some(t) => Some(t),
            None => {
                self.unresolved(
                    span,
                    format!("table {db}.{table} is not in the policy's catalog"),
                );
                None
            }
        }
    }
}
