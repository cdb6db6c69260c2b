//! Resolution: what each statement reads, and what cannot be placed.

use crate::{lint, LintContext, Policy, Report, StatementClass, Verdict};

pub(crate) const CATALOG: &str = r#"format: warden-policy/1
name: test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii] }
            ssn: { type: varchar, tags: [restricted] }
            tags: array(varchar)
            address: row(city varchar, zip varchar)
          stats: { size_bytes: 2GB }
        orders:
          columns: { order_id: bigint, customer_id: bigint, card_number: { type: varchar, tags: [restricted] }, amount: double, dt: varchar }
          partition_keys: [dt]
          stats: { size_bytes: 800GB, partitions: 1000 }
    hr:
      tables:
        customers:
          columns: { id: bigint, name: varchar }
"#;

fn policy() -> Policy {
    Policy::from_yaml(CATALOG).expect("test catalog")
}

fn run(sql: &str) -> Report {
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    };
    lint(&policy(), sql, &ctx)
}

/// Column names read (`table.column`), for brevity.
fn reads(sql: &str) -> Vec<String> {
    let r = run(sql);
    let problems: Vec<&str> = r.diagnostics().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {problems:?}");
    r.reads()
        .iter()
        .map(|c| c.trim_start_matches("sales.").to_string())
        .collect()
}

fn unresolved(sql: &str) -> Vec<String> {
    let r = run(sql);
    assert_eq!(r.verdict(), Verdict::Deny, "{sql} was not denied");
    r.diagnostics()
        .iter()
        .filter(|d| d.rule == "unresolved" || d.rule == "parse_error")
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn qualified_names_aliases_and_case() {
    assert_eq!(
        reads("SELECT c.Email FROM Sales.Customers AS c"),
        ["customers.email"]
    );
    assert_eq!(
        reads("select \"EMAIL\" from \"sales\".\"customers\""),
        ["customers.email"]
    );
    assert_eq!(
        reads("SELECT customers.email FROM customers"),
        ["customers.email"]
    );
    assert_eq!(
        reads("SELECT sales.customers.email FROM sales.customers"),
        ["customers.email"]
    );
    assert_eq!(
        reads("SELECT email FROM awsdatacatalog.sales.customers"),
        ["customers.email"]
    );
    assert_eq!(
        run("SELECT name FROM hr.customers").reads(),
        ["hr.customers.name"]
    );
}

#[test]
fn star_expands_through_ctes_and_subqueries() {
    let all = [
        "customers.address",
        "customers.customer_id",
        "customers.email",
        "customers.ssn",
        "customers.tags",
    ];
    assert_eq!(reads("SELECT * FROM customers"), all);
    assert_eq!(
        reads("WITH c AS (SELECT * FROM customers) SELECT customer_id FROM c"),
        all
    );
    assert_eq!(
        reads("SELECT x.* FROM (SELECT email FROM customers) x"),
        ["customers.email"]
    );
    assert_eq!(
        reads("SELECT * FROM (SELECT email AS e FROM customers) WHERE e LIKE '%@x'"),
        ["customers.email"]
    );
}

#[test]
fn star_reads_point_at_the_star() {
    let r = run("SELECT * FROM customers");
    assert!(r.diagnostics().is_empty());
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    };
    let p = Policy::from_yaml(&format!(
        "{CATALOG}rules:\n  - {{ id: pii, kind: restricted_columns, tags: [pii] }}\n"
    ))
    .expect("policy");
    let r = lint(&p, "SELECT *\nFROM customers", &ctx);
    let d = &r.diagnostics()[0];
    assert_eq!(
        (d.span.start.line, d.span.start.column, d.span.end.column),
        (1, 8, 9)
    );
}

#[test]
fn count_star_reads_nothing() {
    assert!(reads("SELECT count(*) FROM customers").is_empty());
    assert_eq!(
        reads("SELECT count(*) FROM orders WHERE dt = '2024-01-01'"),
        ["orders.dt"]
    );
}

