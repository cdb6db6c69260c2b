//! External ground truth: the 22 TPC-H and 99 TPC-DS queries of sqlglot's optimizer fixtures
//! (MIT, see fixtures/tpc/LICENSE-sqlglot). Each query must resolve with verdict allow under a
//! policy with no rules, and its `reads` must equal the base-table columns that sqlglot's fully
//! qualified form of the same query names.

use std::collections::{BTreeMap, BTreeSet};

use warden_guardrails::sqlparser::dialect::GenericDialect;
use warden_guardrails::sqlparser::tokenizer::{Token, Tokenizer};
use warden_guardrails::{lint, LintContext, Policy, Verdict};

struct Case {
    title: String,
    query: String,
    qualified: String,
}

/// Splits a fixture into (title, query, qualified form). Lines starting with `#` are sqlglot's
/// test options, not SQL.
fn cases(text: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let blocks: Vec<&str> = text
        .split("--------------------------------------\n")
        .collect();
    let mut i = 0;
    while i + 1 < blocks.len() {
        let header = blocks[i].trim();
        if let Some(title) = header.strip_prefix("-- ") {
            let body: String = blocks[i + 1]
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            let end = body.find(";\n").expect("query ends with ;");
            out.push(Case {
                title: title.to_string(),
                query: body[..=end].to_string(),
                qualified: body[end + 2..].trim().to_string(),
            });
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// The base-table columns a qualified form names: `"alias"."column"` where `"table" AS "alias"`
/// introduced the alias, the column being one of that table's columns.
fn ground_truth(qualified: &str, policy: &Policy, database: &str) -> BTreeSet<String> {
    let tokens: Vec<Token> = Tokenizer::new(&GenericDialect, qualified)
        .tokenize()
        .expect("qualified form tokenizes")
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let word = |t: &Token| match t {
        Token::Word(w) => Some(w.value.to_lowercase()),
        _ => None,
    };
    let tables = &policy.catalog().databases[database];
    let mut aliases: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for w in tokens.windows(4) {
        let (Some(table), Some(kw), Some(alias)) = (word(&w[0]), word(&w[1]), word(&w[2])) else {
            continue;
        };
        if kw == "as" && tables.contains_key(&table) && w[3] != Token::LParen {
            aliases.entry(alias).or_default().insert(table);
        }
    }
    let mut reads = BTreeSet::new();
    for w in tokens.windows(3) {
        let (Some(alias), Token::Period, Some(column)) = (word(&w[0]), &w[1], word(&w[2])) else {
            continue;
        };
        for table in aliases.get(&alias).into_iter().flatten() {
            if tables[table].column(&column).is_some() {
                reads.insert(format!("{database}.{table}.{column}"));
            }
        }
    }
    reads
}

/// Where sqlglot's qualified form names more than the query reads, and why. In TPC-DS 10, 35
/// and 69 its optimizer hoists the `date_dim` subqueries of `EXISTS (SELECT * ...)` into a CTE
/// `date_dim_2` that lists every date_dim column; the select list of an EXISTS is never
/// evaluated, so those columns are not read. Only exactly that difference is accepted.
const HOISTED_EXISTS_STAR: &[(&str, &str, &str)] = &[
    ("TPC-DS 10", "tpcds.date_dim.", "\"date_dim_2\" AS ("),
    ("TPC-DS 35", "tpcds.date_dim.", "\"date_dim_2\" AS ("),
    ("TPC-DS 69", "tpcds.date_dim.", "\"date_dim_2\" AS ("),
];

fn check(fixture: &str, policy_file: &str, database: &str, expected_count: usize) {
    let policy = Policy::from_yaml(policy_file).expect("ground-truth policy loads");
    let ctx = LintContext {
        default_database: Some(database.into()),
        elevations: BTreeSet::new(),
    };
    let cases = cases(fixture);
    assert_eq!(
        cases.len(),
        expected_count,
        "number of queries in the fixture"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let report = lint(&policy, &case.query, &ctx);
        if report.verdict() != Verdict::Allow {
            let why: Vec<String> = report
                .diagnostics()
                .iter()
                .map(|d| {
                    format!(
                        "{}:{} {} {}",
                        d.span.start.line, d.span.start.column, d.rule, d.message
                    )
                })
                .collect();
            failures.push(format!(
                "{}: verdict {:?}: {why:?}",
                case.title,
                report.verdict()
            ));
            continue;
        }
        let got: BTreeSet<String> = report.reads().iter().cloned().collect();
        let want = ground_truth(&case.qualified, &policy, database);
        if got != want {
            let missing: Vec<&String> = want.difference(&got).collect();
            let extra: Vec<&String> = got.difference(&want).collect();
            let explained = HOISTED_EXISTS_STAR.iter().any(|(title, prefix, marker)| {
                *title == case.title
                    && case.qualified.contains(marker)
                    && extra.is_empty()
                    && missing.iter().all(|c| c.starts_with(prefix))
            });
            if explained {
                continue;
            }
            failures.push(format!(
                "{}: missing {missing:?}, extra {extra:?}",
                case.title
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn tpc_h_reads_match_sqlglot_qualified_forms() {
    check(
        include_str!("fixtures/tpc/tpc-h.sql"),
        include_str!("fixtures/tpc/tpch.policy.yaml"),
        "tpch",
        22,
    );
}

#[test]
fn tpc_ds_reads_match_sqlglot_qualified_forms() {
    check(
        include_str!("fixtures/tpc/tpc-ds.sql"),
        include_str!("fixtures/tpc/tpcds.policy.yaml"),
        "tpcds",
        99,
    );
}
