//! Every object's key names its writer: the `aws:userid` of the credentials that synced it, as
//! STS `GetCallerIdentity` says (`principal=ROLEID:session-name/`), so that the bucket policy of
//! `deploy/warden-aws.yaml` can keep each analyst to their own objects. Against moto's S3 and
//! STS with real role sessions, and the folder store (which writes as `local`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;
use warden_test_support::Moto;

const BUCKET: &str = "central";
const STORE: &str = "s3://central/audit-root/";

/// Creates the IAM role `name` in moto and returns its ARN. moto names an assumed-role
/// session's user id after the role's id only when the role exists (otherwise a new random id
/// on every call), so the sessions below need one. The SDK has no IAM client in this
/// workspace; moto serves IAM's query API on the same port and routes by the credential scope.
fn create_role(moto: &Moto, name: &str) -> String {
    let host = moto.endpoint.trim_start_matches("http://");
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"
    );
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(host).expect("moto accepts a connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let arn = answer
        .split("<Arn>")
        .nth(1)
        .and_then(|rest| rest.split("</Arn>").next())
        .unwrap_or_else(|| panic!("moto did not create the role: {answer}"));
    arn.to_string()
}

async fn sdk(endpoint: &str, credentials: Credentials) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A session of `role` named `session`, as Identity Center hands an analyst one: its SDK
/// configuration and its `aws:userid` as STS names it.
async fn session(moto: &Moto, role: &str, session: &str) -> (SdkConfig, String) {
    let admin = moto.sdk_config().await;
    let assumed = aws_sdk_sts::Client::new(&admin)
        .assume_role()
        .role_arn(role)
        .role_session_name(session)
        .send()
        .await
        .expect("moto's STS assumes the role");
    let c = assumed.credentials().expect("credentials");
    let config = sdk(
        &moto.endpoint,
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "session",
        ),
    )
    .await;
    let user_id = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity")
        .user_id()
        .expect("a user id")
        .to_string();
    (config, user_id)
}

async fn store_of(moto: &Moto, config: &SdkConfig) -> Box<dyn Store> {
    open_store(
        STORE,
        &StoreOptions {
            sdk_config: Some(config.clone()),
            s3_endpoint: Some(moto.endpoint.clone()),
            sts_endpoint: None,
        },
    )
    .await
    .unwrap()
}

/// Every key in the bucket under the store's prefix, as an admin lists them.
async fn all_keys(moto: &Moto) -> Vec<String> {
    let mut keys: Vec<String> = moto
        .s3()
        .await
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("audit-root/")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(|k| k.trim_start_matches("audit-root/").to_string())
        .collect();
    keys.sort();
    keys
}

/// The store as an admin (or auditor) reads it: every writer's objects.
async fn admin_store(moto: &Moto) -> Box<dyn Store> {
    store_of(moto, &moto.sdk_config().await).await
}

#[tokio::test]
async fn the_key_names_the_callers_user_id() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET).await;
    let role = create_role(&moto, "AWSReservedSSO_WardenAnalyst_0123456789abcdef");
    // A session name with every character but letters that one may hold (`+=,.@_-`).
    let (alice, alice_id) = session(&moto, &role, "alice+ops=a,b_c-d@example.com").await;
    assert!(
        alice_id.starts_with("AROA") && alice_id.ends_with(":alice+ops=a,b_c-d@example.com"),
        "moto names a role session ROLEID:session-name, as AWS does: {alice_id}"
    );

    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    let report = journal
        .sync(store_of(&moto, &alice).await.as_ref(), &fast_policy())
        .await
        .unwrap();
    assert_eq!((report.pending, report.objects_created), (0, 1));

    let keys = all_keys(&moto).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let parsed = parse_object_key(&keys[0]).unwrap();
    assert_eq!(parsed.principal.as_deref(), Some(alice_id.as_str()));
    assert_eq!(parsed.device_id, journal.device_id());
    assert!(
        keys[0].starts_with(&format!(
            "audit/v1/dt={}/principal={alice_id}/device=",
            parsed.dt
        )),
        "{}",
        keys[0]
    );
    // The same user id is what a bucket policy's ${aws:userid} is for these credentials.
    let asked = store_of(&moto, &alice).await.principal().await.unwrap();
    assert_eq!(asked, alice_id);
}

