//! An `athena` workspace whose policy bundle is in S3 reads it with the analyst's Warden sign-in
//! (`warden bundle fetch`, `warden workspace init`), never with other AWS credentials the
//! machine holds: here a stray `~/.aws/credentials` profile, which the AWS SDK's own chain would
//! take. moto accepts any key, so its recorder tells which key signed each request. Signed
//! out, the fetch is refused with "sign in first" before anything is sent, and the bundle
//! already in force keeps serving. Against the SSO fake and moto, with the real OS keyring
//! (scripts/with-keyring.sh).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use warden_test_support::moto::Recorded;
use warden_test_support::policies::PII_READ;
use warden_test_support::sso_fake::FakeSso;
use warden_test_support::Moto;

/// Differs from every other test's workspace: the tests share one keyring.
const WS: &str = "s3policy";
const BUCKET: &str = "warden-policy";
// Fake access key ids (moto accepts any key and records which one signed each request); none
// is a real credential, and each says so.
/// The access key of every credential set the SSO fake hands out: the sign-in's.
const SIGN_IN_KEY: &str = "ASIAFAKESIGNIN000001";
/// The key of a stray default profile in `~/.aws/credentials`: must sign nothing.
const STRAY_KEY: &str = "AKIAFAKESTRAYPROF001";
/// The security team's key, which publishes the bundles.
const PUBLISHER_KEY: &str = "AKIAFAKEPUBLISHER001";

struct Env {
    home: tempfile::TempDir,
    user_home: tempfile::TempDir,
    moto: Moto,
}

impl Env {
    fn new(fake: &FakeSso) -> Env {
        let moto = Moto::start_recording();
        tokio::runtime::Runtime::new()
            .expect("a runtime")
            .block_on(moto.create_bucket(BUCKET));
        let env = Env {
            home: tempfile::tempdir().unwrap(),
            user_home: tempfile::tempdir().unwrap(),
            moto,
        };
        // What the SDK's chain would find on this machine.
        let aws = env.user_home.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            format!(
                "[default]\naws_access_key_id = {STRAY_KEY}\naws_secret_access_key = FAKE-stray-secret\n"
            ),
        )
        .unwrap();
        std::fs::write(aws.join("config"), "[default]\nregion = us-east-1\n").unwrap();

        let security = env.security();
        std::fs::create_dir_all(&security).unwrap();
        std::fs::write(security.join("policy.yaml"), PII_READ).unwrap();
        let key = security.join("signing.key");
        env.run_ok(&["bundle", "keygen", "--out", s(&key)]);
        let config = env.home.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.toml"),
            format!(
                "[workspaces.{WS}]\nkind = \"athena\"\n[workspaces.{WS}.bundle]\nsource = \"s3://{BUCKET}/bundles/\"\ntrust = [\"{key}.pub\"]\n{}",
                common::sign_in_config(WS, &fake.endpoint, &env.moto.endpoint),
                key = key.display()
            ),
        )
        .unwrap();
        env
    }

    fn security(&self) -> std::path::PathBuf {
        self.home.path().join("security")
    }

    /// `warden ARGS` as the analyst runs it: their home with the stray profile in `~/.aws`,
    /// S3 at moto.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
        cmd.arg("--home")
            .arg(self.home.path())
            .args(args)
            .env("HOME", self.user_home.path())
            .env("BROWSER", "/nonexistent-browser")
            .env("AWS_ENDPOINT_URL_S3", &self.moto.endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for var in [
            "AWS_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_ENDPOINT_URL",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn warden(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the warden binary runs")
    }

    fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.warden(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        out
    }

    /// The security team builds revision `revision` for the workspace and publishes it with
    /// credentials of its own.
    fn publish(&self, revision: u32) {
        let security = self.security();
        let bundle = security.join(format!("rev{revision}.tar.gz"));
        let revision = revision.to_string();
        self.run_ok(&[
            "bundle",
            "build",
            "--policy",
            s(&security.join("policy.yaml")),
            "--revision",
            &revision,
            "--key",
            s(&security.join("signing.key")),
            "--out",
            s(&bundle),
            "--audience",
            WS,
        ]);
        let out = self
            .command(&[
                "bundle",
                "publish",
                s(&bundle),
                "--to",
                &format!("s3://{BUCKET}/bundles/"),
            ])
            .env("AWS_ACCESS_KEY_ID", PUBLISHER_KEY)
            .env("AWS_SECRET_ACCESS_KEY", "FAKE-publisher-secret")
            .output()
            .expect("the warden binary runs");
        assert_eq!(out.status.code(), Some(0), "publish: {}", text(&out));
    }

    fn stray_profile_signed_nothing(&self) {
        let stray: Vec<Recorded> = self
            .moto
            .recorded()
            .into_iter()
            .filter(|r| r.access_key_id.as_deref() == Some(STRAY_KEY))
            .collect();
        assert_eq!(stray, [], "the stray profile signed nothing");
    }

    /// The requests moto served since `from` (an earlier `self.moto.recorded().len()`).
    fn requests_since(&self, from: usize) -> Vec<Recorded> {
        self.moto.recorded().split_off(from)
    }

    fn filters(&self, fake: &FakeSso) -> insta::Settings {
        let mut settings = common::demo_filters(self.home.path());
        settings.add_filter(
            &common::regex_escape(&self.user_home.path().display().to_string()),
            "[USER_HOME]",
        );
        settings.add_filter(&common::regex_escape(&fake.endpoint), "[SSO]");
        settings.add_filter(&common::regex_escape(&self.moto.endpoint), "[MOTO]");
        settings
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every request in `requests` read the bundle store, and the sign-in signed each.
fn read_with_the_sign_in(requests: &[Recorded]) {
    let reads: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.path.starts_with(&format!("/{BUCKET}/")))
        .collect();
    assert!(
        reads
            .iter()
            .any(|r| r.method == "GET" && r.path == format!("/{BUCKET}/bundles/latest")),
        "the bundle was read from S3: {requests:?}"
    );
    assert_eq!(reads.len(), requests.len(), "only the bundle: {requests:?}");
    for r in reads {
        assert_eq!(
            r.access_key_id.as_deref(),
            Some(SIGN_IN_KEY),
            "signed by the sign-in: {r:?}"
        );
    }
}

fn keyring_required() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test bundle_sign_in"
    );
}

