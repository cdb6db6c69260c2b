//! A moto_server (S3, Glue) with a small test table, the Athena stand-in over it, and an
//! engine pointed at both.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow::array::{Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use warden_engine::{Approved, Value};
use warden_engine_athena::{AthenaClients, AthenaEngine, AthenaSettings, RunEvent};
use warden_guardrails::{lint, LintContext, Policy};
use warden_test_support::standin::{
    ensure_bucket, glue_client, local_sdk_config, s3_client, upload_table, AthenaStandIn,
    StandInConfig, TableUpload, WorkGroupSpec,
};
use warden_test_support::Moto;

pub const RESULTS_BUCKET: &str = "athena-results";
pub const LAKE_BUCKET: &str = "lake";

/// The `name` cell of row `id`: NULL, empty, quotes, newlines, unicode and commas.
pub fn name(id: i64) -> Option<String> {
    match id % 10 {
        0 => None,
        1 => Some(String::new()),
        2 => Some("say \"hi\"".into()),
        3 => Some("line one\nline two".into()),
        4 => Some("Zoë 東京 🎉".into()),
        5 => Some("x,y".into()),
        _ => Some(format!("n{id}")),
    }
}

pub fn score(id: i64) -> Option<f64> {
    (id % 7 != 0).then_some(id as f64 * 0.5)
}

pub fn region(id: i64) -> &'static str {
    if id % 2 == 0 {
        "eu"
    } else {
        "us"
    }
}

/// Rows of `SELECT id, name, score, region FROM t.items ORDER BY id`.
pub fn expected(rows: i64) -> Vec<Vec<Value>> {
    (1..=rows)
        .map(|id| {
            vec![
                Value::Int(id),
                name(id).map(Value::Text).unwrap_or(Value::Null),
                score(id).map(Value::Float).unwrap_or(Value::Null),
                Value::Text(region(id).into()),
            ]
        })
        .collect()
}

fn write_items(dir: &Path, rows: i64) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
    ]));
    for r in ["eu", "us"] {
        let ids: Vec<i64> = (1..=rows).filter(|i| region(*i) == r).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(ids.clone())),
                Arc::new(StringArray::from(
                    ids.iter().map(|i| name(*i)).collect::<Vec<_>>(),
                )),
                Arc::new(Float64Array::from(
                    ids.iter().map(|i| score(*i)).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        let part = dir.join(format!("region={r}"));
        std::fs::create_dir_all(&part).unwrap();
        let file = std::fs::File::create(part.join("part-0.parquet")).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
}

pub struct Lab {
    pub standin: AthenaStandIn,
    pub moto: Moto,
    pub cache: tempfile::TempDir,
}

/// moto with `t.items` (`rows` rows, partitioned by region) in S3 and Glue, and a stand-in
/// with `primary` and `capped` (1-byte cutoff) workgroups.
pub async fn lab(rows: i64) -> Lab {
    let moto = Moto::start();
    let s3 = s3_client(&moto.endpoint);
    let glue = glue_client(&moto.endpoint);
    ensure_bucket(&s3, RESULTS_BUCKET).await.unwrap();
    ensure_bucket(&s3, LAKE_BUCKET).await.unwrap();
    let local = tempfile::tempdir().unwrap();
    write_items(local.path(), rows);
    upload_table(
        &s3,
        &glue,
        LAKE_BUCKET,
        "lake/",
        &TableUpload {
            database: "t",
            table: "items",
            local_dir: local.path(),
            columns: vec![
                ("id".into(), "bigint".into()),
                ("name".into(), "string".into()),
                ("score".into(), "double".into()),
            ],
            partition_keys: vec!["region".into()],
        },
    )
    .await
    .unwrap();
    let mut config = StandInConfig::new(&moto.endpoint, RESULTS_BUCKET);
    config.workgroups.push(
        WorkGroupSpec::new("capped", &format!("s3://{RESULTS_BUCKET}/capped/")).with_cutoff(1),
    );
    let standin = AthenaStandIn::start(config).unwrap();
    Lab {
        standin,
        moto,
        cache: tempfile::tempdir().unwrap(),
    }
}

impl Lab {
    pub fn settings(&self, workgroup: &str) -> AthenaSettings {
        let mut s = AthenaSettings::new(workgroup, self.cache.path().to_path_buf());
        s.poll_first = std::time::Duration::from_millis(20);
        s.poll_max = std::time::Duration::from_millis(200);
        s.stop_timeout = std::time::Duration::from_secs(10);
        s
    }

    /// Athena calls go to the stand-in, Glue to moto, S3 result reads through the stand-in's
    /// S3 front (so reads can be refused or dropped).
    pub fn engine(&self, settings: AthenaSettings) -> AthenaEngine {
        let athena_config = local_sdk_config(&self.standin.endpoint);
        let mut clients =
            AthenaClients::with_s3_endpoint(&athena_config, Some(&self.standin.s3_endpoint));
        clients.glue = AthenaClients::new(&local_sdk_config(&self.moto.endpoint)).glue;
        AthenaEngine::new(clients, settings)
    }
}

pub fn policy() -> Policy {
    Policy::from_yaml(
        "format: warden-policy/1\nname: athena-tests\ncatalog:\n  databases:\n    t:\n      tables:\n        items:\n          columns:\n            id: bigint\n            name: varchar\n            score: double\n            region: varchar\n          partition_keys: [region]\n",
    )
    .expect("test policy parses")
}

pub fn approve(sql: &str) -> Approved {
    lint(&policy(), sql, &LintContext::default())
        .approve()
        .unwrap_or_else(|r| panic!("{sql} was not approved: {r}"))
}

pub const SELECT_ITEMS: &str = "SELECT id, name, score, region FROM t.items ORDER BY id";

/// Records the events of a run.
#[derive(Default, Clone)]
pub struct Events(pub Arc<Mutex<Vec<String>>>);

impl Events {
    pub fn record(&self, e: &RunEvent) {
        let text = match e {
            RunEvent::Started { .. } => "started".to_string(),
            RunEvent::State(s) => format!("{s:?}"),
            RunEvent::Ended { statistics, .. } => format!("ended {}", statistics.bytes_scanned),
            RunEvent::Reading { path, .. } => format!("reading {path}"),
        };
        self.0.lock().unwrap().push(text);
    }

    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}
