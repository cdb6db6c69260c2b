//! A session's secrets never reach the journal file, its WAL, the sync bookkeeping or the store.

mod common;

use std::path::{Path, PathBuf};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::{Credentials, Region};
use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;

/// FAKE test values standing in for a session's secrets: made up at run time (unique per run,
/// so a match can only come from this session), never credentials of any account.
struct Fakes {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    sso_access_token: String,
    sql_secret: String,
    all: Vec<String>,
}

fn fakes() -> Fakes {
    let run = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let fake = |what: &str| format!("FAKE-TEST-{what}-{run}");
    let access_key_id = fake("ACCESS-KEY-ID");
    let secret_access_key = fake("SECRET-ACCESS-KEY");
    let session_token = fake("SESSION-TOKEN");
    let sso_access_token = fake("SSO-ACCESS-TOKEN");
    let sql_secret = fake("API-KEY-IN-SQL");
    let all = vec![
        access_key_id.clone(),
        secret_access_key.clone(),
        session_token.clone(),
        sso_access_token.clone(),
        fake("SSO-REFRESH-TOKEN"),
        fake("BUNDLE-SIGNING-KEY"),
        sql_secret.clone(),
    ];
    Fakes {
        access_key_id,
        secret_access_key,
        session_token,
        sso_access_token,
        sql_secret,
        all,
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_no_secret_in_files(dir: &Path, secrets: &[String]) -> usize {
    let files = files_under(dir);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let mut views = vec![bytes.clone()];
        if path.to_string_lossy().ends_with(".gz") {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
                .unwrap();
            views.push(plain);
        }
        for view in views {
            for secret in secrets {
                assert!(
                    !view.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "secret {secret} found in {}",
                    path.display()
                );
            }
        }
    }
    files.len()
}

#[tokio::test]
async fn no_secret_of_a_session_reaches_the_journal_or_the_store() {
    let f = fakes();
    // The session's credentials are in the environment, as the SDK and the app would have them.
    std::env::set_var("AWS_ACCESS_KEY_ID", &f.access_key_id);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", &f.secret_access_key);
    std::env::set_var("AWS_SESSION_TOKEN", &f.session_token);
    std::env::set_var("WARDEN_SSO_TOKEN", &f.sso_access_token);

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let journal = Journal::open(home.join("audit.db"), Actor::from_os()).unwrap();
    journal.set_actor(Actor {
        os_user: Actor::from_os().os_user,
        sso_identity: Some("alice@example.com".into()),
    });

    // A whole session: every kind, one at a time and batched, and a query whose SQL carries a
    // secret literal under a policy that keeps only the SQL's hash.
    for event in every_kind() {
        journal.append(event).unwrap();
    }
    journal.append_all(every_kind()).unwrap();
    let secret_sql = format!(
        "SELECT * FROM billing.charges WHERE api_key = '{}'",
        f.sql_secret
    );
    let hashed = query(&secret_sql, Verdict::Deny, SqlTextMode::HashOnly);
    journal
        .append(NewEvent::new(
            "prod",
            Payload::QueryBlocked(QueryBlocked {
                query: hashed.clone(),
            }),
        ))
        .unwrap();
    journal
        .append(NewEvent::new(
            "prod",
            Payload::QueryFailed(QueryFailed {
                query: QueryContext {
                    verdict: Verdict::Allow,
                    ..hashed
                },
                engine: engine(),
                error: "access denied".into(),
                duration_ms: 3,
                bytes_scanned: None,
                cost_micro_usd: None,
            }),
        ))
        .unwrap();

    // Sync to the folder store, and attempt a sync to an S3 store built with the credentials:
    // its failure is recorded in the journal and must not carry them.
    let central = dir.path().join("central");
    journal
        .sync(&FolderStore::new(&central), &fast_policy())
        .await
        .unwrap();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(
            &f.access_key_id,
            &f.secret_access_key,
            Some(f.session_token.clone()),
            None,
            "test",
        ))
        .endpoint_url("http://127.0.0.1:9")
        .load()
        .await;
    let s3 = open_store(
        "s3://audit-bucket/warden/",
        &StoreOptions {
            sdk_config: Some(sdk),
            s3_endpoint: None,
            sts_endpoint: None,
        },
    )
    .await
    .unwrap();
    let policy = SyncPolicy {
        max_attempts: 2,
        request_timeout: std::time::Duration::from_secs(5),
        ..fast_policy()
    };
    let err = journal.sync(s3.as_ref(), &policy).await.unwrap_err();
    let status = journal.status().unwrap();
    let recorded_error = status
        .stores
        .iter()
        .find_map(|s| s.last_error.clone())
        .unwrap();
    for secret in &f.all {
        assert!(!err.to_string().contains(secret.as_str()));
        assert!(!format!("{err:?}").contains(secret.as_str()));
        assert!(!recorded_error.contains(secret.as_str()));
    }

    // Everything readable through the API is free of secrets too.
    let events = journal.events(&EventFilter::default()).unwrap();
    assert_eq!(events.len(), 30);
    let dump = format!("{events:?}{status:?}{:?}", journal.verify().unwrap());
    for secret in &f.all {
        assert!(!dump.contains(secret.as_str()), "{secret} in API output");
    }

    // The bytes on disk, with the journal open (data in the WAL) and after closing it (checkpointed).
    assert!(home.join("audit.db-wal").exists());
    assert!(assert_no_secret_in_files(&home, &f.all) >= 2);
    assert!(assert_no_secret_in_files(&central, &f.all) >= 1);
    drop(journal);
    assert_no_secret_in_files(&home, &f.all);

    // The checks can see: the hash of the secret SQL is there, and the harmless SQL text is.
    let db = std::fs::read(home.join("audit.db")).unwrap();
    let needle = Sha256Hex::of(secret_sql.as_bytes());
    assert!(db.windows(64).any(|w| w == needle.as_str().as_bytes()));
    assert!(db.windows(17).any(|w| w == b"FROM sales.orders"));
}
