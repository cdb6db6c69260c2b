//! A session's secrets never reach the journal file, its WAL, the sync bookkeeping or the store.

mod common;

use std::path::{Path, PathBuf};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::{Credentials, Region};
use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;

const ACCESS_KEY_ID: &str = "AKIAFAKESECRET7Q2XW4";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiFAKESECRETKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEFAKESESSIONTOKENd2FyZGVuLXRlc3Q";
const SSO_ACCESS_TOKEN: &str = "eyJraWQiOiJGQUtFIn0.FAKESSOACCESSTOKEN.c2lnbmF0dXJl";
const SSO_REFRESH_TOKEN: &str = "Atzr|FAKEREFRESHTOKEN-IwEBIH";
const SIGNING_KEY: &str = "MC4CAQAwBQYDK2VwBCIEIFAKEPRIVATEKEYdemoBundleSigner";
const SQL_SECRET: &str = "sk_live_FAKEAPIKEYINSQL51Hx";

const SECRETS: [&str; 7] =
    [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, SSO_ACCESS_TOKEN, SSO_REFRESH_TOKEN, SIGNING_KEY, SQL_SECRET];

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

fn assert_no_secret_in_files(dir: &Path) -> usize {
    let files = files_under(dir);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let mut views = vec![bytes.clone()];
        if path.to_string_lossy().ends_with(".gz") {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain).unwrap();
            views.push(plain);
        }
        for view in views {
            for secret in SECRETS {
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
    // The session's credentials are in the environment, as the SDK and the app would have them.
    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    std::env::set_var("AWS_SESSION_TOKEN", SESSION_TOKEN);
    std::env::set_var("WARDEN_SSO_TOKEN", SSO_ACCESS_TOKEN);

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let journal = Journal::open(home.join("audit.db"), Actor::from_os()).unwrap();
    journal.set_actor(Actor { os_user: Actor::from_os().os_user, sso_identity: Some("alice@example.com".into()) });

    // A whole session: every kind, one at a time and batched, and a query whose SQL carries a
    // secret literal under a policy that keeps only the SQL's hash.
    for event in every_kind() {
        journal.append(event).unwrap();
    }
    journal.append_all(every_kind()).unwrap();
    let secret_sql = format!("SELECT * FROM billing.charges WHERE api_key = '{SQL_SECRET}'");
    let hashed = query(&secret_sql, Verdict::Deny, SqlTextMode::HashOnly);
    journal.append(NewEvent::new("prod", Payload::QueryBlocked(QueryBlocked { query: hashed.clone() }))).unwrap();
    journal
        .append(NewEvent::new("prod", Payload::QueryFailed(QueryFailed {
            query: QueryContext { verdict: Verdict::Allow, ..hashed },
            engine: engine(),
            error: "access denied".into(),
            duration_ms: 3,
        })))
        .unwrap();

    // Sync to the folder store, and attempt a sync to an S3 store built with the credentials:
    // its failure is recorded in the journal and must not carry them.
    let central = dir.path().join("central");
    journal.sync(&FolderStore::new(&central), &fast_policy()).await.unwrap();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, Some(SESSION_TOKEN.into()), None, "test"))
        .endpoint_url("http://127.0.0.1:9")
        .load()
        .await;
    let s3 = open_store("s3://audit-bucket/warden/", &StoreOptions { sdk_config: Some(sdk), s3_endpoint: None }).await.unwrap();
    let policy = SyncPolicy { max_attempts: 2, request_timeout: std::time::Duration::from_secs(5), ..fast_policy() };
    let err = journal.sync(s3.as_ref(), &policy).await.unwrap_err();
    let status = journal.status().unwrap();
    let recorded_error = status.stores.iter().find_map(|s| s.last_error.clone()).unwrap();
    for secret in SECRETS {
        assert!(!err.to_string().contains(secret));
        assert!(!format!("{err:?}").contains(secret));
        assert!(!recorded_error.contains(secret));
    }

    // Everything readable through the API is free of secrets too.
    let events = journal.events(&EventFilter::default()).unwrap();
    assert_eq!(events.len(), 30);
    let dump = format!("{events:?}{status:?}{:?}", journal.verify().unwrap());
    for secret in SECRETS {
        assert!(!dump.contains(secret), "{secret} in API output");
    }

    // The bytes on disk, with the journal open (data in the WAL) and after closing it (checkpointed).
    assert!(home.join("audit.db-wal").exists());
    assert!(assert_no_secret_in_files(&home) >= 2);
    assert!(assert_no_secret_in_files(&central) >= 1);
    drop(journal);
    assert_no_secret_in_files(&home);

    // The checks can see: the hash of the secret SQL is there, and the harmless SQL text is.
    let db = std::fs::read(home.join("audit.db")).unwrap();
    let needle = Sha256Hex::of(secret_sql.as_bytes());
    assert!(db.windows(64).any(|w| w == needle.as_str().as_bytes()));
    assert!(db.windows(17).any(|w| w == b"FROM sales.orders"));
}
