//! Measuring a scan from the objects against moto's Glue and S3: the selected partitions'
//! objects are summed (not the whole table's), an unpartitioned table is its location's total,
//! and past the bounds the answer is an error that says so.

use warden_engine_athena::scan_size::{measure_all, Bounds};
use warden_engine_athena::AthenaClients;
use warden_guardrails::{Comparison, PartitionFilter, PartitionRange, ScanTarget};
use warden_test_support::standin::{
    glue_client, local_sdk_config, s3_client, upload_table, TableUpload,
};
use warden_test_support::Moto;

/// `sales.orders` partitioned by dt (three days of 100, 200 and 300 bytes in two files each)
/// and `sales.customers` unpartitioned (1,000 bytes), in `s3://lake/`.
async fn lake(moto: &Moto) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let s3 = s3_client(&moto.endpoint);
    let glue = glue_client(&moto.endpoint);
    s3.create_bucket()
        .bucket("lake")
        .send()
        .await
        .expect("bucket");
    let orders = dir.path().join("orders");
    for (day, size) in [
        ("2025-09-01", 100),
        ("2025-09-02", 200),
        ("2025-09-03", 300),
    ] {
        let folder = orders.join(format!("dt={day}"));
        std::fs::create_dir_all(&folder).expect("dir");
        for part in ["a", "b"] {
            std::fs::write(folder.join(format!("{part}.parquet")), vec![0u8; size / 2])
                .expect("file");
        }
    }
    let customers = dir.path().join("customers");
    std::fs::create_dir_all(&customers).expect("dir");
    std::fs::write(customers.join("c.parquet"), vec![0u8; 1000]).expect("file");
    for (table, local, keys) in [
        ("orders", &orders, vec!["dt".to_string()]),
        ("customers", &customers, vec![]),
    ] {
        upload_table(
            &s3,
            &glue,
            "lake",
            "",
            &TableUpload {
                database: "sales",
                table,
                local_dir: local,
                columns: vec![("id".into(), "bigint".into())],
                partition_keys: keys,
            },
        )
        .await
        .expect("table");
    }
    // A neighbour whose name starts like a partition's: not part of dt=2025-09-01.
    s3.put_object()
        .bucket("lake")
        .key("sales/orders/dt=2025-09-010/stray")
        .body(vec![0u8; 5000].into())
        .send()
        .await
        .expect("put");
    dir
}

fn target(table: &str, days: &[&str]) -> ScanTarget {
    ScanTarget {
        database: "sales".into(),
        table: table.into(),
        partitions: if days.is_empty() {
            vec![]
        } else {
            vec![PartitionFilter {
                key: "dt".into(),
                values: days.iter().map(|d| format!("'{d}'")).collect(),
            }]
        },
        ranges: vec![],
    }
}

#[tokio::test]
async fn the_selected_partitions_are_summed_and_the_bounds_hold() {
    let moto = Moto::start();
    let _lake = lake(&moto).await;
    let config = local_sdk_config(&moto.endpoint);
    let clients = AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint));
    let targets = [
        target("orders", &["2025-09-01"]),
        target("orders", &["2025-09-01", "2025-09-03"]),
        target("orders", &["2025-12-31"]),
        target("orders", &[]),
        target("customers", &[]),
        target("nowhere", &[]),
    ];
    let got = measure_all(&clients, &targets, &Bounds::default()).await;
    assert_eq!(got[0], Ok(100));
    assert_eq!(got[1], Ok(400));
    // A filter that selects no partition reads nothing.
    assert_eq!(got[2], Ok(0));
    // The whole table is its location's total (the stray object too: too high, never too low).
    assert_eq!(got[3], Ok(5600));
    assert_eq!(got[4], Ok(1000));
    let missing = got[5].clone().expect_err("no such table");
    assert!(missing.contains("glue:GetTable"), "{missing}");

    // Past the bounds: an error saying so (the gate then uses the policy's stats).
    let small = Bounds {
        max_pages: 2,
        page_size: 1,
        ..Bounds::default()
    };
    let got = measure_all(&clients, &targets[..2], &small).await;
    assert_eq!(got[0], Ok(100), "two objects in two pages fit");
    assert_eq!(
        got[1],
        Err("more than 2 objects to list, more than Warden lists before a run".into())
    );
    let few = Bounds {
        max_partitions: 1,
        ..Bounds::default()
    };
    let got = measure_all(&clients, &targets[1..2], &few).await;
    assert_eq!(
        got[0],
        Err("the filter selects more than 1 partitions, more than Warden lists".into())
    );
}

