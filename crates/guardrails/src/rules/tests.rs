//! Every rule kind: a query that fires it and one that does not.

use crate::analysis::tests_support::CATALOG;
use crate::{lint, LintContext, Policy, Report, Severity, Verdict};

fn with_rules(rules: &str) -> Policy {
    let text = format!(
        "{CATALOG}elevations:\n  pii-read: {{ description: pii }}\n  large-scan: {{ description: big }}\nrules:\n{rules}"
    );
    Policy::from_yaml(&text).expect("policy")
}

fn check(rules: &str, sql: &str) -> Report {
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    };
    lint(&with_rules(rules), sql, &ctx)
}

fn fired(rules: &str, sql: &str) -> Vec<String> {
    let r = check(rules, sql);
    let unresolved: Vec<&str> = r
        .diagnostics()
        .iter()
        .filter(|d| d.rule == "unresolved" || d.rule == "parse_error")
        .map(|d| d.message.as_str())
        .collect();
    assert!(unresolved.is_empty(), "{sql}: {unresolved:?}");
    r.diagnostics()
        .iter()
        .map(|d| format!("{}: {}", d.rule, d.message))
        .collect()
}

/// Snapshots what `rules` report on `sql`: each diagnostic with its place and fix.
macro_rules! fires {
    ($rules:expr, $sql:expr) => {{
        let sql: &str = $sql;
        let all = fired($rules, sql);
        assert!(!all.is_empty(), "{sql}: expected a diagnostic");
        insta::assert_snapshot!(snapshot(sql, $rules));
    }};
}

fn snapshot(sql: &str, rules: &str) -> String {
    let r = check(rules, sql);
    let mut out = format!("{sql}\n---\nverdict: {:?}\n", r.verdict());
    for d in r.diagnostics() {
        let (s, e) = (d.span.start, d.span.end);
        out.push_str(&format!(
            "{}[{:?}] {}:{}-{}:{}: {}\n",
            d.rule, d.severity, s.line, s.column, e.line, e.column, d.message
        ));
        if !d.unlocked_by.is_empty() {
            out.push_str(&format!("  unlocked by: {}\n", d.unlocked_by.join(", ")));
        }
        if let Some(f) = &d.fix {
            out.push_str(&format!(
                "  fix: {} -> {:?} at {}:{}\n",
                f.title, f.replacement, f.span.start.line, f.span.start.column
            ));
        }
    }
    out
}

fn quiet(rules: &str, sql: &str) {
    let all = fired(rules, sql);
    assert!(all.is_empty(), "{sql}: expected nothing, got {all:?}");
}

#[test]
fn statement_class() {
    let r = "  - { id: ro, kind: statement_class, allow: [query, explain, show, describe] }\n";
    fires!(r, "DROP TABLE orders");
    fires!(r, "DELETE FROM orders WHERE dt = '1'");
    fires!(
        r,
        "UNLOAD (SELECT order_id FROM orders WHERE dt = '1') TO 's3://x/'"
    );
    fires!(r, "CREATE TABLE t AS SELECT order_id FROM orders");
    quiet(r, "SELECT order_id FROM orders");
    quiet(r, "EXPLAIN SELECT order_id FROM orders");
    quiet(r, "SHOW TABLES");
}

#[test]
fn single_statement() {
    let r = "  - { id: one, kind: single_statement }\n";
    fires!(r, "SELECT 1; SELECT 2");
    quiet(r, "SELECT 1;");
}

#[test]
fn object_allowlist() {
    let r = "  - { id: objects, kind: object_allowlist, tables: [sales.orders] }\n";
    fires!(r, "SELECT email FROM customers");
    fires!(
        r,
        "INSERT INTO sales.customers SELECT * FROM sales.customers"
    );
    quiet(r, "SELECT order_id FROM orders");
    let r = "  - { id: objects, kind: object_allowlist, databases: [hr] }\n";
    quiet(r, "SELECT name FROM hr.customers");
    fires!(r, "SELECT order_id FROM orders");
    // A federated catalog is refused even though the resolver also reports it.
    let report = check(r, "SELECT 1 FROM dynamo.hr.customers");
    assert!(report
        .diagnostics()
        .iter()
        .any(|d| d.rule == "objects" && d.message.contains("dynamo.hr.customers")));
}

