//! A workgroup's named queries, read from the stand-in through the real SDK.

mod common;

use common::lab;
use warden_engine::{Engine, NAMED_QUERIES_MAX};
use warden_test_support::standin::local_sdk_config;

async fn create(athena: &aws_sdk_athena::Client, workgroup: &str, name: &str, sql: &str) {
    athena
        .create_named_query()
        .work_group(workgroup)
        .name(name)
        .description(format!("{name}, for the tests"))
        .database("t")
        .query_string(sql)
        .send()
        .await
        .expect("the stand-in keeps the named query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_workgroups_named_queries_are_listed_in_name_order() {
    let lab = lab(1).await;
    let athena = aws_sdk_athena::Client::new(&local_sdk_config(&lab.standin.endpoint));
    // More than one page of ids and one batch of reads (50 each).
    for i in (0..53).rev() {
        create(
            &athena,
            "primary",
            &format!("q{i:02}"),
            &format!("SELECT {i}"),
        )
        .await;
    }
    create(&athena, "capped", "capped only", "SELECT id FROM t.items").await;

    let engine = lab.engine(lab.settings("primary"));
    let listed = engine
        .named_queries()
        .await
        .expect("listed")
        .expect("Athena has workgroups");
    assert_eq!(listed.workgroup, "primary");
    assert!(!listed.truncated);
    let names: Vec<&str> = listed.queries.iter().map(|q| q.name.as_str()).collect();
    let want: Vec<String> = (0..53).map(|i| format!("q{i:02}")).collect();
    assert_eq!(names, want.iter().map(String::as_str).collect::<Vec<_>>());
    let first = &listed.queries[0];
    assert_eq!(first.sql, "SELECT 0");
    assert_eq!(first.database.as_deref(), Some("t"));
    assert_eq!(first.description, "q00, for the tests");

    // A picked workgroup's own, not the default's.
    engine.pick_workgroup("capped");
    let capped = engine.named_queries().await.unwrap().unwrap();
    assert_eq!(capped.workgroup, "capped");
    assert_eq!(
        capped
            .queries
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        ["capped only"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workgroup_with_too_many_is_read_up_to_the_cap_and_says_so() {
    let lab = lab(1).await;
    let athena = aws_sdk_athena::Client::new(&local_sdk_config(&lab.standin.endpoint));
    for i in 0..=NAMED_QUERIES_MAX {
        create(&athena, "primary", &format!("q{i:04}"), "SELECT 1").await;
    }
    let engine = lab.engine(lab.settings("primary"));
    let listed = engine.named_queries().await.unwrap().unwrap();
    assert!(listed.truncated);
    assert_eq!(listed.queries.len(), NAMED_QUERIES_MAX);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_listing_says_which_call_failed() {
    let lab = lab(1).await;
    let engine = lab.engine(lab.settings("primary"));
    lab.standin.knobs.set(|k| k.fail_calls_next = 10);
    let err = engine
        .named_queries()
        .await
        .expect_err("the stand-in fails every call");
    assert!(err.to_string().contains("ListNamedQueries"), "{err}");
}
