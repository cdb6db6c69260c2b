//! Limits that keep the lint bounded in time and stack on hostile input.
//!
//! The parser's recursion limit stops deep parentheses, but a chain of infix operators
//! (`a + a + a ...`) is parsed in a loop into a tree as deep as the chain is long, and every
//! recursive walk over it, dropping it included, would follow. So operators are counted
//! before parsing, and nesting is measured (with a walk that stops at the limit) after.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, Statement, Visit, Visitor};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// More infix operators than this in one text are refused before parsing.
pub const MAX_OPERATORS: usize = 16_384;

/// Deeper nesting of expressions and queries than this is refused after parsing.
pub const MAX_NESTING: usize = 400;

/// More set operations (`UNION`, `INTERSECT`, `EXCEPT`) than this in one text are refused
/// before parsing: a chain of them is a tree as deep as it is long, for the parser and for the
/// engine that plans it.
pub const MAX_SET_OPERATIONS: usize = 256;

/// More common table expressions than this in one statement are refused after parsing: a
/// chain of CTEs, each reading the one before, plans as deep as it is long.
pub const MAX_CTES: usize = 128;

fn is_operator(t: &Token) -> bool {
    use Token::*;
    match t {
        Word(w) => matches!(
            w.keyword,
            Keyword::AND
                | Keyword::OR
                | Keyword::NOT
                | Keyword::IS
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::BETWEEN
                | Keyword::IN
                | Keyword::COLLATE
                | Keyword::AT
                | Keyword::SIMILAR
                | Keyword::REGEXP
                | Keyword::RLIKE
        ),
        EOF
        | Number(..)
        | Char(_)
        | SingleQuotedString(_)
        | DoubleQuotedString(_)
        | TripleSingleQuotedString(_)
        | TripleDoubleQuotedString(_)
        | DollarQuotedString(_)
        | SingleQuotedByteStringLiteral(_)
        | DoubleQuotedByteStringLiteral(_)
        | TripleSingleQuotedByteStringLiteral(_)
        | TripleDoubleQuotedByteStringLiteral(_)
        | SingleQuotedRawStringLiteral(_)
        | DoubleQuotedRawStringLiteral(_)
        | TripleSingleQuotedRawStringLiteral(_)
        | TripleDoubleQuotedRawStringLiteral(_)
        | NationalStringLiteral(_)
        | QuoteDelimitedStringLiteral(_)
        | NationalQuoteDelimitedStringLiteral(_)
        | EscapedStringLiteral(_)
        | UnicodeStringLiteral(_)
        | HexStringLiteral(_)
        | Comma
        | Whitespace(_)
        | LParen
        | RParen
        | Period
        | SemiColon
        | LBracket
        | RBracket
        | LBrace
        | RBrace
        | Colon
        | Placeholder(_) => false,
        _ => true,
    }
}

pub(crate) fn operator_count(tokens: &[TokenWithSpan]) -> usize {
    tokens.iter().filter(|t| is_operator(&t.token)).count()
}

pub(crate) fn set_operation_count(tokens: &[TokenWithSpan]) -> usize {
    tokens
        .iter()
        .filter(|t| match &t.token {
            Token::Word(w) => matches!(
                w.keyword,
                Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT | Keyword::MINUS
            ),
            _ => false,
        })
        .count()
}

/// How many CTEs the statement defines, at every level.
pub(crate) fn cte_count(statement: &Statement) -> usize {
    struct Count(usize);
    impl Visitor for Count {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            self.0 += q.with.as_ref().map_or(0, |w| w.cte_tables.len());
            ControlFlow::Continue(())
        }
    }
    let mut count = Count(0);
    let _ = statement.visit(&mut count);
    count.0
}

/// Whether expressions and queries nest deeper than `limit` anywhere in the statement.
pub(crate) fn nests_deeper_than(statement: &Statement, limit: usize) -> bool {
    struct Depth {
        now: usize,
        limit: usize,
    }
    impl Visitor for Depth {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.now += 1;
            if self.now > self.limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.now -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.now += 1;
            if self.now > self.limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.now -= 1;
            ControlFlow::Continue(())
        }
    }
    statement.visit(&mut Depth { now: 0, limit }).is_break()
}
