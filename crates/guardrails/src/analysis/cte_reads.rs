//! How many times a statement scans each table it names in FROM.
//!
//! Athena (Trino) does not materialise a `WITH` query: it inlines it at every reference, so a
//! CTE read three times scans its tables three times. A table named in a CTE's body is scanned
//! once per read of that CTE; a CTE read inside another CTE's body, once per read of that one
//! (the counts multiply), and so on out to the statement itself, which runs once.
//!
//! A CTE never read is counted as read once: Trino would not scan it, but an estimate may be too
//! high, never too low. A table inside a recursive CTE that reads itself is scanned once per
//! recursion step, how many is not known here: its count is `None`.
//!
//! This walks the statement's syntax tree with the same visibility as the resolver
//! (`query.rs`): a CTE is visible after its own definition (inside it too when the `WITH` is
//! `RECURSIVE`) until the end of the query that defines it, the innermost of a name first. The
//! result is keyed by the span of the table's name, which is also its `Instance`'s span.

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{Query, Spanned, Statement, TableFactor, Visit, Visitor};

use crate::span::LineIndex;

/// A table name's place in the text (byte offsets of its start and end).
pub(crate) type NameKey = (usize, usize);

/// For each table name in a FROM clause (by its place), how many times the statement scans it;
/// `None` when a recursive CTE scans it an unknown number of times.
pub(crate) fn reads(statement: &Statement, index: &LineIndex) -> HashMap<NameKey, Option<u64>> {
    let mut walk = Walk {
        index,
        frames: Vec::new(),
        context: Vec::new(),
        refs: Vec::new(),
        names: Vec::new(),
    };
    let _ = statement.visit(&mut walk);
    let mut memo = vec![State::Unknown; walk.refs.len()];
    let mut out: HashMap<NameKey, Option<u64>> = HashMap::new();
    for (key, context) in &walk.names {
        let n = times(*context, &walk.refs, &mut memo);
        // Two names at one place (a span the parser could not give): keep the larger count.
        let entry = out.entry(*key).or_insert(n);
        *entry = match (*entry, n) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    out
}

#[derive(Clone, Copy)]
enum State {
    Unknown,
    Visiting,
    Done(Option<u64>),
}

/// How many times a body runs: the statement's own once; CTE `id`'s once per read, at least
/// once; `None` when it reads itself (recursion).
fn times(context: Option<usize>, refs: &[Vec<Option<usize>>], memo: &mut [State]) -> Option<u64> {
    let Some(id) = context else {
        return Some(1);
    };
    match memo[id] {
        State::Done(n) => return n,
        State::Visiting => return None,
        State::Unknown => {}
    }
    memo[id] = State::Visiting;
    let mut total: Option<u64> = Some(0);
    for from in &refs[id] {
        total = match (total, times(*from, refs, memo)) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
    }
    let n = total.map(|t| t.max(1));
    memo[id] = State::Done(n);
    n
}

/// The CTEs one `WITH` defines.
struct Frame {
    /// The query the `WITH` belongs to.
    query: *const Query,
    recursive: bool,
    /// Name, body, id, in order of definition.
    ctes: Vec<(String, *const Query, usize)>,
    /// How many of them are visible at this point of the walk.
    visible: usize,
}

struct Walk<'a, 'b> {
    index: &'a LineIndex<'b>,
    frames: Vec<Frame>,
    /// The CTE bodies being walked, innermost last.
    context: Vec<usize>,
    /// For each CTE (by id), the body each of its reads is in (`None`: the statement's own).
    refs: Vec<Vec<Option<usize>>>,
    /// Every table name read, with the body it is in.
    names: Vec<(NameKey, Option<usize>)>,
}

impl Walk<'_, '_> {
    /// The CTE of the top frame whose body is `q`.
    fn body_of(&self, q: &Query) -> Option<usize> {
        let frame = self.frames.last()?;
        frame
            .ctes
            .iter()
            .position(|(_, body, _)| std::ptr::eq(*body, q))
    }
}

impl Visitor for Walk<'_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(k) = self.body_of(q) {
            if let Some(frame) = self.frames.last_mut() {
                self.context.push(frame.ctes[k].2);
                // WITH RECURSIVE: a CTE sees itself in its own body.
                if frame.recursive {
                    frame.visible = k + 1;
                }
            }
        }
        if let Some(with) = &q.with {
            let mut ctes = Vec::new();
            for cte in &with.cte_tables {
                ctes.push((
                    cte.alias.name.value.to_lowercase(),
                    &*cte.query as *const Query,
                    self.refs.len(),
                ));
                self.refs.push(Vec::new());
            }
            self.frames.push(Frame {
                query: q,
                recursive: with.recursive,
                ctes,
                visible: 0,
            });
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if self.frames.last().is_some_and(|f| std::ptr::eq(f.query, q)) {
            self.frames.pop();
        }
        if let Some(k) = self.body_of(q) {
            self.context.pop();
            if let Some(frame) = self.frames.last_mut() {
                // A CTE is visible after its definition.
                frame.visible = frame.visible.max(k + 1);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        let TableFactor::Table { name, .. } = factor else {
            return ControlFlow::Continue(());
        };
        let context = self.context.last().copied();
        if let [single] = name.0.as_slice() {
            if let Some(ident) = single.as_ident() {
                let wanted = ident.value.to_lowercase();
                let cte = self.frames.iter().rev().find_map(|f| {
                    f.ctes[..f.visible]
                        .iter()
                        .rev()
                        .find(|(n, _, _)| *n == wanted)
                        .map(|(_, _, id)| *id)
                });
                if let Some(id) = cte {
                    self.refs[id].push(context);
                    return ControlFlow::Continue(());
                }
            }
        }
        let span = super::span_of(name.span(), self.index);
        self.names
            .push(((span.start.offset, span.end.offset), context));
        ControlFlow::Continue(())
    }
}