#[test]
fn cte_shadows_a_table_of_the_same_name() {
    assert_eq!(
        reads(
            "WITH customers AS (SELECT order_id AS email FROM orders) SELECT email FROM customers"
        ),
        ["orders.order_id"]
    );
    // The CTE body itself still sees the real table.
    assert_eq!(
        reads("WITH customers AS (SELECT customer_id FROM customers) SELECT customer_id FROM customers"),
        ["customers.customer_id"]
    );
    // A qualified name always means the real table.
    assert_eq!(
        reads("WITH customers AS (SELECT 1 AS x) SELECT email FROM sales.customers"),
        ["customers.email"]
    );
}

#[test]
fn derived_tables_with_and_without_alias() {
    assert_eq!(
        reads("SELECT e FROM (SELECT email e FROM customers) t"),
        ["customers.email"]
    );
    assert_eq!(
        reads("SELECT e FROM (SELECT email e FROM customers)"),
        ["customers.email"]
    );
    assert_eq!(
        reads("SELECT t.a FROM (SELECT email FROM customers) AS t(a)"),
        ["customers.email"]
    );
    assert!(
        unresolved("SELECT t.email FROM (SELECT email FROM customers) AS t(a)")[0]
            .contains("has no column email")
    );
    // A table's own columns by position follow the policy's order, which need not be Glue's.
    for sql in [
        "SELECT t.a FROM customers AS t(a, b, c, d, e)",
        "SELECT a FROM sales.customers t(a, b, c, d, e)",
    ] {
        let why = unresolved(sql);
        assert!(
            why.iter().any(|m| m.contains("by position")),
            "{sql}: {why:?}"
        );
    }
}

#[test]
fn unnest_with_ordinality_and_lambdas() {
    assert_eq!(
        reads(
            "SELECT t.tag, t.n FROM customers CROSS JOIN UNNEST(tags) WITH ORDINALITY AS t(tag, n)"
        ),
        ["customers.tags"]
    );
    assert_eq!(
        reads("SELECT transform(tags, x -> upper(x)) FROM customers"),
        ["customers.tags"]
    );
    assert_eq!(
        reads("SELECT filter(tags, email -> email <> '') FROM customers"),
        ["customers.tags"]
    );
    assert_eq!(
        reads("SELECT reduce(tags, 0, (s, x) -> s + length(x), s -> s) FROM customers"),
        ["customers.tags"]
    );
    assert_eq!(
        reads("SELECT tag FROM customers, UNNEST(tags) AS u(tag)"),
        ["customers.tags"]
    );
}

#[test]
fn values_and_set_operations() {
    assert_eq!(
        reads("SELECT a FROM (VALUES (1, 'x'), (2, 'y')) AS v(a, b)"),
        Vec::<String>::new()
    );
    assert_eq!(
        reads("SELECT email FROM customers UNION ALL SELECT card_number FROM orders WHERE dt = '1' ORDER BY email"),
        ["customers.email", "orders.card_number", "orders.dt"]
    );
    assert_eq!(
        reads("SELECT customer_id FROM customers INTERSECT SELECT customer_id FROM orders"),
        ["customers.customer_id", "orders.customer_id"]
    );
}

#[test]
fn joins_of_every_kind() {
    assert_eq!(
        reads("SELECT o.order_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id"),
        [
            "customers.customer_id",
            "orders.customer_id",
            "orders.order_id"
        ]
    );
    assert_eq!(
        reads("SELECT customer_id, email FROM orders JOIN customers USING (customer_id)"),
        [
            "customers.customer_id",
            "customers.email",
            "orders.customer_id"
        ]
    );
    assert_eq!(
        reads("SELECT customer_id FROM orders NATURAL JOIN customers"),
        ["customers.customer_id", "orders.customer_id"]
    );
    assert_eq!(
        reads("SELECT o.amount FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id FULL OUTER JOIN hr.customers h ON h.id = c.customer_id"),
        ["hr.customers.id", "customers.customer_id", "orders.amount", "orders.customer_id"]
    );
    assert_eq!(
        reads("SELECT o.amount FROM orders o, customers c WHERE o.customer_id = c.customer_id"),
        [
            "customers.customer_id",
            "orders.amount",
            "orders.customer_id"
        ]
    );
}

