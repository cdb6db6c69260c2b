//! What one statement does and reads.
//!
//! This is the walking skeleton's resolver: base tables, aliases, qualified and unqualified
//! columns, `*` and `t.*` over base tables. Whatever it cannot place is reported as
//! `unresolved`, so gaps fail closed.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, ObjectName, Query, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    Spanned, Statement, TableFactor, Visit, Visitor,
};

use crate::policy::{Catalog, Table};
use crate::report::StatementClass;
use crate::span::{LineIndex, Span};

/// A base-table column the statement reads, with where it is read.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub qualified: String,
    pub tags: BTreeSet<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Unresolved {
    pub message: String,
    pub span: Span,
}

pub(crate) struct Analysis {
    pub class: StatementClass,
    pub reads: Vec<Finding>,
    pub unresolved: Vec<Unresolved>,
}

pub(crate) fn classify(statement: &Statement) -> StatementClass {
    use Statement::*;
    match statement {
        Query(_) => StatementClass::Query,
        Explain { .. } => StatementClass::Explain,
        ExplainTable { .. } => StatementClass::Describe,
        ShowTables { .. } | ShowColumns { .. } | ShowDatabases { .. } | ShowSchemas { .. }
        | ShowCreate { .. } | ShowFunctions { .. } | ShowViews { .. } | ShowVariable { .. } => {
            StatementClass::Show
        }
        Insert(_) => StatementClass::Insert,
        CreateTable(ct) if ct.query.is_some() => StatementClass::Ctas,
        CreateTable(_) | CreateView { .. } | CreateDatabase { .. } | CreateSchema { .. }
        | AlterTable { .. } | AlterView { .. } | Drop { .. } | Msck { .. } | Truncate { .. } => {
            StatementClass::Ddl
        }
        Delete(_) | Update { .. } | Merge { .. } => StatementClass::Dml,
        Prepare { .. } | Execute { .. } | Deallocate { .. } => StatementClass::Prepared,
        Unload { .. } => StatementClass::Unload,
        _ => StatementClass::Other,
    }
}

struct Scope<'c> {
    tables: Vec<(String, &'c Table)>,
    names: BTreeSet<String>,
}

pub(crate) fn analyse(
    statement: &Statement,
    catalog: &Catalog,
    default_database: Option<&str>,
    index: &LineIndex,
) -> Analysis {
    let class = classify(statement);
    let mut unresolved = Vec::new();
    let mut reads = Vec::new();

    // Names that are not base tables: CTEs, derived-table aliases, column aliases, lambda
    // parameters. The skeleton resolver lets identifiers that match them through.
    let mut collector = NameCollector::default();
    let _ = statement.visit(&mut collector);

    let mut scope = Scope { tables: Vec::new(), names: collector.names };
    for (name, alias) in &collector.relations {
        let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.to_lowercase()).collect();
        if parts.len() == 1 && scope.names.contains(&parts[0]) {
            continue;
        }
        let (db, table) = match parts.as_slice() {
            [t] => match default_database {
                Some(db) => (db.to_lowercase(), t.clone()),
                None => {
                    unresolved.push(Unresolved {
                        message: format!("table {t} has no database: write database.{t} or choose a default database"),
                        span: span_of(name.span(), index),
                    });
                    continue;
                }
            },
            [db, t] => (db.clone(), t.clone()),
            [_, db, t] if parts[0] == "awsdatacatalog" => (db.clone(), t.clone()),
            _ => {
                unresolved.push(Unresolved {
                    message: format!("{name} is not a table this policy knows"),
                    span: span_of(name.span(), index),
                });
                continue;
            }
        };
        match catalog.table(&db, &table) {
            Some(t) => {
                scope.tables.push((table.clone(), t));
                scope.tables.push((format!("{db}.{table}"), t));
                if let Some(a) = alias {
                    scope.tables.push((a.clone(), t));
                }
            }
            None => unresolved.push(Unresolved {
                message: format!("table {db}.{table} is not in the policy's catalog"),
                span: span_of(name.span(), index),
            }),
        }
    }

    let mut refs = RefCollector { scope: &scope, index, reads: &mut reads, unresolved: &mut unresolved };
    let _ = statement.visit(&mut refs);
    Analysis { class, reads, unresolved }
}

fn span_of(span: sqlparser::tokenizer::Span, index: &LineIndex) -> Span {
    index.span(
        index.position(span.start.line, span.start.column),
        index.position(span.end.line, span.end.column),
    )
}

#[derive(Default)]
struct NameCollector {
    names: BTreeSet<String>,
    relations: Vec<(ObjectName, Option<String>)>,
}

