//! Query parameters: the `?` placeholders of a text and the values that fill them.
//!
//! Athena substitutes `ExecutionParameters` into the query text in order, so a value is SQL
//! text, not data. Each value is therefore held to exactly one literal, read with the same
//! tokenizer and lexical rules as the query, and the text with every value in place must read
//! as the template does with each `?` replaced by that literal's tokens: a value can never add
//! an operator, a comment or a second statement, nor join with the text around it (`x -?` with
//! `-1` would make a `--` comment).

use std::fmt;
use std::ops::ControlFlow;

use serde::Serialize;
use sqlparser::ast::{BinaryOperator, Expr, Statement, Value, Visit, Visitor};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::dialect::AthenaDialect;
use crate::lexical;
use crate::span::{LineIndex, Span};

/// The only parameter marker Athena knows.
pub(crate) const MARKER: &str = "?";

/// One `?` of a text, numbered from 1 in text order (the order values are given in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    pub number: usize,
    pub span: Span,
    /// The column the `?` is compared with (`dt = ?`, `? < amount`, `x IN (?, ?)`,
    /// `x BETWEEN ? AND ?`), as written, when there is one: a label for the value's input.
    pub column: Option<String>,
}

/// Why the values given for a text's placeholders cannot run with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParameterError {
    /// The parameter (from 1) the problem is with; `None` when it is about all of them.
    pub number: Option<usize>,
    pub message: String,
}

impl fmt::Display for ParameterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(n) => write!(f, "parameter {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParameterError {}

const LITERALS: &str = "a quoted string 'text' with '' for a quote, a number such as 42 or -1.5, DATE '2024-01-31', TIMESTAMP '2024-01-31 10:00:00', TIME '10:00', TRUE or FALSE";

/// The `?` tokens of a tokenized text, numbered in order, with the columns they are compared
/// with where the statements say.
pub(crate) fn placeholders(
    tokens: &[TokenWithSpan],
    statements: &[Statement],
    index: &LineIndex,
) -> Vec<Placeholder> {
    let columns = compared_columns(statements);
    tokens
        .iter()
        .filter(|t| matches!(&t.token, Token::Placeholder(p) if p == MARKER))
        .enumerate()
        .map(|(i, t)| {
            let at = (t.span.start.line, t.span.start.column);
            Placeholder {
                number: i + 1,
                span: index.span(
                    index.position(at.0, at.1),
                    index.position(t.span.end.line, t.span.end.column),
                ),
                column: columns
                    .iter()
                    .find(|(p, _)| *p == at)
                    .map(|(_, c)| c.clone()),
            }
        })
        .collect()
}

/// Placeholders other than `?` (`$1`, `?1`, `:name`), which Athena does not have: where each
/// is and how it is written. `$1` and `?1` are tokens (wherever they are); `:name` is made by
/// the parser from two tokens, so it is found in the statements. (`@name` is a name here.)
pub(crate) fn foreign_placeholders(
    tokens: &[TokenWithSpan],
    statements: &[Statement],
) -> Vec<(String, (u64, u64))> {
    let mut out: Vec<(String, (u64, u64))> = tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Placeholder(p) if p != MARKER => {
                Some((p.clone(), (t.span.start.line, t.span.start.column)))
            }
            _ => None,
        })
        .collect();
    for (p, at) in parsed_placeholders(statements) {
        if p.starts_with(':') && !out.iter().any(|(_, seen)| *seen == at) {
            out.push((p, at));
        }
    }
    out
}

