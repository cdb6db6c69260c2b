//! `make sandbox` as a user runs it from a shell: `scripts/sandbox.sh start`, then
//! `warden login --workspace sandbox --device-code` and `warden query --workspace sandbox` on the
//! Athena stand-in over the demo lake in moto, then `scripts/sandbox.sh stop`. Needs the real OS
//! keyring (the sign-in lives there) and moto_server.

use std::path::Path;

use warden_test_support::sandbox::{output_text as text, Sandbox};

const COUNTRIES: &str =
    "SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY country";

fn new_sandbox() -> Sandbox {
    Sandbox::new(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
        Path::new(env!("CARGO_BIN_EXE_athena-standin")),
    )
}

fn alive(pid: u32) -> bool {
    // A killed child of setsid is reaped by init; until then it shows as a zombie.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

#[test]
fn make_sandbox_then_sign_in_then_a_query_runs_on_the_athena_stand_in() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test sandbox"
    );
    let sandbox = new_sandbox();

    let out = sandbox.script("start");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Athena stand-in"), "{}", text(&out));
    let pids: Vec<u32> = ["moto", "fake", "athena"]
        .iter()
        .map(|n| sandbox.pid(n))
        .collect();
    assert!(pids.iter().all(|&p| alive(p)), "{pids:?}");

    // The workspace it wrote is an athena workspace on the stand-in.
    let out = sandbox.warden(&["workspace", "show", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("athena"), "{}", text(&out));

    let out = sandbox.warden(&["login", "--workspace", "sandbox", "--device-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("signed in to sandbox"),
        "{}",
        text(&out)
    );

    let out = sandbox.warden(&[
        "query",
        "--workspace",
        "sandbox",
        "--format",
        "csv",
        COUNTRIES,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let on_athena = String::from_utf8_lossy(&out.stdout).into_owned();
    // The same lake through the demo's embedded engine: the same rows.
    let demo_home = sandbox.state.path().join("demo-home");
    let out = sandbox.warden(&[
        "--home",
        demo_home.to_str().unwrap(),
        "query",
        "--format",
        "csv",
        COUNTRIES,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(on_athena, String::from_utf8_lossy(&out.stdout));
    assert!(on_athena.lines().count() > 2, "{on_athena}");

    // The sandbox's signed policy guards it.
    let out = sandbox.warden(&[
        "query",
        "--workspace",
        "sandbox",
        "SELECT email FROM sales.customers",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // The run is Athena's: the journal has its execution id and workgroup.
    let out = sandbox.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("a JSON array of events");
    let finished = journal
        .iter()
        .find(|e| e["kind"] == "query_finished")
        .unwrap_or_else(|| panic!("no query_finished in {journal:?}"));
    assert_eq!(
        finished["payload"]["engine"]["engine"], "athena",
        "{finished}"
    );
    assert_eq!(
        finished["payload"]["engine"]["workgroup"], "primary",
        "{finished}"
    );
    assert!(
        finished["payload"]["engine"]["query_id"].is_string(),
        "{finished}"
    );

    let out = sandbox.warden(&["logout", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = sandbox.script("stop");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("sandbox stopped"), "{}", text(&out));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pids.iter().any(|&p| alive(p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(pids.iter().all(|&p| !alive(p)), "still running: {pids:?}");
}