#[test]
fn restricted_columns_and_elevation() {
    let r = "  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read], message: \"{column} is personal data: request pii-read\" }\n  - { id: restricted, kind: restricted_columns, tags: [restricted] }\n";
    let report = check(r, "SELECT email FROM customers");
    assert_eq!(report.verdict(), Verdict::Elevate);
    assert_eq!(report.elevations(), ["pii-read"]);
    let d = &report.diagnostics()[0];
    assert_eq!(
        d.message,
        "sales.customers.email is personal data: request pii-read"
    );
    assert_eq!(
        (d.span.start.line, d.span.start.column, d.span.end.column),
        (1, 8, 13)
    );
    assert_eq!(
        check(r, "SELECT ssn FROM customers").verdict(),
        Verdict::Deny
    );
    quiet(r, "SELECT customer_id FROM customers");
    // Active elevations remove what they unlock.
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: ["pii-read".to_string()].into(),
    };
    let report = lint(&with_rules(r), "SELECT email FROM customers", &ctx);
    assert_eq!(report.verdict(), Verdict::Allow);
    // The gate cancels work that leans on an elevation when it ends: say which ones did.
    assert_eq!(report.lifted_by().iter().collect::<Vec<_>>(), ["pii-read"]);
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: ["pii-read".to_string(), "large-scan".to_string()].into(),
    };
    assert!(
        lint(&with_rules(r), "SELECT customer_id FROM customers", &ctx)
            .lifted_by()
            .is_empty()
    );
}

#[test]
fn required_row_predicate() {
    let r = "  - { id: tenant, kind: required_row_predicate, tables: [sales.orders], column: customer_id }\n";
    fires!(r, "SELECT order_id FROM orders");
    fires!(r, "SELECT order_id FROM orders WHERE customer_id > 3");
    fires!(
        r,
        "SELECT order_id FROM orders WHERE customer_id = 3 OR amount > 1"
    );
    quiet(r, "SELECT order_id FROM orders WHERE customer_id = 42");
    quiet(
        r,
        "SELECT order_id FROM orders o WHERE o.customer_id IN (1, 2) AND amount > 0",
    );
    quiet(
        r,
        "SELECT order_id FROM orders WHERE customer_id = 1 OR customer_id = 2",
    );
    // Each read of the table is checked.
    fires!(
        r,
        "SELECT order_id FROM orders WHERE customer_id = 1 UNION SELECT order_id FROM orders"
    );
}

#[test]
fn require_partition_filter() {
    let r = "  - { id: part, kind: require_partition_filter, tables: [sales.orders] }\n";
    fires!(r, "SELECT order_id FROM orders");
    fires!(
        r,
        "SELECT order_id FROM orders WHERE substr(dt, 1, 4) = '2024'"
    );
    fires!(
        r,
        "SELECT order_id FROM orders WHERE CAST(dt AS date) = DATE '2024-01-01'"
    );
    fires!(
        r,
        "SELECT order_id FROM orders WHERE dt = '2024-01-01' OR amount > 5"
    );
    fires!(r, "SELECT order_id FROM orders WHERE dt = order_id");
    quiet(r, "SELECT order_id FROM orders WHERE dt = '2024-01-01'");
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt IN ('2024-01-01', '2024-01-02')",
    );
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt BETWEEN '2024-01-01' AND '2024-01-31'",
    );
    quiet(r, "SELECT order_id FROM orders WHERE '2024-01-01' <= dt");
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt = '2024-01-01' OR dt > '2024-06-01'",
    );
    quiet(r, "SELECT c.email FROM customers c JOIN orders o ON o.customer_id = c.customer_id AND o.dt = '1'");
    // The span is the table's name.
    let report = check(r, "SELECT order_id FROM orders");
    let d = &report.diagnostics()[0];
    assert_eq!((d.span.start.column, d.span.end.column), (22, 28));
}