#[test]
fn ambiguous_and_unknown_names_fail_closed() {
    assert!(unresolved("SELECT customer_id FROM orders, customers")[0].contains("ambiguous"));
    assert!(unresolved("SELECT nope FROM customers")[0].contains("column nope"));
    assert!(unresolved("SELECT x.email FROM customers")[0].contains("x is not a table"));
    assert!(unresolved("SELECT 1 FROM sales.nothing")[0].contains("not in the policy's catalog"));
    assert!(unresolved("SELECT 1 FROM other_catalog.sales.customers")[0]
        .contains("catalog other_catalog"));
    let ctx = LintContext::default();
    let r = lint(&policy(), "SELECT email FROM customers", &ctx);
    assert!(r
        .diagnostics()
        .iter()
        .any(|d| d.message.contains("has no database")));
}

#[test]
fn correlated_scalar_and_exists_subqueries() {
    assert_eq!(
        reads("SELECT c.customer_id, (SELECT max(o.amount) FROM orders o WHERE o.customer_id = c.customer_id) FROM customers c"),
        ["customers.customer_id", "orders.amount", "orders.customer_id"]
    );
    assert_eq!(
        reads("SELECT customer_id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id AND card_number IS NOT NULL)"),
        ["customers.customer_id", "orders.card_number", "orders.customer_id"]
    );
    assert_eq!(
        reads("SELECT email FROM customers WHERE customer_id IN (SELECT customer_id FROM orders)"),
        [
            "customers.customer_id",
            "customers.email",
            "orders.customer_id"
        ]
    );
}

#[test]
fn windows_group_by_having_order_by() {
    assert_eq!(
        reads("SELECT row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rn FROM orders"),
        ["orders.amount", "orders.customer_id"]
    );
    assert_eq!(
        reads("SELECT customer_id AS c, sum(amount) AS total FROM orders GROUP BY 1 HAVING sum(amount) > 10 ORDER BY total"),
        ["orders.amount", "orders.customer_id"]
    );
    assert_eq!(
        reads("SELECT substr(dt, 1, 4) AS year FROM orders GROUP BY year ORDER BY year"),
        ["orders.dt"]
    );
    assert!(unresolved("SELECT customer_id FROM orders GROUP BY 2")[0].contains("position 2"));
    // Trino resolves GROUP BY and HAVING names against columns, an outer query's included, not
    // against the select list: `ssn` below is the customer's, a test on every row's ssn.
    for sql in [
        "SELECT c.customer_id FROM customers c CROSS JOIN LATERAL (SELECT 1 AS ssn HAVING ssn LIKE '1%') t",
        "SELECT customer_id, (SELECT 1 AS ssn GROUP BY ssn) AS x FROM customers",
        "SELECT customer_id FROM customers c WHERE EXISTS (SELECT 1 AS ssn HAVING ssn = '129-33-2011')",
    ] {
        let r = run(sql);
        // What the restricted-column rule then judges.
        assert!(
            r.reads().iter().any(|c| c == "sales.customers.ssn"),
            "{sql}: {:?}",
            r.reads()
        );
    }
    assert_eq!(
        reads("SELECT sum(amount) OVER w FROM orders WINDOW w AS (PARTITION BY dt)"),
        ["orders.amount", "orders.dt"]
    );
}

