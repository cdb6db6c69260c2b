//! Names the lint resolved differently from Trino (Athena engine v3): each query reads what
//! Trino reads, or is refused with what to write instead.

use super::tests_support::{columns_read, lint_with, unresolved_refusals};
use crate::{Report, Verdict};

fn run(sql: &str) -> Report {
    lint_with(
        "  - { id: restricted, kind: restricted_columns, tags: [restricted] }\n",
        sql,
    )
}

/// The columns `sql` reads (`table.column`), whatever the verdict.
fn reads(sql: &str) -> Vec<String> {
    columns_read(&run(sql))
}

/// Asserts `sql` is refused as unresolved, and returns those messages.
fn refused(sql: &str) -> Vec<String> {
    unresolved_refusals(sql, &run(sql))
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

// --- `FROM a, b JOIN c ON ...` is `a, (b JOIN c ON ...)`: the ON sees b and c (and outer
// queries), never a.

#[test]
fn an_on_clause_does_not_see_earlier_comma_items() {
    // Inside the ON, `o` is the outer customers: its ssn is read.
    let sql = "SELECT (SELECT count(*) FROM (SELECT 'v' AS ssn) o, orders x JOIN orders y ON o.ssn = 'a' AND x.order_id = y.order_id) AS n FROM customers o";
    assert!(
        reads(sql).contains(&"customers.ssn".to_string()),
        "{:?}",
        reads(sql)
    );
    // At top level there is nothing outside: the name is unknown there.
    let m = refused(
        "SELECT x.order_id FROM customers c, orders x JOIN orders y ON c.customer_id = y.customer_id",
    );
    assert!(
        m.iter().any(|m| m.contains("c is an earlier FROM item")
            && m.contains("move the condition to WHERE")),
        "{m:?}"
    );
    // Joined with JOIN, or tested in WHERE, it is seen.
    for sql in [
        "SELECT x.order_id FROM customers c JOIN orders x ON c.customer_id = x.customer_id JOIN orders y ON c.customer_id = y.customer_id",
        "SELECT x.order_id FROM customers c, orders x JOIN orders y ON x.order_id = y.order_id WHERE c.customer_id = y.customer_id",
    ] {
        let r = run(sql);
        assert!(r.reads().contains(&"sales.customers.customer_id".to_string()), "{sql}");
        assert!(
            r.diagnostics().iter().all(|d| d.rule != "unresolved"),
            "{sql}: {:?}",
            r.diagnostics()
        );
    }
}

#[test]
fn an_outer_partition_filter_does_not_bound_an_inner_scan() {
    let rules = "  - { id: pf, kind: require_partition_filter, tables: [sales.orders] }\n";
    // The inner orders `o` is not filtered by `o.dt` in the ON: that is the outer orders.
    let sql = "SELECT o.order_id, (SELECT count(*) FROM orders o, customers c JOIN customers c2 ON o.dt = '2024-01-01' AND c.customer_id = c2.customer_id) AS n FROM orders o WHERE o.dt = '2024-01-01' LIMIT 10";
    let r = lint_with(rules, sql);
    assert_eq!(r.verdict(), Verdict::Deny, "{:?}", r.diagnostics());
    assert!(
        r.diagnostics().iter().any(|d| d.rule == "pf"),
        "{:?}",
        r.diagnostics()
    );
    // Filtered where it stands, it passes.
    let sql = "SELECT o.order_id, (SELECT count(*) FROM orders o, customers c JOIN customers c2 ON c.customer_id = c2.customer_id WHERE o.dt = '2024-01-01') AS n FROM orders o WHERE o.dt = '2024-01-01' LIMIT 10";
    let r = lint_with(rules, sql);
    assert_eq!(r.verdict(), Verdict::Allow, "{:?}", r.diagnostics());
}

// --- UNNEST and LATERAL see the FROM items before them only when they stand as a comma item
// of their own (Trino: the right side of a join sees its left side only when it is lateral).

#[test]
fn unnest_sees_earlier_items_only_as_its_own_comma_item() {
    // As a comma item: it sees every earlier item.
    let sql = "SELECT t.x FROM customers c, UNNEST(c.tags) AS t(x)";
    assert!(
        reads(sql).contains(&"customers.tags".to_string()),
        "{:?}",
        reads(sql)
    );
    let sql = "SELECT t.x FROM orders o JOIN customers c ON o.customer_id = c.customer_id, UNNEST(c.tags) AS t(x)";
    assert!(
        reads(sql).contains(&"customers.tags".to_string()),
        "{:?}",
        reads(sql)
    );
    // As the first item of a join in a later comma item: only outer queries are visible.
    refused("SELECT t.x FROM customers c, UNNEST(c.tags) AS t(x) JOIN orders o ON true");
    // Joined: it sees its own join's left side.
    let sql = "SELECT t.x FROM orders o, customers c CROSS JOIN UNNEST(c.tags) AS t(x)";
    assert!(
        reads(sql).contains(&"customers.tags".to_string()),
        "{:?}",
        reads(sql)
    );
    refused("SELECT t.x FROM customers c, orders o CROSS JOIN UNNEST(c.tags) AS t(x)");
}
