//! Statements: their class, what they read and write, and the shape rules look at.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterTableOperation, CreateTableOptions, Expr, FromTable, GroupByExpr, LimitClause, ObjectName,
    ObjectType, Query, RenameTableNameKind, SelectItem, SetExpr, Spanned, SqlOption, Statement,
    TableFactor, TableObject, UnaryOperator, Use, Value, Visit, Visitor,
};

use super::predicate::is_tautology;
use super::query::name_parts;
use super::scope::{Aliases, Rel, Scope};
use super::{Analysis, Resolver, Write};
use crate::policy::Catalog;
use crate::report::StatementClass;
use crate::span::{LineIndex, Span};

pub(crate) fn classify(statement: &Statement) -> StatementClass {
    use Statement::*;
    match statement {
        Query(_) => StatementClass::Query,
        // EXPLAIN ANALYZE runs its statement: one that writes has the class of what it writes.
        Explain {
            statement: inner, ..
        } if !plans_only(statement) && !matches!(inner.as_ref(), Query(_)) => classify(inner),
        Explain { .. } => StatementClass::Explain,
        ExplainTable { .. } => StatementClass::Describe,
        ShowTables { .. }
        | ShowColumns { .. }
        | ShowDatabases { .. }
        | ShowSchemas { .. }
        | ShowCreate { .. }
        | ShowFunctions { .. }
        | ShowViews { .. }
        | ShowVariable { .. }
        | ShowCatalogs { .. } => StatementClass::Show,
        Insert(_) => StatementClass::Insert,
        CreateTable(ct) if ct.query.is_some() => StatementClass::Ctas,
        CreateTable(_)
        | CreateView { .. }
        | CreateDatabase { .. }
        | CreateSchema { .. }
        | AlterTable { .. }
        | AlterView { .. }
        | Drop { .. }
        | Msck { .. }
        | Truncate { .. }
        | CreateFunction(_)
        | RenameTable(_)
        | AlterSchema(_)
        | Vacuum(_)
        | OptimizeTable { .. } => StatementClass::Ddl,
        Delete(_) | Update { .. } | Merge { .. } => StatementClass::Dml,
        Prepare { .. } | Execute { .. } | Deallocate { .. } => StatementClass::Prepared,
        Unload { .. } => StatementClass::Unload,
        _ => StatementClass::Other,
    }
}

/// Whether `statement` is an EXPLAIN that only plans its statement: Athena's `EXPLAIN` and
/// `EXPLAIN (FORMAT ..., TYPE LOGICAL | DISTRIBUTED | VALIDATE | IO)` read table metadata from
/// the catalog and scan no data, so Athena does not charge for them ("Because EXPLAIN queries
/// do not scan any data, Athena does not charge for them", Athena's user guide, "Using EXPLAIN
/// and EXPLAIN ANALYZE in Athena"). `EXPLAIN ANALYZE` runs the statement, scanning what it
/// scans; so does any form Athena does not document (an option other than `FORMAT` or `TYPE`,
/// `EXPLAIN QUERY PLAN`, `EXPLAIN ESTIMATE`, `DESCRIBE <query>`): taken as running, they stay
/// under every rule that bounds a scan.
pub(crate) fn plans_only(statement: &Statement) -> bool {
    let Statement::Explain {
        describe_alias,
        analyze,
        query_plan,
        estimate,
        options,
        ..
    } = statement
    else {
        return false;
    };
    let documented = |o: &sqlparser::ast::UtilityOption| {
        o.name.value.eq_ignore_ascii_case("format") || o.name.value.eq_ignore_ascii_case("type")
    };
    matches!(describe_alias, sqlparser::ast::DescribeAlias::Explain)
        && !analyze
        && !query_plan
        && !estimate
        && options.iter().flatten().all(documented)
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "approx_distinct",
    "approx_percentile",
    "approx_set",
    "arbitrary",
    "any_value",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "checksum",
    "count_if",
    "geometric_mean",
    "max_by",
    "min_by",
    "histogram",
    "map_agg",
    "multimap_agg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "corr",
    "covar_pop",
    "covar_samp",
    "kurtosis",
    "skewness",
    "listagg",
    "string_agg",
];

