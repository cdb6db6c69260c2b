//! What crosses the pipes between the app and `warden-demo-engine serve`.
//!
//! The app writes one [`Request`] per line, as JSON, and waits for its answer before the next.
//! The engine answers with [`Reply::Error`] if the statement cannot be planned, and otherwise
//! with [`Reply::Stream`], an Arrow IPC stream (the schema, the batches as the plan yields
//! them, the end-of-stream marker) and a last line, [`Reply::Done`] or [`Reply::Error`] for a
//! run that failed after its first rows.

use std::io::{BufRead, Read};

use serde::{Deserialize, Serialize};
use warden_guardrails::sqlparser::ast::Statement;
use warden_guardrails::sqlparser::parser::Parser;
use warden_guardrails::{AthenaDialect, MAX_PARSE_DEPTH};

/// A line longer than this is not a request or an answer (a statement is at most
/// `warden_guardrails::MAX_QUERY_BYTES`; an error message a line of text).
pub const MAX_LINE_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Plan and run one statement, given as [`statement_text`] wrote it.
    Run {
        statement: String,
        default_database: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// An Arrow IPC stream follows, then [`Reply::Done`] or [`Reply::Error`].
    Stream,
    Done {
        bytes_scanned: u64,
    },
    Error {
        message: String,
    },
}

/// Parses `text` as the engine does: Athena's dialect, the guardrails' depth limit, exactly
/// one statement.
pub fn parse_statement(text: &str) -> Result<Statement, String> {
    let mut statements = Parser::new(&AthenaDialect::new())
        .with_recursion_limit(MAX_PARSE_DEPTH)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| e.to_string())?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(format!(
            "the engine runs one statement at a time, and this text has {n}"
        )),
    }
}

/// The text the engine is given for `statement`: its SQL, once checked to parse back into the
/// very same statement, so the engine plans exactly what the guardrails judged and nothing a
/// second reading of the text might make of it.
pub fn statement_text(statement: &Statement) -> Result<String, String> {
    let text = statement.to_string();
    match parse_statement(&text) {
        Ok(back) if back == *statement => Ok(text),
        _ => Err("Warden cannot hand this statement to the demo engine unchanged (written out as SQL it reads back as another statement); write it another way".into()),
    }
}

/// One line of JSON, without its newline.
pub fn to_line<T: Serialize>(message: &T) -> String {
    // Serialising these enums of strings and numbers cannot fail; a failure would be a bug,
    // and an empty object is then refused by the reader rather than taken for an answer.
    serde_json::to_string(message).unwrap_or_else(|_| "{}".into())
}

/// Reads one line of JSON from `input`: `None` at the end of the input, an error for a line
/// that is too long or not a `T`.
pub fn read_line<T: for<'de> Deserialize<'de>>(
    input: &mut impl BufRead,
) -> Result<Option<T>, String> {
    let mut line = String::new();
    let read = input
        .by_ref()
        .take(MAX_LINE_BYTES)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if read == 0 {
        return Ok(None);
    }
    if !line.ends_with('\n') && read as u64 == MAX_LINE_BYTES {
        return Err(format!("a line longer than {MAX_LINE_BYTES} bytes"));
    }
    serde_json::from_str(line.trim_end())
        .map(Some)
        .map_err(|e| format!("{e} in {:?}", truncate(&line, 200)))
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_handed_over_as_text_that_reads_back_the_same() {
        let sql = "SELECT c.country, count(*) AS n FROM sales.customers AS c WHERE c.signup_date >= DATE '2024-01-01' GROUP BY 1 ORDER BY 2 DESC LIMIT 10";
        let statement = parse_statement(sql).unwrap();
        let text = statement_text(&statement).unwrap();
        assert_eq!(parse_statement(&text).unwrap(), statement);
    }

    #[test]
    fn a_statement_whose_text_reads_back_otherwise_is_refused() {
        use warden_guardrails::sqlparser::ast::{Expr, SelectItem, SetExpr};
        // An identifier holding a space but marked unquoted prints as `a b`, which reads back
        // as column `a` under the alias `b`: not the statement that was checked.
        let mut statement = parse_statement("SELECT a FROM t").unwrap();
        let Statement::Query(query) = &mut statement else {
            panic!("a query")
        };
        let SetExpr::Select(select) = query.body.as_mut() else {
            panic!("a select")
        };
        let SelectItem::UnnamedExpr(Expr::Identifier(ident)) = &mut select.projection[0] else {
            panic!("a column")
        };
        ident.value = "a b".into();
        let e = statement_text(&statement).unwrap_err();
        assert!(e.contains("unchanged"), "{e}");
    }

    #[test]
    fn a_text_of_two_statements_is_refused() {
        let e = parse_statement("SELECT 1; SELECT 2").unwrap_err();
        assert!(e.contains("has 2"), "{e}");
    }

    #[test]
    fn replies_cross_a_line_each() {
        let replies = [
            Reply::Stream,
            Reply::Done { bytes_scanned: 7 },
            Reply::Error {
                message: "a\nb".into(),
            },
        ];
        let text: String = replies.iter().map(|r| to_line(r) + "\n").collect();
        let mut input = std::io::Cursor::new(text);
        for want in &replies {
            assert_eq!(read_line::<Reply>(&mut input).unwrap().as_ref(), Some(want));
        }
        assert_eq!(read_line::<Reply>(&mut input).unwrap(), None);
    }

    #[test]
    fn a_line_that_is_not_a_reply_is_an_error() {
        let mut input = std::io::Cursor::new("{\"Nope\":1}\n");
        let e = read_line::<Reply>(&mut input).unwrap_err();
        assert!(e.contains("Nope"), "{e}");
    }
}