/// `orders` with these bounds on dt, ANDed (a `BETWEEN` is two of them).
fn ranged(bounds: &[(Comparison, &str)]) -> ScanTarget {
    ScanTarget {
        ranges: bounds
            .iter()
            .map(|(comparison, day)| PartitionRange {
                key: "dt".into(),
                comparison: *comparison,
                value: format!("'{day}'"),
            })
            .collect(),
        ..target("orders", &[])
    }
}

/// A range is asked of Glue as the filter's expression: only its days' objects are summed, as
/// Athena would prune them (the days of 100, 200 and 300 bytes; the stray object under
/// `dt=2025-09-010/` belongs to no partition).
#[tokio::test]
async fn a_range_on_a_partition_key_sums_only_its_partitions() {
    use Comparison::{Gt, GtEq, Lt, LtEq};
    let moto = Moto::start();
    let _lake = lake(&moto).await;
    let config = local_sdk_config(&moto.endpoint);
    let clients = AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint));
    let mut between_and_in = ranged(&[(GtEq, "2025-09-01"), (LtEq, "2025-09-02")]);
    between_and_in.partitions = target("orders", &["2025-09-02", "2025-09-03"]).partitions;
    let targets = [
        ranged(&[(GtEq, "2025-09-02")]),
        ranged(&[(Gt, "2025-09-02")]),
        ranged(&[(Lt, "2025-09-02")]),
        ranged(&[(GtEq, "2025-09-01"), (LtEq, "2025-09-02")]),
        ranged(&[(Gt, "2025-09-03")]),
        between_and_in,
    ];
    let got = measure_all(&clients, &targets, &Bounds::default()).await;
    assert_eq!(got, [Ok(500), Ok(300), Ok(100), Ok(300), Ok(0), Ok(200)]);
}

/// A table with partition projection has no partitions in Glue: a filter would find none and
/// measure 0 bytes, so it is not measured at all (the gate falls back to the policy's stats).
#[tokio::test]
async fn a_table_with_partition_projection_is_not_measured() {
    use aws_sdk_glue::types::{Column, StorageDescriptor, TableInput};
    let moto = Moto::start();
    let _lake = lake(&moto).await;
    let glue = glue_client(&moto.endpoint);
    glue.create_table()
        .database_name("sales")
        .table_input(
            TableInput::builder()
                .name("projected")
                .partition_keys(
                    Column::builder()
                        .name("dt")
                        .r#type("string")
                        .build()
                        .expect("column"),
                )
                .storage_descriptor(
                    StorageDescriptor::builder()
                        .location("s3://lake/sales/orders/")
                        .columns(
                            Column::builder()
                                .name("id")
                                .r#type("bigint")
                                .build()
                                .expect("column"),
                        )
                        .build(),
                )
                .parameters("projection.enabled", "true")
                .parameters("projection.dt.type", "date")
                .build()
                .expect("table input"),
        )
        .send()
        .await
        .expect("create table");
    let config = local_sdk_config(&moto.endpoint);
    let clients = AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint));
    let got = measure_all(
        &clients,
        &[
            target("projected", &["2025-09-01"]),
            target("projected", &[]),
        ],
        &Bounds::default(),
    )
    .await;
    for answer in got {
        let why = answer.expect_err("not measured");
        assert!(why.contains("partition projection"), "{why}");
    }
}