pub(crate) fn analyse<'c>(
    statement: &Statement,
    catalog: &'c Catalog,
    default_database: Option<&str>,
    index: &LineIndex,
) -> Analysis<'c> {
    let mut r = Resolver::new(catalog, default_database.map(str::to_lowercase), index);
    let class = classify(statement);
    let span = statement.span();
    r.shape.statement_span = (span.start.line > 0).then(|| r.span(span));
    let mut use_database = None;
    r.statement(statement, &mut use_database);
    calls_anywhere(statement, &mut r);
    // A plan reads the catalog, not the table: nothing is scanned (see `plans_only`).
    r.shape.scans_nothing |= plans_only(statement);
    r.shape.explain_analyze = matches!(
        statement,
        Statement::Explain {
            analyze: true,
            describe_alias: sqlparser::ast::DescribeAlias::Explain,
            options: None,
            ..
        }
    );
    // A CTE read twice, once filtered and once not, reads its table unbounded.
    for (cte, instance, bound) in std::mem::take(&mut r.deferred) {
        if r.cte_uses.get(cte) == Some(&1) {
            if let Some(i) = r.instances.get_mut(instance) {
                i.constraints.push(bound);
            }
        }
    }
    // Athena inlines a CTE at every read: each read scans its tables again.
    let reads = if r.has_ctes {
        super::cte_reads::reads(statement, index)
    } else {
        Default::default()
    };
    r.shape.instance_reads = r
        .instances
        .iter()
        .map(|i| {
            reads
                .get(&(i.span.start.offset, i.span.end.offset))
                .copied()
                .unwrap_or(Some(1))
        })
        .collect();
    Analysis {
        class,
        reads: r.reads,
        unresolved: r.unresolved,
        instances: r.instances,
        writes: r.writes,
        shape: r.shape,
        use_database,
    }
}