/// The same journal synced by one sign-in, then another (another permission set, or another
/// person on the machine): each writes under its own user id, neither reads the other's
/// objects, and the store still holds one gap-free chain for the device.
#[tokio::test]
async fn a_second_principal_continues_the_same_device() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET).await;
    let role = create_role(&moto, "AWSReservedSSO_WardenAnalyst_0123456789abcdef");
    let (alice, alice_id) = session(&moto, &role, "alice").await;
    let (bob, bob_id) = session(&moto, &role, "bob").await;
    assert_ne!(alice_id, bob_id);

    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap(); // 1-14
    journal
        .sync(store_of(&moto, &alice).await.as_ref(), &fast_policy())
        .await
        .unwrap();
    journal
        .append_all((0..30).map(lake_event).collect())
        .unwrap(); // 15-44

    let bob_store = Spy::new(store_of(&moto, &bob).await);
    let report = journal.sync(&bob_store, &fast_policy()).await.unwrap();
    assert_eq!(
        (report.pending, report.events_synced),
        (0, 30),
        "{report:?}"
    );
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    // Every request of Bob's sync stayed within what the bucket policy grants him: keys and
    // listing prefixes under audit/v1/dt=YYYY-MM-DD/principal=<his user id>/.
    let asked = bob_store.asked();
    assert!(asked.iter().any(|(op, _)| *op == "list"), "{asked:?}");
    assert!(asked.iter().any(|(op, _)| *op == "put"), "{asked:?}");
    for (op, key) in &asked {
        assert!(own_prefix(key, &bob_id), "bob's sync asked {op} {key}");
    }

    let keys = all_keys(&moto).await;
    let writers: Vec<(Option<String>, u64, u64)> = keys
        .iter()
        .map(|k| parse_object_key(k).unwrap())
        .map(|k| (k.principal, k.first_seq, k.last_seq))
        .collect();
    let mut writers = writers;
    writers.sort_by_key(|w| w.1);
    assert_eq!(
        writers,
        vec![
            (Some(alice_id.clone()), 1, 14),
            (Some(bob_id.clone()), 15, 44)
        ],
        "{keys:?}"
    );

    let central = verify_store(admin_store(&moto).await.as_ref())
        .await
        .unwrap();
    assert!(central.is_intact(), "{:?}", central.problems);
    assert_eq!(central.devices.len(), 1);
    let device = &central.devices[0];
    assert_eq!(
        (
            device.events,
            device.last_seq,
            device.objects,
            device.reuploads
        ),
        (44, 44, 2, 0)
    );
    let mut both = vec![alice_id.clone(), bob_id.clone()];
    both.sort();
    assert_eq!(device.principals, both);

    // Alice signs in again on the same machine: her sync goes on after Bob's events, without
    // reading them, and finds nothing wrong.
    journal
        .append_all((30..35).map(lake_event).collect())
        .unwrap(); // 45-49
    let again = journal
        .sync(store_of(&moto, &alice).await.as_ref(), &fast_policy())
        .await
        .unwrap();
    assert_eq!((again.pending, again.events_synced), (0, 5));
    assert!(again.findings.is_empty(), "{:?}", again.findings);
    let central = verify_store(admin_store(&moto).await.as_ref())
        .await
        .unwrap();
    assert!(central.is_intact(), "{:?}", central.problems);
    assert_eq!(central.devices[0].last_seq, 49);
}

/// `key` (or a listing prefix) lies under `audit/v1/dt=<a day>/principal=<user_id>/`: the only
/// resources `deploy/warden-aws.yaml` lets a signed-in writer touch.
fn own_prefix(key: &str, user_id: &str) -> bool {
    key.strip_prefix("audit/v1/dt=")
        .filter(|rest| rest.len() > 10 && rest.is_char_boundary(10))
        .is_some_and(|rest| {
            chrono::NaiveDate::parse_from_str(&rest[..10], "%Y-%m-%d").is_ok()
                && rest[10..].starts_with(&format!("/principal={user_id}/"))
        })
}

