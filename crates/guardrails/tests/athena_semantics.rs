//! Issue 10's families, written from Athena's (Trino's) semantics: lexing as Trino lexes,
//! SHOW forms checked like the queries and tables they carry, depth bounds, and policy texts
//! that would amplify memory or time. Diagnostics are insta snapshots.

use std::collections::BTreeSet;

use warden_guardrails::{
    lint, LintContext, Policy, Report, Verdict, MAX_CTES, MAX_PARSE_DEPTH, MAX_POLICY_BYTES,
    MAX_POLICY_FLOW_DEPTH, MAX_SET_OPERATIONS,
};

const POLICY: &str = r#"format: warden-policy/1
name: athena-semantics
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii] }
            tags: array(varchar)
            attrs: "map(varchar, varchar)"
            private: { type: "map(varchar, varchar)", tags: [pii] }
        orders:
          columns: { order_id: bigint, customer_id: bigint, dt: varchar }
          partition_keys: [dt]
    other:
      tables:
        secrets:
          columns: { k: varchar }
elevations:
  pii-read: { description: Read pii }
rules:
  - { id: read-only, kind: statement_class, allow: [query, explain, show, describe] }
  - { id: one, kind: single_statement }
  - { id: objects, kind: object_allowlist, databases: [sales] }
  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }
  - { id: partition, kind: require_partition_filter, tables: [sales.orders] }
"#;

fn run(sql: &str) -> Report {
    let policy = Policy::from_yaml(POLICY).expect("policy");
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: BTreeSet::new(),
    };
    lint(&policy, sql, &ctx)
}

fn render(sql: &str) -> String {
    let r = run(sql);
    let mut out = format!("{sql:?}\n---\nverdict: {:?}\n", r.verdict());
    for d in r.diagnostics() {
        let (s, e) = (d.span.start, d.span.end);
        out.push_str(&format!(
            "{} {}:{}-{}:{}: {}\n",
            d.rule, s.line, s.column, e.line, e.column, d.message
        ));
    }
    out
}

macro_rules! snap {
    ($sql:expr) => {
        insta::assert_snapshot!(render($sql))
    };
}

// --- 1. Comments, strings and identifiers are lexed as Athena lexes them.

#[test]
fn a_nested_block_comment_ends_at_its_first_close_in_the_select_list() {
    // Athena reads `email` as code: `/* /* */` is one comment, `-- */` another.
    let sql = "SELECT customer_id /* /* */ , email -- */\nFROM customers";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    snap!(sql);
}

#[test]
fn a_nested_block_comment_ends_at_its_first_close_in_where() {
    let sql = "SELECT order_id FROM orders WHERE dt = '2024-01-01' /* /* */ OR true -- */";
    assert_eq!(run(sql).verdict(), Verdict::Deny);
    snap!(sql);
}

#[test]
fn a_nested_block_comment_ends_at_its_first_close_after_the_last_statement() {
    let sql = "SELECT 1 /* /* */ ; DROP TABLE orders -- */";
    assert_eq!(run(sql).verdict(), Verdict::Deny);
    snap!(sql);
}

#[test]
fn a_line_comment_that_a_carriage_return_ends_is_refused() {
    for sql in [
        "SELECT customer_id --\r, email\nFROM customers",
        "SELECT order_id FROM orders WHERE dt = '2024-01-01' --\rOR true\n",
        "SELECT 1 --\r; DROP TABLE orders\n",
    ] {
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql:?}");
    }
    snap!("SELECT customer_id --\r, email\nFROM customers");
}

#[test]
fn comments_athena_also_reads_as_comments_stay_comments() {
    let sql = "SELECT customer_id /* email */ FROM customers -- email\r\n";
    assert_eq!(
        run(sql).verdict(),
        Verdict::Allow,
        "{:?}",
        run(sql).diagnostics()
    );
    assert_eq!(
        run("SELECT customer_id FROM customers --").verdict(),
        Verdict::Allow
    );
}

#[test]
fn strings_and_identifiers_hide_nothing() {
    // No backslash escapes: the string ends at `\'`, and `email` is code.
    let sql = r"SELECT 'a\', email, '' FROM customers";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    // Doubled quotes stay inside.
    assert_eq!(
        run("SELECT 'it''s', customer_id FROM customers").verdict(),
        Verdict::Allow
    );
    assert_eq!(
        run(r#"SELECT "email" FROM customers"#).verdict(),
        Verdict::Elevate
    );
    snap!(sql);
}

#[test]
fn literals_athena_does_not_have_are_refused() {
    for sql in [
        r"SELECT e'\' , email, ' FROM customers",
        "SELECT X'00'' , email, '' FROM customers",
        "SELECT $$ , email, $$ FROM customers",
        "SELECT N'a', customer_id FROM customers",
    ] {
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql}");
    }
    snap!(r"SELECT e'\' , email, ' FROM customers");
}

// --- 2. SHOW statements are understood or refused.