impl<'c> Resolver<'c, '_> {
    fn statement_span(&self) -> Span {
        self.shape
            .statement_span
            .unwrap_or_else(|| self.index.whole())
    }

    fn statement(&mut self, statement: &Statement, use_database: &mut Option<String>) {
        match statement {
            Statement::Query(q) => {
                self.top_query(q);
            }
            Statement::Explain {
                statement: inner, ..
            } => self.statement(inner, use_database),
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    self.write(name);
                } else {
                    let span = self.statement_span();
                    self.unresolved(span, "INSERT INTO a table function is not supported");
                }
                if let Some(source) = &insert.source {
                    self.query(source, None);
                }
            }
            Statement::CreateTable(ct) => {
                self.write(&ct.name);
                if let Some(q) = &ct.query {
                    self.query(q, None);
                }
                match &ct.table_options {
                    CreateTableOptions::None => {}
                    CreateTableOptions::With(o)
                    | CreateTableOptions::Options(o)
                    | CreateTableOptions::Plain(o)
                    | CreateTableOptions::TableProperties(o) => self.options(o),
                }
                // `LOCATION` of CREATE EXTERNAL TABLE, and of a plain CREATE TABLE (Athena's
                // Iceberg DDL), which sqlparser keeps with the Hive formats.
                let hive = ct.hive_formats.as_ref();
                for location in ct
                    .location
                    .iter()
                    .chain(hive.and_then(|h| h.location.as_ref()))
                {
                    let span = self.span(ct.name.span());
                    self.shape.export_locations.push((location.clone(), span));
                }
                if let Some(serde) = hive.and_then(|h| h.serde_properties.as_ref()) {
                    self.options(serde);
                }
            }
            Statement::CreateView(v) => {
                self.write(&v.name);
                match &v.options {
                    CreateTableOptions::None => {}
                    CreateTableOptions::With(o)
                    | CreateTableOptions::Options(o)
                    | CreateTableOptions::Plain(o)
                    | CreateTableOptions::TableProperties(o) => self.options(o),
                }
                self.query(&v.query, None);
            }
            Statement::Unload {
                query,
                to,
                with,
                auth,
                options,
                ..
            } => {
                let span = self.span(to.span);
                self.shape.export_locations.push((to.value.clone(), span));
                self.options(with);
                if auth.is_some() || !options.is_empty() {
                    let span = self.statement_span();
                    self.unresolved(
                        span,
                        "IAM_ROLE and options after the destination are Redshift's UNLOAD, not Athena's: write UNLOAD (query) TO 's3://...' WITH (key = 'value', ...)",
                    );
                }
                match query {
                    Some(q) => {
                        self.query(q, None);
                    }
                    None => {
                        let span = self.statement_span();
                        self.unresolved(span, "UNLOAD without a query cannot be checked");
                    }
                }
            }
            Statement::Delete(d) => {
                let tables = match &d.from {
                    FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
                };
                if d.using.is_some() || tables.len() != 1 || !d.tables.is_empty() {
                    let span = self.statement_span();
                    self.unresolved(span, "only DELETE FROM one table [WHERE ...] is supported");
                    return;
                }
                let scope = self.dml_scope(&tables[0].relation);
                match &d.selection {
                    Some(w) => {
                        self.expr(w, &scope, Aliases::No);
                        if is_tautology(w) {
                            self.shape.unbounded_write = Some(self.span(w.span()));
                        }
                    }
                    None => self.shape.unbounded_write = Some(self.statement_span()),
                }
            }
            Statement::Update(u) => {
                if u.from.is_some() || !u.table.joins.is_empty() {
                    let span = self.statement_span();
                    self.unresolved(span, "only UPDATE of one table is supported");
                    return;
                }
                let scope = self.dml_scope(&u.table.relation);
                for a in &u.assignments {
                    self.expr(&a.value, &scope, Aliases::No);
                }
                match &u.selection {
                    Some(w) => {
                        self.expr(w, &scope, Aliases::No);
                        if is_tautology(w) {
                            self.shape.unbounded_write = Some(self.span(w.span()));
                        }
                    }
                    None => self.shape.unbounded_write = Some(self.statement_span()),
                }
            }
            Statement::Merge(m) => {
                let target = self.dml_rel(&m.table, 0);
                let id = self.new_scope_id();
                let source = match &m.source {
                    TableFactor::Derived {
                        subquery, alias, ..
                    } => {
                        let cols = self.query(subquery, None);
                        Some(Rel {
                            name: alias.as_ref().map(|a| a.name.value.to_lowercase()),
                            qualified: None,
                            columns: cols,
                            base: None,
                            from_item: 1,
                            via: None,
                        })
                    }
                    TableFactor::Table { name, alias, .. } => {
                        let span = self.span(name.span());
                        self.merge_source(
                            name,
                            alias.as_ref().map(|a| a.name.value.to_lowercase()),
                            span,
                        )
                    }
                    other => {
                        let span = self.span(other.span());
                        self.unresolved(span, "this MERGE source is not supported");
                        None
                    }
                };
                let rels: Vec<Rel<'c>> = target.into_iter().chain(source).collect();
                let scope = Scope {
                    id,
                    rels,
                    merged: Vec::new(),
                    parent: None,
                    aliases: Vec::new(),
                    outputs: Vec::new(),
                };
                self.expr(&m.on, &scope, Aliases::No);
                if is_tautology(&m.on) {
                    self.shape.unbounded_write = Some(self.span(m.on.span()));
                }
                for clause in &m.clauses {
                    let span = self.statement_span();
                    self.children(clause, false, span, &scope, Aliases::No);
                }
            }
            Statement::Drop {
                object_type: ObjectType::Table | ObjectType::View | ObjectType::MaterializedView,
                names,
                ..
            } => {
                for n in names {
                    self.write(n);
                }
            }
            // A whole database (CASCADE takes every table in it) or an object the rules do not
            // know: what it removes is not a table they can check.
            Statement::Drop { object_type, .. } => {
                let span = self.statement_span();
                self.unresolved(
                    span,
                    format!(
                        "DROP {object_type} is not a statement Warden's rules can check (what it removes is not a table they know): it is not allowed"
                    ),
                );
            }
            Statement::AlterTable(a) => {
                self.write(&a.name);
                // `ADD PARTITION (...) LOCATION '...'` (and `[SET] LOCATION`): where the
                // partition's or table's data is written from then on.
                if let Some(l) = &a.location {
                    // The parser gives this location no place of its own: the statement's.
                    let span = if l.location.span.start.line > 0 {
                        self.span(l.location.span)
                    } else {
                        self.statement_span()
                    };
                    self.shape
                        .export_locations
                        .push((l.location.value.clone(), span));
                }
                for op in &a.operations {
                    match op {
                        AlterTableOperation::SetTblProperties {
                            table_properties: o,
                        }
                        | AlterTableOperation::SetOptionsParens { options: o } => self.options(o),
                        _ => {}
                    }
                }
                // A table moved to another database is written there too.
                for op in &a.operations {
                    if let AlterTableOperation::RenameTable {
                        table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
                    } = op
                    {
                        self.write(n);
                    }
                }
            }
            Statement::AlterView { name, query, .. } => {
                self.write(name);
                self.query(query, None);
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    self.write(&r.old_name);
                    self.write(&r.new_name);
                }
            }
            // Iceberg maintenance: rewrites or expires the table's files.
            Statement::OptimizeTable { name, .. } => self.write(name),
            Statement::Vacuum(v) => match &v.table_name {
                Some(name) => self.write(name),
                None => {
                    let span = self.statement_span();
                    self.unresolved(span, "VACUUM needs a table: VACUUM db.table");
                }
            },
            Statement::Msck(m) => self.write(&m.table_name),
            Statement::Truncate(t) => {
                for n in &t.table_names {
                    self.write(&n.name);
                }
            }
            Statement::Prepare { .. } | Statement::Execute { .. } => {
                let span = self.statement_span();
                self.unresolved(
                    span,
                    "prepared statements cannot be checked (the text that would run is not here): run the query itself",
                );
            }
            Statement::ShowColumns { show_options, .. } => {
                match show_options
                    .show_in
                    .as_ref()
                    .and_then(|i| i.parent_name.as_ref())
                {
                    Some(name) => {
                        self.metadata(name);
                    }
                    None => {
                        let span = self.statement_span();
                        self.unresolved(
                            span,
                            "SHOW COLUMNS needs a table: SHOW COLUMNS IN db.table",
                        );
                    }
                }
            }
            Statement::ShowCreate { obj_name, .. } => {
                self.metadata(obj_name);
            }
            Statement::ExplainTable { table_name, .. } => {
                self.metadata(table_name);
            }
            Statement::ShowTables { .. }
            | Statement::ShowViews { .. }
            | Statement::ShowDatabases { .. }
            | Statement::ShowSchemas { .. }
            | Statement::ShowFunctions { .. }
            | Statement::ShowCatalogs { .. } => {}
            Statement::ShowVariable { .. }
            | Statement::ShowVariables { .. }
            | Statement::ShowStatus { .. }
            | Statement::ShowCollation { .. }
            | Statement::ShowCharset(_)
            | Statement::ShowProcessList { .. }
            | Statement::ShowObjects(_) => {
                let span = self.statement_span();
                self.unresolved(
                    span,
                    "this SHOW statement is not one Athena has, or not one Warden understands: it is not allowed",
                );
            }
            Statement::Use(Use::Database(name) | Use::Schema(name) | Use::Object(name)) => {
                if let Some(last) = name_parts(name).and_then(|parts| parts.last().cloned()) {
                    *use_database = Some(last);
                }
            }
            // Forgets a prepared statement: touches no data.
            Statement::Deallocate { .. } => {}
            // Everything else: what it reads or changes is not modelled, so no rule could see
            // it (a whole database's DDL, another engine's statements). Fail closed.
            other => {
                let span = self.statement_span();
                let words: Vec<String> = other
                    .to_string()
                    .split_whitespace()
                    .take(2)
                    .map(str::to_uppercase)
                    .collect();
                self.unresolved(
                    span,
                    format!(
                        "{} is not a statement Warden's rules can check (what it reads or changes is not known to them): it is not allowed",
                        words.join(" ")
                    ),
                );
            }
        }
    }

    /// The statement's own query: it is what LIMIT, ORDER BY and one-row rules look at.
    fn top_query(&mut self, q: &Query) {
        self.query(q, None);
        self.shape.limit = match &q.limit_clause {
            Some(LimitClause::LimitOffset { limit: Some(l), .. })
            | Some(LimitClause::OffsetCommaLimit { limit: l, .. }) => Some(literal_u64(l)),
            _ => match &q.fetch {
                Some(f) if f.with_ties || f.percent => {
                    self.shape.fetch_unbounded = true;
                    None
                }
                f => f
                    .as_ref()
                    .map(|f| f.quantity.as_ref().and_then(literal_u64)),
            },
        };
        if let Some(o) = &q.order_by {
            self.shape.top_order_by = Some(self.span(o.span()));
        }
        if let SetExpr::Select(s) = q.body.as_ref() {
            let grouped = match &s.group_by {
                GroupByExpr::Expressions(e, _) => !e.is_empty(),
                GroupByExpr::All(_) => true,
            };
            // Aggregates of this level without GROUP BY, or no FROM at all: one row.
            self.shape.one_row = !grouped
                && !s.projection.is_empty()
                && (s.from.is_empty()
                    || s.projection.iter().all(|item| match item {
                        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                            has_aggregate(e)
                        }
                        _ => false,
                    }));
        }
    }

    /// The options of CREATE TABLE, CTAS, UNLOAD and ALTER TABLE: `key = value` with a literal
    /// value, as Athena's are. A value that is not one (a function call, a column) is refused
    /// rather than walked: no rule looks inside options. A key naming a location or a path
    /// (`external_location`, `location`, `storage.location.template`, `write_data_path`), or a
    /// value naming a URL, is a destination `export_destination` judges.
    fn options(&mut self, options: &[SqlOption]) {
        for o in options {
            let SqlOption::KeyValue { key, value } = o else {
                let span = self.statement_span();
                self.unresolved(
                    span,
                    format!("the option {o} is not one Warden can check: write options as key = 'value'"),
                );
                continue;
            };
            let span = self.span(value.span());
            if !is_literal(value) {
                self.unresolved(
                    span,
                    format!(
                        "the value of option {key} is not a literal ({value}): write a literal ('text', a number, ARRAY['a', ...]), as Athena's options are"
                    ),
                );
                continue;
            }
            let text = literal_text(value);
            let k = key.value.to_lowercase();
            if k.contains("location") || k.contains("path") || text.contains("://") {
                self.shape.export_locations.push((text, span));
            }
        }
    }

    fn write(&mut self, name: &ObjectName) {
        let span = self.span(name.span());
        let parts = name_parts(name).unwrap_or_default();
        let qualified = match parts.as_slice() {
            [t] => match &self.default_database {
                Some(db) => format!("{db}.{t}"),
                None => t.clone(),
            },
            [c, db, t] if c == "awsdatacatalog" => format!("{db}.{t}"),
            _ => parts.join("."),
        };
        self.writes.push(Write {
            name: qualified,
            span,
        });
    }

    fn dml_rel(&mut self, factor: &TableFactor, item: usize) -> Option<Rel<'c>> {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                self.write(name);
                let span = self.span(name.span());
                let parts = name_parts(name).unwrap_or_default();
                let table = self.catalog_table(&parts, name, span)?;
                let instance = self.instances.len();
                self.instances.push(super::Instance {
                    table,
                    span,
                    constraints: Vec::new(),
                });
                Some(Rel {
                    name: Some(
                        alias
                            .as_ref()
                            .map(|a| a.name.value.to_lowercase())
                            .unwrap_or_else(|| table.name.clone()),
                    ),
                    qualified: alias.is_none().then(|| table.qualified_name()),
                    columns: table.columns.iter().map(|c| c.name.clone()).collect(),
                    base: Some((instance, table)),
                    from_item: item,
                    via: None,
                })
            }
            other => {
                let span = self.span(other.span());
                self.unresolved(span, "the target of a write must be a table");
                None
            }
        }
    }

    fn merge_source(
        &mut self,
        name: &ObjectName,
        alias: Option<String>,
        span: Span,
    ) -> Option<Rel<'c>> {
        let parts = name_parts(name).unwrap_or_default();
        let table = self.catalog_table(&parts, name, span)?;
        let instance = self.instances.len();
        self.instances.push(super::Instance {
            table,
            span,
            constraints: Vec::new(),
        });
        Some(Rel {
            qualified: alias.is_none().then(|| table.qualified_name()),
            name: Some(alias.unwrap_or_else(|| table.name.clone())),
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
            base: Some((instance, table)),
            from_item: 1,
            via: None,
        })
    }

    fn dml_scope<'s>(&mut self, factor: &TableFactor) -> Scope<'s, 'c> {
        let rel = self.dml_rel(factor, 0);
        Scope {
            id: self.new_scope_id(),
            rels: rel.into_iter().collect(),
            merged: Vec::new(),
            parent: None,
            aliases: Vec::new(),
            outputs: Vec::new(),
        }
    }
}

