//! What the CLI's test files share: running the binary under a home folder, reading its output,
//! and the insta filters that replace what varies from run to run (temporary paths, times, ids,
//! durations) with a name in brackets. Fixtures other crates use too (policies, moto) live in
//! `warden-test-support`.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `warden --home HOME ARGS`, not yet run.
pub fn warden_cmd(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command.arg("--home").arg(home).args(args);
    command
}

/// `warden --home HOME ARGS`, run to its end.
pub fn warden(home: &Path, args: &[&str]) -> Output {
    warden_cmd(home, args)
        .output()
        .expect("the warden binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON document a run printed on stdout.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

/// Runs `body` (which takes snapshots) with the output filters for `home`.
pub fn with_filters(home: &Path, body: impl FnOnce()) {
    filters(home).bind(body);
}

/// The filters of a run under `home`: the home folder, times (RFC 3339, and the dates and times
/// of day sentences print), the date folders of the audit store, UUIDs, durations, hashes and device and key ids.
pub fn filters(home: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let home = regex_escape(&home.display().to_string());
    settings.add_filter(&home, "[HOME]");
    settings.add_filter(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
        "[TIME]",
    );
    settings.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? UTC", "[TIME]");
    settings.add_filter(r"\b\d\d:\d\d:\d\d UTC", "[TIME]");
    settings.add_filter(r"dt=\d{4}-\d\d-\d\d", "dt=[DATE]");
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    settings.add_filter(r"\d+ ms", "[N] ms");
    settings.add_filter(r#""duration_ms": \d+"#, r#""duration_ms": [N]"#);
    settings.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[HASH]");
    settings.add_filter(r#""(device_id|key_id)": "[^"]+""#, r#""$1": "[ID]""#);
    settings
}

/// The filters of a run under `home` that names signing keys (generated anew by each test) and
/// the OS user who ran it (the actor of audit events and elevation decisions).
pub fn demo_filters(home: &Path) -> insta::Settings {
    let mut settings = filters(home);
    settings.add_filter(r"key [0-9a-f]{16}\b", "key [KEY_ID]");
    settings.add_filter(r"trusted: [0-9a-f]{16}\b", "trusted: [KEY_ID]");
    // A bundle's size moves with the times and key id it holds.
    settings.add_filter(r", \d+ bytes, signed by", ", [N] bytes, signed by");
    let user = regex_escape(&warden_core::audit::os_user());
    settings.add_filter(&format!(r"\b{user}\b"), "[OS_USER]");
    settings
}

/// `text` as a regular expression that matches it literally.
pub fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// The `[workspaces.WS.sign_in]` tables of a workspace that signs in at the SSO fake listening
/// on `sso` and asks `sts` (moto, or an address nobody answers on) who it is.
pub fn sign_in_config(ws: &str, sso: &str, sts: &str) -> String {
    use warden_test_support::sso_fake::{ACCOUNT_ID, ROLE_NAME};
    format!(
        r#"[workspaces.{ws}.sign_in]
sso_start_url = "https://sandbox.awsapps.com/start"
sso_region = "us-east-1"
account_id = "{ACCOUNT_ID}"
role_name = "{ROLE_NAME}"
[workspaces.{ws}.sign_in.endpoints]
sso = "{sso}"
sso_oidc = "{sso}"
sts = "{sts}"
"#
    )
}

/// Every file below `dir`, for searches of what Warden wrote (a secret must be in none).
pub fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A finished run as insta-cmd shows one (exit code, stdout, stderr), for a test that snapshots a
/// run it still needs afterwards (its output searched for secrets, its stdout parsed).
pub fn report(out: &Output) -> String {
    format!(
        "exit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.status
            .code()
            .map_or_else(|| "none".to_string(), |c| c.to_string()),
        text(&out.stdout),
        text(&out.stderr)
    )
}
