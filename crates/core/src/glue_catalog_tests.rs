//! The schema panel's catalog on an `athena` workspace: read from moto's Glue, kept in the
//! workspace's cache folder, served from there by the next session, read again on Refresh, and
//! never trusted over Glue where it decides something (the star check).

use warden_engine::CancellationToken;
use warden_test_support::standin::{add_columns, glue_client};

use crate::athena_gate_tests::lab;
use crate::{Home, RunError};

fn columns_of(read: &crate::CachedCatalog, database: &str, table: &str) -> Vec<String> {
    read.catalog
        .databases
        .iter()
        .filter(|d| d.name == database)
        .flat_map(|d| d.tables.iter())
        .filter(|t| t.name == table)
        .flat_map(|t| t.columns.iter().map(|c| c.name.clone()))
        .collect()
}

#[tokio::test]
async fn the_catalog_is_cached_served_at_start_and_read_again_on_refresh() {
    let lab = lab().await;
    let cache_file = crate::catalog_cache::path(&Home::under(lab.home.path()).cache, "aws");

    // First session: nothing cached, so Glue is read and the read kept.
    let gate = lab.gate().await;
    let first = gate.catalog().await.expect("catalog");
    assert!(!first.from_cache);
    assert!(columns_of(&first, "sales", "customers").contains(&"email".to_string()));
    assert!(cache_file.is_file(), "the read is kept in the cache folder");
    drop(gate);

    // Glue gains a column; the next session shows the cached catalog at once, as read then.
    add_columns(
        &glue_client(&lab.moto.endpoint),
        "sales",
        "customers",
        &[("loyalty_tier", "string")],
    )
    .await
    .expect("column added");
    let gate = lab.gate().await;
    let cached = gate.catalog().await.expect("cached catalog");
    assert!(cached.from_cache);
    assert_eq!(cached.read_at, first.read_at);
    assert!(!columns_of(&cached, "sales", "customers").contains(&"loyalty_tier".to_string()));

    // Refresh reads Glue again, says when, and keeps that for the next session.
    let fresh = gate.refresh_catalog().await.expect("refreshed");
    assert!(!fresh.from_cache);
    assert!(fresh.read_at >= first.read_at);
    assert!(columns_of(&fresh, "sales", "customers").contains(&"loyalty_tier".to_string()));
    assert_eq!(gate.catalog().await.expect("catalog"), fresh);
    drop(gate);
    let gate = lab.gate().await;
    let next = gate.catalog().await.expect("catalog");
    assert!(next.from_cache);
    assert_eq!(next.read_at, fresh.read_at);
    assert!(columns_of(&next, "sales", "customers").contains(&"loyalty_tier".to_string()));
}

#[tokio::test]
async fn a_cache_that_cannot_be_read_is_ignored_and_glue_read_again() {
    let lab = lab().await;
    let cache_file = crate::catalog_cache::path(&Home::under(lab.home.path()).cache, "aws");
    std::fs::create_dir_all(cache_file.parent().expect("folder")).expect("folder");
    std::fs::write(
        &cache_file,
        b"{\"format\": \"warden-catalog-cache/1\", \"catal",
    )
    .expect("write");
    let gate = lab.gate().await;
    let read = gate.catalog().await.expect("catalog");
    assert!(!read.from_cache, "the broken file was not used");
    assert!(columns_of(&read, "sales", "customers").contains(&"email".to_string()));
    // And it was replaced by a whole one.
    drop(gate);
    let gate = lab.gate().await;
    assert!(gate.catalog().await.expect("catalog").from_cache);
}

/// A cache that says a table has only the policy's columns must not let a star through: the
/// star check reads Glue itself.
#[tokio::test]
async fn the_star_check_reads_glue_not_the_cache() {
    let lab = lab().await;
    // Under this policy a star over sales.customers is allowed (its columns untagged).
    let mut untagged = lab.policy.clone();
    for column in ["full_name", "email", "phone"] {
        untagged = untagged.replacen(
            &format!("{column}: {{ type: varchar, tags: [pii] }}"),
            &format!("{column}: varchar"),
            1,
        );
    }
    untagged = untagged.replacen(
        "ssn: { type: varchar, tags: [restricted] }",
        "ssn: varchar",
        1,
    );
    lab._fixture
        .publish(&untagged, 2, chrono::Duration::days(30))
        .await;
    let gate = lab.gate().await;
    let before = gate.catalog().await.expect("catalog");
    assert!(!columns_of(&before, "sales", "customers").contains(&"coupon_code".to_string()));
    drop(gate);
    add_columns(
        &glue_client(&lab.moto.endpoint),
        "sales",
        "customers",
        &[("coupon_code", "string")],
    )
    .await
    .expect("column added");
    let gate = lab.gate().await;
    assert!(
        gate.catalog().await.expect("catalog").from_cache,
        "the stale cache is served"
    );
    let err = gate
        .run(
            "SELECT * FROM sales.customers",
            None,
            CancellationToken::new(),
        )
        .await
        .expect_err("the star is refused");
    assert!(matches!(err, RunError::UnlistedColumns(_)), "{err}");
    assert!(err.to_string().contains("coupon_code"), "{err}");
    assert_eq!(lab.standin.executions_started(), 0);
}