#[test]
fn show_stats_for_a_query_is_checked_like_the_query() {
    let sql = "SHOW STATS FOR (SELECT email FROM customers)";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    snap!(sql);
    assert_eq!(
        run("SHOW STATS FOR (SELECT customer_id FROM customers)").verdict(),
        Verdict::Allow
    );
}

#[test]
fn show_stats_for_a_table_reads_every_column() {
    let sql = "SHOW STATS FOR customers";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    snap!(sql);
}

#[test]
fn show_stats_for_a_partitioned_table_needs_no_partition_filter() {
    // Athena (Trino) answers SHOW STATS from the catalog's statistics, for a table or through
    // a query's plan: it scans no partition, so the partition-filter rule has nothing to bound.
    for sql in [
        "SHOW STATS FOR orders",
        "SHOW STATS FOR sales.orders",
        "SHOW STATS FOR (SELECT order_id FROM orders)",
        "SHOW STATS FOR (SELECT order_id FROM orders WHERE dt = '2024-01-01' AND order_id >= 3)",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
}

#[test]
fn show_stats_that_does_not_parse_or_names_no_known_table_is_refused() {
    for sql in [
        "SHOW STATS FOR (SELEC email FROM customers)",
        "SHOW STATS FOR (SELECT a FROM nowhere)",
        "SHOW STATS FOR other.secrets",
        "SHOW STATS FOR (SELECT customer_id FROM customers) garbage",
    ] {
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql}");
    }
    snap!("SHOW STATS FOR (SELECT a FROM nowhere)");
}

#[test]
fn show_and_describe_forms_check_their_table() {
    for sql in [
        "SHOW COLUMNS IN customers",
        "SHOW CREATE TABLE customers",
        "DESCRIBE customers",
        "SHOW PARTITIONS orders",
        "SHOW TBLPROPERTIES orders",
        "SHOW TBLPROPERTIES orders ('classification')",
        "SHOW TABLES IN sales",
        "SHOW DATABASES",
    ] {
        assert_eq!(
            run(sql).verdict(),
            Verdict::Allow,
            "{sql}: {:?}",
            run(sql).diagnostics()
        );
    }
    for sql in [
        "SHOW COLUMNS IN other.secrets",
        "SHOW PARTITIONS nowhere",
        "DESCRIBE other.secrets",
    ] {
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql}");
    }
    snap!("SHOW PARTITIONS other.secrets");
}

#[test]
fn unknown_show_forms_are_refused() {
    for sql in [
        "SHOW WHATEVER (SELECT email FROM customers)",
        "SHOW STATUS",
        "SHOW GRANTS",
    ] {
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql}");
    }
    snap!("SHOW WHATEVER (SELECT email FROM customers)");
}

// --- 3. A qualified column followed by a subscript is that column, then the subscript.

