//! Names the lint resolved differently from Trino (Athena engine v3): each query reads what
//! Trino reads, or is refused with what to write instead.

use super::tests_support::CATALOG;
use crate::{lint, LintContext, Policy, Report, Verdict};

fn run_with(rules: &str, sql: &str) -> Report {
    let policy = Policy::from_yaml(&format!("{CATALOG}rules:\n{rules}")).expect("policy");
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    };
    lint(&policy, sql, &ctx)
}

fn run(sql: &str) -> Report {
    run_with(
        "  - { id: restricted, kind: restricted_columns, tags: [restricted] }\n",
        sql,
    )
}

/// The columns `sql` reads (`table.column`), whatever the verdict.
fn reads(sql: &str) -> Vec<String> {
    run(sql)
        .reads()
        .iter()
        .map(|c| c.trim_start_matches("sales.").to_string())
        .collect()
}

/// Asserts `sql` is refused as unresolved, and returns those messages.
fn refused(sql: &str) -> Vec<String> {
    let r = run(sql);
    assert_eq!(r.verdict(), Verdict::Deny, "{sql} was not denied");
    let out: Vec<String> = r
        .diagnostics()
        .iter()
        .filter(|d| d.rule == "unresolved")
        .map(|d| d.message.clone())
        .collect();
    assert!(!out.is_empty(), "{sql}: denied, but not as unresolved");
    out
}

// --- A qualified name is resolved scope by scope, innermost first, as Trino does: in each
// scope a relation of that name with that column, else a column of that name (a row field),
// and only then the enclosing query.

#[test]
fn an_inner_row_column_wins_over_an_outer_relation_of_that_name() {
    for sql in [
        // The inner `customers` has a column `address`: `address.city` is its field, not the
        // outer relation `address`'s column `city`.
        "SELECT (SELECT max(address.city) FROM customers) AS x FROM (SELECT 'x' AS city) address",
        "SELECT c.customer_id, (SELECT address.zip FROM customers i WHERE i.customer_id = c.customer_id) AS s FROM customers c, (SELECT 'x' AS zip) address",
        // Through a subscript too.
        "SELECT (SELECT max(address.city[1]) FROM customers) AS x FROM (SELECT 'x' AS city) address",
    ] {
        assert!(
            reads(sql).contains(&"customers.address".to_string()),
            "{sql} reads address: {:?}",
            reads(sql)
        );
    }
}

#[test]
fn an_inner_relation_without_the_column_leaves_the_name_to_the_outer_query() {
    // Inner `o` has no ssn and no column `o`: Trino goes on to the outer `o`.
    let sql = "SELECT (SELECT count(*) FROM orders o WHERE o.ssn = 'x') FROM customers o";
    assert!(
        reads(sql).contains(&"customers.ssn".to_string()),
        "{:?}",
        reads(sql)
    );
    // The inner relation still wins when it has the column.
    let sql = "SELECT (SELECT max(o.customer_id) FROM orders o) FROM customers o";
    assert_eq!(reads(sql), ["orders.customer_id"]);
    // A name nothing carries is still refused, naming the relation that lacks it.
    let m = refused("SELECT o.nope FROM orders o");
    assert!(m.iter().any(|m| m.contains("has no column nope")), "{m:?}");
}

// --- A qualifier that names two relations of one FROM: Trino does not pick one for us.

#[test]
fn two_relations_of_one_name_are_refused() {
    for sql in [
        "SELECT c.ssn FROM (SELECT 'x' AS ssn) c, sales.customers c",
        "SELECT c.ssn FROM sales.customers c, (SELECT 'x' AS ssn) c",
        "SELECT customers.id FROM sales.customers, hr.customers",
        "SELECT c.* FROM (SELECT 1 AS k) c, customers c",
        "SELECT count(c.*) FROM (SELECT 1 AS k) c JOIN customers c ON true",
        "SELECT 1 FROM orders JOIN orders ON orders.order_id = orders.order_id",
    ] {
        let m = refused(sql);
        assert!(
            m.iter()
                .any(|m| m.contains("names two relations") && m.contains("different aliases")),
            "{sql}: {m:?}"
        );
    }
    // Different aliases, or full names that differ, are fine.
    for sql in [
        "SELECT c.customer_id FROM (SELECT 1 AS k) d, customers c",
        "SELECT a.customer_id, b.id FROM sales.customers a, hr.customers b",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {:?}", r.diagnostics());
    }
}