#[test]
fn bounds_outside_a_plain_projection_reach_its_table() {
    let r = "  - { id: part, kind: require_partition_filter, tables: [sales.orders] }
";
    // Every row of a plain projection is a row of its table: a bound outside is a bound on it.
    quiet(
        r,
        "SELECT order_id FROM (SELECT * FROM orders) t WHERE t.dt = '2024-01-01'",
    );
    quiet(
        r,
        "SELECT order_id FROM (SELECT order_id, dt AS day FROM orders o) t WHERE day IN ('a', 'b')",
    );
    quiet(
        r,
        "SELECT d FROM (SELECT o.dt FROM sales.orders o) AS t(d) WHERE d BETWEEN 'a' AND 'b'",
    );
    quiet(
        r,
        "WITH o AS (SELECT * FROM orders) SELECT count(*) FROM o WHERE dt = '2024-01-01'",
    );
    quiet(r, "WITH o(id, day) AS (SELECT order_id, dt FROM orders) SELECT id FROM o JOIN customers c ON c.customer_id = o.id AND o.day = 'x'");
    quiet(
        r,
        "SELECT order_id FROM (SELECT * FROM orders WHERE amount > 0) t WHERE dt = 'x'",
    );
    // Not a plain projection: the bound stays outside and the table is read whole.
    fires!(
        r,
        "SELECT * FROM (SELECT * FROM orders LIMIT 10) t WHERE dt = 'x'"
    );
    fires!(
        r,
        "SELECT * FROM (SELECT DISTINCT dt, order_id FROM orders) t WHERE dt = 'x'"
    );
    fires!(
        r,
        "SELECT * FROM (SELECT dt, count(*) AS n FROM orders GROUP BY dt) t WHERE dt = 'x'"
    );
    fires!(
        r,
        "SELECT * FROM (SELECT substr(dt, 1, 7) AS dt FROM orders) t WHERE dt = '2024-01'"
    );
    fires!(r, "SELECT * FROM (SELECT o.dt FROM orders o JOIN customers c ON c.customer_id = o.customer_id) t WHERE dt = 'x'");
    fires!(
        r,
        "SELECT * FROM (SELECT dt FROM orders UNION ALL SELECT dt FROM orders) t WHERE dt = 'x'"
    );
    fires!(r, "SELECT * FROM (SELECT dt, row_number() OVER (ORDER BY dt) AS n FROM orders) t WHERE dt = 'x'");
    fires!(
        r,
        "SELECT * FROM (SELECT * FROM orders TABLESAMPLE BERNOULLI (10)) t WHERE dt = 'x'"
    );
    fires!(
        r,
        "SELECT * FROM (SELECT * FROM (SELECT * FROM orders) a) b WHERE dt = 'x'"
    );
    // A CTE read twice, once bounded and once not, reads its table unbounded.
    fires!(r, "WITH o AS (SELECT * FROM orders) SELECT a.order_id FROM o a JOIN o b ON a.order_id = b.order_id WHERE a.dt = 'x'");
    fires!(r, "WITH o AS (SELECT * FROM orders) SELECT order_id FROM o WHERE dt = 'x' UNION ALL SELECT order_id FROM o");
    // A CTE named like the table is not the table.
    fires!(r, "WITH orders AS (SELECT * FROM sales.orders LIMIT 5) SELECT * FROM (SELECT * FROM orders) t WHERE dt = 'x'");
    // A LEFT JOIN's ON bounds its optional side, as for tables.
    quiet(r, "SELECT c.email FROM customers c LEFT JOIN (SELECT * FROM orders) o ON o.customer_id = c.customer_id AND o.dt = '1'");

    let tenant = "  - { id: tenant, kind: required_row_predicate, tables: [sales.orders], column: customer_id }\n";
    quiet(
        tenant,
        "SELECT order_id FROM (SELECT * FROM orders) t WHERE customer_id = 42",
    );
    fires!(
        tenant,
        "SELECT order_id FROM (SELECT * FROM orders LIMIT 100) t WHERE customer_id = 42"
    );
    fires!(tenant, "SELECT t.order_id FROM (SELECT order_id AS customer_id, order_id FROM orders) t WHERE customer_id = 42");
    // An ON condition is judged where it stands: here `t` is still the outer VALUES row, not
    // the orders joined after it under the same name.
    let correlated = "SELECT x.order_id FROM (VALUES (42)) AS t(customer_id) CROSS JOIN LATERAL (\
        SELECT t.order_id FROM (VALUES (1)) AS a(k) JOIN (VALUES (1)) AS b(k) ON t.customer_id = 42 \
        JOIN {orders} t ON t.order_id > a.k) x";
    for orders in ["orders", "(SELECT * FROM orders)"] {
        fires!(tenant, &correlated.replace("{orders}", orders));
    }
    quiet(tenant, "SELECT o.order_id FROM customers c JOIN orders o ON o.customer_id = c.customer_id AND o.customer_id = 42");

    // The scan estimate narrows through the projection too: one partition of 1000.
    let budget = "  - { id: budget, kind: max_scan_bytes, limit: 500GB }\n";
    quiet(
        budget,
        "SELECT order_id FROM (SELECT * FROM orders) t WHERE dt = 'x'",
    );
    fires!(
        budget,
        "SELECT order_id FROM (SELECT * FROM orders LIMIT 5) t WHERE dt = 'x'"
    );
}

