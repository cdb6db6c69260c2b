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
    put_objects(&s3, &[("sales/orders/dt=2025-09-010/stray", 5000)]).await;
    dir
}

/// Puts objects of these sizes (zeros) into the `lake` bucket.
async fn put_objects(s3: &aws_sdk_s3::Client, objects: &[(&str, usize)]) {
    for (key, size) in objects {
        s3.put_object()
            .bucket("lake")
            .key(*key)
            .body(vec![0u8; *size].into())
            .send()
            .await
            .expect("put");
    }
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

/// A partition Glue places outside the table's location (added with a LOCATION of its own) is
/// read by Athena when the table is read whole: its objects count then too, as when a filter
/// selects it.
#[tokio::test]
async fn a_partition_outside_the_tables_location_counts_when_the_table_is_read_whole() {
    use aws_sdk_glue::types::{PartitionInput, StorageDescriptor};
    let moto = Moto::start();
    let _lake = lake(&moto).await;
    let s3 = s3_client(&moto.endpoint);
    let glue = glue_client(&moto.endpoint);
    put_objects(&s3, &[("archive/orders/2025-09-04/a.parquet", 700)]).await;
    glue.create_partition()
        .database_name("sales")
        .table_name("orders")
        .partition_input(
            PartitionInput::builder()
                .values("2025-09-04")
                .storage_descriptor(
                    StorageDescriptor::builder()
                        .location("s3://lake/archive/orders/2025-09-04/")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("partition");
    let config = local_sdk_config(&moto.endpoint);
    let clients = AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint));
    let targets = [target("orders", &[]), target("orders", &["2025-09-04"])];
    let got = measure_all(&clients, &targets, &Bounds::default()).await;
    // The table's location (5,600 bytes, the stray object too) and the archived day.
    assert_eq!(got, [Ok(6300), Ok(700)]);
    // The policy's stats (`warden policy catalog --from-glue`) count the archived day too.
    let tables = warden_engine_athena::policy_catalog::read_tables(&clients, &["sales".into()])
        .await
        .expect("tables");
    let orders = tables.iter().find(|t| t.name == "orders").expect("orders");
    assert_eq!(
        (orders.size_bytes, orders.partitions),
        (Some(6300), Some(4))
    );

    // Listing every partition is bounded like a filter's.
    let few = Bounds {
        max_partitions: 2,
        ..Bounds::default()
    };
    let got = measure_all(&clients, &targets[..1], &few).await;
    assert_eq!(
        got[0],
        Err("the table has more than 2 partitions, more than Warden lists".into())
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

/// A Glue table with partition projection on `dt` (dates as `yyyy-MM-dd`): Glue lists none of
/// its partitions, Athena builds their locations from `template` (or the Hive layout under
/// `location`).
async fn projected_table(
    glue: &aws_sdk_glue::Client,
    name: &str,
    location: &str,
    template: Option<&str>,
) {
    projected_table_injected(glue, name, location, template, &[]).await
}

/// As `projected_table`, with these string keys before `dt`, whose values are the query's
/// (`injected`).
async fn projected_table_injected(
    glue: &aws_sdk_glue::Client,
    name: &str,
    location: &str,
    template: Option<&str>,
    injected: &[&str],
) {
    use aws_sdk_glue::types::{Column, StorageDescriptor, TableInput};
    let column = |name: &str, ty: &str| {
        Column::builder()
            .name(name)
            .r#type(ty)
            .build()
            .expect("column")
    };
    let mut input = TableInput::builder().name(name);
    for key in injected {
        input = input
            .partition_keys(column(key, "string"))
            .parameters(format!("projection.{key}.type"), "injected");
    }
    input = input
        .partition_keys(column("dt", "string"))
        .storage_descriptor(
            StorageDescriptor::builder()
                .location(location)
                .columns(column("id", "bigint"))
                .build(),
        )
        .parameters("projection.enabled", "true")
        .parameters("projection.dt.type", "date")
        .parameters("projection.dt.format", "yyyy-MM-dd")
        .parameters("projection.dt.range", "2025-01-01,NOW");
    if let Some(template) = template {
        input = input.parameters("storage.location.template", template);
    }
    glue.create_table()
        .database_name("sales")
        .table_input(input.build().expect("table input"))
        .send()
        .await
        .expect("create table");
}

/// A table with partition projection has no partitions in Glue: its layout is listed and each
/// object's partition read back from its key, so a filter selects what Athena would read.
#[tokio::test]
async fn a_table_with_partition_projection_is_measured_from_its_layout() {
    use Comparison::{GtEq, Lt, LtEq};
    let moto = Moto::start();
    let _lake = lake(&moto).await;
    let glue = glue_client(&moto.endpoint);
    let s3 = s3_client(&moto.endpoint);
    // `events`: its own layout, days of 100, 200 and 300 bytes, a folder that is not a day
    // (`2025-09`, 1,000 bytes) and a file beside the days (50).
    put_objects(
        &s3,
        &[
            ("events/2025-09-01/a.json", 100),
            ("events/2025-09-02/a.json", 200),
            ("events/2025-09-03/a.json", 150),
            ("events/2025-09-03/b.json", 150),
            ("events/2025-09/stray.json", 1000),
            ("events/_manifest", 50),
        ],
    )
    .await;
    projected_table(
        &glue,
        "events",
        "s3://lake/elsewhere/",
        Some("s3://lake/events/${dt}/"),
    )
    .await;
    // `projected`: the Hive layout of `orders` (dt=... under its location), read by projection.
    projected_table(&glue, "projected", "s3://lake/sales/orders/", None).await;
    projected_table(
        &glue,
        "odd",
        "s3://lake/odd/",
        Some("s3://lake/odd/${dt}-${dt}/"),
    )
    .await;

    let config = local_sdk_config(&moto.endpoint);
    let clients = AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint));
    let projected = |table: &str, bounds: &[(Comparison, &str)]| ScanTarget {
        table: table.into(),
        ..ranged(bounds)
    };
    let targets = [
        target("events", &["2025-09-02"]),
        target("events", &["2025-09-01", "2025-09-03"]),
        // The listing skips to the bound; `2025-09/` sorts after it but is below it.
        projected("events", &[(GtEq, "2025-09-02")]),
        // Below the bound: the day, and `2025-09`, which is no day (too high, never too low).
        projected("events", &[(Lt, "2025-09-02")]),
        target("events", &[]),
        target("projected", &["2025-09-01", "2025-09-03"]),
        // The two days, and the stray `dt=2025-09-010/`, whose text is within the range although
        // it is no day the projection makes (too high, never too low).
        projected("projected", &[(GtEq, "2025-09-01"), (LtEq, "2025-09-02")]),
        target("projected", &[]),
        target("odd", &[]),
    ];
    let got = measure_all(&clients, &targets, &Bounds::default()).await;
    assert_eq!(
        got[..8],
        [
            Ok(200),
            Ok(400),
            Ok(500),
            Ok(1100),
            Ok(1600),
            Ok(400),
            Ok(5300),
            Ok(5600)
        ]
    );
    let why = got[8].clone().expect_err("a layout it cannot read back");
    assert!(
        why.contains("partition projection") && why.contains("two values in one path segment"),
        "{why}"
    );

    // Each listing counts against the bounds: two days are two listings of one page each.
    let one_page = Bounds {
        max_pages: 1,
        ..Bounds::default()
    };
    let got = measure_all(&clients, &targets[..2], &one_page).await;
    assert_eq!(got[0], Ok(200));
    assert!(got[1]
        .clone()
        .expect_err("two listings")
        .contains("more than"));
}

/// The stats `warden policy catalog --from-glue` writes for a projected table are its layout's:
/// its objects may live outside the table's location (an empty `s3://lake/elsewhere/` here),
/// and Glue holds none of its partitions, so the location's bytes and Glue's count would be 0,
/// a fallback that lets any query through the budget. No partition count: folders that no
/// projected value names would inflate it, making one partition's share too small.
#[tokio::test]
async fn a_projected_tables_stats_are_read_from_its_layout() {
    use warden_engine_athena::policy_catalog::read_tables;
    let moto = Moto::start();
    let _lake = lake(&moto).await;
    let glue = glue_client(&moto.endpoint);
    let s3 = s3_client(&moto.endpoint);
    put_objects(
        &s3,
        &[
            ("events/2025-09-01/a.json", 100),
            ("events/2025-09-02/a.json", 200),
            ("events/2025-09-02/b.json", 300),
            ("events/_manifest", 50),
            ("regions/eu/west/2025-09-01/a.json", 70),
            ("regions/us/2025-09-01/a.json", 30),
        ],
    )
    .await;
    projected_table(
        &glue,
        "events",
        "s3://lake/elsewhere/",
        Some("s3://lake/events/${dt}/"),
    )
    .await;
    // `region` takes the query's values (injected), which may hold `/`: every object counts.
    projected_table_injected(
        &glue,
        "regions",
        "s3://lake/regions/",
        Some("s3://lake/regions/${region}/${dt}/"),
        &["region"],
    )
    .await;
    projected_table(
        &glue,
        "odd",
        "s3://lake/odd/",
        Some("s3://lake/odd/${dt}-${dt}/"),
    )
    .await;
    let config = local_sdk_config(&moto.endpoint);
    let clients = AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint));
    let tables = read_tables(&clients, &["sales".to_string()])
        .await
        .expect("tables");
    let stats = |name: &str| {
        let t = tables.iter().find(|t| t.name == name).expect(name);
        (t.size_bytes, t.partitions)
    };
    // Two days' objects; the file beside them is in no partition.
    assert_eq!(stats("events"), (Some(600), None));
    assert_eq!(stats("regions"), (Some(100), None));
    // A layout that cannot be read back: no stats rather than wrong ones.
    assert_eq!(stats("odd"), (None, None));
    // A table without projection keeps its location's bytes and Glue's partitions.
    assert_eq!(stats("orders"), (Some(5600), Some(3)));
}
