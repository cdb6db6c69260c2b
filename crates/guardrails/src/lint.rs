use std::collections::BTreeSet;

use sqlparser::ast::Statement;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::bounds::{
    cte_count, nests_deeper_than, operator_count, set_operation_count, MAX_CTES, MAX_NESTING,
    MAX_OPERATORS, MAX_SET_OPERATIONS,
};
use crate::lexical;
use crate::params::foreign_placeholders;

use crate::analysis::{analyse, analyse_show, parse_show, show_for_sqlparser as for_sqlparser};
use crate::dialect::AthenaDialect;
use crate::policy::Policy;
use crate::report::{Diagnostic, Report, Severity};
use crate::rules::{apply_rules, single_statement, StatementContext};
use crate::scan::{ScanNotes, ScanSizes};
use crate::span::LineIndex;
use crate::verdict::decide;

/// Athena refuses query strings longer than this many bytes.
pub const MAX_QUERY_BYTES: usize = 262_144;

/// How deeply the parser may nest before it gives up with an error (instead of the stack).
pub const MAX_PARSE_DEPTH: usize = 64;

/// What the lint needs besides the text and the policy.
#[derive(Debug, Clone, Default)]
pub struct LintContext {
    /// Database that unqualified table names resolve in (Athena's query execution context).
    pub default_database: Option<String>,
    /// Elevations currently held; they remove the diagnostics they unlock.
    pub elevations: BTreeSet<String>,
}

fn built_in(rule: &str, message: String, span: crate::Span) -> Diagnostic {
    Diagnostic {
        rule: rule.into(),
        severity: Severity::Error,
        message,
        span,
        unlocked_by: vec![],
        fix: None,
    }
}

/// Each statement's tokens without its `;`, split as the parser splits them.
fn statement_tokens(tokens: &[TokenWithSpan]) -> Vec<Vec<TokenWithSpan>> {
    let mut out: Vec<Vec<TokenWithSpan>> = vec![Vec::new()];
    for t in tokens {
        let started = out.last().is_some_and(|g| !g.is_empty());
        match &t.token {
            Token::SemiColon if started => out.push(Vec::new()),
            Token::SemiColon => {}
            Token::Whitespace(_) | Token::EOF => {}
            _ => {
                if let Some(g) = out.last_mut() {
                    g.push(t.clone());
                }
            }
        }
    }
    out
}

/// Where each statement's last token ends (before its `;` and any comment), for fixes that
/// append to a statement; computed from the tokens the parser gets, so the text is tokenized once.
fn statement_ends(
    tokens: &[sqlparser::tokenizer::TokenWithSpan],
) -> Vec<Option<sqlparser::tokenizer::Location>> {
    use sqlparser::tokenizer::Token;
    let mut ends = vec![None];
    for t in tokens {
        match &t.token {
            // The parser skips empty statements (`;;`, a leading `;`): so do the slots.
            Token::SemiColon if ends.last().is_some_and(Option::is_some) => ends.push(None),
            Token::SemiColon => {}
            Token::Whitespace(_) | Token::EOF => {}
            _ => {
                if let Some(last) = ends.last_mut() {
                    *last = Some(t.span.end);
                }
            }
        }
    }
    ends
}

/// Checks one SQL text (one or more statements) against a policy. The scan estimate comes
/// from the policy's stats ([`lint_measured`] takes measured sizes).
pub fn lint(policy: &Policy, sql: &str, ctx: &LintContext) -> Report {
    lint_measured(policy, sql, ctx, &ScanSizes::none())
}