#[test]
fn max_scan_bytes() {
    let r = "  - { id: budget, kind: max_scan_bytes, limit: 1TB, unlocked_by: [large-scan] }\n";
    quiet(r, "SELECT order_id FROM orders");
    let r = "  - { id: budget, kind: max_scan_bytes, limit: 500GB, unlocked_by: [large-scan] }\n";
    fires!(r, "SELECT order_id FROM orders");
    fires!(
        r,
        "SELECT o.order_id FROM orders o JOIN orders p ON o.order_id = p.order_id"
    );
    // One partition of 1000: 0.8 GB.
    quiet(r, "SELECT order_id FROM orders WHERE dt = '2024-01-01'");
    quiet(r, "SELECT order_id FROM orders WHERE dt IN ('a', 'b', 'c')");
    assert_eq!(
        check(r, "SELECT order_id FROM orders").verdict(),
        Verdict::Elevate
    );
    let r = "  - { id: budget, kind: max_scan_bytes, limit: 1TB }\n";
    fires!(r, "SELECT name FROM hr.customers");
}

#[test]
fn a_left_joins_on_filter_bounds_its_optional_side_only() {
    let r = "  - { id: part, kind: require_partition_filter, tables: [sales.orders] }\n";
    quiet(r, "SELECT c.customer_id FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id AND o.dt = '2024-01-01'");
    quiet(r, "SELECT c.customer_id FROM customers c LEFT OUTER JOIN orders o ON o.dt IN ('a', 'b') AND o.customer_id = c.customer_id");
    // The preserved side keeps every row whatever the ON says.
    fires!(r, "SELECT o.order_id FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id AND o.dt = '2024-01-01'");
    fires!(r, "SELECT o.order_id FROM customers c RIGHT JOIN orders o ON o.customer_id = c.customer_id AND o.dt = '2024-01-01'");
    fires!(r, "SELECT o.order_id FROM customers c FULL JOIN orders o ON o.customer_id = c.customer_id AND o.dt = '2024-01-01'");
    // A condition that is not a bound on the key does not count.
    fires!(r, "SELECT c.customer_id FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id AND (o.dt = '1' OR o.order_id = 2)");
    // The scan estimate counts it too: customers (2 GB) and one partition of orders (0.8 GB).
    let budget = "  - { id: budget, kind: max_scan_bytes, limit: 3GB }\n";
    quiet(budget, "SELECT c.customer_id FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id AND o.dt = '2024-01-01' WHERE c.customer_id = 1");
}

#[test]
fn show_stats_scans_nothing_but_covers_every_row() {
    // Athena answers SHOW STATS from the catalog's statistics: no partition is read.
    let cost = "  - { id: part, kind: require_partition_filter, tables: [sales.orders] }\n  - { id: budget, kind: max_scan_bytes, limit: 1GB }\n";
    quiet(cost, "SHOW STATS FOR orders");
    quiet(cost, "SHOW STATS FOR (SELECT order_id FROM orders)");
    // The statistics describe every row of the table, tenants included.
    let tenant = "  - { id: tenant, kind: required_row_predicate, tables: [sales.orders], column: customer_id }\n";
    fires!(tenant, "SHOW STATS FOR orders");
}

