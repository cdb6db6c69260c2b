//! Athena runs DML through Trino's lexer (`SqlBase.g4`): a `/* */` comment ends at the first
//! `*/` (comments do not nest), a `--` comment ends at the first carriage return or line feed,
//! strings are `'...'` with `''` for a quote and no backslash escapes, `U&'...'` and `X'...'`
//! end at their quote, and quoted identifiers are `"..."` with `""`. sqlparser's generic
//! dialect reads some texts otherwise; where it would, the text is refused, because a rule
//! that reads a comment where Athena reads code checks the wrong query.

use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Whitespace};

/// The first token Athena would lex differently, with why and what to write instead, as
/// sqlparser formats errors ("... at Line: L, Column: C").
pub(crate) fn check(tokens: &[TokenWithSpan]) -> Result<(), String> {
    for t in tokens {
        if let Some(problem) = problem(&t.token) {
            let Location { line, column } = t.span.start;
            return Err(format!(
                "{problem}; Warden reads it differently from Athena and cannot check it at Line: {line}, Column: {column}"
            ));
        }
    }
    Ok(())
}

fn problem(token: &Token) -> Option<&'static str> {
    Some(match token {
        Token::Whitespace(Whitespace::SingleLineComment { comment, prefix }) => {
            if prefix != "--" {
                return Some("Athena has no comments that start with # or //: use -- or /* */");
            }
            let body = comment.strip_suffix('\n').unwrap_or(comment);
            let body = body.strip_suffix('\r').unwrap_or(body);
            if !body.contains('\r') {
                return None;
            }
            "a -- comment ends at a carriage return in Athena, and the text goes on after one: end the line with a line feed"
        }
        Token::HexStringLiteral(value) if value.contains('\'') => {
            "an X'...' literal ends at its first quote in Athena: write only hex digits in it"
        }
        Token::EscapedStringLiteral(_) => {
            "Athena has no E'...' strings (backslashes are plain characters): write '...'"
        }
        Token::NationalStringLiteral(_) | Token::NationalQuoteDelimitedStringLiteral(_) => {
            "Athena has no N'...' strings: write '...'"
        }
        Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::TripleSingleQuotedByteStringLiteral(_)
        | Token::TripleDoubleQuotedByteStringLiteral(_) => {
            "Athena has no B'...' strings: write X'...' for binary data"
        }
        Token::SingleQuotedRawStringLiteral(_)
        | Token::DoubleQuotedRawStringLiteral(_)
        | Token::TripleSingleQuotedRawStringLiteral(_)
        | Token::TripleDoubleQuotedRawStringLiteral(_) => {
            "Athena has no R'...' strings: write '...'"
        }
        Token::TripleSingleQuotedString(_) | Token::TripleDoubleQuotedString(_) => {
            "Athena has no triple-quoted strings: write '...' with '' for a quote"
        }
        Token::DoubleQuotedString(_) => "Athena quotes strings with ' only: write '...'",
        Token::DollarQuotedString(_) => "Athena has no $$...$$ strings: write '...'",
        Token::QuoteDelimitedStringLiteral(_) => "Athena has no Q'[...]' strings: write '...'",
        Token::DuckIntDiv => "Athena has no // operator: write / (or a /* */ comment)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
