//! The real OS keyring: Secret Service (GNOME Keyring under `dbus-run-session`, started by
//! scripts/with-keyring.sh), and the refusal when there is none.

mod common;

use std::process::Command;

use common::{session, ApprovingBrowser};
use warden_identity::{IdentityError, Method, Vault, WardenCredentials};
use warden_test_support::sso_fake::FakeSso;

/// The keyring tests need the wrapper's keyring; without it they fail and say how to run them
/// (skipping would let CI pass without having tested the keyring).
fn system_vault() -> Vault {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test -p warden-identity"
    );
    Vault::system().expect("the test keyring is unlocked")
}

/// `secret-tool search --all service warden` as a user would run it: the users (`<workspace>/<slot>`)
/// it lists, and everything it printed.
fn secret_tool() -> (Vec<String>, String) {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "warden"])
        .output()
        .expect("secret-tool (package libsecret-tools) runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let users = text
        .lines()
        .filter_map(|l| l.strip_prefix("attribute.username = "))
        .map(str::to_owned)
        .collect();
    (users, text)
}

#[tokio::test]
async fn secrets_live_in_the_secret_service_while_signed_in_and_leave_on_sign_out() {
    let vault = system_vault();
    let fake = FakeSso::start();
    let (s, _) = session("kr-session", &fake, vault).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    WardenCredentials::new(s.clone())
        .credentials()
        .await
        .unwrap();
    let (users, text) = secret_tool();
    for slot in [
        "sso-client",
        "sso-access-token",
        "sso-refresh-token",
        "aws-credentials",
    ] {
        let user = format!("kr-session/{slot}");
        assert!(users.contains(&user), "{user} missing from:\n{text}");
    }
    // What the fake issued is what the keyring holds: the access token is among the secrets.
    let issued = fake.issued_secrets();
    assert!(issued.iter().any(|secret| text.contains(secret.as_str())));
    s.sign_out().await.unwrap();
    let (users, text) = secret_tool();
    assert!(
        !users.iter().any(|u| u.starts_with("kr-session/")),
        "left after sign-out:\n{text}"
    );
}

#[test]
fn no_secret_service_means_no_sign_in() {
    // In a child process whose session bus does not exist, so this test's own bus is untouched.
    if std::env::var_os("WARDEN_PROBE_CHILD").is_some() {
        let e = Vault::system().unwrap_err();
        assert!(matches!(e, IdentityError::KeyringUnavailable { .. }), "{e}");
        println!("PROBE-ERROR: {e}");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "no_secret_service_means_no_sign_in",
            "--nocapture",
        ])
        .env("WARDEN_PROBE_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/warden-test-bus",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("PROBE-ERROR: "))
        .expect("the child ran");
    assert!(line.contains("the OS keyring is not available"), "{line}");
    assert!(line.contains("does not fall back to a file"), "{line}");
}