/// Every placeholder the parser made, as written, with where it starts.
fn parsed_placeholders(statements: &[Statement]) -> Vec<(String, (u64, u64))> {
    struct Find(Vec<(String, (u64, u64))>);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Value(v) = e {
                if let Value::Placeholder(p) = &v.value {
                    if p != MARKER {
                        let at = v.span.start;
                        self.0.push((p.clone(), (at.line, at.column)));
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(Vec::new());
    for s in statements {
        let _ = s.visit(&mut find);
    }
    find.0
}

/// (line, column) of each `?` compared with a plain column, and that column as written.
fn compared_columns(statements: &[Statement]) -> Vec<((u64, u64), String)> {
    fn column(e: &Expr) -> Option<String> {
        match e {
            Expr::Nested(inner) => column(inner),
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => Some(e.to_string()),
            _ => None,
        }
    }
    fn marker(e: &Expr) -> Option<(u64, u64)> {
        match e {
            Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => marker(inner),
            Expr::Value(v) if matches!(&v.value, Value::Placeholder(p) if p == MARKER) => {
                Some((v.span.start.line, v.span.start.column))
            }
            _ => None,
        }
    }
    struct Find(Vec<((u64, u64), String)>);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            let mut pair = |col: &Expr, value: &Expr| {
                if let (Some(c), Some(at)) = (column(col), marker(value)) {
                    self.0.push((at, c));
                }
            };
            match e {
                Expr::BinaryOp { left, op, right }
                    if !matches!(op, BinaryOperator::And | BinaryOperator::Or) =>
                {
                    pair(left, right);
                    pair(right, left);
                }
                Expr::InList { expr, list, .. } => list.iter().for_each(|v| pair(expr, v)),
                Expr::Between {
                    expr, low, high, ..
                } => {
                    pair(expr, low);
                    pair(expr, high);
                }
                Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
                    pair(expr, pattern)
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(Vec::new());
    for s in statements {
        let _ = s.visit(&mut find);
    }
    find.0
}

fn tokenize(text: &str) -> Result<Vec<TokenWithSpan>, String> {
    Tokenizer::new(&AthenaDialect::new(), text)
        .tokenize_with_location()
        .map_err(|e| e.to_string())
}

fn is_blank(t: &Token) -> bool {
    matches!(
        t,
        Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab) | Token::EOF
    )
}

/// Checks that `value` is exactly one literal and returns it without surrounding blanks, as it
/// goes into the text.
pub fn check_value(number: usize, value: &str) -> Result<String, ParameterError> {
    let fail = |message: String| ParameterError {
        number: Some(number),
        message,
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(fail(format!(
            "there is no value; write one literal ({LITERALS})"
        )));
    }
    let tokens = tokenize(value).map_err(|e| {
        let e = e.split(" at Line:").next().unwrap_or(&e).to_string();
        if e.contains("Unterminated string") {
            fail(format!(
                "{value} opens a string it does not close: end it with ' (write '' for a quote inside it)"
            ))
        } else {
            fail(format!("{value} is not a literal ({e}); write one literal ({LITERALS})"))
        }
    })?;
    if let Err(problem) = lexical::check(&tokens) {
        let problem = problem.split("; Warden reads").next().unwrap_or(&problem);
        return Err(fail(format!(
            "{value} is not a literal Athena reads as Warden does: {problem}"
        )));
    }
    if tokens
        .iter()
        .any(|t| matches!(t.token, Token::Whitespace(_)) && !is_blank(&t.token))
    {
        return Err(fail(format!(
            "{value} holds a comment; a value is one literal ({LITERALS}) without comments"
        )));
    }
    let words: Vec<&Token> = tokens
        .iter()
        .map(|t| &t.token)
        .filter(|t| !is_blank(t))
        .collect();
    let typed = |w: &sqlparser::tokenizer::Word| {
        w.quote_style.is_none()
            && matches!(
                w.keyword,
                Keyword::DATE | Keyword::TIME | Keyword::TIMESTAMP
            )
    };
    let ok = match words.as_slice() {
        [Token::SingleQuotedString(_)] | [Token::HexStringLiteral(_)] => true,
        [Token::Number(_, false)] | [Token::Minus, Token::Number(_, false)] => true,
        [Token::Word(w)] if w.quote_style.is_none() => {
            match w.keyword {
                Keyword::TRUE | Keyword::FALSE => true,
                Keyword::NULL => {
                    return Err(fail(
                        "NULL is not a value a parameter takes: a comparison with NULL is never true; write IS NULL in the query instead".into(),
                    ))
                }
                _ => false,
            }
        }
        [Token::Word(w), Token::SingleQuotedString(_)] if typed(w) => true,
        [Token::Placeholder(_)] => {
            return Err(fail(format!("{value} is a placeholder, not a value; write one literal ({LITERALS})")))
        }
        _ => false,
    };
    if ok {
        return Ok(value.to_string());
    }
    let why = if words.len() > 1 {
        format!(
            "{value} is {} tokens, not one literal ({LITERALS}); quote text as '...'",
            words.len()
        )
    } else {
        format!("{value} is not a literal ({LITERALS}); quote text as '...'")
    };
    Err(fail(why))
}

/// The text with the checked `values` in place of its `?`s, in order: what Athena runs.
///
/// Fails when a value is not one literal, when there are not as many values as `?`s, or when
/// the substituted text does not read as the template with each `?` replaced by its value.
pub fn bind(template: &str, values: &[String]) -> Result<String, ParameterError> {
    let all = |message: String| ParameterError {
        number: None,
        message,
    };
    let tokens = tokenize(template).map_err(|e| {
        all(format!(
            "the query cannot be read ({e}), so no value can be put in it"
        ))
    })?;
    let markers: Vec<&TokenWithSpan> = tokens
        .iter()
        .filter(|t| matches!(&t.token, Token::Placeholder(p) if p == MARKER))
        .collect();
    if markers.len() != values.len() {
        let n = markers.len();
        let m = values.len();
        return Err(all(format!(
            "the query has {n} parameter{} (?) and {m} value{} given: give one value per ?, in order",
            if n == 1 { "" } else { "s" },
            if m == 1 { " was" } else { "s were" },
        )));
    }
    let values: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| check_value(i + 1, v))
        .collect::<Result<_, _>>()?;
    let index = LineIndex::new(template);
    let mut bound =
        String::with_capacity(template.len() + values.iter().map(String::len).sum::<usize>());
    let mut from = 0;
    for (t, value) in markers.iter().zip(&values) {
        let start = index
            .position(t.span.start.line, t.span.start.column)
            .offset;
        let end = index.position(t.span.end.line, t.span.end.column).offset;
        bound.push_str(&template[from..start]);
        bound.push_str(value);
        from = end;
    }
    bound.push_str(&template[from..]);

    // What the text must read as: the template's tokens, each `?` replaced by its value's.
    let mut expected = Vec::new();
    let mut next = values.iter();
    for t in &tokens {
        match &t.token {
            Token::Placeholder(p) if p == MARKER => {
                let value = next.next().map(String::as_str).unwrap_or_default();
                let value_tokens = tokenize(value).map_err(all)?;
                expected.extend(
                    value_tokens
                        .into_iter()
                        .map(|t| t.token)
                        .filter(|t| !is_blank(t)),
                );
            }
            other if !is_blank(other) => expected.push(other.clone()),
            _ => {}
        }
    }
    let read: Vec<Token> = tokenize(&bound)
        .map_err(|e| all(format!("the query with its values cannot be read ({e})")))?
        .into_iter()
        .map(|t| t.token)
        .filter(|t| !is_blank(t))
        .collect();
    if read != expected {
        return Err(all(
            "with the values in place the query reads differently around a ? (a value joins with the text next to it, as -1 after x - makes a -- comment): put a space on each side of the ?".into(),
        ));
    }
    Ok(bound)
}

#[cfg(test)]
mod tests;