fn literal_u64(e: &Expr) -> Option<u64> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.to_string().parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// A value a table or UNLOAD option may take: a literal (a `?` too: its value is checked in
/// place before the statement runs), a signed number, or an ARRAY of them.
fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::UnaryOp { op, expr } => {
            matches!(op, UnaryOperator::Minus | UnaryOperator::Plus)
                && matches!(expr.as_ref(), Expr::Value(v) if matches!(v.value, Value::Number(..)))
        }
        Expr::Array(a) => a.elem.iter().all(is_literal),
        _ => false,
    }
}

fn literal_text(e: &Expr) -> String {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

/// Notes every function call in the statement that the resolver's walk did not reach (an
/// option's value, a column's default, a clause no rule reads), so that `blocked_functions`
/// sees a call wherever it is written.
fn calls_anywhere(statement: &Statement, r: &mut Resolver) {
    struct Calls<'a, 'b> {
        index: &'a LineIndex<'b>,
        seen: std::collections::HashSet<(usize, usize)>,
        found: Vec<(String, Span)>,
    }
    impl Visitor for Calls<'_, '_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Function(f) = e {
                let span = super::span_of(f.name.span(), self.index);
                if self.seen.insert((span.start.offset, span.end.offset)) {
                    let name: Vec<String> = f
                        .name
                        .0
                        .iter()
                        .filter_map(|p| p.as_ident())
                        .map(|i| i.value.to_lowercase())
                        .collect();
                    self.found.push((name.join("."), span));
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut calls = Calls {
        index: r.index,
        seen: r
            .shape
            .functions
            .iter()
            .map(|(_, s)| (s.start.offset, s.end.offset))
            .collect(),
        found: Vec::new(),
    };
    let _ = statement.visit(&mut calls);
    r.shape.functions.extend(calls.found);
}

/// Whether an expression calls an aggregate of this query level, outside any window (so the
/// query yields one row). An aggregate inside a subquery (`(SELECT count(*) FROM t)`, `IN
/// (SELECT max(x) ...)`, `EXISTS (...)`) aggregates that subquery's rows, not this level's,
/// and one inside a lambda is the lambda's business: neither makes this level one row.
fn has_aggregate(e: &Expr) -> bool {
    struct Finder {
        found: bool,
        /// Queries and lambdas entered below `e`: nothing inside them counts.
        nested: usize,
    }
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.nested += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.nested -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Lambda(_) => self.nested += 1,
                Expr::Function(f) if self.nested == 0 && f.over.is_none() => {
                    let name = f
                        .name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(|i| i.value.to_lowercase());
                    if name.is_some_and(|n| AGGREGATES.contains(&n.as_str())) {
                        self.found = true;
                        return ControlFlow::Break(());
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Lambda(_) = e {
                self.nested -= 1;
            }
            ControlFlow::Continue(())
        }
    }
    let mut f = Finder {
        found: false,
        nested: 0,
    };
    let _ = e.visit(&mut f);
    f.found
}
