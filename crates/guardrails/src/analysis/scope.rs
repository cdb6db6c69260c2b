//! Relations visible at one point of a query, and how a column name finds its relation.

use crate::policy::Table;

/// One entry of a FROM clause: a base table, a CTE, a derived table, UNNEST or VALUES.
#[derive(Debug, Clone)]
pub(crate) struct Rel<'c> {
    /// The name the query uses for it: its alias, or the table's own name.
    pub name: Option<String>,
    /// For an unaliased base table, `database.table`, which may also qualify its columns.
    pub qualified: Option<String>,
    pub columns: Vec<String>,
    /// The base table and its instance number, when this is one.
    pub base: Option<(usize, &'c Table)>,
    /// Index of the top-level FROM item this relation belongs to (for comma-join analysis).
    pub from_item: usize,
    /// For a derived table or CTE that passes one base table's rows through unchanged.
    pub via: Option<Via>,
}

/// How the columns of a plain projection (`analysis/passthrough.rs`) map to one base table
/// instance, so that a bound on them is a bound on that table's rows.
#[derive(Debug, Clone)]
pub(crate) struct Via {
    pub instance: usize,
    /// For each output column, by position, the base column it carries unchanged.
    pub columns: Vec<Option<String>>,
    /// For a CTE, its number in `Resolver::cte_uses`: its bounds count only if it is used once.
    pub cte: Option<usize>,
}

impl Rel<'_> {
    /// The base instance and column behind visible column `name`, through a plain projection.
    pub(crate) fn through(&self, name: &str) -> Option<(usize, String, Option<usize>)> {
        let via = self.via.as_ref()?;
        // Two outputs of one name: which one the engine means is not ours to guess.
        if self.columns.iter().filter(|c| *c == name).count() != 1 {
            return None;
        }
        let i = self.columns.iter().position(|c| c == name)?;
        let base = via.columns.get(i)?.clone()?;
        Some((via.instance, base, via.cte))
    }

    pub(crate) fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }

    /// The base table's own name for a visible column (they differ under `AS t(a, b)`).
    pub(crate) fn base_column(&self, name: &str) -> Option<&str> {
        let (_, table) = self.base?;
        let i = self.columns.iter().position(|c| c == name)?;
        table.columns.get(i).map(|c| c.name.as_str())
    }

    pub(crate) fn display_name(&self) -> String {
        match (&self.qualified, &self.name, self.base) {
            (Some(q), _, _) => q.clone(),
            (None, Some(n), Some((_, t))) => format!("{n} ({})", t.qualified_name()),
            (None, Some(n), None) => n.clone(),
            (None, None, _) => "a subquery".to_string(),
        }
    }

    /// Whether `parts` (lowercase) name this relation: `alias`, `table`, `db.table`,
    /// `awsdatacatalog.db.table`.
    pub(crate) fn named_by(&self, parts: &[String]) -> bool {
        match parts {
            [one] => self.name.as_deref() == Some(one.as_str()),
            [db, t] => self.qualified.as_deref() == Some(format!("{db}.{t}").as_str()),
            [c, db, t] if c == "awsdatacatalog" => {
                self.qualified.as_deref() == Some(format!("{db}.{t}").as_str())
            }
            _ => false,
        }
    }
}

/// Where output aliases of the select list may stand in for columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aliases {
    /// WHERE, the select list, join conditions: never.
    No,
    /// GROUP BY and HAVING: when no column of that name exists, here or in an outer query.
    After,
    /// ORDER BY: before columns, as Trino resolves it.
    Before,
}

pub(crate) struct Scope<'s, 'c> {
    pub id: usize,
    pub rels: Vec<Rel<'c>>,
    /// Columns merged by `USING` or `NATURAL`: an unqualified reference reads every side.
    pub merged: Vec<String>,
    pub parent: Option<&'s Scope<'s, 'c>>,
    /// Explicit aliases of the select list (GROUP BY, HAVING).
    pub aliases: Vec<String>,
    /// Every output name of the select list, implicit ones included (ORDER BY).
    pub outputs: Vec<String>,
}