/// The rules a plan does not answer to (it scans nothing) and those it does, in one policy.
const EXPLAIN_RULES: &str = "  - { id: ro, kind: statement_class, allow: [query, explain] }\n  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }\n  - { id: restricted, kind: restricted_columns, tags: [restricted] }\n  - { id: tenant, kind: required_row_predicate, tables: [sales.customers], column: customer_id }\n  - { id: part, kind: require_partition_filter, tables: [sales.orders] }\n  - { id: budget, kind: max_scan_bytes, limit: 1TB, unlocked_by: [large-scan] }\n";

#[test]
fn a_plain_explain_scans_nothing_so_no_budget_nor_partition_filter_applies() {
    // The whole of orders (800 GB) with no filter on dt: the query needs its filter and the
    // large-scan elevation under a 1 GB budget...
    let r = EXPLAIN_RULES.replace("1TB", "1GB");
    fires!(&r, "SELECT order_id FROM orders");
    // ...its plan needs neither: Athena plans from the catalog and scans no data.
    for sql in [
        "EXPLAIN SELECT order_id FROM orders",
        "explain (TYPE DISTRIBUTED) SELECT order_id FROM orders",
        "EXPLAIN (FORMAT JSON, TYPE IO) SELECT order_id FROM orders",
        "EXPLAIN (TYPE VALIDATE) SELECT order_id FROM orders",
        "EXPLAIN (TYPE LOGICAL) SELECT o.order_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id WHERE c.customer_id = 1",
    ] {
        quiet(&r, sql);
        assert!(check(&r, sql).scan_targets().is_empty(), "{sql}: nothing to measure");
    }
}

#[test]
fn explain_analyze_runs_the_query_so_it_is_judged_as_the_query() {
    let r = EXPLAIN_RULES.replace("1TB", "1GB");
    // Athena runs it and bills the scan: the budget and the partition filter apply, and the
    // message says a plain EXPLAIN would not scan.
    fires!(&r, "EXPLAIN ANALYZE SELECT order_id FROM orders");
    fires!(&r, "EXPLAIN ANALYZE VERBOSE SELECT order_id FROM orders");
    // Forms Athena does not document are taken as running (fail closed), and the message
    // does not call them EXPLAIN ANALYZE.
    fires!(&r, "EXPLAIN (ANALYZE) SELECT order_id FROM orders");
    for sql in [
        "DESCRIBE SELECT order_id FROM orders",
        "DESCRIBE ANALYZE SELECT order_id FROM orders",
    ] {
        let described = check(&r, sql);
        let budget = described
            .diagnostics()
            .iter()
            .find(|d| d.rule == "budget")
            .expect("DESCRIBE of a query is budgeted");
        assert!(
            budget
                .message
                .starts_with("this form of EXPLAIN or DESCRIBE is taken as running"),
            "{sql}: {}",
            budget.message
        );
    }
    let analyze = check(
        &r,
        "EXPLAIN ANALYZE SELECT order_id FROM orders WHERE dt = '2024-01-01'",
    );
    assert_eq!(
        analyze.verdict(),
        Verdict::Allow,
        "{:?}",
        analyze.diagnostics()
    );
    assert_eq!(analyze.scan_targets().len(), 1, "measured as the query is");
}

#[test]
fn every_other_rule_applies_to_the_statement_an_explain_plans() {
    // A plan names tables, columns and partition values: it is allowed exactly when the
    // query would be, but for the scan.
    fires!(
        EXPLAIN_RULES,
        "EXPLAIN SELECT email FROM customers WHERE customer_id = 1"
    );
    fires!(
        EXPLAIN_RULES,
        "EXPLAIN SELECT ssn FROM customers WHERE customer_id = 1"
    );
    fires!(EXPLAIN_RULES, "EXPLAIN SELECT customer_id FROM customers");
    quiet(
        EXPLAIN_RULES,
        "EXPLAIN SELECT customer_id FROM customers WHERE customer_id = 1",
    );
}

