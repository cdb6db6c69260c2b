//! `warden broker run` against moto_server: a workspace whose signed bundle maps elevations onto
//! AWS roles, requests written to the bucket as an analyst's Warden writes them, and the broker
//! binary deciding them (one pass with `--once`, or running until it is interrupted).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use common::{regex_escape, report, text};
use insta::assert_snapshot;
use insta_cmd::assert_cmd_snapshot;
use warden_broker::{
    open_delivery, Approvers, Broker, BrokerConfig, Bucket, Minter, S3Queue, Status,
};
use warden_elevation::Clock;
use warden_test_support::policies::ELEVATIONS_ON_AWS;
use warden_test_support::standin::{
    ensure_bucket, glue_client, load_demo_lake, s3_client, AthenaStandIn, StandInConfig,
    WorkGroupSpec,
};
use warden_test_support::{ManualClock, Moto};

const ANA: &str = "AROAEXAMPLE:ana@example.com";
const BOB: &str = "AROAEXAMPLE:bob@example.com";
const CY: &str = "AROAEXAMPLE:cy@example.com";
const EVE: &str = "AROAEXAMPLE:eve@example.com";
const BUCKET: &str = "warden-requests";

/// Keyring entries are named by workspace: two tests signing in to `prod` at once would share
/// them, so the tests that sign in take turns.
static SIGN_IN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A home with workspace `prod` (kind athena): its bundle signed and published to a folder,
/// its request bucket in moto.
struct Env {
    moto: Moto,
    home: tempfile::TempDir,
    sdk: SdkConfig,
}

impl Env {
    async fn new() -> Env {
        let moto = Moto::start();
        moto.create_bucket(BUCKET).await;
        let env = Env {
            sdk: moto.sdk_config().await,
            moto,
            home: tempfile::tempdir().unwrap(),
        };
        env.publish_bundle();
        env
    }

    fn h(&self) -> &Path {
        self.home.path()
    }