/// A store that remembers every key and prefix asked of it.
struct Spy {
    inner: Box<dyn Store>,
    asked: std::sync::Mutex<Vec<(&'static str, String)>>,
}

impl Spy {
    fn new(inner: Box<dyn Store>) -> Self {
        Spy {
            inner,
            asked: Default::default(),
        }
    }
    fn note(&self, op: &'static str, key: &str) {
        self.asked.lock().unwrap().push((op, key.to_string()));
    }
    fn asked(&self) -> Vec<(&'static str, String)> {
        self.asked.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Store for Spy {
    fn url(&self) -> &str {
        self.inner.url()
    }
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        self.note("put", key);
        self.inner.put_if_absent(key, body).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.note("get", key);
        self.inner.get(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.note("list", prefix);
        self.inner.list(prefix).await
    }
    async fn principal(&self) -> Result<String, StoreError> {
        self.inner.principal().await
    }
}

#[test]
fn own_prefix_is_the_policys_resource() {
    let id = "AROAX:bob";
    assert!(own_prefix(
        "audit/v1/dt=2026-12-05/principal=AROAX:bob/",
        id
    ));
    assert!(own_prefix(
        "audit/v1/dt=2026-12-05/principal=AROAX:bob/device=d/000000000001-000000000002.jsonl.gz",
        id
    ));
    for other in [
        "audit/v1/",
        "audit/v1/dt=2026-12-05/",
        "audit/v1/dt=2026-12-05/principal=AROAX:bobby/",
        "audit/v1/dt=2026-12-05/principal=AROAX:alice/device=d/principal=AROAX:bob/",
        "audit/v1/dt=2026-12-05/device=d/",
    ] {
        assert!(!own_prefix(other, id), "{other}");
    }
}

/// A store that writes the object and then loses the acknowledgement, for good: the batch stays
/// planned, under its writer's key.
struct AckLost(Box<dyn Store>);

#[async_trait::async_trait]
impl Store for AckLost {
    fn url(&self) -> &str {
        self.0.url()
    }
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        self.0.put_if_absent(key, body).await?;
        Err(StoreError::Permanent(
            "connection closed before the answer".into(),
        ))
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.0.list(prefix).await
    }
    async fn principal(&self) -> Result<String, StoreError> {
        self.0.principal().await
    }
}

/// A batch planned (and in fact uploaded) under one sign-in whose answer was lost, then synced
/// under another: the new writer cannot see the first object, so it uploads the same events
/// under its own key. The store holds them twice, identical, which verification counts as a
/// re-upload and not as a duplicate or a fork.
#[tokio::test]
async fn a_batch_planned_under_one_principal_is_uploaded_under_the_next() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET).await;
    let role = create_role(&moto, "AWSReservedSSO_WardenAnalyst_0123456789abcdef");
    let (alice, alice_id) = session(&moto, &role, "alice").await;
    let (bob, bob_id) = session(&moto, &role, "bob").await;

    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap(); // 1-14
    let lost = AckLost(store_of(&moto, &alice).await);
    let err = journal.sync(&lost, &fast_policy()).await.unwrap_err();
    assert!(err.to_string().contains("connection closed"), "{err}");
    assert_eq!(journal.status().unwrap().stores[0].pending, 14);

    let report = journal
        .sync(store_of(&moto, &bob).await.as_ref(), &fast_policy())
        .await
        .unwrap();
    assert_eq!(
        (report.pending, report.objects_created),
        (0, 1),
        "{report:?}"
    );

    let keys = all_keys(&moto).await;
    let writers: Vec<Option<String>> = keys
        .iter()
        .map(|k| parse_object_key(k).unwrap().principal)
        .collect();
    let mut expected = vec![Some(alice_id.clone()), Some(bob_id.clone())];
    expected.sort();
    let mut found = writers.clone();
    found.sort();
    assert_eq!(found, expected, "{keys:?}");

    let central = verify_store(admin_store(&moto).await.as_ref())
        .await
        .unwrap();
    assert!(central.is_intact(), "{:?}", central.problems);
    let device = &central.devices[0];
    assert_eq!(
        (
            device.events,
            device.last_seq,
            device.objects,
            device.reuploads
        ),
        (14, 14, 2, 1)
    );
}