/// What an unqualified column name refers to.
pub(crate) enum Found<'s, 'c> {
    /// Relations (of one scope) that carry it, with that scope's id.
    Columns(usize, Vec<(usize, &'s Rel<'c>)>),
    Ambiguous(Vec<&'s Rel<'c>>),
    Alias,
    Nothing,
}

/// What a qualified name (`a.b`, `a.b.c`, ...) refers to.
pub(crate) enum Qualified<'s, 'c> {
    /// `names[..k]` names relation `index` of scope `scope`, and `names[k]` is its column
    /// (what follows are fields of that column's value).
    Column {
        scope: usize,
        index: usize,
        rel: &'s Rel<'c>,
        k: usize,
    },
    /// `names[0]` is a column (of the innermost scope that has one): the rest are its fields.
    Field,
    /// Nothing: `missing` is the innermost relation a prefix of `k` parts names, without the
    /// column that follows.
    Nothing {
        missing: Option<(&'s Rel<'c>, usize)>,
    },
}

impl<'s, 'c> Scope<'s, 'c> {
    pub(crate) fn find_column(&'s self, name: &str, aliases: Aliases) -> Found<'s, 'c> {
        if aliases == Aliases::Before && self.outputs.iter().any(|a| a == name) {
            return Found::Alias;
        }
        let mut scope = Some(self);
        while let Some(s) = scope {
            let hits: Vec<(usize, &Rel)> = s
                .rels
                .iter()
                .enumerate()
                .filter(|(_, r)| r.has_column(name))
                .collect();
            match hits.len() {
                0 => {}
                1 => return Found::Columns(s.id, hits),
                _ if s.merged.iter().any(|m| m == name) => return Found::Columns(s.id, hits),
                _ => return Found::Ambiguous(hits.into_iter().map(|(_, r)| r).collect()),
            }
            scope = s.parent;
        }
        // Only once no query, this one or an outer one, has a column of that name: Trino
        // resolves GROUP BY and HAVING against columns, outer ones included, and an alias
        // taken first would hide a read of the outer column (a correlated test on it).
        if aliases == Aliases::After && self.aliases.iter().any(|a| a == name) {
            return Found::Alias;
        }
        Found::Nothing
    }

    /// The base tables (`db.table`, lowercase) visible here, innermost scope first.
    pub(crate) fn base_tables(&'s self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut scope = Some(self);
        while let Some(s) = scope {
            for (_, table) in s.rels.iter().filter_map(|r| r.base) {
                let q = format!("{}.{}", table.database, table.name).to_lowercase();
                if !out.contains(&q) {
                    out.push(q);
                }
            }
            scope = s.parent;
        }
        out
    }

    /// What the qualified name `names` (lowercase, two parts or more) refers to, as Trino
    /// resolves it (`Scope.resolveField`): scope by scope, innermost first; in each, the
    /// longest prefix that names a relation of that scope having the next part as a column,
    /// else a column of that scope named by the first part (the rest are fields of its row);
    /// only then the enclosing query. An outer relation never hides an inner column.
    pub(crate) fn resolve(&'s self, names: &[String]) -> Qualified<'s, 'c> {
        let mut missing = None;
        let mut scope = Some(self);
        while let Some(s) = scope {
            for k in (1..names.len().min(4)).rev() {
                let Some((i, rel)) = s
                    .rels
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.named_by(&names[..k]))
                else {
                    continue;
                };
                if rel.has_column(&names[k]) {
                    return Qualified::Column {
                        scope: s.id,
                        index: i,
                        rel,
                        k,
                    };
                }
                missing.get_or_insert((rel, k));
            }
            if s.rels.iter().any(|r| r.has_column(&names[0])) {
                return Qualified::Field;
            }
            scope = s.parent;
        }
        Qualified::Nothing { missing }
    }

    /// The relation named by `parts`, innermost scope first, with its scope id and index.
    pub(crate) fn find_rel(&'s self, parts: &[String]) -> Option<(usize, usize, &'s Rel<'c>)> {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some((i, r)) = s.rels.iter().enumerate().find(|(_, r)| r.named_by(parts)) {
                return Some((s.id, i, r));
            }
            scope = s.parent;
        }
        None
    }
}
