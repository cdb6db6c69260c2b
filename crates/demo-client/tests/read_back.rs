//! The demo engine is given an approved statement as SQL text that must parse back into the
//! same statement, or the run is refused. Every TPC-H and TPC-DS query reads back.

use warden_demo_client::protocol::{parse_statement, statement_text};

/// The queries of a TPC fixture of the guardrails' tests: each after a `-- TPC...` title,
/// up to its `;` (lines starting with `#` are sqlglot's test options).
fn queries(text: &str) -> Vec<(String, String)> {
    let blocks: Vec<&str> = text
        .split("--------------------------------------\n")
        .collect();
    let mut out = Vec::new();
    for pair in blocks.windows(2) {
        if let Some(title) = pair[0].trim().strip_prefix("-- ") {
            let body: String = pair[1]
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            let end = body.find(";\n").expect("a query ends with ;");
            out.push((title.to_string(), body[..end].to_string()));
        }
    }
    out
}

#[test]
fn every_tpc_query_reads_back_as_the_same_statement() {
    let mut all = queries(include_str!(
        "../../guardrails/tests/fixtures/tpc/tpc-h.sql"
    ));
    all.extend(queries(include_str!(
        "../../guardrails/tests/fixtures/tpc/tpc-ds.sql"
    )));
    assert_eq!(all.len(), 22 + 99);
    let failed: Vec<String> = all
        .iter()
        .filter_map(|(title, sql)| {
            let statement = parse_statement(sql).unwrap_or_else(|e| panic!("{title}: {e}"));
            statement_text(&statement)
                .err()
                .map(|e| format!("{title}: {e}"))
        })
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}