#[test]
fn an_s3_policy_is_fetched_with_the_sign_in_and_refused_signed_out() {
    keyring_required();
    let fake = FakeSso::start();
    fake.set(|k| k.access_key_id = Some(SIGN_IN_KEY.into()));
    let env = Env::new(&fake);
    let _filters = env.filters(&fake).bind_to_scope();
    env.publish(1);

    // Signed out: refused before any request, with the stray profile right there.
    let from = env.moto.recorded().len();
    let out = env.warden(&["bundle", "fetch", "--workspace", WS]);
    insta::assert_snapshot!("fetch_signed_out", common::report(&out));
    let out = env.warden(&["workspace", "init", "--workspace", WS]);
    insta::assert_snapshot!("init_signed_out", common::report(&out));
    assert_eq!(env.requests_since(from), [], "nothing was sent to S3");
    env.stray_profile_signed_nothing();

    env.run_ok(&["login", "--workspace", WS, "--device-code"]);

    // Signed in: `workspace init` fetches revision 1 with the sign-in.
    let from = env.moto.recorded().len();
    let out = env.warden(&["workspace", "init", "--workspace", WS]);
    insta::assert_snapshot!("init_signed_in", common::report(&out));
    read_with_the_sign_in(&env.requests_since(from));

    // `bundle fetch` takes revision 2 with the sign-in.
    env.publish(2);
    let from = env.moto.recorded().len();
    let out = env.warden(&["bundle", "fetch", "--workspace", WS]);
    insta::assert_snapshot!("fetch_signed_in", common::report(&out));
    read_with_the_sign_in(&env.requests_since(from));

    // Signed out again: the fetch is refused and sends nothing; revision 2 stays in force.
    env.run_ok(&["logout", "--workspace", WS]);
    env.publish(3);
    let from = env.moto.recorded().len();
    let out = env.warden(&["bundle", "fetch", "--workspace", WS]);
    insta::assert_snapshot!(
        "fetch_signed_out_with_a_bundle_in_force",
        common::report(&out)
    );
    assert_eq!(env.requests_since(from), [], "nothing was sent to S3");
    let status = env.warden(&["bundle", "status", "--workspace", WS, "--format", "json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let status = common::json(&status);
    assert_eq!(status["revision"], 2, "{status}");
    assert_eq!(status["health"], "valid", "{status}");
    env.stray_profile_signed_nothing();
}