    /// The security team's steps: a key, a bundle of the policy for audience `prod`, published
    /// to a folder; the workspace trusts the key and reads the folder.
    fn publish_bundle(&self) {
        let dir = self.h().join("security");
        std::fs::create_dir_all(&dir).unwrap();
        let (key, policy, bundle) = (
            dir.join("signing.key"),
            dir.join("policy.yaml"),
            dir.join("bundle.tar.gz"),
        );
        std::fs::write(&policy, ELEVATIONS_ON_AWS).unwrap();
        let store = dir.join("bundles");
        std::fs::create_dir_all(&store).unwrap();
        for args in [
            vec!["bundle", "keygen", "--out", s(&key)],
            vec![
                "bundle",
                "build",
                "--policy",
                s(&policy),
                "--revision",
                "1",
                "--key",
                s(&key),
                "--out",
                s(&bundle),
                "--audience",
                "prod",
            ],
            vec![
                "bundle",
                "publish",
                s(&bundle),
                "--to",
                &format!("file://{}/", store.display()),
            ],
        ] {
            let out = self.warden(&args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?}: {}",
                text(&out.stderr)
            );
        }
        let config = self.h().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.toml"),
            format!(
                r#"[workspaces.prod]
kind = "athena"
[workspaces.prod.bundle]
source = "file://{store}/"
trust = ["{key}.pub"]
[workspaces.prod.audit]
store = "file://{audit}/"
[workspaces.prod.elevation]
bucket = "{BUCKET}"
region = "us-east-1"
"#,
                store = store.display(),
                audit = self.h().join("central-audit").display(),
                key = key.display()
            ),
        )
        .unwrap();
    }

    /// `warden` with the broker's credentials in the default chain (environment variables),
    /// pointed at moto.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
        cmd.arg("--home")
            .arg(self.h())
            .args(args)
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", self.h().join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.h().join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", &self.moto.endpoint);
        cmd
    }

    fn warden(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the warden binary runs")
    }

    fn bucket(&self) -> Bucket {
        Bucket::new(&self.sdk, BUCKET, true).unwrap()
    }

    /// `user`'s Warden, with a fresh key for the credentials of its requests.
    fn client(&self, user: &str) -> (S3Queue, age::x25519::Identity) {
        let identity = age::x25519::Identity::generate();
        let queue = S3Queue::new(self.bucket(), user)
            .unwrap()
            .with_recipient(&identity.to_public().to_string())
            .unwrap();
        (queue, identity)
    }

    async fn status(&self, id: &str) -> Option<Status> {
        let queue = S3Queue::new(self.bucket(), BOB).unwrap();
        queue.state(id).await.unwrap().map(|(s, _)| s.status)
    }

    fn broker_dir(&self) -> PathBuf {
        self.h().join("data/workspaces/prod/broker")
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

async fn request(queue: &S3Queue, name: &str, justification: &str, ticket: Option<&str>) -> String {
    let policy = warden_guardrails::Policy::from_yaml(ELEVATIONS_ON_AWS).unwrap();
    let validated = warden_elevation::validate(
        &policy,
        &warden_elevation::Request {
            name: name.into(),
            duration: Some(Duration::from_secs(900)),
            justification: justification.into(),
            ticket: ticket.map(str::to_string),
            extends: None,
        },
    )
    .unwrap();
    let (pending, _) = queue
        .submit_request(&validated, chrono::Utc::now())
        .await
        .unwrap();
    pending.id
}

/// Runs `body` with the filters of a run under `env`, each of `ids` (a request id) replaced by
/// its name first, so that a snapshot says which request an outcome is for.
fn with_filters(env: &Env, ids: &[(&str, &str)], body: impl FnOnce()) {
    let mut named = insta::Settings::clone_current();
    for (id, name) in ids {
        named.add_filter(&regex_escape(id), *name);
    }
    named.bind(|| {
        let mut settings = common::demo_filters(env.h());
        settings.add_filter(&regex_escape(&env.moto.endpoint), "[MOTO]");
        settings.bind(body);
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn one_pass_grants_by_policy_waits_for_an_approver_and_delivers_credentials() {
    let env = Env::new().await;
    let (ana, ana_key) = env.client(ANA);
    let scan = request(&ana, "large-scan", "", None).await;
    let pii = request(&ana, "pii-read", "fraud case 7", None).await;

    with_filters(&env, &[], || {
        assert_cmd_snapshot!(
            "broker_once_first_pass",
            env.command(&["broker", "run", "--once", "--workspace", "prod"])
        );
    });
    assert_eq!(env.status(&scan).await, Some(Status::Granted));
    assert_eq!(env.status(&pii).await, Some(Status::Pending));
    // The delivered set opens with Ana's key only, and holds what moto's STS issued.
    let sealed = env
        .bucket()
        .get(&format!("grants/{ANA}/{scan}/1.age"))
        .await
        .unwrap()
        .expect("credential set 1 delivered");
    let (n, credentials) = open_delivery(&ana_key, &scan, &sealed.body).unwrap();
    assert_eq!(n, 1);
    assert!(credentials.expires_at_ms > chrono::Utc::now().timestamp_millis());
    assert!(open_delivery(&age::x25519::Identity::generate(), &scan, &sealed.body).is_err());

    // Bob approves; the next pass grants pii-read and touches large-scan no more.
    let (bob, _) = env.client(BOB);
    bob.decide_request(
        &pii,
        warden_elevation::Decision::Approve,
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    with_filters(
        &env,
        &[(&pii, "[PII_READ]"), (&scan, "[LARGE_SCAN]")],
        || {
            assert_cmd_snapshot!(
                "broker_once_second_pass",
                env.command(&["broker", "run", "--once", "--workspace", "prod"])
            );
        },
    );
    assert_eq!(env.status(&pii).await, Some(Status::Granted));
    // The broker keeps its own journal beside, not in, the workspace's.
    assert!(env.broker_dir().join("journal.sqlite").is_file());
    assert!(!env
        .h()
        .join("data/workspaces/prod/audit/journal.sqlite")
        .exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_running_broker_grants_while_it_runs_and_stops_cleanly_on_ctrl_c() {
    let env = Env::new().await;
    let mut child = env
        .command(&["broker", "run", "--workspace", "prod", "--interval", "1s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the broker starts");
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the broker says it runs");
        // A wait, not a check of the output: the broker's stderr goes on while it runs (log
        // lines with times), and this line only says it is up.
        if line.contains("the broker of workspace prod is running on s3://warden-requests") {
            break;
        }
    }

    let (ana, _) = env.client(ANA);
    let scan = request(&ana, "large-scan", "", None).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.status(&scan).await != Some(Status::Granted) {
        assert!(Instant::now() < deadline, "not granted within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the broker did not stop within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0));
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(
        rest.iter().any(|l| l == "warden: the broker stopped"),
        "{rest:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_without_a_bucket_or_a_trusted_policy_does_not_start() {
    let env = Env::new().await;
    let config = env.h().join("config/config.toml");
    let full = std::fs::read_to_string(&config).unwrap();

    std::fs::write(
        &config,
        full.replace(&format!("bucket = \"{BUCKET}\"\n"), ""),
    )
    .unwrap();
    with_filters(&env, &[], || {
        assert_cmd_snapshot!(
            "broker_without_bucket",
            env.command(&["broker", "run", "--once", "--workspace", "prod"])
        );
    });

    // Another key than the one that signed the bundle: nothing to follow, so no broker.
    let other = env.h().join("other.key");
    assert_eq!(
        env.warden(&["bundle", "keygen", "--out", s(&other)])
            .status
            .code(),
        Some(0)
    );
    let signing_pub = format!("{}.pub", env.h().join("security/signing.key").display());
    std::fs::write(
        &config,
        full.replace(&signing_pub, &format!("{}.pub", other.display())),
    )
    .unwrap();
    with_filters(&env, &[], || {
        assert_cmd_snapshot!(
            "broker_without_trusted_policy",
            env.command(&["broker", "run", "--once", "--workspace", "prod"])
        );
        assert_cmd_snapshot!(
            "broker_demo_workspace",
            env.command(&["broker", "run", "--once", "--workspace", "demo"])
        );
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approver_revokes_a_grant_and_the_broker_ends_it() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test broker"
    );
    let _turn = SIGN_IN.lock().await;
    let env = Env::new().await;
    let fake = warden_test_support::sso_fake::FakeSso::start();
    // The approver signs in to the same workspace (the SSO fake; moto's STS says who they are).
    let config = env.h().join("config/config.toml");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config += &common::sign_in_config("prod", &fake.endpoint, &env.moto.endpoint);
    std::fs::write(&config, text_config).unwrap();
    let user_home = env.h().join("user-home");
    std::fs::create_dir_all(user_home.join(".aws")).unwrap();
    let as_approver = |args: &[&str]| {
        env.command(args)
            .env("HOME", &user_home)
            .env("BROWSER", "/nonexistent-browser")
            .output()
            .unwrap()
    };
    let login = as_approver(&["login", "--workspace", "prod", "--device-code"]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));

    let (ana, _) = env.client(ANA);
    let scan = request(&ana, "large-scan", "", None).await;
    let pii = request(&ana, "pii-read", "fraud case 7", None).await;
    let (cy, _) = env.client(CY);
    let cy_scan = request(&cy, "large-scan", "", None).await;
    let own = as_approver(&["elevation", "request", "large-scan", "--workspace", "prod"]);
    assert_eq!(own.status.code(), Some(0), "{}", text(&own.stderr));
    let own_id = text(&own.stdout)
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no request id in {}", text(&own.stdout)))
        .to_string();
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    assert_eq!(env.status(&scan).await, Some(Status::Granted));
    let approved = as_approver(&["elevation", "approve", &pii, "--workspace", "prod"]);
    assert_eq!(
        approved.status.code(),
        Some(0),
        "{}",
        text(&approved.stderr)
    );
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    let approver = S3Queue::new(env.bucket(), ANA)
        .unwrap()
        .state(&pii)
        .await
        .unwrap()
        .expect("a state")
        .0
        .approver
        .expect("approved by the approver");

    // The approver takes back the grant they approved (their approval stays; the revocation
    // is an object of its own), revokes one the policy granted, and ends their own.
    let revoked_own_approval = as_approver(&[
        "elevation",
        "revoke",
        &pii,
        "--workspace",
        "prod",
        "--reason",
        "case closed",
    ]);
    let revoked = as_approver(&[
        "elevation",
        "revoke",
        &scan,
        "--workspace",
        "prod",
        "--reason",
        "case closed",
    ]);
    let ended_own = as_approver(&[
        "elevation",
        "revoke",
        &own_id,
        "--workspace",
        "prod",
        "--reason",
        "done",
    ]);
    // Eve, writing around Warden, revokes Cy's grant in the approver's name.
    let forged = warden_broker::RevocationRecord {
        id: cy_scan.clone(),
        revoked_by: approver.clone(),
        revoked_at_ms: chrono::Utc::now().timestamp_millis(),
        reason: "forged".into(),
        name: "large-scan".into(),
        requester: CY.into(),
    };
    let forged_key = warden_broker::revocation_key(EVE, &cy_scan);
    env.bucket()
        .create(&forged_key, serde_json::to_vec(&forged).unwrap())
        .await
        .unwrap();
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    let names = [
        (scan.as_str(), "[LARGE_SCAN]"),
        (pii.as_str(), "[PII]"),
        (cy_scan.as_str(), "[CY_SCAN]"),
        (own_id.as_str(), "[OWN]"),
    ];
    with_filters(&env, &names, || {
        // The approver is who moto's STS says the signed-in credentials belong to: its default
        // user, whose id is the writer's name in the queue.
        assert_snapshot!("revoke_own_approval", report(&revoked_own_approval));
        assert_snapshot!("revoke", report(&revoked));
        assert_snapshot!("revoke_own_grant", report(&ended_own));
        assert_snapshot!("revoke_ended_by_the_broker", report(&pass));
    });
    assert_eq!(env.status(&pii).await, Some(Status::Revoked));
    assert_eq!(env.status(&scan).await, Some(Status::Revoked));
    assert_eq!(env.status(&own_id).await, Some(Status::Withdrawn));
    assert_eq!(env.status(&cy_scan).await, Some(Status::Granted));
    let events = broker_events(&env);
    for id in [&pii, &scan] {
        assert!(
            events.iter().any(|(kind, p)| kind == "elevation_revoked"
                && p["elevation_id"] == id.as_str()
                && p["revoked_by"] == approver.as_str()
                && p["reason"] == "case closed"),
            "{events:?}"
        );
    }
    let refusal = format!(
        "the revocation at {forged_key} was refused: it names {approver:?} as revoker but was written by {EVE}; the grant still holds"
    );
    assert!(
        events.iter().any(|(kind, p)| kind == "elevation_denied"
            && p["elevation_id"] == cy_scan.as_str()
            && p["reason"] == refusal.as_str()),
        "{events:?}"
    );

    // Nothing left to revoke; an id nobody asked under is not a request at all.
    let again = as_approver(&[
        "elevation",
        "revoke",
        &scan,
        "--workspace",
        "prod",
        "--reason",
        "twice",
    ]);
    let unknown = as_approver(&[
        "elevation",
        "revoke",
        "0190f0e0-0000-7000-8000-000000000000",
        "--workspace",
        "prod",
        "--reason",
        "x",
    ]);
    let demo = as_approver(&[
        "elevation",
        "revoke",
        &scan,
        "--workspace",
        "demo",
        "--reason",
        "x",
    ]);
    with_filters(&env, &[(&scan, "[LARGE_SCAN]")], || {
        assert_snapshot!("revoke_twice", report(&again));
        assert_snapshot!("revoke_unknown_request", report(&unknown));
        assert_snapshot!("revoke_in_the_demo", report(&demo));
    });
    let logout = as_approver(&["logout", "--workspace", "prod"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
}

/// The analyst's side on AWS: `warden elevation request --wait` against moto and the SSO fake,
/// with the broker's passes made meanwhile; the key and credentials only in the real keyring.
#[tokio::test(flavor = "multi_thread")]
async fn an_analyst_requests_waits_and_holds_a_grant_in_the_keyring() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test broker"
    );
    let _turn = SIGN_IN.lock().await;
    let env = Env::new().await;
    let fake = warden_test_support::sso_fake::FakeSso::start();
    let config = env.h().join("config/config.toml");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config += &common::sign_in_config("prod", &fake.endpoint, &env.moto.endpoint);
    std::fs::write(&config, text_config).unwrap();
    let user_home = env.h().join("user-home");
    std::fs::create_dir_all(user_home.join(".aws")).unwrap();
    let analyst = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("HOME", &user_home)
            .env("BROWSER", "/nonexistent-browser");
        cmd
    };
    let run = |args: &[&str]| analyst(args).output().unwrap();
    let login = run(&["login", "--workspace", "prod", "--device-code"]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));

    // Nothing held or waiting yet: nothing to end (exit 1), and nothing is written.
    let nothing = run(&["elevation", "end", "large-scan", "--workspace", "prod"]);
    with_filters(&env, &[], || {
        assert_snapshot!("end_nothing_held", report(&nothing));
    });

    // Checked against the policy before anything is written.
    let too_long = run(&[
        "elevation",
        "request",
        "large-scan",
        "--workspace",
        "prod",
        "--duration",
        "5h",
    ]);
    with_filters(&env, &[], || {
        assert_snapshot!("request_too_long", report(&too_long));
    });
    assert!(
        env.bucket().list("requests/").await.unwrap().is_empty(),
        "a refused request is not sent"
    );

    // --wait polls while the broker makes its passes.
    let mut waiting = analyst(&[
        "elevation",
        "request",
        "large-scan",
        "--workspace",
        "prod",
        "--duration",
        "30m",
        "--wait",
        "--timeout",
        "2m",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = waiting.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "--wait never returned"
        );
        let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
        assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
        std::thread::sleep(Duration::from_millis(500));
    };
    let out = waiting.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0), "{}", text(&out.stderr));
    with_filters(&env, &[], || {
        assert_snapshot!("request_wait_granted", report(&out));
    });
    assert!(
        env.bucket().list("grants/").await.unwrap().is_empty(),
        "delivered credentials are deleted once read"
    );

    // The credentials are the grant's, from the keyring, for other tools too.
    let creds = run(&[
        "credentials",
        "--workspace",
        "prod",
        "--elevation",
        "large-scan",
    ]);
    assert_eq!(creds.status.code(), Some(0), "{}", text(&creds.stderr));
    let creds: serde_json::Value = serde_json::from_slice(&creds.stdout).unwrap();
    let secret = creds["SecretAccessKey"].as_str().unwrap().to_string();
    let baseline = run(&["credentials", "--workspace", "prod"]);
    let baseline: serde_json::Value = serde_json::from_slice(&baseline.stdout).unwrap();
    assert_ne!(creds["AccessKeyId"], baseline["AccessKeyId"]);

    // The workspace now trusts another key, so the cached bundle is no policy in force: the
    // grant's credentials are not handed out, whatever the keyring holds.
    let config = env.h().join("config/config.toml");
    let trusted = std::fs::read_to_string(&config).unwrap();
    let other = env.h().join("security/other.key");
    let keygen = env.warden(&["bundle", "keygen", "--out", s(&other)]);
    assert_eq!(keygen.status.code(), Some(0), "{}", text(&keygen.stderr));
    let distrusting = trusted.replace("signing.key.pub", "other.key.pub");
    assert_ne!(distrusting, trusted);
    std::fs::write(&config, distrusting).unwrap();
    let untrusted = run(&[
        "credentials",
        "--workspace",
        "prod",
        "--elevation",
        "large-scan",
    ]);
    assert_eq!(
        untrusted.status.code(),
        Some(1),
        "{}",
        text(&untrusted.stderr)
    );
    assert!(untrusted.stdout.is_empty(), "no credentials printed");
    assert!(
        text(&untrusted.stderr).contains("cannot be used in workspace `prod`"),
        "{}",
        text(&untrusted.stderr)
    );
    std::fs::write(&config, trusted).unwrap();

    // A manual elevation waits; asking twice is refused with the id it waits under.
    let pii = run(&[
        "elevation",
        "request",
        "pii-read",
        "--workspace",
        "prod",
        "--justification",
        "case 7",
    ]);
    let pii_id = text(&pii.stdout)
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no request id in {}", text(&pii.stdout)))
        .to_string();
    let twice = run(&[
        "elevation",
        "request",
        "pii-read",
        "--workspace",
        "prod",
        "--justification",
        "case 7",
    ]);
    let status = run(&["elevation", "status", "--workspace", "prod"]);

    // Not held: refused, never run on the baseline instead.
    let query = run(&[
        "query",
        "--workspace",
        "prod",
        "--elevation",
        "pii-read",
        "SELECT email FROM sales.customers",
    ]);
    // The refusal to ask twice names the request it waits under.
    with_filters(&env, &[(&pii_id, "[PII_READ]")], || {
        assert_snapshot!("request_manual", report(&pii));
        assert_snapshot!("request_twice", report(&twice));
        assert_snapshot!("elevation_status", report(&status));
        assert_snapshot!("query_elevation_not_held", report(&query));
    });

    // The journal tells the story, without a secret.
    let log = common::json(&run(&[
        "audit",
        "log",
        "--workspace",
        "prod",
        "--format",
        "json",
    ]));
    let kinds: Vec<&str> = log
        .as_array()
        .expect("an array of events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in [
        "elevation_requested",
        "elevation_granted",
        "credentials_issued",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    let mut files = vec![];
    common::files_under(env.h(), &mut files);
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the grant's secret is in {}",
            f.display()
        );
    }
    let logout = run(&["logout", "--workspace", "prod"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
    // Sign-out takes the grant's credentials and the requests' keys with it.
    let gone = run(&[
        "credentials",
        "--workspace",
        "prod",
        "--elevation",
        "large-scan",
    ]);
    with_filters(&env, &[], || {
        assert_snapshot!("credentials_after_sign_out", report(&gone));
    });
    let log = common::json(&run(&[
        "audit",
        "log",
        "--workspace",
        "prod",
        "--kind",
        "credentials_wiped",
        "--format",
        "json",
    ]));
    let wiped = &log[0]["payload"];
    let cleared: Vec<&str> = wiped["cleared"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(wiped["reason"], "signed out", "{log}");
    assert!(
        cleared.contains(&"keyring:prod/elevation-grant/large-scan"),
        "{log}"
    );
    // A request's key is named by its id.
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("keyring:prod/elevation-key/")),
        "{log}"
    );
}

/// A grant the command line holds, used by one-shot commands: each use first takes what the
/// broker delivered (so the first set, and later ones, reach the keyring without `warden
/// elevation status`) and the broker's verdict, so a grant revoked at the broker is wiped and
/// refused at the next use instead of lasting until its credentials run out.
#[tokio::test(flavor = "multi_thread")]
async fn a_grant_the_command_line_holds_follows_the_broker_and_ends_when_revoked() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test broker"
    );
    let _turn = SIGN_IN.lock().await;
    let env = Env::new().await;
    let fake = warden_test_support::sso_fake::FakeSso::start();
    let config = env.h().join("config/config.toml");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config += &common::sign_in_config("prod", &fake.endpoint, &env.moto.endpoint);
    std::fs::write(&config, text_config).unwrap();
    let user_home = env.h().join("user-home");
    std::fs::create_dir_all(user_home.join(".aws")).unwrap();
    let run = |args: &[&str]| {
        env.command(args)
            .env("HOME", &user_home)
            .env("BROWSER", "/nonexistent-browser")
            .output()
            .unwrap()
    };
    let login = run(&["login", "--workspace", "prod", "--device-code"]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    let asked = run(&[
        "elevation",
        "request",
        "large-scan",
        "--workspace",
        "prod",
        "--duration",
        "30m",
    ]);
    assert_eq!(asked.status.code(), Some(0), "{}", text(&asked.stderr));
    let id = text(&asked.stdout)
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no request id in {}", text(&asked.stdout)))
        .to_string();
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));

    // Delivered, never collected by `status`: the first use takes it from the bucket.
    let creds = run(&[
        "credentials",
        "--workspace",
        "prod",
        "--elevation",
        "large-scan",
    ]);
    assert_eq!(creds.status.code(), Some(0), "{}", text(&creds.stderr));
    let secret = serde_json::from_slice::<serde_json::Value>(&creds.stdout).unwrap()
        ["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        env.bucket().list("grants/").await.unwrap().is_empty(),
        "the delivery is deleted once taken"
    );

    // The request bucket out of reach (a proxy, an outage): the broker's verdict cannot be
    // had, so the grant in the keyring is not used, however valid it looks.
    let unreachable = env
        .command(&[
            "query",
            "--workspace",
            "prod",
            "--elevation",
            "large-scan",
            "SELECT 1",
        ])
        .env("HOME", &user_home)
        .env("BROWSER", "/nonexistent-browser")
        .env("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(
        unreachable.status.code(),
        Some(1),
        "{}",
        text(&unreachable.stderr)
    );
    assert!(
        text(&unreachable.stderr)
            .contains("warden: large-scan cannot be used in workspace `prod` ("),
        "{}",
        text(&unreachable.stderr)
    );
    assert!(
        text(&unreachable.stderr).contains("): nothing was run"),
        "{}",
        text(&unreachable.stderr)
    );
    // It was the request bucket that could not be asked (not the policy or the sign-in).
    assert!(
        text(&unreachable.stderr).contains("ListObjectsV2 requests/"),
        "{}",
        text(&unreachable.stderr)
    );

    // The request's key gone from the keyring (nothing more can be opened for it) while its
    // grant stays: the next uses still ask the broker about the grant, by its own id.
    let key_entry = format!("prod/elevation-key/{id}");
    assert!(
        keyring_dump().contains(&key_entry),
        "the request's key is kept"
    );
    let cleared = Command::new("secret-tool")
        .args(["clear", "service", "warden", "username"])
        .arg(&key_entry)
        .status()
        .expect("secret-tool (package libsecret-tools) runs");
    assert!(cleared.success());
    assert!(
        !keyring_dump().contains(&key_entry),
        "the request's key is gone"
    );

    // Bob revokes it; the broker ends it; the next uses refuse it with the broker's reason.
    let bob = S3Queue::new(env.bucket(), BOB).unwrap();
    let (state, _) = bob.state(&id).await.unwrap().expect("a state");
    bob.write_revocation(&state, "case closed", chrono::Utc::now())
        .await
        .unwrap();
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    assert_eq!(env.status(&id).await, Some(Status::Revoked));
    let query = run(&[
        "query",
        "--workspace",
        "prod",
        "--elevation",
        "large-scan",
        "SELECT 1",
    ]);
    let again = run(&[
        "credentials",
        "--workspace",
        "prod",
        "--elevation",
        "large-scan",
    ]);
    with_filters(&env, &[(&id, "[LARGE_SCAN]")], || {
        assert_snapshot!("query_elevation_revoked", report(&query));
        assert_snapshot!("credentials_elevation_revoked", report(&again));
    });
    let log = common::json(&run(&[
        "audit",
        "log",
        "--workspace",
        "prod",
        "--kind",
        "credentials_wiped",
        "--format",
        "json",
    ]));
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["payload"]["reason"] == "large-scan revoked"),
        "{log}"
    );
    let mut files = vec![];
    common::files_under(env.h(), &mut files);
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the grant's secret is in {}",
            f.display()
        );
    }
    let logout = run(&["logout", "--workspace", "prod"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
}

/// `request`, asked at `at` (a few minutes ago, so that the list's age reads the same in every
/// run).
async fn request_at(
    queue: &S3Queue,
    name: &str,
    justification: &str,
    ticket: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let policy = warden_guardrails::Policy::from_yaml(ELEVATIONS_ON_AWS).unwrap();
    let validated = warden_elevation::validate(
        &policy,
        &warden_elevation::Request {
            name: name.into(),
            duration: Some(Duration::from_secs(900)),
            justification: justification.into(),
            ticket: ticket.map(str::to_string),
            extends: None,
        },
    )
    .unwrap();
    queue.submit_request(&validated, at).await.unwrap().0.id
}

/// The kinds and payloads the broker's own journal holds, in order.
fn broker_events(env: &Env) -> Vec<(String, serde_json::Value)> {
    let conn = rusqlite::Connection::open_with_flags(
        env.broker_dir().join("journal.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the broker's journal");
    let mut statement = conn
        .prepare("SELECT kind, payload FROM events ORDER BY seq")
        .unwrap();
    statement
        .query_map([], |row| {
            let payload: String = row.get(1)?;
            Ok((
                row.get::<_, String>(0)?,
                serde_json::from_str(&payload).unwrap_or_default(),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The approver's side on AWS, end to end: Ana asks (through the queue as her Warden writes),
/// Bob lists and approves with `warden elevation approve` signed in through the SSO fake and
/// the real keyring, and the broker grants on his decision; his own request he cannot approve
/// (refused by `warden`, and by the broker when the decision is written around it).
#[tokio::test(flavor = "multi_thread")]
async fn an_approver_lists_and_decides_requests_in_the_bucket_and_the_broker_judges_them() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test broker"
    );
    let _turn = SIGN_IN.lock().await;
    let env = Env::new().await;
    let fake = warden_test_support::sso_fake::FakeSso::start();
    let config = env.h().join("config/config.toml");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config += &common::sign_in_config("prod", &fake.endpoint, &env.moto.endpoint);
    std::fs::write(&config, text_config).unwrap();
    let user_home = env.h().join("user-home");
    std::fs::create_dir_all(user_home.join(".aws")).unwrap();
    let as_approver = |args: &[&str]| {
        env.command(args)
            .env("HOME", &user_home)
            .env("BROWSER", "/nonexistent-browser")
            .output()
            .unwrap()
    };

    // Not signed in: nothing to read the bucket with.
    let signed_out = as_approver(&["elevation", "list", "--workspace", "prod"]);
    let login = as_approver(&["login", "--workspace", "prod", "--device-code"]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    let empty = as_approver(&["elevation", "list", "--workspace", "prod"]);
    with_filters(&env, &[], || {
        assert_snapshot!("aws_list_signed_out", report(&signed_out));
        assert_snapshot!("aws_list_empty", report(&empty));
    });

    // Two analysts ask five minutes ago; a third writes around Warden, with escape sequences.
    let asked = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (ana, _) = env.client(ANA);
    let pii = request_at(&ana, "pii-read", "fraud case 7\nsee notes", None, asked).await;
    let (cy, _) = env.client(CY);
    let pii_cy = request_at(&cy, "pii-read", "churn model", None, asked).await;
    let hostile = warden_broker::RequestObject {
        id: "0190f0e0-0000-7000-8000-0000000000ee".into(),
        name: "pii-read\u{1b}[2J".into(),
        duration_s: 900,
        justification: "\u{1b}]0;pwned\u{7}please".into(),
        ticket: Some("INC-1\r".into()),
        requested_at_ms: asked.timestamp_millis(),
        recipient: None,
        extends: None,
    };
    env.bucket()
        .create(
            &warden_broker::request_key(EVE, &hostile.id),
            serde_json::to_vec(&hostile).unwrap(),
        )
        .await
        .unwrap();
    // And one that is no request at all: named on stderr, the others listed all the same.
    let damaged = "0190f0e0-0000-7000-8000-0000000000dd";
    env.bucket()
        .create(
            &warden_broker::request_key(EVE, damaged),
            b"not a request".to_vec(),
        )
        .await
        .unwrap();
    // Bob's own request, from his own Warden (under his own prefix).
    let own = as_approver(&[
        "elevation",
        "request",
        "pii-read",
        "--workspace",
        "prod",
        "--justification",
        "my own",
    ]);
    assert_eq!(own.status.code(), Some(0), "{}", text(&own.stderr));
    let own_id = text(&own.stdout)
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no request id in {}", text(&own.stdout)))
        .to_string();
    let (bob, _) = S3Queue::new(env.bucket(), ANA)
        .unwrap()
        .find_request(&own_id)
        .await
        .unwrap();

    let listed = as_approver(&["elevation", "list", "--workspace", "prod"]);
    let listed_json = as_approver(&[
        "elevation",
        "list",
        "--workspace",
        "prod",
        "--format",
        "json",
    ]);
    let names = [
        (pii.as_str(), "[ANA_PII]"),
        (pii_cy.as_str(), "[CY_PII]"),
        (own_id.as_str(), "[BOB_OWN]"),
        (hostile.id.as_str(), "[EVE]"),
        (damaged, "[DAMAGED]"),
    ];
    with_filters(&env, &names, || {
        let mut times = insta::Settings::clone_current();
        times.add_filter(r#""requested_at_ms": \d+"#, r#""requested_at_ms": [MS]"#);
        // Bob's own request was asked just now, the others five minutes ago.
        times.add_filter(
            r#""age_s": (3\d\d|[0-9]|[1-5][0-9])\b"#,
            r#""age_s": [AGE]"#,
        );
        times.bind(|| {
            assert_snapshot!("aws_list", report(&listed));
            assert_snapshot!("aws_list_json", report(&listed_json));
        });
    });
    // Nothing a requester wrote reaches the terminal raw.
    assert!(!listed.stdout.contains(&0x1b) && !listed.stderr.contains(&0x1b));
    assert!(!listed.stdout.contains(&0x07) && !listed.stdout.contains(&b'\r'));

    // The broker's first look: Eve's request is denied (no key to deliver to, and control
    // characters), the others wait for an approver.
    let first_pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    with_filters(&env, &names, || {
        assert_snapshot!("aws_first_pass", report(&first_pass));
    });

    let approved = as_approver(&["elevation", "approve", &pii, "--workspace", "prod"]);
    let twice = as_approver(&["elevation", "approve", &pii, "--workspace", "prod"]);
    let denied = as_approver(&[
        "elevation",
        "deny",
        &pii_cy,
        "--workspace",
        "prod",
        "--reason",
        "use the anonymised table",
    ]);
    let self_approval = as_approver(&["elevation", "approve", &own_id, "--workspace", "prod"]);
    let unknown = as_approver(&[
        "elevation",
        "approve",
        "0190f0e0-0000-7000-8000-000000000000",
        "--workspace",
        "prod",
    ]);
    let not_an_id = as_approver(&[
        "elevation",
        "deny",
        "../../state/x",
        "--workspace",
        "prod",
        "--reason",
        "x",
    ]);
    with_filters(&env, &names, || {
        assert_snapshot!("aws_approve", report(&approved));
        assert_snapshot!("aws_approve_twice", report(&twice));
        assert_snapshot!("aws_deny", report(&denied));
        assert_snapshot!("aws_approve_own_request", report(&self_approval));
        assert_snapshot!("aws_approve_unknown", report(&unknown));
        assert_snapshot!("aws_deny_not_an_id", report(&not_an_id));
    });
    // Written at Bob's own key, once; nothing for his own request.
    let mut approvals = env.bucket().list("approvals/").await.unwrap();
    approvals.sort();
    let mut expected = vec![
        warden_broker::approval_key(&bob, &pii_cy),
        warden_broker::approval_key(&bob, &pii),
    ];
    expected.sort();
    assert_eq!(approvals, expected);

    // A Warden that skips the check writes Bob's approval of his own request all the same: the
    // bucket lets him write under his prefix, and the broker is what refuses it.
    let forged = warden_elevation::DecisionRecord {
        id: own_id.clone(),
        decision: warden_elevation::Decision::Approve,
        approver: bob.clone(),
        decided_at_ms: chrono::Utc::now().timestamp_millis(),
        reason: None,
        name: "pii-read".into(),
        duration_s: 900,
        requester: bob.clone(),
    };
    let forged_key = warden_broker::approval_key(&bob, &own_id);
    env.bucket()
        .create(&forged_key, serde_json::to_vec(&forged).unwrap())
        .await
        .unwrap();

    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    with_filters(&env, &names, || {
        assert_snapshot!("aws_decisions_judged_by_the_broker", report(&pass));
    });
    let state = |id: String| {
        let queue = S3Queue::new(env.bucket(), ANA).unwrap();
        async move { queue.state(&id).await.unwrap().expect("a state").0 }
    };
    let granted = state(pii.clone()).await;
    assert_eq!(granted.status, Status::Granted);
    assert_eq!(granted.approver.as_deref(), Some(bob.as_str()));
    assert_eq!(granted.delivered, 1, "credentials delivered to Ana");
    assert_eq!(state(pii_cy.clone()).await.status, Status::Denied);
    let still = state(own_id.clone()).await;
    assert_eq!(
        still.status,
        Status::Pending,
        "his own approval counts for nothing"
    );
    assert_eq!(still.refused, vec![forged_key.clone()]);
    let events = broker_events(&env);
    let refusal = format!(
        "the decision at {forged_key} was refused: a request cannot be decided by the person who made it; the request still stands"
    );
    assert!(
        events.iter().any(|(kind, p)| kind == "elevation_denied"
            && p["elevation_id"] == own_id.as_str()
            && p["approver"] == bob.as_str()
            && p["reason"] == refusal.as_str()),
        "{events:?}"
    );
    assert!(
        events.iter().any(|(kind, p)| kind == "elevation_granted"
            && p["elevation_id"] == pii.as_str()
            && p["approver"] == bob.as_str()),
        "{events:?}"
    );

    // Decided by the broker now: approving again says so; the list holds only Bob's own.
    let after = as_approver(&["elevation", "approve", &pii, "--workspace", "prod"]);
    let listed_after = as_approver(&["elevation", "list", "--workspace", "prod"]);
    with_filters(&env, &names, || {
        assert_snapshot!("aws_approve_after_the_grant", report(&after));
        assert_snapshot!("aws_list_after_the_pass", report(&listed_after));
    });
    let logout = as_approver(&["logout", "--workspace", "prod"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
}

/// The workspace's broker run in the test's own process, as `warden broker run` runs it (the
/// same policy, the AWS mapping its bundle carries, moto's STS and the request bucket), on a
/// clock the test moves: so a pass can be made at the moment the next credential set is due
/// without waiting ten minutes for it. Its journal is in the home, so the search for secrets
/// covers it.
fn broker_on(env: &Env, clock: Arc<ManualClock>) -> (Broker, PathBuf) {
    let policy = warden_guardrails::Policy::from_yaml(ELEVATIONS_ON_AWS).unwrap();
    let path = env.h().join("broker-journal.sqlite");
    let journal = warden_audit::Journal::open(
        &path,
        warden_audit::Actor {
            os_user: "warden-broker".into(),
            sso_identity: None,
        },
    )
    .unwrap();
    let broker = Broker::new(
        S3Queue::new(env.bucket(), "AROABROKER:warden-broker").unwrap(),
        policy.clone(),
        BrokerConfig::from_policy("prod", &policy),
        Minter::new(&env.sdk),
        Approvers::none(),
        Arc::new(journal),
        clock,
    );
    (broker, path)
}

/// Who moto's STS says `creds` (the JSON `warden credentials` prints) belong to: their ARN.
async fn caller_of(env: &Env, creds: &serde_json::Value) -> String {
    let field = |name: &str| creds[name].as_str().unwrap_or_default().to_string();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            field("AccessKeyId"),
            field("SecretAccessKey"),
            Some(field("SessionToken")),
            None,
            "warden-credentials",
        ))
        .endpoint_url(&env.moto.endpoint)
        .load()
        .await;
    warden_broker::caller(&sdk)
        .await
        .unwrap_or_else(|e| panic!("moto's STS refused the credentials: {e}"))
        .1
}

/// What `secret-tool search --all --unlock service warden` prints: every Warden entry of the
/// test keyring, values included (searched, never printed).
fn keyring_dump() -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "warden"])
        .output()
        .expect("secret-tool (package libsecret-tools) runs");
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// A grant the command line holds outlives its first credential set: the broker (run here on
/// a hand-moved clock) mints the next set five minutes before the first runs out. A `warden
/// query --elevation` started on set 1 (held QUEUED at the Athena stand-in) goes on across the
/// swap, its follower taking set 2 meanwhile; the next `warden credentials --elevation` hands
/// out set 2, which moto's STS takes as the elevated role, and the next run is signed with it.
/// Each delivery is deleted once read, both journals record each set, the keyring holds only
/// the newest, and no file holds a secret of either.
#[tokio::test(flavor = "multi_thread")]
async fn a_grant_the_command_line_holds_carries_on_across_a_credential_renewal() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test broker"
    );
    let _turn = SIGN_IN.lock().await;
    let env = Env::new().await;
    let fake = warden_test_support::sso_fake::FakeSso::start();
    // Athena: the stand-in over the demo lake in moto's S3 and Glue, with the elevation's own
    // workgroup; queries wait QUEUED as long as the test says.
    let lake = tempfile::tempdir().unwrap();
    let (lake_s3, glue) = (
        s3_client(&env.moto.endpoint),
        glue_client(&env.moto.endpoint),
    );
    load_demo_lake(&lake_s3, &glue, "demo-lake", lake.path(), 20_250_901)
        .await
        .expect("the demo lake in moto");
    ensure_bucket(&lake_s3, "athena-results").await.unwrap();
    let mut athena = StandInConfig::new(&env.moto.endpoint, "athena-results");
    athena.workgroups.push(WorkGroupSpec::new(
        "warden-pii-read",
        "s3://athena-results/results/",
    ));
    let standin = AthenaStandIn::start(athena).expect("the Athena stand-in");
    let config = env.h().join("config/config.toml");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config += &common::sign_in_config("prod", &fake.endpoint, &env.moto.endpoint);
    text_config += &format!(
        "[workspaces.prod.athena]\nregion = \"us-east-1\"\n[workspaces.prod.athena.endpoints]\nathena = \"{}\"\nglue = \"{}\"\ns3 = \"{}\"\n",
        standin.endpoint, env.moto.endpoint, standin.s3_endpoint
    );
    std::fs::write(&config, text_config).unwrap();
    let user_home = env.h().join("user-home");
    std::fs::create_dir_all(user_home.join(".aws")).unwrap();
    let analyst = |args: &[&str]| {
        let mut cmd = env.command(args);
        // The environment's AWS_ENDPOINT_URL (moto, for the request bucket and STS) must not
        // override the Athena endpoint the workspace sets: the queries go to the stand-in.
        cmd.env("HOME", &user_home)
            .env("BROWSER", "/nonexistent-browser");
        cmd
    };
    let run = |args: &[&str]| analyst(args).output().unwrap();
    let credentials = || {
        let out = run(&[
            "credentials",
            "--workspace",
            "prod",
            "--elevation",
            "pii-read",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    const PII: &str = "SELECT email FROM sales.customers ORDER BY email LIMIT 3";
    let query = || {
        analyst(&[
            "query",
            "--workspace",
            "prod",
            "--elevation",
            "pii-read",
            "--format",
            "csv",
            PII,
        ])
    };
    let login = run(&["login", "--workspace", "prod", "--device-code"]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    let asked = run(&[
        "elevation",
        "request",
        "pii-read",
        "--workspace",
        "prod",
        "--duration",
        "30m",
        "--justification",
        "case 7",
    ]);
    assert_eq!(asked.status.code(), Some(0), "{}", text(&asked.stderr));
    let id = text(&asked.stdout)
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no request id in {}", text(&asked.stdout)))
        .to_string();
    let role = format!("arn:aws:sts::123456789012:assumed-role/warden-pii-read/warden-{id}");
    let (bob, _) = env.client(BOB);
    bob.decide_request(
        &id,
        warden_elevation::Decision::Approve,
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();

    let clock = Arc::new(ManualClock::new());
    let (broker, broker_journal) = broker_on(&env, clock.clone());
    // The first pass takes the request in, the next judges Bob's approval and grants it.
    let pass = broker.run_once().await.unwrap();
    assert_eq!(pass.waiting, vec![id.clone()], "{pass:?}");
    let pass = broker.run_once().await.unwrap();
    assert_eq!(pass.granted, vec![id.clone()], "{pass:?}");
    assert_eq!(pass.minted, vec![(id.clone(), 1)], "{pass:?}");
    let delivered = env.bucket().list("grants/").await.unwrap();
    assert!(
        delivered.len() == 1 && delivered[0].ends_with(&format!("/{id}/1.age")),
        "{delivered:?}"
    );

    // Set 1, taken by the first use and deleted from the bucket; moto's STS takes it.
    let first = credentials();
    assert!(
        env.bucket().list("grants/").await.unwrap().is_empty(),
        "set 1 is deleted once read"
    );
    assert_eq!(caller_of(&env, &first).await, role);

    // Just before the renewal point the broker mints nothing, and set 1 stays in use.
    let (state, _) = S3Queue::new(env.bucket(), BOB)
        .unwrap()
        .state(&id)
        .await
        .unwrap()
        .expect("a state");
    let first_until = state.credentials_until_ms.expect("set 1's expiry");
    assert_eq!(
        first_until,
        state.last_claim_at_ms.unwrap() + i64::from(warden_broker::SESSION_SECONDS) * 1000
    );
    let renewal_at = first_until - warden_core::aws_hold::RENEW_BEFORE.as_millis() as i64;
    let now = clock.now().wall.timestamp_millis();
    clock.advance(Duration::from_millis((renewal_at - now - 1000) as u64));
    let pass = broker.run_once().await.unwrap();
    assert!(pass.minted.is_empty(), "not due yet: {pass:?}");
    assert_eq!(
        credentials()["AccessKeyId"],
        first["AccessKeyId"],
        "set 1 is used until set 2 arrives"
    );

    // A pii query starts on set 1 and waits QUEUED at Athena while the broker mints set 2 (the
    // stand-in holds a query for the time its knob says when the query arrives).
    const HOLD: Duration = Duration::from_secs(30);
    standin.knobs.set(|k| k.queued = HOLD);
    let held_from = Instant::now();
    let mut spanning = query()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while standin.executions_started() == 0 {
        assert!(
            Instant::now() < deadline,
            "the query did not reach Athena within 60 s"
        );
        if let Some(status) = spanning.try_wait().unwrap() {
            let out = spanning.wait_with_output().unwrap();
            panic!(
                "the query ended before Athena saw it ({status}): {}",
                report(&out)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    standin.knobs.set(|k| k.queued = Duration::ZERO);
    assert_eq!(
        standin.start_signers(),
        vec![first["AccessKeyId"].as_str().unwrap().to_string()],
        "the run was started with set 1"
    );
    clock.advance(Duration::from_secs(1));
    let pass = broker.run_once().await.unwrap();
    assert_eq!(pass.minted, vec![(id.clone(), 2)], "{pass:?}");
    // The run's follower (a look every 2 s) takes set 2 while the run still waits.
    while !env.bucket().list("grants/").await.unwrap().is_empty() {
        assert!(
            held_from.elapsed() < HOLD && spanning.try_wait().unwrap().is_none(),
            "the running query's follower did not take set 2 while the run waited"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        spanning.try_wait().unwrap().is_none(),
        "the run still waits for Athena"
    );
    // Set 2 is in the run's hands: Athena may run the query now.
    standin.knobs.release_queued();
    let deadline = Instant::now() + Duration::from_secs(90);
    let spanned = loop {
        if spanning.try_wait().unwrap().is_some() {
            break spanning.wait_with_output().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the query did not end within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(spanned.status.code(), Some(0), "{}", report(&spanned));
    assert_eq!(
        text(&spanned.stdout).lines().count(),
        4,
        "a header and three rows: {}",
        report(&spanned)
    );
    // Set 2 was deleted from the bucket once read, and recorded between the run's start and
    // its end.
    let workspace_journal = env.h().join("data/workspaces/prod/audit/journal.sqlite");
    // (The sign-in's own role credentials are journalled as `credentials_issued` too.)
    let story: Vec<&str> = journal_events(&workspace_journal)
        .iter()
        .filter_map(|p| match p {
            warden_audit::Payload::CredentialsIssued(c) if c.role_name == "warden-pii-read" => {
                Some("credentials_issued")
            }
            warden_audit::Payload::CredentialsIssued(_) => None,
            p => Some(p.kind().as_str()),
        })
        .filter(|k| {
            [
                "query_started",
                "credentials_issued",
                "query_finished",
                "query_cancelled",
                "lockout",
            ]
            .contains(k)
        })
        .collect();
    assert_eq!(
        story,
        [
            "credentials_issued",
            "query_started",
            "credentials_issued",
            "query_finished"
        ],
        "set 1 taken, the run started, set 2 taken during it, the run finished"
    );

    // The next use hands out set 2: another key, valid at moto for the elevated role, and the
    // next run is signed with it.
    let second = credentials();
    assert_ne!(second["AccessKeyId"], first["AccessKeyId"]);
    assert_ne!(second["SecretAccessKey"], first["SecretAccessKey"]);
    assert_eq!(caller_of(&env, &second).await, role);
    let next = query().output().unwrap();
    assert_eq!(next.status.code(), Some(0), "{}", report(&next));
    assert_eq!(
        standin.start_signers().last().map(String::as_str),
        second["AccessKeyId"].as_str(),
        "the next run is signed with set 2"
    );

    // The keyring holds set 2 in the grant's one entry, and nothing of set 1.
    let keyring = keyring_dump();
    let has = |creds: &serde_json::Value, field: &str| {
        keyring.contains(creds[field].as_str().expect("a string"))
    };
    assert!(
        keyring.contains("prod/elevation-grant/pii-read"),
        "the grant's entry is in the keyring"
    );
    assert!(has(&second, "AccessKeyId") && has(&second, "SecretAccessKey"));
    for field in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert!(
            !has(&first, field),
            "set 1's {field} is still in the keyring"
        );
    }

    // Each set is journalled where it was taken (the workspace, for the elevated role) and
    // where it was minted (the broker: set 1 until its expiry, set 2 from its claim on).
    let log = common::json(&run(&[
        "audit",
        "log",
        "--workspace",
        "prod",
        "--kind",
        "credentials_issued",
        "--format",
        "json",
    ]));
    let issued: Vec<&serde_json::Value> = log
        .as_array()
        .expect("an array of events")
        .iter()
        .filter(|e| e["payload"]["role_name"] == "warden-pii-read")
        .collect();
    assert_eq!(issued.len(), 2, "{log}");
    for event in issued {
        assert_eq!(event["payload"]["account_id"], "123456789012", "{log}");
    }
    let minted: Vec<i64> = journal_events(&broker_journal)
        .into_iter()
        .filter_map(|p| match p {
            warden_audit::Payload::CredentialsIssued(c) => Some(c.expires_at_ms),
            _ => None,
        })
        .collect();
    assert_eq!(
        minted,
        vec![
            first_until,
            renewal_at + i64::from(warden_broker::SESSION_SECONDS) * 1000
        ]
    );

    // No secret of either set in any file of the home (journals, config, caches, results).
    let mut files = vec![];
    common::files_under(env.h(), &mut files);
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        for creds in [&first, &second] {
            for field in ["SecretAccessKey", "SessionToken"] {
                let secret = creds[field].as_str().unwrap().as_bytes();
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret),
                    "a {field} is in {}",
                    f.display()
                );
            }
        }
    }
    let logout = run(&["logout", "--workspace", "prod"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
}

/// The payloads of the journal at `path`, in order.
fn journal_events(path: &Path) -> Vec<warden_audit::Payload> {
    warden_audit::Journal::open(
        path,
        warden_audit::Actor {
            os_user: "reader".into(),
            sso_identity: None,
        },
    )
    .unwrap()
    .events(&warden_audit::EventFilter::default())
    .unwrap()
    .into_iter()
    .map(|e| e.payload)
    .collect()
}

/// `warden elevation extend`: more time on a grant held in the keyring, asked for as an
/// extension linked to it, waited on while `warden broker run --once` makes its passes; the
/// grant keeps its id, gets the new end and the broker's fresh credentials. An approver's
/// `warden elevation list` says which grant an extension adds time to.
#[tokio::test(flavor = "multi_thread")]
async fn an_analyst_extends_a_held_grant_and_approvers_see_what_it_extends() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test broker"
    );
    let _turn = SIGN_IN.lock().await;
    let env = Env::new().await;
    let fake = warden_test_support::sso_fake::FakeSso::start();
    let config = env.h().join("config/config.toml");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config += &common::sign_in_config("prod", &fake.endpoint, &env.moto.endpoint);
    std::fs::write(&config, text_config).unwrap();
    let user_home = env.h().join("user-home");
    std::fs::create_dir_all(user_home.join(".aws")).unwrap();
    let analyst = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("HOME", &user_home)
            .env("BROWSER", "/nonexistent-browser");
        cmd
    };
    let run = |args: &[&str]| analyst(args).output().unwrap();
    let login = run(&["login", "--workspace", "prod", "--device-code"]);
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    // The keyring is shared by the tests that sign in to `prod`: leave it as found, even when
    // an assertion fails.
    struct SignOut<F: Fn()>(F);
    impl<F: Fn()> Drop for SignOut<F> {
        fn drop(&mut self) {
            (self.0)()
        }
    }
    let _sign_out = SignOut(|| {
        let _ = analyst(&["logout", "--workspace", "prod"]).output();
    });
    // Waits for `args` (a --wait command) while the broker makes its passes.
    let while_the_broker_runs = |args: &[&str]| {
        let waiting = analyst(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut waiting = waiting;
        loop {
            if waiting.try_wait().unwrap().is_some() {
                return waiting.wait_with_output().unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "--wait never returned"
            );
            let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
            assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
            std::thread::sleep(Duration::from_millis(500));
        }
    };

    // Nothing held: nothing to extend, and nothing is written.
    let nothing = run(&["elevation", "extend", "large-scan", "--workspace", "prod"]);
    with_filters(&env, &[], || {
        assert_snapshot!("extend_nothing_held", report(&nothing));
    });
    assert!(env.bucket().list("requests/").await.unwrap().is_empty());

    let held = while_the_broker_runs(&[
        "elevation",
        "request",
        "large-scan",
        "--workspace",
        "prod",
        "--duration",
        "10m",
        "--wait",
    ]);
    assert_eq!(held.status.code(), Some(0), "{}", text(&held.stderr));
    let grant_id = text(&held.stdout)
        .split("(request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_string();
    let creds = |run: &dyn Fn(&[&str]) -> Output| {
        let out = run(&[
            "credentials",
            "--workspace",
            "prod",
            "--elevation",
            "large-scan",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let before = creds(&run);

    // Past the maximum (1 h from now): refused before anything is sent.
    let too_much = run(&[
        "elevation",
        "extend",
        "large-scan",
        "--workspace",
        "prod",
        "--duration",
        "55m",
    ]);
    with_filters(&env, &[], || {
        // The room left counts the seconds since the grant began.
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"at most \d+ min( \d+ s)? more", "at most [N] min more");
        settings.bind(|| assert_snapshot!("extend_past_maximum", report(&too_much)));
    });
    assert_eq!(env.bucket().list("requests/").await.unwrap().len(), 1);

    let extended = while_the_broker_runs(&[
        "elevation",
        "extend",
        "large-scan",
        "--workspace",
        "prod",
        "--duration",
        "20m",
        "--wait",
    ]);
    assert_eq!(extended.status.code(), Some(0), "{}", report(&extended));
    with_filters(&env, &[(&grant_id, "[GRANT]")], || {
        assert_snapshot!("extend_wait_extended", report(&extended));
    });
    // The same grant, with the broker's fresh set (its session policy ends at the new end).
    let after = creds(&run);
    assert_ne!(after["AccessKeyId"], before["AccessKeyId"]);
    let log = common::json(&run(&[
        "audit",
        "log",
        "--workspace",
        "prod",
        "--format",
        "json",
    ]));
    let events = log.as_array().expect("an array of events");
    let payload = |kind: &str| {
        events
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["payload"].clone())
            .collect::<Vec<_>>()
    };
    let granted = payload("elevation_granted");
    let x = payload("elevation_extended");
    assert_eq!((granted.len(), x.len()), (1, 1), "{log}");
    assert_eq!(x[0]["elevation_id"], serde_json::json!(grant_id));
    assert_eq!(
        x[0]["expires_at_ms"].as_i64().unwrap() - granted[0]["expires_at_ms"].as_i64().unwrap(),
        20 * 60 * 1000,
        "the grant's end moved by what was asked"
    );
    assert!(payload("elevation_requested")
        .iter()
        .any(|r| r["extends"] == serde_json::json!(grant_id)));
    let status = run(&["elevation", "status", "--workspace", "prod"]);
    assert!(
        text(&status.stdout).contains(&format!("(request {grant_id})")),
        "{}",
        text(&status.stdout)
    );
    // The new secret is in no file.
    let secret = after["SecretAccessKey"].as_str().unwrap().to_string();
    let mut files = vec![];
    common::files_under(env.h(), &mut files);
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the new set's secret is in {}",
            f.display()
        );
    }

    // Cy holds pii-read (approved by Bob) and asks more time on it: the signed-in approver's
    // list says which grant the extension adds time to, and its ends.
    let (cy, _) = env.client(CY);
    let cy_grant = request(&cy, "pii-read", "churn model", None).await;
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    let (bob, _) = env.client(BOB);
    warden_elevation::Queue::decide(
        &bob,
        &cy_grant,
        warden_elevation::Decision::Approve,
        BOB,
        None,
        chrono::Utc::now(),
    )
    .unwrap();
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    assert_eq!(env.status(&cy_grant).await, Some(Status::Granted));
    let policy = warden_guardrails::Policy::from_yaml(ELEVATIONS_ON_AWS).unwrap();
    let more = warden_elevation::validate(
        &policy,
        &warden_elevation::Request {
            name: "pii-read".into(),
            duration: Some(Duration::from_secs(600)),
            justification: "churn model, part 2".into(),
            ticket: None,
            extends: Some(cy_grant.clone()),
        },
    )
    .unwrap();
    let (cy_more, _) = cy.submit_request(&more, chrono::Utc::now()).await.unwrap();
    let pass = env.warden(&["broker", "run", "--once", "--workspace", "prod"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass.stderr));
    let listed = run(&["elevation", "list", "--workspace", "prod"]);
    let line = text(&listed.stdout)
        .lines()
        .find(|l| l.starts_with(&cy_more.id))
        .unwrap_or_else(|| panic!("{}", text(&listed.stdout)))
        .to_string();
    assert!(
        line.contains(&format!("(more time on grant {cy_grant}: ends "))
            && line.contains(", would end "),
        "{line}"
    );
    let json = common::json(&run(&[
        "elevation",
        "list",
        "--workspace",
        "prod",
        "--format",
        "json",
    ]));
    let entry = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == serde_json::json!(cy_more.id))
        .unwrap_or_else(|| panic!("{json}"))
        .clone();
    assert_eq!(entry["extends"], serde_json::json!(cy_grant));
    assert_eq!(
        entry["grant_would_end_at_ms"].as_i64().unwrap()
            - entry["grant_ends_at_ms"].as_i64().unwrap(),
        600_000
    );
    let logout = run(&["logout", "--workspace", "prod"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
}