/// [`lint`] with the sizes measured for the tables the text reads (see [`Report::scan_targets`]):
/// `max_scan_bytes` uses them in place of the policy's stats. The report keeps them, so the
/// text with its parameter values in place is judged with the same sizes.
pub fn lint_measured(policy: &Policy, sql: &str, ctx: &LintContext, sizes: &ScanSizes) -> Report {
    let index = LineIndex::new(sql);
    let scan = std::cell::RefCell::new(ScanNotes::default());
    let mut diagnostics = Vec::new();
    let mut statements = Vec::new();
    let mut reads = BTreeSet::new();
    let mut star_tables = BTreeSet::new();
    let mut tables = BTreeSet::new();
    let mut unknown_columns = Vec::new();
    let mut classes = Vec::new();
    let mut placeholders = Vec::new();

    if sql.len() > MAX_QUERY_BYTES {
        diagnostics.push(built_in(
            "query_size",
            format!(
                "the query is {} bytes; Athena accepts at most {MAX_QUERY_BYTES}: split it or move data into a table",
                sql.len()
            ),
            index.whole(),
        ));
    } else {
        let mut ends = Vec::new();
        // Each statement's tokens, kept only when a SHOW may need parsing here (`show.rs`).
        let mut groups = Vec::new();
        // The `?` tokens, kept before the parser takes the tokens: the values fill them in order.
        let mut markers = Vec::new();
        let parsed = match Tokenizer::new(&AthenaDialect::new(), sql).tokenize_with_location() {
            Err(e) => Err(e.to_string()),
            Ok(tokens) if operator_count(&tokens) > MAX_OPERATORS => Err(format!(
                "the query has more than {MAX_OPERATORS} operators, more than Warden checks: split it"
            )),
            Ok(tokens) if set_operation_count(&tokens) > MAX_SET_OPERATIONS => Err(format!(
                "the query has more than {MAX_SET_OPERATIONS} set operations (UNION, INTERSECT, EXCEPT), more than Warden checks: split it or put the rows in a table"
            )),

            Ok(tokens) => match lexical::check(&tokens) {
                Err(e) => Err(e),
                Ok(()) => {
                ends = statement_ends(&tokens);
                markers = tokens.iter().filter(|t| matches!(&t.token, Token::Placeholder(_))).cloned().collect();
                if tokens.iter().any(|t| matches!(&t.token, Token::Word(w) if w.keyword == Keyword::SHOW)) {
                    groups = statement_tokens(&tokens);
                }
                    let tokens = if groups.is_empty() { tokens } else { for_sqlparser(tokens) };
                Parser::new(&AthenaDialect::new())
                    .with_recursion_limit(MAX_PARSE_DEPTH)
                    .with_tokens_with_locations(tokens)
                    .parse_statements()
                    .map_err(|e| e.to_string())
                }
            },
        };
        match parsed {
            Err(e) => diagnostics.push(parse_error(&index, &e)),
            Ok(parsed) if parsed.is_empty() => diagnostics.push(built_in(
                "parse_error",
                "there is no statement here (the text is empty or only comments): write a query"
                    .into(),
                index.whole(),
            )),
            Ok(parsed) => {
                let mut database = ctx.default_database.clone();
                let count = parsed.len();
                for (n, statement) in parsed.iter().enumerate() {
                    if cte_count(statement) > MAX_CTES {
                        classes.push(crate::analysis::classify(statement));
                        diagnostics.push(built_in(
                            "parse_error",
                            format!("the statement defines more than {MAX_CTES} CTEs, more than Warden checks: split it"),
                            index.whole(),
                        ));
                        continue;
                    }
                    if nests_deeper_than(statement, MAX_NESTING) {
                        classes.push(crate::analysis::classify(statement));
                        let span = index.whole();
                        diagnostics.push(built_in(
                            "parse_error",
                            format!("the statement nests more than {MAX_NESTING} levels deep: simplify it"),
                            span,
                        ));
                        continue;
                    }
                    let analysis = match statement {
                        Statement::ShowVariable { .. } => {
                            let tokens: Vec<TokenWithSpan> =
                                groups.get(n).cloned().unwrap_or_default();
                            let span = match (tokens.first(), tokens.last()) {
                                (Some(a), Some(b)) => index.span(
                                    index.position(a.span.start.line, a.span.start.column),
                                    index.position(b.span.end.line, b.span.end.column),
                                ),
                                _ => index.whole(),
                            };
                            match parse_show(tokens, MAX_PARSE_DEPTH) {
                                Ok(form) => analyse_show(
                                    &form,
                                    policy.catalog(),
                                    database.as_deref(),
                                    &index,
                                    span,
                                ),
                                Err(e) => {
                                    classes.push(crate::report::StatementClass::Show);
                                    diagnostics.push(built_in(
                                        "unresolved",
                                        format!(
                                            "cannot check the SHOW statement: {}",
                                            e.trim_start_matches("sql parser error: ")
                                        ),
                                        span,
                                    ));
                                    continue;
                                }
                            }
                        }
                        _ => analyse(statement, policy.catalog(), database.as_deref(), &index),
                    };
                    classes.push(analysis.class);
                    for f in &analysis.unresolved {
                        diagnostics.push(built_in("unresolved", f.message.clone(), f.span));
                        unknown_columns.extend(f.column.clone());
                    }
                    tables.extend(
                        analysis.instances.iter().map(|i| {
                            format!("{}.{}", i.table.database, i.table.name).to_lowercase()
                        }),
                    );
                    let sctx = StatementContext {
                        index: &index,
                        end: ends.get(n).copied().flatten(),
                        sizes,
                        scan: &scan,
                    };
                    apply_rules(&policy.rules, &analysis, &sctx, &mut diagnostics);
                    if n == 1 {
                        single_statement(&policy.rules, &analysis, count, &index, &mut diagnostics);
                    }
                    reads.extend(analysis.reads.iter().map(|r| r.qualified.clone()));
                    if !analysis.shape.wildcards.is_empty() {
                        star_tables.extend(analysis.instances.iter().map(|i| {
                            format!("{}.{}", i.table.database, i.table.name).to_lowercase()
                        }));
                    }
                    if let Some(db) = analysis.use_database {
                        database = Some(db);
                    }
                }
                for (written, (line, column)) in foreign_placeholders(&markers, &parsed) {
                    let at = index.position(line, column);
                    diagnostics.push(built_in(
                        "parse_error",
                        format!("{written} is not a parameter Athena knows: write ? (values are given in the order of the ?s)"),
                        index.span(at, index.position(line, column + written.chars().count() as u64)),
                    ));
                }
                placeholders = crate::params::placeholders(&markers, &parsed, &index);
                statements = parsed;
            }
        }
    }

    // Which active elevations this verdict leans on: when one of them ends, work that relied
    // on it must stop (the gate cancels such queries).
    let lifted_by: BTreeSet<String> = diagnostics
        .iter()
        .flat_map(|d| d.unlocked_by.iter().filter(|e| ctx.elevations.contains(*e)))
        .cloned()
        .collect();
    diagnostics.retain(|d| !d.unlocked_by.iter().any(|e| ctx.elevations.contains(e)));
    diagnostics.sort_by(|a, b| {
        (a.span.start.offset, a.span.end.offset, &a.rule, &a.message).cmp(&(
            b.span.start.offset,
            b.span.end.offset,
            &b.rule,
            &b.message,
        ))
    });
    diagnostics.dedup();
    let (verdict, elevations) = decide(&diagnostics);
    let scan = scan.into_inner();
    Report {
        sql: sql.to_string(),
        default_database: ctx.default_database.clone(),
        policy_fingerprint: policy.fingerprint().to_string(),
        active_elevations: ctx.elevations.clone(),
        lifted_by,
        verdict,
        elevations,
        reads: reads.into_iter().collect(),
        star_tables: star_tables.into_iter().collect(),
        tables: tables.into_iter().collect(),
        unknown_columns,
        classes,
        diagnostics,
        statements,
        placeholders,
        scan_sizes: sizes.clone(),
        scan_targets: scan.targets,
        scan_estimates: scan.estimates,
    }
}

fn parse_error(index: &LineIndex, message: &str) -> Diagnostic {
    // sqlparser ends its messages with "at Line: L, Column: C".
    let (text, span) = match message.rfind(" at Line: ") {
        Some(i) => {
            let tail = &message[i + " at Line: ".len()..];
            let mut parts = tail.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
            let col = parts.next().and_then(|c| c.trim().parse::<u64>().ok());
            match (line, col) {
                (Some(l), Some(c)) => {
                    let start = index.position(l, c);
                    let end = index.position(l, c + 1);
                    (message[..i].to_string(), index.span(start, end))
                }
                _ => (message.to_string(), index.whole()),
            }
        }
        None => (message.to_string(), index.whole()),
    };
    let text = text.trim_start_matches("sql parser error: ").to_string();
    let text = if text.contains("recursion limit exceeded") {
        format!("the query nests more than {MAX_PARSE_DEPTH} levels deep: simplify it")
    } else {
        text
    };
    built_in(
        "parse_error",
        format!("cannot parse the query: {text}"),
        span,
    )
}
