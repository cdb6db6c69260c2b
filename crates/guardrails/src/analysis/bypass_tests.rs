//! Bypasses a security review found: queries the lint allowed although they read restricted
//! data, each with the reason it must now be read or refused.

use super::tests_support::{columns_read, unresolved_refusals, CATALOG};
use crate::{lint, LintContext, Policy, Report, Verdict};

/// The test catalog with `ssn` (restricted) and `email` (pii) guarded and `sleep` blocked.
fn policy() -> Policy {
    Policy::from_yaml(&format!(
        "{CATALOG}rules:\n  - {{ id: restricted, kind: restricted_columns, tags: [restricted] }}\n  - {{ id: pii, kind: restricted_columns, tags: [pii] }}\n  - {{ id: blocked, kind: blocked_functions, functions: [sleep] }}\n"
    ))
    .expect("policy")
}

fn run(sql: &str) -> Report {
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    };
    lint(&policy(), sql, &ctx)
}

/// The columns `sql` reads (`table.column`), whatever the verdict.
fn reads(sql: &str) -> Vec<String> {
    columns_read(&run(sql))
}

/// Asserts `sql` is refused as unresolved, and returns those messages.
fn refused(sql: &str) -> Vec<String> {
    unresolved_refusals(sql, &run(sql))
}

/// What the lint shows for `sql`: verdict, then each diagnostic with its place.
fn shown(sql: &str) -> String {
    let r = run(sql);
    let mut out = format!("{sql}\n---\nverdict: {:?}\n", r.verdict());
    for d in r.diagnostics() {
        let (s, e) = (d.span.start, d.span.end);
        out.push_str(&format!(
            "{} {}:{}-{}:{}: {}\n",
            d.rule, s.line, s.column, e.line, e.column, d.message
        ));
    }
    out
}

// --- F1: `EXISTS (VALUES ...)` switched off the column checks of the next SELECT.

#[test]
fn exists_over_values_does_not_hide_a_later_select_list() {
    for sql in [
        // A later derived table's `*`.
        "SELECT b.* FROM (SELECT 1 AS k WHERE EXISTS (VALUES (1))) a CROSS JOIN (SELECT * FROM customers) b LIMIT 3",
        // A scalar subquery's select list, resolved after the WHERE of the same SELECT.
        "SELECT (SELECT max(ssn) FROM customers) AS x FROM customers WHERE EXISTS (VALUES (1)) LIMIT 1",
        // A later CTE.
        "WITH a AS (SELECT 1 AS k WHERE EXISTS (VALUES (1))), b AS (SELECT ssn FROM customers) SELECT b.ssn FROM a, b",
        // Through an IN subquery and a set operation.
        "SELECT customer_id FROM customers WHERE customer_id IN (SELECT 1 WHERE EXISTS (VALUES (1)) UNION ALL SELECT length(ssn) FROM customers)",
        // EXISTS over a parenthesised query and over a set operation of VALUES.
        "SELECT (SELECT max(ssn) FROM customers) FROM customers WHERE EXISTS ((SELECT 1)) AND EXISTS (VALUES (1) UNION VALUES (2))",
    ] {
        assert!(
            reads(sql).contains(&"customers.ssn".to_string()),
            "{sql} reads ssn: {:?}",
            reads(sql)
        );
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql}");
    }
}

// --- F2: only a plain SELECT under EXISTS has a select list that decides nothing.

#[test]
fn a_select_list_that_decides_whether_exists_holds_is_read() {
    for sql in [
        // INTERSECT and EXCEPT compare the select lists: an oracle on ssn.
        "SELECT count(*) AS n FROM customers WHERE EXISTS (SELECT ssn FROM customers INTERSECT SELECT '129-33-2011')",
        "SELECT count(*) AS n FROM customers WHERE NOT EXISTS (SELECT '129-33-2011' EXCEPT SELECT ssn FROM customers)",
        "SELECT count(*) AS n FROM customers WHERE EXISTS (SELECT ssn FROM customers UNION ALL SELECT 'x')",
        // DISTINCT counts the distinct values of the list.
        "SELECT count(*) AS n FROM customers c WHERE EXISTS (SELECT DISTINCT CASE WHEN v.k = 1 THEN d.ssn ELSE 'x' END FROM customers d CROSS JOIN (VALUES (1), (2)) v(k) WHERE d.customer_id = 42 OFFSET 1)",
        // GROUP BY a position or an alias of the list groups by what it computes.
        "SELECT count(*) AS n FROM customers c WHERE EXISTS (SELECT CASE WHEN d.ssn = 'x' THEN 1 END FROM customers d GROUP BY 1 OFFSET 1)",
        "SELECT count(*) AS n FROM customers c WHERE EXISTS (SELECT CASE WHEN d.ssn = 'x' THEN 1 END AS s FROM customers d GROUP BY s OFFSET 1)",
        // HAVING and ORDER BY by an alias of the list.
        "SELECT count(*) AS n FROM customers c WHERE EXISTS (SELECT max(d.ssn) AS m FROM customers d HAVING m > '5')",
        "SELECT count(*) AS n FROM customers c WHERE EXISTS (SELECT CAST(d.ssn AS integer) AS m FROM customers d ORDER BY m LIMIT 1)",
        // A subquery in the list could fail depending on what it reads.
        "SELECT count(*) AS n FROM customers c WHERE EXISTS (SELECT (SELECT d.ssn FROM customers d WHERE d.ssn LIKE '1%') FROM orders)",
    ] {
        assert!(
            reads(sql).contains(&"customers.ssn".to_string()),
            "{sql} reads ssn: {:?}",
            reads(sql)
        );
        assert_eq!(run(sql).verdict(), Verdict::Deny, "{sql}");
    }
}

