//! One test of the SDK wiring against moto's canned Athena (which has no paging and no real
//! result object): the engine starts, polls, finds no readable object and pages the rows.

mod common;

use std::io::{Read, Write};

use common::*;
use warden_engine::{CancellationToken, Value};
use warden_engine_athena::{AthenaClients, AthenaEngine, AthenaSettings, ResultPath};
use warden_test_support::standin::local_sdk_config;
use warden_test_support::Moto;

fn post_json(endpoint: &str, path: &str, body: &str) -> String {
    let host = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_runs_on_motos_canned_athena_and_pages_its_rows() {
    let moto = Moto::start();
    let canned = serde_json::json!({
        "account_id": "123456789012",
        "region": "us-east-1",
        "results": [{
            "rows": [
                {"Data": [{"VarCharValue": "id"}, {"VarCharValue": "name"}]},
                {"Data": [{"VarCharValue": "1"}, {"VarCharValue": "Zoë"}]},
                {"Data": [{"VarCharValue": "2"}, {}]}
            ],
            "column_info": [
                {"Name": "id", "Label": "id", "Type": "bigint", "CatalogName": "hive", "SchemaName": "", "TableName": "", "Precision": 19, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": false},
                {"Name": "name", "Label": "name", "Type": "varchar", "CatalogName": "hive", "SchemaName": "", "TableName": "", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true}
            ]
        }]
    });
    let answer = post_json(
        &moto.endpoint,
        "/moto-api/static/athena/query-results",
        &canned.to_string(),
    );
    assert!(answer.starts_with("HTTP/1.1 20"), "{answer}");
    let cache = tempfile::tempdir().unwrap();
    let mut settings = AthenaSettings::new("primary", cache.path().to_path_buf());
    settings.output_location = Some("s3://no-such-bucket/results/".into());
    let config = local_sdk_config(&moto.endpoint);
    let engine = AthenaEngine::new(
        AthenaClients::with_s3_endpoint(&config, Some(&moto.endpoint)),
        settings,
    );
    let run = engine
        .run(
            &approve(SELECT_ITEMS),
            "moto-1",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap();
    assert!(
        matches!(run.path, ResultPath::Paging { .. }),
        "{:?}",
        run.path
    );
    assert_eq!(
        run.reader.page(0, 10).unwrap(),
        vec![
            vec![Value::Int(1), Value::Text("Zoë".into())],
            vec![Value::Int(2), Value::Null],
        ]
    );
}
