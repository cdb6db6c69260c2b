//! `warden login | whoami | credentials | logout` against the SSO fake and moto's STS, with the
//! real OS keyring (GNOME Keyring through scripts/with-keyring.sh): a whole session, then a
//! search of everything Warden wrote for every secret the fake issued.

mod common;

use std::process::{Command, Output};

use warden_test_support::sso_fake::{FakeSso, ACCOUNT_ID, ROLE_NAME};
use warden_test_support::Moto;

struct Env {
    home: tempfile::TempDir,
    user_home: tempfile::TempDir,
}

impl Env {
    /// `ws` must differ between tests: they share one keyring.
    fn new(ws: &str, fake: &FakeSso, sts: &str) -> Env {
        let env = Env {
            home: tempfile::tempdir().unwrap(),
            user_home: tempfile::tempdir().unwrap(),
        };
        let config = env.home.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.toml"),
            format!(
                "[workspaces.{ws}]\nkind = \"athena\"\n{}",
                common::sign_in_config(ws, &fake.endpoint, sts)
            ),
        )
        .unwrap();
        std::fs::create_dir_all(env.user_home.path().join(".aws")).unwrap();
        env
    }

    fn warden(&self, args: &[&str]) -> Output {
        self.warden_with(args, &[])
    }

    fn warden_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
        cmd.arg("--home")
            .arg(self.home.path())
            .args(args)
            .env("HOME", self.user_home.path())
            .env_remove("AWS_PROFILE")
            .env("BROWSER", "/nonexistent-browser");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().expect("the warden binary runs")
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The filters of a session: the two homes, the fake's and moto's addresses, times and the
/// device flow's one-time code.
fn filters(env: &Env, fake: &FakeSso, sts: &str) -> insta::Settings {
    let mut settings = common::filters(env.home.path());
    settings.add_filter(
        &common::regex_escape(&env.user_home.path().display().to_string()),
        "[USER_HOME]",
    );
    settings.add_filter(&common::regex_escape(&fake.endpoint), "[SSO]");
    settings.add_filter(&common::regex_escape(sts), "[STS]");
    settings.add_filter(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", "[CODE]");
    settings
}

fn keyring_required() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test -p warden-cli --test identity"
    );
}

#[test]
fn a_whole_session_leaves_no_secret_behind() {
    keyring_required();
    let fake = FakeSso::start();
    let moto = Moto::start();
    let env = Env::new("sandbox", &fake, &moto.endpoint);
    let _filters = filters(&env, &fake, &moto.endpoint).bind_to_scope();
    let mut logs = String::new();

    // Signed out: refused, exit 1, no credentials.
    let out = env.warden(&["credentials", "--workspace", "sandbox"]);
    insta::assert_snapshot!("credentials_signed_out", common::report(&out));
    logs += &text(&out);

    // Device flow: the fake approves after two pending polls.
    let out = env.warden(&["login", "--workspace", "sandbox", "--device-code"]);
    insta::assert_snapshot!("login_device_code", common::report(&out));
    logs += &text(&out);

    // A token in its optional refresh window: the next command refreshes it.
    fake.set(|k| k.token_expires_in = 12 * 60);
    let out = env.warden(&["login", "--workspace", "sandbox", "--device-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    logs += &text(&out);
    fake.set(|k| k.token_expires_in = 3600);
    let out = env.warden(&["whoami", "--workspace", "sandbox", "--format", "json"]);
    // moto's STS names the caller of any key it did not issue as its default user.
    insta::assert_snapshot!("whoami_json", common::report(&out));
    let who: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["account_id"], ACCOUNT_ID);
    assert_eq!(who["role_name"], ROLE_NAME);
    assert_eq!(fake.counters().create_token("refresh_token"), 1);
    logs += &text(&out);

    // credential_process output, for the AWS CLI / boto3.
    let out = env.warden(&["credentials", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(creds["Version"], 1);
    assert!(creds["AccessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("ASIAFAKE"));
    assert!(creds["Expiration"].as_str().unwrap().ends_with('Z'));
    logs += &String::from_utf8_lossy(&out.stderr); // stdout holds the keys by design

    let out = env.warden(&[
        "credentials",
        "--workspace",
        "sandbox",
        "--elevation",
        "pii-read",
    ]);
    insta::assert_snapshot!("credentials_elevation_not_held", common::report(&out));
    logs += &text(&out);

    let out = env.warden(&["logout", "--workspace", "sandbox"]);
    insta::assert_snapshot!("logout", common::report(&out));
    logs += &text(&out);
    let out = env.warden(&["whoami", "--workspace", "sandbox"]);
    insta::assert_snapshot!("whoami_signed_out", common::report(&out));
    logs += &text(&out);

    // The journal has the events, attributed to the SSO identity after sign-in.
    let out = env.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = String::from_utf8_lossy(&out.stdout).into_owned();
    let events = common::json(&out);
    let events = events.as_array().expect("an array of events");
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    for kind in [
        "signed_in",
        "token_refreshed",
        "credentials_issued",
        "signed_out",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    // An actor is "OS user (SSO identity)" once signed in.
    assert!(
        events
            .iter()
            .filter_map(|e| e["actor"].as_str())
            .any(|actor| actor.contains(" (arn:aws:")),
        "no SSO identity as actor: {journal}"
    );

    // Every secret the fake issued: nowhere in the Warden home, ~/.aws, the output or the journal.
    let secrets = fake.issued_secrets();
    assert!(
        secrets.len() >= 8,
        "the session issued secrets: {}",
        secrets.len()
    );
    let mut files = Vec::new();
    common::files_under(env.home.path(), &mut files);
    common::files_under(env.user_home.path(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("journal.sqlite")));
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let content = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            assert!(
                !content.contains(s.as_str()),
                "a secret in {}",
                file.display()
            );
        }
    }
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a secret in the command output");
        assert!(!journal.contains(s.as_str()), "a secret in the journal");
    }
}

#[test]
fn browser_login_through_the_loopback_redirect() {
    keyring_required();
    let fake = FakeSso::start();
    let moto = Moto::start();
    let env = Env::new("browser", &fake, &moto.endpoint);
    // The "browser" follows the fake's redirect to Warden's loopback listener.
    let browser = env.user_home.path().join("browser.sh");
    std::fs::write(&browser, "#!/bin/sh\nexec curl -s -L -o /dev/null \"$1\"\n").unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = env.warden_with(
        &["login", "--workspace", "browser"],
        &[("BROWSER", browser.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(fake.counters().create_token("authorization_code"), 1);
    let out = env.warden(&["logout", "--workspace", "browser"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn without_a_keyring_sign_in_is_refused_in_plain_words() {
    let fake = FakeSso::start();
    let env = Env::new("nokeyring", &fake, "http://127.0.0.1:9");
    let out = env.warden_with(
        &["login", "--workspace", "nokeyring", "--device-code"],
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/warden-test-bus",
        )],
    );
    filters(&env, &fake, "http://127.0.0.1:9").bind(|| {
        insta::assert_snapshot!("login_without_keyring", common::report(&out));
    });
    assert_eq!(
        fake.counters().register_client,
        0,
        "nothing was asked of AWS"
    );
}

#[test]
fn the_demo_workspace_needs_no_sign_in() {
    let fake = FakeSso::start();
    let env = Env::new("unused", &fake, "http://127.0.0.1:9");
    let out = env.warden(&["login", "--workspace", "demo"]);
    filters(&env, &fake, "http://127.0.0.1:9").bind(|| {
        insta::assert_snapshot!("login_demo", common::report(&out));
    });
}