#[test]
fn the_select_list_of_a_plain_exists_still_reads_nothing() {
    for sql in [
        "SELECT customer_id FROM customers c WHERE EXISTS (SELECT * FROM customers d WHERE d.customer_id = c.customer_id)",
        "SELECT customer_id FROM customers c WHERE EXISTS (SELECT d.ssn, upper(d.email) FROM customers d WHERE d.customer_id = c.customer_id LIMIT 1)",
        "SELECT customer_id FROM customers c WHERE NOT EXISTS (SELECT max(ssn) FROM customers d)",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
    // Only that query's own list: a derived table inside it still reads what it selects.
    let sql = "SELECT customer_id FROM customers c WHERE EXISTS (SELECT * FROM (SELECT ssn FROM customers) d)";
    assert_eq!(reads(sql), ["customers.customer_id", "customers.ssn"]);
}

// --- F3: pipe syntax and other dialects' clauses are refused, not skipped.

#[test]
fn pipe_syntax_is_refused() {
    let sql = "SELECT customer_id FROM customers |> JOIN customers c USING (customer_id) |> SELECT c.ssn, c.email |> LIMIT 3";
    refused(sql);
    insta::assert_snapshot!(shown(sql));
}

#[test]
fn clauses_athena_does_not_have_are_refused_with_what_to_write() {
    let cases = [
        ("SELECT TOP 3 customer_id FROM customers", "SELECT TOP"),
        (
            "SELECT * EXCEPT (ssn) FROM customers",
            "* EXCEPT, EXCLUDE, REPLACE",
        ),
        (
            "SELECT * REPLACE ((SELECT max(ssn) FROM customers) AS email) FROM customers",
            "* EXCEPT, EXCLUDE, REPLACE",
        ),
        (
            "SELECT customer_id INTO t2 FROM customers",
            "SELECT ... INTO",
        ),
        (
            "SELECT customer_id FROM customers LIMIT 1 FOR UPDATE",
            "FOR UPDATE",
        ),
        (
            "SELECT customer_id FROM customers LIMIT 1 SETTINGS max_threads = 1",
            "SETTINGS",
        ),
        (
            "SELECT customer_id FROM customers LIMIT 1 FORMAT JSON",
            "FORMAT clause",
        ),
        (
            "SELECT customer_id FROM customers LIMIT 1 FOR XML AUTO",
            "FOR XML",
        ),
        (
            "SELECT customer_id FROM customers QUALIFY row_number() OVER (ORDER BY ssn) = 1",
            "QUALIFY",
        ),
        (
            "SELECT customer_id FROM customers ORDER BY customer_id WITH FILL",
            "WITH FILL",
        ),
        (
            "SELECT customer_id FROM customers GROUP BY ALL",
            "GROUP BY ALL",
        ),
        (
            "SELECT customer_id FROM customers GROUP BY customer_id WITH ROLLUP",
            "WITH ROLLUP",
        ),
        (
            "SELECT customer_id FROM customers CLUSTER BY customer_id",
            "CLUSTER BY",
        ),
        (
            "SELECT customer_id FROM customers SORT BY customer_id",
            "SORT BY",
        ),
        ("FROM customers", "starts with FROM"),
        ("FROM customers SELECT ssn", "starts with FROM"),
        (
            "SELECT customer_id FROM customers WITH (NOLOCK)",
            "table hints",
        ),
        (
            "SELECT customer_id FROM customers LATERAL VIEW explode(tags) t AS x",
            "LATERAL VIEW",
        ),
        (
            "SELECT order_id FROM orders TABLESAMPLE SYSTEM (10) REPEATABLE (3)",
            "sampling clause",
        ),
        ("SELECT order_id FROM orders SAMPLE 0.5", "sampling clause"),
        (
            "WITH x (SELECT customer_id FROM customers) FROM y SELECT customer_id FROM x",
            "FROM on a WITH query",
        ),
    ];
    for (sql, says) in cases {
        let messages = refused(sql);
        assert!(
            messages.iter().any(|m| m.contains(says)),
            "{sql}: {messages:?} does not say {says}"
        );
    }
}

#[test]
fn a_tablesample_percentage_is_resolved_like_any_expression() {
    let r = run("SELECT order_id FROM orders TABLESAMPLE BERNOULLI (sleep(1))");
    assert!(
        r.diagnostics().iter().any(|d| d.rule == "blocked"),
        "{:?}",
        r.diagnostics()
    );
    assert_eq!(r.verdict(), Verdict::Deny);
    let r =
        run("SELECT d.order_id FROM (SELECT order_id FROM orders) d TABLESAMPLE SYSTEM (sleep(1))");
    assert!(r.diagnostics().iter().any(|d| d.rule == "blocked"));
    assert!(reads(
        "SELECT order_id FROM orders TABLESAMPLE BERNOULLI ((SELECT count(*) FROM customers WHERE ssn = 'x'))"
    )
    .contains(&"customers.ssn".to_string()));
    // Athena's own forms still pass.
    for sql in [
        "SELECT order_id FROM orders TABLESAMPLE BERNOULLI (10)",
        "SELECT o.order_id FROM orders o TABLESAMPLE SYSTEM (5)",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
}

// --- F4: DISTINCT ON evaluated expressions nothing looked at.

#[test]
fn distinct_on_is_refused() {
    let sql = "SELECT DISTINCT ON (CAST(concat('x', ssn, email) AS INT)) customer_id FROM customers WHERE customer_id = 42";
    refused(sql);
    insta::assert_snapshot!(shown(sql));
    // Plain DISTINCT and DISTINCT in an aggregate are Athena's and stay allowed.
    for sql in [
        "SELECT DISTINCT customer_id FROM customers",
        "SELECT count(DISTINCT customer_id) FROM customers",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
}
