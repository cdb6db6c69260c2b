//! The scan budget on an `athena` workspace, measured before the run: the sizes of the S3
//! objects under the partitions the query selects (Glue `GetPartitions` in moto, listings through
//! the stand-in's S3 front), cached in the workspace's cache folder, and the policy's stats when
//! S3 cannot be listed.

use warden_engine::CancellationToken;
use warden_guardrails::{human_size, ScanSource};
use warden_test_support::standin::s3_client;

use crate::athena_gate_tests::{lab, Lab};
use crate::{Home, RunError};

const LAKE: &str = "demo-lake";

/// The bytes moto holds under `prefix` of the lake bucket, listed directly.
async fn bytes_under(lab: &Lab, prefix: &str) -> u64 {
    let s3 = s3_client(&lab.moto.endpoint);
    let mut total = 0;
    let mut pages = s3
        .list_objects_v2()
        .bucket(LAKE)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for o in page.expect("listed").contents() {
            total += o.size().unwrap_or(0) as u64;
        }
    }
    total
}

/// Puts `bytes` more into one partition of sales.orders, behind the policy's back (not a
/// Parquet file: the stand-in's engine skips it, S3 counts it).
async fn grow_partition(lab: &Lab, dt: &str, bytes: usize) {
    s3_client(&lab.moto.endpoint)
        .put_object()
        .bucket(LAKE)
        .key(format!("lake/sales/orders/dt={dt}/late-arrival.bin"))
        .body(vec![0u8; bytes].into())
        .send()
        .await
        .expect("put");
}

/// Where the lab's `aws` workspace keeps its measured scan sizes.
fn cache_file(lab: &Lab) -> std::path::PathBuf {
    crate::scan_cache::path(&Home::under(lab.home.path()).cache, "aws")
}

fn budget_message(e: &RunError) -> String {
    e.report()
        .and_then(|r| r.diagnostics().iter().find(|d| d.rule == "scan-budget"))
        .map(|d| d.message.clone())
        .unwrap_or_else(|| panic!("not refused by the scan budget: {e}"))
}

#[tokio::test]
async fn the_selected_partitions_are_measured_and_a_query_over_the_budget_is_refused_with_the_figure(
) {
    let lab = lab().await;
    let gate = lab.gate().await;
    // One partition holds 30 MB more than the policy's stats know of; its neighbour does not.
    grow_partition(&lab, "2025-09-05", 30_000_000).await;
    let one_day = "SELECT order_id FROM orders WHERE dt = '2025-09-06' LIMIT 5";
    let estimate = gate
        .scan_estimate(one_day, &[], Some("sales"))
        .await
        .expect("policy")
        .expect("the demo policy has a scan budget");
    // Exactly the objects of the selected partition, not the whole table.
    let day = bytes_under(&lab, "lake/sales/orders/dt=2025-09-06/").await;
    let table = bytes_under(&lab, "lake/sales/orders/").await;
    assert!(day > 0 && day < table, "{day} of {table}");
    assert_eq!(estimate.bytes, Some(day));
    assert_eq!(estimate.source, ScanSource::Listing { cached: false });
    let run = gate
        .run(one_day, Some("sales"), CancellationToken::new())
        .await
        .expect("within the budget");
    assert!(run.result.len() <= 5);

    // Two partitions, one of them grown: the stats would allow it, the objects do not.
    let two_days = "SELECT order_id FROM orders WHERE dt IN ('2025-09-05', '2025-09-06') LIMIT 5";
    let lint = gate.lint(two_days, Some("sales")).expect("policy");
    assert_eq!(
        lint.verdict(),
        warden_guardrails::Verdict::Allow,
        "the stats allow it"
    );
    let refused = gate
        .run(two_days, Some("sales"), CancellationToken::new())
        .await
        .expect_err("over the budget");
    let both = bytes_under(&lab, "lake/sales/orders/dt=2025-09-05/").await + day;
    let budget = estimate.budget;
    let message = format!(
        "the query would scan about {}, budget {} (from S3 object sizes): filter on partition keys or select fewer tables; or request the large-scan elevation",
        human_size(both),
        human_size(budget)
    );
    assert_eq!(budget_message(&refused), message);
    // The window's check once the text rests says what the run said, where the typed lint
    // allowed it.
    let measured = gate
        .lint_measured(two_days, Some("sales"))
        .await
        .expect("policy");
    assert_ne!(measured.verdict(), warden_guardrails::Verdict::Allow);
    assert_eq!(
        refused.report().map(|r| r.verdict()),
        Some(measured.verdict())
    );
    let said: Vec<_> = measured
        .diagnostics()
        .iter()
        .filter(|d| d.rule == "scan-budget")
        .map(|d| d.message.clone())
        .collect();
    // The run's listing is cached a few minutes: the check reads it from there.
    assert_eq!(
        said,
        [message.replace("S3 object sizes)", "S3 object sizes, cached)")]
    );
    // Recorded as blocked by the budget, as every refusal is.
    let events = gate
        .audit()
        .events(&[], None, None, false)
        .expect("journal");
    let blocked = events
        .iter()
        .rfind(|e| e.kind == "query_blocked")
        .expect("blocked recorded");
    assert_eq!(
        blocked.payload["query"]["rule_ids"],
        serde_json::json!(["scan-budget"])
    );
}