#[test]
fn explain_analyze_of_a_write_is_that_write() {
    // EXPLAIN ANALYZE runs what it explains: an INSERT it explains is written.
    let r = "  - { id: ro, kind: statement_class, allow: [query, explain] }\n";
    fires!(r, "EXPLAIN ANALYZE INSERT INTO orders SELECT order_id, customer_id, card_number, amount, dt FROM orders WHERE dt = '1'");
    fires!(
        r,
        "EXPLAIN ANALYZE CREATE TABLE t AS SELECT order_id FROM orders WHERE dt = '1'"
    );
    // A plan of it writes nothing.
    quiet(r, "EXPLAIN INSERT INTO orders SELECT order_id, customer_id, card_number, amount, dt FROM orders WHERE dt = '1'");
    quiet(r, "EXPLAIN ANALYZE SELECT order_id FROM orders");
}

#[test]
fn duplicate_partition_values_count_once_in_the_scan_estimate() {
    // 0.8 GB a partition: one fits in 1 GB, two do not.
    let r = "  - { id: budget, kind: max_scan_bytes, limit: 1GB }\n";
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt IN ('2024-01-01', '2024-01-01')",
    );
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt IN ('2024-01-01', '2024-01-01', '2024-01-01')",
    );
    fires!(
        r,
        "SELECT order_id FROM orders WHERE dt IN ('2024-01-01', '2024-01-02')"
    );
    // Across the branches of an OR too: the partitions selected are the union of the branches'.
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt = '2024-01-01' OR dt = '2024-01-01'",
    );
    quiet(
        r,
        "SELECT order_id FROM orders WHERE dt IN ('2024-01-01') OR (dt = '2024-01-01' OR dt IN ('2024-01-01'))",
    );
    fires!(
        r,
        "SELECT order_id FROM orders WHERE dt = '2024-01-01' OR dt IN ('2024-01-02', '2024-01-01')"
    );
}

#[test]
fn select_star() {
    let r = "  - { id: star, kind: select_star, severity: warning }\n";
    fires!(r, "SELECT * FROM customers");
    fires!(r, "SELECT c.* FROM customers c");
    quiet(r, "SELECT count(*) FROM customers");
    quiet(r, "SELECT email FROM customers");
    assert_eq!(
        check(r, "SELECT * FROM customers").verdict(),
        Verdict::Allow,
        "a warning does not block"
    );
}

#[test]
fn require_limit_with_quick_fix() {
    let r = "  - { id: limit, kind: require_limit, max_rows: 5000 }\n";
    let sql = "SELECT email FROM customers -- all of them\n;";
    let report = check(r, sql);
    let d = report
        .diagnostics()
        .iter()
        .find(|d| d.rule == "limit")
        .expect("fires");
    let fix = d.fix.as_ref().expect("quick fix");
    assert_eq!(fix.replacement, " LIMIT 1000");
    let mut fixed = sql.to_string();
    fixed.insert_str(fix.span.start.offset, &fix.replacement);
    assert_eq!(
        fixed,
        "SELECT email FROM customers LIMIT 1000 -- all of them\n;"
    );
    quiet(r, &fixed);
    fires!(r, "SELECT email FROM customers LIMIT 10000");
    quiet(r, "SELECT count(*), max(amount) FROM orders");
    fires!(r, "SELECT dt, count(*) FROM orders GROUP BY dt");
    quiet(r, "SHOW TABLES");
    // The fix lands in the statement it belongs to.
    let report = check(
        r,
        "SELECT 1 LIMIT 1; SELECT email FROM customers; SELECT 2 LIMIT 1",
    );
    let fix = report.diagnostics()[0].fix.as_ref().expect("fix");
    assert_eq!(
        fix.span.start.offset,
        "SELECT 1 LIMIT 1; SELECT email FROM customers".len()
    );
    // Empty statements (`;;`, a leading `;`) do not shift the fix to another statement.
    let sql = ";SELECT 1 LIMIT 1;; SELECT email FROM customers;SELECT 2 LIMIT 1";
    let report = check(r, sql);
    let fix = report.diagnostics()[0].fix.as_ref().expect("fix");
    assert_eq!(
        fix.span.start.offset,
        ";SELECT 1 LIMIT 1;; SELECT email FROM customers".len()
    );
}