/// Credentials whose identity STS does not tell (here: STS cannot be reached, while the bucket
/// can) write nothing: a key must name its writer.
#[tokio::test]
async fn a_caller_whose_identity_cannot_be_learned_writes_nothing() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET).await;
    // A port nothing listens on, for STS only; S3 is moto.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = sdk(
        &nowhere,
        Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"),
    )
    .await;
    let store = store_of(&moto, &config).await;

    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    let policy = SyncPolicy {
        max_attempts: 2,
        ..fast_policy()
    };
    let err = journal.sync(store.as_ref(), &policy).await.unwrap_err();
    assert!(
        matches!(
            &err,
            AuditError::Store {
                source: StoreError::Identity(_),
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("cannot tell whose credentials write the audit store")
            && message.contains("nothing was written"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
    assert_eq!(all_keys(&moto).await, Vec::<String>::new());
    let status = journal.status().unwrap();
    assert_eq!(status.stores[0].pending, 14);
    assert_eq!(
        status.stores[0].last_error.as_deref(),
        Some(message.as_str())
    );
}

/// The folder store has no IAM: it writes as `local`, documented in docs/audit.md.
#[tokio::test]
async fn a_folder_store_writes_as_local() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderStore::new(dir.path().join("central"));
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    journal.sync(&store, &fast_policy()).await.unwrap();
    let keys = store.list("audit/v1/").await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        parse_object_key(&keys[0]).unwrap().principal.as_deref(),
        Some(LOCAL_PRINCIPAL)
    );
    assert_eq!(LOCAL_PRINCIPAL, "local");
}

/// Objects written before keys named their writer (`audit/v1/dt=D/device=X/...`) are still
/// verified, in one chain with the device's later objects, and the sync goes on after them.
#[tokio::test]
async fn objects_written_before_keys_named_their_writer_stay_in_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("central");
    let store = FolderStore::new(&root);
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap(); // 1-14
    journal.sync(&store, &fast_policy()).await.unwrap();
    // Move the object where a Warden without principals in its keys put it.
    let key = store.list("audit/v1/").await.unwrap().remove(0);
    let parsed = parse_object_key(&key).unwrap();
    let legacy = format!(
        "audit/v1/dt={}/device={}/{:012}-{:012}.jsonl.gz",
        parsed.dt, parsed.device_id, parsed.first_seq, parsed.last_seq
    );
    std::fs::create_dir_all(root.join(&legacy).parent().unwrap()).unwrap();
    std::fs::rename(root.join(&key), root.join(&legacy)).unwrap();
    assert_eq!(parse_object_key(&legacy).unwrap().principal, None);

    journal
        .append_all((0..20).map(lake_event).collect())
        .unwrap(); // 15-34
    let report = journal.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!((report.pending, report.events_synced), (0, 20));
    assert!(report.findings.is_empty(), "{:?}", report.findings);

    let central = verify_store(&store).await.unwrap();
    assert!(central.is_intact(), "{:?}", central.problems);
    let device = &central.devices[0];
    assert_eq!(
        (device.events, device.last_seq, device.objects),
        (34, 34, 2)
    );
    assert_eq!(device.principals, vec![LOCAL_PRINCIPAL.to_string()]);

    // A forged legacy object inside the chain is still caught: other events, same numbers.
    let forged = format!(
        "audit/v1/dt={}/device={}/{:012}-{:012}.cdeadbeef.jsonl.gz",
        parsed.dt, parsed.device_id, 1, 14
    );
    let mut body = read_all_objects(&root)
        .into_iter()
        .find(|(k, _)| k.ends_with("000000000014.jsonl.gz"))
        .unwrap()
        .1;
    body = body.replacen("\"revision\":7", "\"revision\":9", 1);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body.as_bytes()).unwrap();
    std::fs::write(root.join(&forged), enc.finish().unwrap()).unwrap();
    let central = verify_store(&store).await.unwrap();
    assert!(
        central
            .problems
            .iter()
            .any(|p| matches!(p, StoreProblem::Broken { key, .. } | StoreProblem::Fork { key, .. } if *key == forged)),
        "{:?}",
        central.problems
    );
}

/// The store's S3 endpoint serves S3 only (a VPC endpoint for S3, say): STS is asked where
/// the configuration or `sts_endpoint` says, never there. Here the S3 endpoint is moto, which
/// would answer STS too; asked at a closed port instead, the sync fails, and asked at moto by
/// name it names the caller.
#[tokio::test]
async fn sts_is_never_asked_at_the_stores_s3_endpoint() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET).await;
    let role = create_role(&moto, "AWSReservedSSO_WardenAnalyst_0123456789abcdef");
    let (alice, alice_id) = session(&moto, &role, "alice@example.com").await;
    let mut no_endpoint = alice.to_builder();
    no_endpoint.set_endpoint_url(None);
    let no_endpoint = no_endpoint.build();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let store_asking = |sts: String| {
        let config = no_endpoint.clone();
        let s3 = moto.endpoint.clone();
        async move {
            open_store(
                STORE,
                &StoreOptions {
                    sdk_config: Some(config),
                    s3_endpoint: Some(s3),
                    sts_endpoint: Some(sts),
                },
            )
            .await
            .unwrap()
        }
    };
    let port = nowhere.rsplit(':').next().unwrap().to_string();
    let err = store_asking(nowhere).await.principal().await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("GetCallerIdentity") && message.contains(&format!("127.0.0.1:{port}")),
        "{message}"
    );
    let asked = store_asking(moto.endpoint.clone())
        .await
        .principal()
        .await
        .unwrap();
    assert_eq!(asked, alice_id);
}
