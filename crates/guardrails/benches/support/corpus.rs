//! The TPC corpus and the twenty-rule policy shared by the in-process benchmark
//! (`benches/lint.rs`) and the process-level one (`crates/cli/benches/lint_process.rs`). Not a bench target itself: it lives in a subfolder..

/// The corpus's catalog plus twenty rules of every kind (tags and partition keys added so that
/// the column rules have something to look at).
pub fn twenty_rules(
    catalog: &str,
    db: &str,
    pii: &str,
    fact: &str,
    key: &str,
    dim: &str,
    dim_key: &str,
) -> String {
    let catalog = catalog
        .replace(
            &format!("            {pii}: 'string'"),
            &format!("            {pii}: {{ type: 'string', tags: [pii] }}"),
        )
        .replace(
            &format!("        {fact}:\n          columns:\n"),
            &format!("        {fact}:\n          partition_keys: [{key}]\n          columns:\n"),
        );
    let rules = format!(
        r#"elevations:
  pii-read: {{ description: pii }}
  large-scan: {{ description: big }}
rules:
  - {{ id: r01, kind: statement_class, allow: [query, explain, show, describe] }}
  - {{ id: r02, kind: single_statement }}
  - {{ id: r03, kind: object_allowlist, databases: [{db}] }}
  - {{ id: r04, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }}
  - {{ id: r05, kind: required_row_predicate, tables: [{db}.{dim}], column: {dim_key}, severity: warning }}
  - {{ id: r06, kind: require_partition_filter, tables: [{db}.{fact}], unlocked_by: [large-scan] }}
  - {{ id: r07, kind: max_scan_bytes, limit: 1TB, unlocked_by: [large-scan] }}
  - {{ id: r08, kind: select_star, severity: warning }}
  - {{ id: r09, kind: require_limit, max_rows: 10000, severity: warning }}
  - {{ id: r10, kind: cross_join }}
  - {{ id: r11, kind: export_destination, allow_prefixes: ['s3://exports/'] }}
  - {{ id: r12, kind: blocked_functions, functions: [sleep, reflect] }}
  - {{ id: r13, kind: unbounded_write }}
  - {{ id: r14, kind: order_by_without_limit }}
  - {{ id: r15, kind: null_comparison }}
  - {{ id: r16, kind: restricted_columns, tags: [pii], severity: info }}
  - {{ id: r17, kind: required_row_predicate, tables: [{db}.{fact}], column: {key}, severity: info }}
  - {{ id: r18, kind: max_scan_bytes, limit: 10TB, severity: warning }}
  - {{ id: r19, kind: blocked_functions, functions: [http_get], severity: warning }}
  - {{ id: r20, kind: object_allowlist, tables: [{db}.{fact}, {db}.{dim}], severity: info }}
"#
    );
    format!("{catalog}{rules}")
}

pub fn queries(fixture: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in fixture
        .split("--------------------------------------\n-- ")
        .skip(1)
    {
        let Some((title, rest)) = block.split_once('\n') else {
            continue;
        };
        let body: String = rest
            .trim_start_matches("--------------------------------------\n")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        if let Some(end) = body.find(";\n") {
            let n: u32 = title
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            out.push((format!("{prefix}-{n:02}"), body[..end].to_string()));
        }
    }
    out
}