#[test]
fn cross_join() {
    let r = "  - { id: cross, kind: cross_join }\n";
    fires!(r, "SELECT 1 FROM orders CROSS JOIN customers");
    fires!(r, "SELECT 1 FROM orders, customers");
    fires!(
        r,
        "SELECT 1 FROM orders o, customers c WHERE o.amount > 1 AND c.customer_id = 1"
    );
    quiet(
        r,
        "SELECT 1 FROM orders o, customers c WHERE o.customer_id = c.customer_id",
    );
    quiet(
        r,
        "SELECT t.x FROM customers CROSS JOIN UNNEST(tags) AS t(x)",
    );
    quiet(
        r,
        "SELECT 1 FROM orders o JOIN customers c ON o.customer_id = c.customer_id",
    );
}

#[test]
fn export_destination() {
    let r = "  - { id: export, kind: export_destination, allow_prefixes: ['s3://exports/'] }\n";
    fires!(
        r,
        "UNLOAD (SELECT order_id FROM orders) TO 's3://elsewhere/x'"
    );
    fires!(
        r,
        "CREATE TABLE t WITH (external_location = 's3://other/t') AS SELECT order_id FROM orders"
    );
    quiet(
        r,
        "UNLOAD (SELECT order_id FROM orders) TO 's3://exports/x/'",
    );
    quiet(
        r,
        "CREATE TABLE t WITH (external_location = 's3://exports/t') AS SELECT order_id FROM orders",
    );
}

#[test]
fn blocked_functions() {
    let r = "  - { id: fns, kind: blocked_functions, functions: [sleep, reflect] }\n";
    fires!(r, "SELECT SLEEP(10) FROM orders");
    fires!(
        r,
        "SELECT order_id FROM orders WHERE length(cast(reflect('x') AS varchar)) > 0"
    );
    quiet(r, "SELECT upper(email) FROM customers");
}

#[test]
fn unbounded_write() {
    let r = "  - { id: writes, kind: unbounded_write }\n";
    fires!(r, "DELETE FROM orders");
    fires!(r, "DELETE FROM orders WHERE 1 = 1");
    fires!(
        r,
        "UPDATE customers SET email = NULL WHERE true OR customer_id = 1"
    );
    fires!(r, "DELETE FROM orders WHERE dt = dt");
    fires!(
        r,
        "MERGE INTO orders t USING customers s ON 1 = 1 WHEN MATCHED THEN DELETE"
    );
    quiet(r, "DELETE FROM orders WHERE dt = '2024-01-01'");
    quiet(r, "UPDATE customers SET email = NULL WHERE customer_id = 1");
    quiet(r, "MERGE INTO orders t USING customers s ON t.customer_id = s.customer_id WHEN MATCHED THEN DELETE");
}

#[test]
fn hints() {
    let r = "  - { id: order, kind: order_by_without_limit }\n  - { id: nulls, kind: null_comparison }\n";
    let report = check(r, "SELECT order_id FROM orders ORDER BY amount");
    assert_eq!(report.diagnostics()[0].severity, Severity::Warning);
    assert_eq!(report.verdict(), Verdict::Allow);
    fires!(r, "SELECT order_id FROM orders ORDER BY amount");
    quiet(r, "SELECT order_id FROM orders ORDER BY amount LIMIT 5");
    fires!(r, "SELECT order_id FROM orders WHERE card_number = NULL");
    fires!(r, "SELECT order_id FROM orders WHERE NULL <> card_number");
    quiet(r, "SELECT order_id FROM orders WHERE card_number IS NULL");
}

#[test]
fn built_in_query_size() {
    let sql = format!("SELECT 1 {}", " ".repeat(crate::MAX_QUERY_BYTES));
    let report = check("  - { id: one, kind: single_statement }\n", &sql);
    assert_eq!(report.verdict(), Verdict::Deny);
    assert_eq!(report.diagnostics()[0].rule, "query_size");
}

#[test]
fn smallest_elevation_set_across_rules() {
    let r = "  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }\n  - { id: budget, kind: max_scan_bytes, limit: 1GB, unlocked_by: [large-scan, pii-read] }\n";
    let report = check(r, "SELECT email FROM customers");
    assert_eq!(report.verdict(), Verdict::Elevate);
    assert_eq!(report.elevations(), ["pii-read"]);
    assert_eq!(report.blocking_rules(), ["budget", "pii"]);
}
