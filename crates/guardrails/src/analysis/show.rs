//! The SHOW forms sqlparser does not parse into a structure (it keeps their words and drops
//! every other token): Athena's `SHOW STATS FOR <table>`, `SHOW STATS FOR (<query>)`,
//! `SHOW PARTITIONS <table>` and `SHOW TBLPROPERTIES <table> [('<name>')]`. They are parsed
//! here from the statement's tokens; any other such SHOW is not understood, so not allowed.

use sqlparser::ast::{ObjectName, Query};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::query::name_parts;
use super::{Analysis, Resolver};
use crate::dialect::AthenaDialect;
use crate::policy::Catalog;
use crate::report::StatementClass;
use crate::span::{LineIndex, Span};

pub(crate) enum ShowForm {
    /// Distinct counts, null fractions and min/max of every column the query returns.
    StatsQuery(Box<Query>),
    /// The same for every column of the table.
    StatsTable(ObjectName),
    /// Metadata of the table (partition values, properties), not its rows.
    Table(ObjectName),
}

const KNOWN: &str = "Athena's SHOW statements Warden checks are SHOW COLUMNS, SHOW CREATE TABLE|VIEW, SHOW DATABASES|SCHEMAS, SHOW TABLES, SHOW VIEWS, SHOW FUNCTIONS, SHOW PARTITIONS, SHOW TBLPROPERTIES and SHOW STATS FOR";

/// The tokens for sqlparser's own pass over the text, with every `=` inside `SHOW STATS`
/// statements left out: sqlparser reads such a statement as a list of words that ends at the
/// first `=`, so `SHOW STATS FOR (SELECT ... WHERE dt = '...')` would fail there. Its words are
/// dropped anyway; `parse` reads the statement from its own, whole tokens.
pub(crate) fn for_sqlparser(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word = |t: &TokenWithSpan, k: Keyword| matches!(&t.token, Token::Word(w) if w.keyword == k);
    let mut out = Vec::with_capacity(tokens.len());
    // Where the current statement stands: no token yet, after SHOW, inside SHOW STATS, other.
    let mut state = 0u8;
    for t in tokens {
        match (&t.token, state) {
            (Token::Whitespace(_), _) => {}
            (Token::SemiColon, _) => state = 0,
            (_, 0) if word(&t, Keyword::SHOW) => state = 1,
            (Token::Word(w), 1) if w.value.eq_ignore_ascii_case("STATS") => state = 2,
            (Token::Eq, 2) => continue,
            (_, 2) => {}
            _ => state = 3,
        }
        out.push(t);
    }
    out
}

/// Parses one statement's tokens (without its `;`).
pub(crate) fn parse(tokens: Vec<TokenWithSpan>, depth: usize) -> Result<ShowForm, String> {
    let dialect = AthenaDialect::new();
    let mut p = Parser::new(&dialect)
        .with_recursion_limit(depth)
        .with_tokens_with_locations(tokens);
    let e = |e: sqlparser::parser::ParserError| e.to_string();
    p.expect_keyword(Keyword::SHOW).map_err(e)?;
    let word = match p.next_token().token {
        Token::Word(w) => w.value.to_uppercase(),
        other => {
            return Err(format!(
                "SHOW {other} is not a statement Athena has; {KNOWN}"
            ))
        }
    };
    let form = match word.as_str() {
        "STATS" => {
            p.expect_keyword(Keyword::FOR).map_err(e)?;
            if p.consume_token(&Token::LParen) {
                let q = p.parse_query().map_err(e)?;
                p.expect_token(&Token::RParen).map_err(e)?;
                ShowForm::StatsQuery(q)
            } else {
                ShowForm::StatsTable(p.parse_object_name(false).map_err(e)?)
            }
        }
        "PARTITIONS" => ShowForm::Table(p.parse_object_name(false).map_err(e)?),
        "TBLPROPERTIES" => {
            let name = p.parse_object_name(false).map_err(e)?;
            if p.consume_token(&Token::LParen) {
                p.parse_literal_string().map_err(e)?;
                p.expect_token(&Token::RParen).map_err(e)?;
            }
            ShowForm::Table(name)
        }
        other => {
            return Err(format!(
                "SHOW {other} is not a statement Warden understands; {KNOWN}"
            ))
        }
    };
    match p.next_token().token {
        Token::EOF => Ok(form),
        other => Err(format!("unexpected {other} after the SHOW statement")),
    }
}

pub(crate) fn analyse<'c>(
    form: &ShowForm,
    catalog: &'c Catalog,
    default_database: Option<&str>,
    index: &LineIndex,
    span: Span,
) -> Analysis<'c> {
    let mut r = Resolver::new(catalog, default_database.map(str::to_lowercase), index);
    r.shape.statement_span = Some(span);
    // Athena (Trino) answers SHOW STATS from the statistics the catalog keeps (row counts,
    // distinct counts, nulls, min/max), estimated through the query's plan for the query form;
    // no partition is read. The values still come from every row of the table.
    r.shape.scans_nothing = matches!(form, ShowForm::StatsQuery(_) | ShowForm::StatsTable(_));
    match form {
        ShowForm::StatsQuery(q) => {
            r.query(q, None);
        }
        ShowForm::StatsTable(name) => {
            if let Some((table, at)) = r.metadata(name) {
                for c in &table.columns {
                    r.read(table, &c.name, at);
                }
                // An unbounded read of the table, for the rules that scope rows.
                r.instances.push(super::Instance {
                    table,
                    span: at,
                    constraints: Vec::new(),
                });
            }
        }
        ShowForm::Table(name) => {
            r.metadata(name);
        }
    }
    Analysis {
        class: StatementClass::Show,
        reads: r.reads,
        unresolved: r.unresolved,
        instances: r.instances,
        writes: r.writes,
        shape: r.shape,
        use_database: None,
    }
}

impl<'c> Resolver<'c, '_> {
    /// A table a SHOW or DESCRIBE names: it must be in the catalog, and the object allow list
    /// sees it.
    pub(crate) fn metadata(
        &mut self,
        name: &ObjectName,
    ) -> Option<(&'c crate::policy::Table, Span)> {
        use sqlparser::ast::Spanned;
        let span = self.span(name.span());
        let parts = name_parts(name).unwrap_or_default();
        let table = self.catalog_table(&parts, name, span)?;
        self.shape
            .metadata_objects
            .push((table.qualified_name(), span));
        Some((table, span))
    }
}