#[tokio::test]
async fn a_listing_that_fails_falls_back_to_the_stats_with_the_reason() {
    let lab = lab().await;
    let gate = lab.gate().await;
    lab.standin.knobs.set(|k| k.refuse_s3_lists = true);
    let sql = "SELECT order_id FROM orders WHERE dt = '2025-09-06' LIMIT 5";
    let estimate = gate
        .scan_estimate(sql, &[], Some("sales"))
        .await
        .expect("policy")
        .expect("budget");
    let from_stats = gate.lint(sql, Some("sales")).expect("policy");
    // Never zero: the stats' figure, and why the objects were not used.
    assert_eq!(
        estimate.bytes,
        from_stats.scan_estimate().and_then(|e| e.bytes)
    );
    assert!(estimate.bytes.is_some_and(|b| b > 0));
    assert_eq!(
        estimate.to_string(),
        format!(
            "about {}, budget {} (from the policy's stats: sales.orders could not be measured (a permission is missing: s3:ListBucket was refused (Access Denied); ask your administrator for s3:ListBucket))",
            human_size(estimate.bytes.unwrap_or(0)),
            human_size(estimate.budget)
        )
    );
    // The run is still decided (within the budget by the stats) and runs.
    gate.run(sql, Some("sales"), CancellationToken::new())
        .await
        .expect("runs on the stats' estimate");

    // A whole-table read over the budget is refused, the message saying where the figure came from.
    let refused = gate
        .run(
            "SELECT order_id FROM orders LIMIT 5",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect_err("over the budget");
    let message = budget_message(&refused);
    assert!(
        message.contains("(from the policy's stats: sales.orders could not be measured (a permission is missing: s3:ListBucket was refused (Access Denied); ask your administrator for s3:ListBucket))"),
        "{message}"
    );
}

#[tokio::test]
async fn the_second_run_uses_the_cached_sizes() {
    let lab = lab().await;
    let gate = lab.gate().await;
    let sql = "SELECT order_id FROM orders WHERE dt = '2025-09-06' LIMIT 5";
    gate.run(sql, Some("sales"), CancellationToken::new())
        .await
        .expect("runs");
    let lists = lab.standin.s3_lists();
    assert!(lists > 0, "the first run lists S3");
    let cache = cache_file(&lab);
    assert!(cache.is_file(), "the sizes are kept in the cache folder");

    // The next run (and the next session) takes the sizes from the cache: no listing.
    drop(gate);
    let gate = lab.gate().await;
    gate.run(sql, Some("sales"), CancellationToken::new())
        .await
        .expect("runs");
    assert_eq!(lab.standin.s3_lists(), lists, "no listing the second time");
    let estimate = gate
        .scan_estimate(sql, &[], Some("sales"))
        .await
        .expect("policy")
        .expect("budget");
    assert_eq!(estimate.source, ScanSource::Listing { cached: true });
    assert_eq!(
        estimate.bytes,
        Some(bytes_under(&lab, "lake/sales/orders/dt=2025-09-06/").await)
    );
    // Another partition is not in the cache: it is listed.
    gate.scan_estimate(
        "SELECT order_id FROM orders WHERE dt = '2025-09-07' LIMIT 5",
        &[],
        Some("sales"),
    )
    .await
    .expect("policy");
    assert!(lab.standin.s3_lists() > lists);
}

#[tokio::test]
async fn a_policy_that_keeps_no_sql_text_keeps_no_measured_sizes_either() {
    let lab = lab().await;
    let gate = lab.gate().await;
    let secret_day = "SELECT order_id FROM orders WHERE dt = '2025-09-06' LIMIT 5";
    gate.run(secret_day, Some("sales"), CancellationToken::new())
        .await
        .expect("runs");
    let cache = cache_file(&lab);
    assert!(std::fs::read_to_string(&cache)
        .expect("kept under sql_text: full")
        .contains("2025-09-06"));

    // The security team switches to `audit.sql_text: hash`: the file, whose keys quote the
    // literals, goes, and no run or estimate writes it again.
    let hashed = format!("{}audit: {{ sql_text: hash }}\n", lab.policy);
    lab._fixture
        .publish(&hashed, 2, chrono::Duration::days(30))
        .await;
    gate.refresh_policy().await;
    assert_eq!(
        gate.policy().expect("policy").policy().audit_sql_text(),
        warden_guardrails::SqlText::Hash
    );
    // The next run, even one that reads no table, removes the file.
    gate.run("SELECT 1", Some("sales"), CancellationToken::new())
        .await
        .expect("runs");
    assert!(!cache.exists(), "removed once sql_text: hash is in force");
    let lists = lab.standin.s3_lists();
    gate.run(secret_day, Some("sales"), CancellationToken::new())
        .await
        .expect("runs");
    assert!(
        !cache.exists(),
        "no measured sizes kept under sql_text: hash"
    );
    assert!(lab.standin.s3_lists() > lists, "measured again instead");
    let estimate = gate
        .scan_estimate(secret_day, &[], Some("sales"))
        .await
        .expect("policy")
        .expect("budget");
    assert_eq!(estimate.source, ScanSource::Listing { cached: false });
    assert!(!cache.exists());
}

#[tokio::test]
async fn a_parameter_selects_the_partitions_of_its_value() {
    let lab = lab().await;
    let gate = lab.gate().await;
    grow_partition(&lab, "2025-09-05", 30_000_000).await;
    let sql = "SELECT order_id FROM orders WHERE dt = ? LIMIT 5";
    let (ok, _) = gate
        .run_with_parameters(
            sql,
            &["'2025-09-06'".into()],
            Some("sales"),
            CancellationToken::new(),
        )
        .await;
    ok.expect("the small partition runs");
    let (refused, _) = gate
        .run_with_parameters(
            sql,
            &["'2025-09-05'".into()],
            Some("sales"),
            CancellationToken::new(),
        )
        .await;
    let refused = refused.expect_err("the grown partition is over the budget");
    assert!(
        refused.to_string().contains("(from S3 object sizes)"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_range_on_the_partition_key_measures_only_the_days_it_selects() {
    let lab = lab().await;
    let gate = lab.gate().await;
    grow_partition(&lab, "2025-09-05", 30_000_000).await;
    let days = |from: &'static str, to: &'static str| {
        let lab = &lab;
        async move {
            let mut total = 0;
            for day in ["2025-09-05", "2025-09-06", "2025-09-07"] {
                if (from..=to).contains(&day) {
                    total += bytes_under(lab, &format!("lake/sales/orders/dt={day}/")).await;
                }
            }
            total
        }
    };
    let between =
        "SELECT order_id FROM orders WHERE dt BETWEEN '2025-09-06' AND '2025-09-07' LIMIT 5";
    let estimate = gate
        .scan_estimate(between, &[], Some("sales"))
        .await
        .expect("policy")
        .expect("the demo policy has a scan budget");
    assert_eq!(estimate.bytes, Some(days("2025-09-06", "2025-09-07").await));
    assert_eq!(estimate.source, ScanSource::Listing { cached: false });
    gate.run(between, Some("sales"), CancellationToken::new())
        .await
        .expect("two small days are within the budget");

    // A range taking in the grown day is refused with the figure of its own days, not the
    // whole table's.
    let from_grown =
        "SELECT order_id FROM orders WHERE dt >= '2025-09-05' AND dt < '2025-09-07' LIMIT 5";
    let refused = gate
        .run(from_grown, Some("sales"), CancellationToken::new())
        .await
        .expect_err("over the budget");
    let figure = human_size(days("2025-09-05", "2025-09-06").await);
    let message = budget_message(&refused);
    assert!(
        message.starts_with(&format!(
            "the query would scan about {figure}, budget {} (from S3 object sizes)",
            human_size(estimate.budget)
        )),
        "{message}"
    );
}

/// Turns partition projection on for sales.orders (days as `yyyy-MM-dd` in the Hive layout it
/// already has) and deletes its partitions from Glue, which Athena no longer reads.
async fn project_orders(lab: &Lab) {
    use aws_sdk_glue::types::TableInput;
    let glue = warden_test_support::standin::glue_client(&lab.moto.endpoint);
    let table = glue
        .get_table()
        .database_name("sales")
        .name("orders")
        .send()
        .await
        .expect("get table");
    let table = table.table().expect("a table");
    let mut input = TableInput::builder()
        .name(table.name())
        .set_partition_keys(Some(table.partition_keys().to_vec()))
        .set_storage_descriptor(table.storage_descriptor().cloned())
        .set_parameters(table.parameters().cloned());
    for (k, v) in [
        ("projection.enabled", "true"),
        ("projection.dt.type", "date"),
        ("projection.dt.format", "yyyy-MM-dd"),
        ("projection.dt.range", "2025-09-01,NOW"),
    ] {
        input = input.parameters(k, v);
    }
    glue.update_table()
        .database_name("sales")
        .table_input(input.build().expect("table input"))
        .send()
        .await
        .expect("update table");
    let partitions = glue
        .get_partitions()
        .database_name("sales")
        .table_name("orders")
        .send()
        .await
        .expect("partitions");
    assert!(
        !partitions.partitions().is_empty(),
        "the lab's orders have partitions"
    );
    for p in partitions.partitions() {
        glue.delete_partition()
            .database_name("sales")
            .table_name("orders")
            .set_partition_values(Some(p.values().to_vec()))
            .send()
            .await
            .expect("delete partition");
    }
}

#[tokio::test]
async fn a_table_with_partition_projection_is_measured_from_its_objects() {
    let lab = lab().await;
    project_orders(&lab).await;
    let gate = lab.gate().await;
    let one_day = "SELECT order_id FROM orders WHERE dt = '2025-09-06' LIMIT 5";
    let estimate = gate
        .scan_estimate(one_day, &[], Some("sales"))
        .await
        .expect("policy")
        .expect("the demo policy has a scan budget");
    assert_eq!(
        estimate.bytes,
        Some(bytes_under(&lab, "lake/sales/orders/dt=2025-09-06/").await)
    );
    assert_eq!(estimate.source, ScanSource::Listing { cached: false });

    // A day grown behind the policy's back refuses a range that takes it in, with the figure
    // of the range's own days read back from the object keys.
    grow_partition(&lab, "2025-09-05", 30_000_000).await;
    let from_grown =
        "SELECT order_id FROM orders WHERE dt >= '2025-09-05' AND dt < '2025-09-07' LIMIT 5";
    let refused = gate
        .run(from_grown, Some("sales"), CancellationToken::new())
        .await
        .expect_err("over the budget");
    let mut days = 0;
    for day in ["2025-09-05", "2025-09-06"] {
        days += bytes_under(&lab, &format!("lake/sales/orders/dt={day}/")).await;
    }
    let message = budget_message(&refused);
    assert!(
        message.starts_with(&format!(
            "the query would scan about {}, budget {} (from S3 object sizes)",
            human_size(days),
            human_size(estimate.budget)
        )),
        "{message}"
    );
}