#[test]
fn a_qualified_column_with_a_subscript_is_the_column() {
    for sql in [
        "SELECT c.attrs['k'] FROM customers c",
        "SELECT c.tags[1] FROM customers c",
        "SELECT customers.tags[1] FROM customers",
        "SELECT sales.customers.attrs['k'] FROM sales.customers",
        "SELECT c.tags[1] FROM customers c WHERE c.attrs['k'] = 'v'",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
    let sql = "SELECT c.private['k'] FROM customers c";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    snap!(sql);
    assert_eq!(
        run("SELECT c.nothing[1] FROM customers c").verdict(),
        Verdict::Deny
    );
}

// --- 4. The select list of an EXISTS subquery reads nothing, whatever it holds.

#[test]
fn an_exists_select_list_reads_nothing() {
    for sql in [
        "SELECT customer_id FROM customers c WHERE EXISTS (SELECT email FROM customers d WHERE d.customer_id = c.customer_id)",
        "SELECT customer_id FROM customers c WHERE EXISTS (SELECT upper(d.email), 1 FROM customers d)",
        "SELECT customer_id FROM customers c WHERE NOT EXISTS (SELECT c.email AS e FROM orders o WHERE o.dt = 'x')",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
    // Its FROM, WHERE, GROUP BY and HAVING still read.
    let sql = "SELECT customer_id FROM customers c WHERE EXISTS (SELECT 1 FROM customers d WHERE d.email = 'x')";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    let sql = "SELECT customer_id FROM customers c WHERE EXISTS (SELECT 1 FROM customers d GROUP BY d.email HAVING count(*) > 1)";
    assert_eq!(run(sql).verdict(), Verdict::Elevate);
    // A name that does not resolve is still refused.
    let sql = "SELECT customer_id FROM customers c WHERE EXISTS (SELECT nothing FROM customers d)";
    assert_eq!(run(sql).verdict(), Verdict::Deny);
    snap!(sql);
}

// --- 6. Duplicate partition values count once (see rules/tests.rs for the estimate).

// --- 7. Depth bounds for set operations and CTEs.

fn unions(operators: usize) -> String {
    let mut sql = String::from("SELECT 1 AS x");
    for _ in 0..operators {
        sql.push_str(" UNION ALL SELECT 1");
    }
    sql
}

fn chained_ctes(n: usize) -> String {
    let mut sql = String::from("WITH c0 AS (SELECT 1 AS x)");
    for i in 1..n {
        sql.push_str(&format!(", c{i} AS (SELECT x FROM c{})", i - 1));
    }
    sql + &format!(" SELECT x FROM c{}", n - 1)
}

#[test]
fn set_operations_are_bounded() {
    assert_eq!(run(&unions(MAX_SET_OPERATIONS)).verdict(), Verdict::Allow);
    let r = run(&unions(MAX_SET_OPERATIONS + 1));
    assert_eq!(r.verdict(), Verdict::Deny);
    insta::assert_snapshot!(r.diagnostics()[0].message);
}

#[test]
fn ctes_are_bounded() {
    assert_eq!(run(&chained_ctes(MAX_CTES)).verdict(), Verdict::Allow);
    let r = run(&chained_ctes(MAX_CTES + 1));
    assert_eq!(r.verdict(), Verdict::Deny);
    insta::assert_snapshot!(r.diagnostics()[0].message);
}

#[test]
fn nested_case_and_cast_past_the_parsers_bound_are_refused_as_too_deep() {
    let case = |n: usize| {
        let e = (0..n).fold("1".to_string(), |e, _| {
            format!("CASE WHEN 1 = 1 THEN {e} ELSE 0 END")
        });
        format!("SELECT {e} AS x")
    };
    let cast = |n: usize| {
        let e = (0..n).fold("1".to_string(), |e, _| format!("CAST({e} AS bigint)"));
        format!("SELECT {e} AS x")
    };
    for shape in [&case as &dyn Fn(usize) -> String, &cast] {
        let first_refused = (1..=MAX_PARSE_DEPTH + 1)
            .find(|&n| run(&shape(n)).verdict() != Verdict::Allow)
            .expect("refused at the parser's bound");
        // At the bound and just past it, and far past it: the parser's depth message.
        for n in [first_refused, first_refused + 1, 10 * MAX_PARSE_DEPTH] {
            let r = run(&shape(n));
            assert_eq!(r.verdict(), Verdict::Deny);
            insta::assert_snapshot!("nested_case_and_cast", r.diagnostics()[0].message);
        }
        assert!(first_refused > 32, "refused at {first_refused} levels");
    }
}

#[test]
fn a_hundred_thousand_unions_are_refused_quickly() {
    let r = run(&unions(100_000).chars().take(250_000).collect::<String>());
    assert_eq!(r.verdict(), Verdict::Deny);
}

// --- 8. Policy texts that amplify memory or time are refused before parsing.

fn policy_error(text: &str) -> String {
    match Policy::from_yaml(text) {
        Ok(_) => panic!("the policy was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn policy_aliases_and_anchors_are_refused() {
    let text = "format: warden-policy/1\nname: &n x\nrules: []\naudit: *n\n";
    insta::assert_snapshot!(policy_error(text));
    // A billion laughs in a few lines.
    let mut laughs = String::from("format: warden-policy/1\nname: x\nx0: &a0 [lol, lol]\n");
    for i in 1..20 {
        laughs.push_str(&format!("x{i}: &a{i} [*a{j}, *a{j}]\n", j = i - 1));
    }
    assert!(policy_error(&laughs).contains("anchor"));
}

#[test]
fn a_star_or_ampersand_in_text_is_not_an_alias() {
    let text = POLICY.replace("name: athena-semantics", "name: a*b & c\n# *not an alias\n");
    let text = text.replace(
        "unlocked_by: [pii-read] }",
        "unlocked_by: [pii-read], message: 'SELECT * & {column}' }",
    );
    Policy::from_yaml(&text).expect("loads");
}

#[test]
fn policy_flow_nesting_is_bounded() {
    let at = format!(
        "format: warden-policy/1\nname: x\nrules: []\nx: {}{}\n",
        "[".repeat(MAX_POLICY_FLOW_DEPTH),
        "]".repeat(MAX_POLICY_FLOW_DEPTH)
    );
    assert!(!policy_error(&at).contains("nest"), "{}", policy_error(&at));
    let deep = format!(
        "format: warden-policy/1\nname: x\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let started = std::time::Instant::now();
    let e = policy_error(&deep);
    assert!(started.elapsed().as_secs() < 5);
    insta::assert_snapshot!(e);
    // Brackets inside quoted text are text.
    let quoted = POLICY.replace(
        "unlocked_by: [pii-read] }",
        &format!(
            "unlocked_by: [pii-read], message: \"{}\" }}",
            "[".repeat(100)
        ),
    );
    Policy::from_yaml(&quoted).expect("loads");
}

#[test]
fn policy_size_is_bounded() {
    let big = format!("{POLICY}# {}\n", "x".repeat(MAX_POLICY_BYTES));
    insta::assert_snapshot!(policy_error(&big));
}
