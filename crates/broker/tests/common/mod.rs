//! A moto_server with the request bucket, the policy with one manual and one automatic
//! elevation (`policies::ELEVATIONS`), and brokers on a hand-moved clock.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use warden_audit::{Actor, BrokerActionEnded, EventFilter, Journal, Payload};
use warden_broker::*;
use warden_elevation::{validate, Clock, Request, Validated};
use warden_guardrails::Policy;
use warden_test_support::{policies, ManualClock, Moto};

pub const ANA: &str = "AROAEXAMPLE:ana@example.com";
pub const BOB: &str = "AROAEXAMPLE:bob@example.com";
pub const EVE: &str = "AROAEXAMPLE:eve@example.com";
pub const BUCKET: &str = "warden-requests";
pub const PII_ROLE: &str = "arn:aws:iam::123456789012:role/warden-pii-read";
pub const SCAN_ROLE: &str = "arn:aws:iam::123456789012:role/warden-large-scan";

pub fn policy() -> Policy {
    Policy::from_yaml(policies::ELEVATIONS).expect("test policy")
}

pub fn config(approver_group: Option<&str>) -> BrokerConfig {
    let mut config = BrokerConfig {
        workspace: "prod".into(),
        ..Default::default()
    };
    config.elevations.insert(
        "pii-read".into(),
        AwsElevation {
            workgroup: Some("warden-pii-read".into()),
            approver_group: approver_group.map(str::to_string),
            ..AwsElevation::role(PII_ROLE)
        },
    );
    config
        .elevations
        .insert("large-scan".into(), AwsElevation::role(SCAN_ROLE));
    config
}

pub struct Env {
    pub moto: Moto,
    pub sdk: SdkConfig,
    pub raw: aws_sdk_s3::Client,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub async fn env() -> Env {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let raw = moto.create_bucket(BUCKET).await;
    Env {
        moto,
        sdk,
        raw,
        clock: Arc::new(ManualClock::new()),
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Env {
    pub fn bucket(&self) -> Bucket {
        Bucket::new(&self.sdk, BUCKET, true).unwrap()
    }

    /// `user`'s view of the queue, with a fresh age key for their requests.
    pub fn queue_of(&self, user: &str) -> (S3Queue, age::x25519::Identity) {
        let identity = age::x25519::Identity::generate();
        let queue = S3Queue::new(self.bucket(), user)
            .unwrap()
            .with_recipient(&identity.to_public().to_string())
            .unwrap();
        (queue, identity)
    }

    pub fn journal(&self, name: &str) -> Arc<Journal> {
        let actor = Actor {
            os_user: "warden-broker".into(),
            sso_identity: None,
        };
        Arc::new(Journal::open(self.dir.path().join(name), actor).unwrap())
    }

    pub fn broker(
        &self,
        journal: Arc<Journal>,
        approvers: Approvers,
        group: Option<&str>,
    ) -> Broker {
        Broker::new(
            S3Queue::new(self.bucket(), "AROABROKER:warden-broker").unwrap(),
            policy(),
            config(group),
            Minter::new(&self.sdk),
            approvers,
            journal,
            self.clock.clone(),
        )
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now().wall
    }

    pub fn advance(&self, d: Duration) {
        self.clock.advance(d)
    }

    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        self.bucket().list(prefix).await.unwrap()
    }

    pub async fn body(&self, key: &str) -> Vec<u8> {
        self.bucket().get(key).await.unwrap().expect(key).body
    }

    /// Writes `body` at `key` as whoever the key names would (no broker checks in the way).
    pub async fn put(&self, key: &str, body: &str) {
        self.raw
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
}

pub fn pii_request(duration: Duration) -> Validated {
    validate(
        &policy(),
        &Request {
            name: "pii-read".into(),
            duration: Some(duration),
            justification: "fraud case 7".into(),
            ticket: Some("INC-7".into()),
            extends: None,
        },
    )
    .unwrap()
}

pub fn scan_request(duration: Duration) -> Validated {
    validate(
        &policy(),
        &Request {
            name: "large-scan".into(),
            duration: Some(duration),
            justification: String::new(),
            ticket: None,
            extends: None,
        },
    )
    .unwrap()
}

pub fn events(journal: &Journal) -> Vec<Payload> {
    journal
        .events(&EventFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.payload)
        .collect()
}

/// The events that say what was decided and done, without the write-ahead record of each
/// action (`broker_action_started` / `_ended`, see [`story`]).
pub fn outcomes(journal: &Journal) -> Vec<Payload> {
    events(journal)
        .into_iter()
        .filter(|p| {
            !matches!(
                p,
                Payload::BrokerActionStarted(_) | Payload::BrokerActionEnded(_)
            )
        })
        .collect()
}

/// The kinds of [`outcomes`].
pub fn kinds(journal: &Journal) -> Vec<&'static str> {
    outcomes(journal)
        .iter()
        .map(|p| p.kind().as_str())
        .collect()
}

/// Every event in order, the broker's actions as `start ACTION` and `ACTION OUTCOME`.
pub fn story(journal: &Journal) -> Vec<String> {
    events(journal)
        .iter()
        .map(|p| match p {
            Payload::BrokerActionStarted(s) => format!("start {}", s.action.as_str()),
            Payload::BrokerActionEnded(e) => {
                format!("{} {}", e.action.as_str(), e.outcome.as_str())
            }
            p => p.kind().as_str().to_string(),
        })
        .collect()
}

/// Checks the write-ahead record of `journal`: each `broker_action_started` is followed by
/// exactly one `broker_action_ended` of the same action id and action, and no action ends
/// without having started. Returns the ended events.
pub fn paired(journal: &Journal) -> Vec<BrokerActionEnded> {
    let mut open = std::collections::HashMap::new();
    let mut ended = Vec::new();
    for p in events(journal) {
        match p {
            Payload::BrokerActionStarted(s) => {
                assert!(
                    open.insert(s.action_id.clone(), s.action).is_none(),
                    "{} started twice",
                    s.action_id
                );
            }
            Payload::BrokerActionEnded(e) => {
                let started = open.remove(&e.action_id);
                assert_eq!(started, Some(e.action), "{e:?} ends no started action");
                ended.push(e);
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "actions without an outcome: {open:?}");
    ended
}

/// Makes `journal`'s SQLite file refuse every append (`on`), as a full disk does, through a
/// trigger that aborts each insert; `false` takes it away. The broker's own handle sees it
/// at its next append.
pub fn refuse_appends(journal: &Journal, on: bool) {
    if on {
        refuse_appends_when(journal, "1");
    } else {
        let conn = rusqlite::Connection::open(journal.path()).unwrap();
        conn.execute_batch("DROP TRIGGER test_refuse;").unwrap();
    }
}

/// The same for the events matching `condition` only (SQL over the new row: `NEW.kind`,
/// `NEW.payload`), so that a test can refuse one step of an action; `refuse_appends(journal,
/// false)` takes it away.
pub fn refuse_appends_when(journal: &Journal, condition: &str) {
    let conn = rusqlite::Connection::open(journal.path()).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER test_refuse BEFORE INSERT ON events WHEN {condition} \
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
    ))
    .unwrap();
}