/// The message an analyst gets for a column Glue has and the policy lacks.
fn unlisted_message(column: &str, table: &str) -> String {
    format!(
        "column {column} of {table} is not in the policy: Glue has it, but the security team has not classified it, so Warden cannot check it; ask the security team to add it to the policy"
    )
}

#[tokio::test]
async fn a_column_glue_has_and_the_policy_lacks_is_refused_naming_it_and_the_security_team() {
    let lab = lab().await;
    add_columns(
        &glue_client(&lab.moto.endpoint),
        "sales",
        "customers",
        &[("loyalty_tier", "string")],
    )
    .await
    .expect("column added");
    let gate = lab.gate().await;
    // The CLI's first run: no catalog read yet, the run reads it to explain the refusal.
    let err = gate
        .run(
            "SELECT customer_id, loyalty_tier FROM customers",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect_err("refused");
    assert!(matches!(err, RunError::Blocked(_)), "{err}");
    assert!(
        err.to_string()
            .contains(&unlisted_message("loyalty_tier", "sales.customers")),
        "{err}"
    );
    // The editor's verdict says the same, qualified or not.
    for sql in [
        "SELECT loyalty_tier FROM sales.customers",
        "SELECT c.loyalty_tier FROM sales.customers c",
    ] {
        let report = gate.lint(sql, None).expect("policy");
        assert_eq!(report.verdict(), warden_guardrails::Verdict::Deny, "{sql}");
        let messages: Vec<&str> = report
            .diagnostics()
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [unlisted_message("loyalty_tier", "sales.customers").as_str()],
            "{sql}"
        );
    }
    // A column Glue does not have either keeps the guardrails' own words.
    let report = gate
        .lint("SELECT no_such_column FROM sales.customers", None)
        .expect("policy");
    assert_eq!(
        report.diagnostics()[0].message,
        "column no_such_column is not in any table of this query (check the name and the catalog)"
    );
    assert_eq!(
        lab.standin.executions_started(),
        0,
        "nothing reached Athena"
    );
    let blocked = gate
        .audit()
        .events(&[warden_audit::Kind::QueryBlocked], None, None, false)
        .expect("journal");
    assert_eq!(blocked.len(), 1);
}

#[tokio::test]
async fn a_table_the_policy_lists_and_glue_lacks_is_reported_and_not_run() {
    let lab = lab().await;
    let glue = glue_client(&lab.moto.endpoint);
    glue.delete_table()
        .database_name("sales")
        .name("customers")
        .send()
        .await
        .expect("table deleted");
    let gate = lab.gate().await;
    gate.refresh_catalog().await.expect("catalog");
    let sql = "SELECT customer_id FROM sales.customers LIMIT 1";
    let report = gate.lint(sql, None).expect("policy");
    assert_eq!(report.verdict(), warden_guardrails::Verdict::Allow);
    let missing = "table sales.customers is in the policy but not in Glue: the query cannot read it; check the name, or ask the data team whether it was dropped or renamed";
    assert_eq!(gate.tables_missing(&report), [missing]);
    let err = gate
        .run(sql, None, CancellationToken::new())
        .await
        .expect_err("refused");
    assert!(matches!(err, RunError::MissingTables(_)), "{err}");
    assert_eq!(err.to_string(), format!("not run: {missing}"));
    assert_eq!(
        lab.standin.executions_started(),
        0,
        "nothing reached Athena"
    );
    let blocked = gate
        .audit()
        .events(&[warden_audit::Kind::QueryBlocked], None, None, false)
        .expect("journal");
    assert!(
        blocked[0]
            .payload
            .to_string()
            .contains("table-not-in-catalog"),
        "{}",
        blocked[0].payload
    );
    // Tables Glue still has are not reported.
    let report = gate
        .lint("SELECT order_id FROM sales.orders LIMIT 1", None)
        .expect("policy");
    assert!(gate.tables_missing(&report).is_empty());
}