impl Visitor for NameCollector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.names.insert(cte.alias.name.value.to_lowercase());
            }
        }
        if let SetExpr::Select(select) = query.body.as_ref() {
            for item in &select.projection {
                if let SelectItem::ExprWithAlias { alias, .. } = item {
                    self.names.insert(alias.value.to_lowercase());
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                self.relations.push((name.clone(), alias.as_ref().map(|a| a.name.value.to_lowercase())));
            }
            TableFactor::Derived { alias: Some(a), .. } | TableFactor::UNNEST { alias: Some(a), .. } => {
                self.names.insert(a.name.value.to_lowercase());
                for c in &a.columns {
                    self.names.insert(c.name.value.to_lowercase());
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Lambda(l) = expr {
            for p in l.params.iter() {
                self.names.insert(p.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }
}

struct RefCollector<'a, 'c> {
    scope: &'a Scope<'c>,
    index: &'a LineIndex<'a>,
    reads: &'a mut Vec<Finding>,
    unresolved: &'a mut Vec<Unresolved>,
}

impl<'a, 'c> RefCollector<'a, 'c> {
    fn read(&mut self, table: &Table, column: &str, span: Span) -> bool {
        match table.column(column) {
            Some(c) => {
                self.reads.push(Finding {
                    qualified: format!("{}.{}.{}", table.database, table.name, c.name),
                    tags: c.tags.clone(),
                    span,
                });
                true
            }
            None => false,
        }
    }

    fn distinct_tables(&self) -> Vec<&'c Table> {
        let mut seen = BTreeMap::new();
        for (_, t) in &self.scope.tables {
            seen.entry(format!("{}.{}", t.database, t.name)).or_insert(*t);
        }
        seen.into_values().collect()
    }

    fn identifier(&mut self, ident: &Ident) {
        let name = ident.value.to_lowercase();
        let span = span_of(ident.span, self.index);
        let owners: Vec<&Table> = self.distinct_tables().into_iter().filter(|t| t.column(&name).is_some()).collect();
        match owners.as_slice() {
            [one] => {
                self.read(one, &name, span);
            }
            [] if self.scope.names.contains(&name) => {}
            [] => self.unresolved.push(Unresolved {
                message: format!("column {} is not in any table of this query", ident.value),
                span,
            }),
            many => self.unresolved.push(Unresolved {
                message: format!(
                    "column {} is ambiguous: it is in {}; qualify it with a table name or alias",
                    ident.value,
                    many.iter().map(|t| format!("{}.{}", t.database, t.name)).collect::<Vec<_>>().join(" and ")
                ),
                span,
            }),
        }
    }

    fn compound(&mut self, parts: &[Ident]) {
        let Some((column, qualifier)) = parts.split_last() else { return };
        let key = qualifier.iter().map(|i| i.value.to_lowercase()).collect::<Vec<_>>().join(".");
        let span = span_of(column.span, self.index);
        let table = self.scope.tables.iter().find(|(k, _)| *k == key).map(|(_, t)| *t);
        match table {
            Some(t) => {
                if !self.read(t, &column.value.to_lowercase(), span) {
                    self.unresolved.push(Unresolved {
                        message: format!("{}.{} has no column {}", t.database, t.name, column.value),
                        span,
                    });
                }
            }
            None if qualifier.len() == 1 && self.scope.names.contains(&key) => {}
            None => self.unresolved.push(Unresolved {
                message: format!("{key} is not a table or alias of this query"),
                span: span_of(qualifier[0].span, self.index),
            }),
        }
    }

    fn wildcard(&mut self, tables: Vec<&'c Table>, span: Span) {
        for t in tables {
            for c in &t.columns {
                self.read(t, &c.name, span);
            }
        }
    }
}

impl Visitor for RefCollector<'_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_ref() {
            for item in &select.projection {
                match item {
                    SelectItem::Wildcard(_) => {
                        let span = span_of(item.span(), self.index);
                        let tables = self.distinct_tables();
                        self.wildcard(tables, span);
                    }
                    SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                        let key = name.to_string().to_lowercase();
                        let span = span_of(item.span(), self.index);
                        if let Some((_, t)) = self.scope.tables.iter().find(|(k, _)| *k == key) {
                            let t = *t;
                            self.wildcard(vec![t], span);
                        } else if !self.scope.names.contains(&key) {
                            self.unresolved.push(Unresolved {
                                message: format!("{key} is not a table or alias of this query"),
                                span,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(ident) => self.identifier(ident),
            Expr::CompoundIdentifier(parts) => self.compound(parts),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}