#[test]
fn literals_comments_and_aliases_named_like_columns_read_nothing() {
    assert_eq!(
        reads("SELECT 'email' AS ssn FROM customers -- email ssn\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        reads("/* ssn */ SELECT customer_id AS email FROM customers ORDER BY email"),
        ["customers.customer_id"]
    );
}

#[test]
fn row_fields_and_subscripts() {
    assert_eq!(
        reads("SELECT address.city FROM customers"),
        ["customers.address"]
    );
    assert_eq!(
        reads("SELECT c.address.city FROM customers c"),
        ["customers.address"]
    );
    assert_eq!(reads("SELECT tags[1] FROM customers"), ["customers.tags"]);
}

#[test]
fn tablesample_is_a_plain_read() {
    assert_eq!(
        reads("SELECT email FROM customers TABLESAMPLE BERNOULLI (10)"),
        ["customers.email"]
    );
}

#[test]
fn statement_classes_and_their_reads() {
    let r = run("UNLOAD (SELECT email FROM customers) TO 's3://b/x' WITH (format = 'PARQUET')");
    assert_eq!(r.statement_classes(), [StatementClass::Unload]);
    assert_eq!(r.reads(), ["sales.customers.email"]);
    let r =
        run("CREATE TABLE t2 WITH (external_location = 's3://b/t2') AS SELECT ssn FROM customers");
    assert_eq!(r.statement_classes(), [StatementClass::Ctas]);
    assert_eq!(r.reads(), ["sales.customers.ssn"]);
    let r = run("INSERT INTO orders SELECT order_id, customer_id, card_number, amount, dt FROM orders WHERE dt = '1'");
    assert_eq!(r.statement_classes(), [StatementClass::Insert]);
    let r = run("EXPLAIN SELECT email FROM customers");
    assert_eq!(r.statement_classes(), [StatementClass::Explain]);
    assert_eq!(r.reads(), ["sales.customers.email"]);
    assert_eq!(
        run("SHOW TABLES").statement_classes(),
        [StatementClass::Show]
    );
    assert_eq!(
        run("DESCRIBE customers").statement_classes(),
        [StatementClass::Describe]
    );
    assert_eq!(
        run("DROP TABLE customers").statement_classes(),
        [StatementClass::Ddl]
    );
    assert_eq!(
        run("CREATE VIEW v AS SELECT email FROM customers").statement_classes(),
        [StatementClass::Ddl]
    );
    assert_eq!(
        run("MSCK REPAIR TABLE orders").statement_classes(),
        [StatementClass::Ddl]
    );
    assert_eq!(
        run("DELETE FROM orders WHERE dt = '1'").statement_classes(),
        [StatementClass::Dml]
    );
    let r = run("UPDATE customers SET email = ssn WHERE customer_id = 1");
    assert_eq!(r.statement_classes(), [StatementClass::Dml]);
    assert_eq!(
        r.reads(),
        ["sales.customers.customer_id", "sales.customers.ssn"]
    );
    assert_eq!(
        run("DEALLOCATE PREPARE p").statement_classes(),
        [StatementClass::Prepared]
    );
}

#[test]
fn prepared_statements_and_execute_fail_closed() {
    assert!(!unresolved("PREPARE p FROM SELECT email FROM customers").is_empty());
    assert!(unresolved("EXECUTE p")[0].contains("prepared statements cannot be checked"));
}

#[test]
fn use_changes_the_database_of_later_statements() {
    let r = run("USE hr; SELECT name FROM customers");
    assert_eq!(r.reads(), ["hr.customers.name"]);
}

#[test]
fn the_select_list_of_exists_is_not_read() {
    assert_eq!(
        reads("SELECT customer_id FROM customers c WHERE EXISTS (SELECT * FROM orders o WHERE o.customer_id = c.customer_id)"),
        ["customers.customer_id", "orders.customer_id"]
    );
    // Everywhere else `*` reads what it expands to.
    assert_eq!(
        reads("SELECT customer_id FROM customers WHERE customer_id IN (SELECT o.customer_id FROM (SELECT * FROM orders) o)").len(),
        6
    );
}

#[test]
fn order_by_prefers_output_names() {
    assert_eq!(
        reads("SELECT o.customer_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id ORDER BY customer_id"),
        ["customers.customer_id", "orders.customer_id"]
    );
}

#[test]
fn star_tables_name_the_base_tables_a_star_may_expand_over() {
    let policy = policy();
    let ctx = LintContext {
        default_database: Some("sales".into()),
        ..Default::default()
    };
    let stars = |sql: &str| lint(&policy, sql, &ctx).star_tables().to_vec();
    assert_eq!(stars("SELECT * FROM customers"), ["sales.customers"]);
    assert_eq!(
        stars("SELECT c.* FROM customers c JOIN orders o ON c.customer_id = o.customer_id"),
        ["sales.customers", "sales.orders"]
    );
    assert_eq!(
        stars("WITH x AS (SELECT * FROM hr.customers) SELECT id FROM x"),
        ["hr.customers"]
    );
    assert!(stars("SELECT count(*) FROM orders").is_empty());
    assert!(stars("SELECT customer_id FROM customers").is_empty());
}
