//! Warden's lexing against a reference lexer written from Trino's `SqlBase.g4` lexer rules
//! (`STRING`, `UNICODE_STRING`, `BINARY_LITERAL`, `QUOTED_IDENTIFIER`,
//! `BACKQUOTED_IDENTIFIER`, `SIMPLE_COMMENT`, `BRACKETED_COMMENT`, `IDENTIFIER`, the number
//! rules and `UNRECOGNIZED`), matched on an upper-cased copy of the text as Trino does.

use proptest::prelude::*;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use crate::dialect::AthenaDialect;

/// The byte ranges that are not code: comments whole, quoted text from its opening quote to
/// its closing quote.
#[derive(Debug, Default, PartialEq)]
struct Opaque {
    comments: Vec<(usize, usize)>,
    quoted: Vec<(usize, usize)>,
}

/// Trino's lexer, reduced to what decides where code is. `None` when it would emit
/// `UNRECOGNIZED` (Athena refuses such a text, so it cannot hide anything).
fn trino(text: &str) -> Option<Opaque> {
    let up = text.to_ascii_uppercase();
    let b = up.as_bytes();
    let mut out = Opaque::default();
    let mut i = 0;
    let letter = |c: u8| c.is_ascii_uppercase();
    let digit = |c: u8| c.is_ascii_digit();
    // `open ( ~q | q q )* q` from `from` (the opening quote); the index after the close.
    let quoted = |from: usize, q: u8, doubled: bool| -> Option<usize> {
        let mut j = from + 1;
        while j < b.len() {
            if b[j] == q {
                if doubled && b.get(j + 1) == Some(&q) {
                    j += 2;
                    continue;
                }
                return Some(j + 1);
            }
            j += 1;
        }
        None
    };
    while i < b.len() {
        let c = b[i];
        let rest = &b[i..];
        if rest.starts_with(b"--") {
            let mut j = i + 2;
            while j < b.len() && b[j] != b'\r' && b[j] != b'\n' {
                j += 1;
            }
            if b.get(j) == Some(&b'\r') {
                j += 1;
            }
            if b.get(j) == Some(&b'\n') {
                j += 1;
            }
            out.comments.push((i, j));
            i = j;
        } else if rest.starts_with(b"/*") {
            match up[i + 2..].find("*/") {
                Some(k) => {
                    let end = i + 2 + k + 2;
                    out.comments.push((i, end));
                    i = end;
                }
                None => i += 1, // SLASH; the `*` follows as ASTERISK
            }
        } else if rest.starts_with(b"U&'") && quoted(i + 2, b'\'', true).is_some() {
            let end = quoted(i + 2, b'\'', true)?;
            out.quoted.push((i + 2, end));
            i = end;
        } else if rest.starts_with(b"X'") && up[i + 2..].contains('\'') {
            let end = i + 2 + up[i + 2..].find('\'')? + 1;
            out.quoted.push((i + 1, end));
            i = end;
        } else if c == b'\'' || c == b'"' || c == b'`' {
            let end = quoted(i, c, true)?;
            out.quoted.push((i, end));
            i = end;
        } else if letter(c) || c == b'_' {
            while i < b.len() && (letter(b[i]) || digit(b[i]) || b[i] == b'_') {
                i += 1;
            }
        } else if digit(c) || (c == b'.' && b.get(i + 1).copied().is_some_and(digit)) {
            // DIGIT_IDENTIFIER against the number rules: the longer match wins.
            let mut ident = i;
            while ident < b.len() && (letter(b[ident]) || digit(b[ident]) || b[ident] == b'_') {
                ident += 1;
            }
            let mut num = i;
            let digits = |mut j: usize| {
                while j < b.len()
                    && (digit(b[j]) || (b[j] == b'_' && j + 1 < b.len() && digit(b[j + 1])))
                {
                    j += 1;
                }
                j
            };
            num = digits(num);
            if b.get(num) == Some(&b'.') {
                num = digits(num + 1);
            }
            if b.get(num) == Some(&b'E') {
                let mut j = num + 1;
                if matches!(b.get(j), Some(b'+') | Some(b'-')) {
                    j += 1;
                }
                if b.get(j).copied().is_some_and(digit) {
                    num = digits(j);
                }
            }
            i = ident.max(num).max(i + 1);
        } else if b" \t\r\n=<>!+-*/%|?;,()[].:".contains(&c) {
            // WS and the operators and punctuation: one token, no text hidden.
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// Warden's reading: `None` when it refuses the text (a tokenizer error or `lexical::check`).
fn warden(text: &str) -> Option<Opaque> {
    let tokens = Tokenizer::new(&AthenaDialect::new(), text)
        .tokenize_with_location()
        .ok()?;
    super::check(&tokens).ok()?;
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |l: sqlparser::tokenizer::Location| {
        let line = starts[(l.line - 1) as usize];
        line + text[line..]
            .char_indices()
            .nth((l.column - 1) as usize)
            .map_or(text.len() - line, |(i, _)| i)
    };
    let mut out = Opaque::default();
    for t in &tokens {
        let (start, end) = (offset(t.span.start), offset(t.span.end));
        match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { .. })
            | Token::Whitespace(Whitespace::MultiLineComment(_)) => out.comments.push((start, end)),
            Token::SingleQuotedString(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_) => {
                // `0x1F` is a hex literal without quotes: a number to Trino too.
                if let Some(quote) = text[start..end].find('\'') {
                    out.quoted.push((start + quote, end));
                }
            }
            Token::Word(w) if w.quote_style.is_some() => out.quoted.push((start, end)),
            _ => {}
        }
    }
    Some(out)
}

/// Whether both lexers accepted the text (and then agreed).
fn agree(text: &str) -> bool {
    if let (Some(athena), Some(ours)) = (trino(text), warden(text)) {
        assert_eq!(athena, ours, "{text:?} lexes differently");
        return true;
    }
    false
}

#[test]
fn block_comments_end_at_the_first_close() {
    let text = "SELECT a /* /* */ , b -- */\nFROM t";
    let ours = warden(text).expect("accepted");
    assert_eq!(ours.comments, vec![(9, 17), (22, 28)]);
    assert!(agree(text));
}

#[test]
fn a_line_comment_ends_at_a_carriage_return() {
    assert!(warden("SELECT a --x\r, b\nFROM t").is_none());
    assert!(warden("SELECT a --x\r\nFROM t").is_some());
    assert!(warden("SELECT a --x\rFROM t").is_none());
    assert!(agree("SELECT a --x\r\nFROM t"));
}

#[test]
fn a_line_comment_at_the_end_of_the_input() {
    assert!(agree("SELECT a --"));
    assert!(agree("SELECT a -- x"));
    assert!(agree("SELECT a --\r"));
}

#[test]
fn strings_have_no_backslash_escapes() {
    assert!(agree(r"SELECT 'a\' , b, '' FROM t"));
    assert!(agree("SELECT 'it''s' FROM t"));
    assert!(warden(r"SELECT e'a\' , b, ' FROM t").is_none());
}

#[test]
fn binary_and_unicode_literals_end_at_their_quote() {
    assert!(warden("SELECT X'ab'' , b, '' FROM t").is_none());
    assert!(agree("SELECT X'ab', U&'a''b' FROM t"));
    assert!(agree(r"SELECT U&'\0041' FROM t"));
}

#[test]
fn quoted_identifiers_double_their_quote() {
    assert!(agree(r#"SELECT "a""b", "c\" FROM t"#));
    assert!(agree("SELECT `a``b` FROM t"));
}

#[test]
fn q_before_a_string_is_a_name_as_in_trino() {
    assert!(agree("SELECT q'[ , b, ]' FROM t"));
}

#[test]
fn literals_athena_does_not_have_are_refused() {
    for text in [
        "SELECT N'a' FROM t",
        "SELECT b'a' FROM t",
        "SELECT r'a\\' FROM t",
        "SELECT $$a$$ FROM t",
        "SELECT a //* x */ b FROM t",
    ] {
        assert!(warden(text).is_none(), "{text}");
    }
}

const PIECES: &[&str] = &[
    "/*", "*/", "--", "'", "''", "\"", "`", "\\", "\r", "\n", "\r\n", " ", "a", "x", "X", "u&",
    "U&", "e", "E", "1", "1.5", ".", "ssn", ",", "*", "/", "-", "$", "#", "q", "[", "]", "N", "b",
    "r", "é", ";", "(", ")", "0x",
];

/// The property below compares something: many of its texts are accepted by both lexers.
#[test]
fn the_comparison_is_not_vacuous() {
    let mut seed: u64 = 7;
    let mut compared = 0;
    for _ in 0..2000 {
        let mut text = String::new();
        for _ in 0..(seed % 12 + 1) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
        }
        if agree(&text) {
            compared += 1;
        }
    }
    assert!(
        compared > 200,
        "only {compared} of 2000 texts were compared"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Where Athena would run the text, Warden either refuses it or sees exactly the comments
    /// and quoted text Athena sees.
    #[test]
    fn warden_lexes_comments_strings_and_identifiers_as_trino(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 1..40)
    ) {
        agree(&pieces.concat());
    }
}
