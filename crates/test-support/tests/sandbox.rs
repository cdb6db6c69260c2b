//! `make sandbox` as a user runs it from a shell: `scripts/sandbox.sh start`, then
//! `warden login --workspace sandbox --device-code` and `warden query --workspace sandbox` on the
//! Athena stand-in over the demo lake in moto, then `scripts/sandbox.sh stop`. Needs the real OS
//! keyring (the sign-in lives there) and moto_server.

use std::path::Path;

use warden_test_support::sandbox::{output_text as text, Sandbox};

const COUNTRIES: &str =
    "SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY country";

/// Both tests sign in to a workspace called `sandbox`, whose keyring entries are one and the
/// same (the keyring is keyed by workspace name): one signing out must not sign the other out.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

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
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
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

/// `scripts/sandbox.sh start --identity-center`: large-scan is granted by an account assignment
/// of moto's permission set, and `warden` takes its credentials from the SSO fake's portal,
/// which gives them only while moto holds the assignment.
#[test]
fn the_identity_center_sandbox_grants_by_account_assignment() {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test sandbox"
    );
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sandbox = new_sandbox();
    let out = sandbox.script_with(&["start", "--identity-center"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("Identity Center mode"),
        "{}",
        text(&out)
    );
    let moto = sandbox.endpoint("moto").expect("moto");
    let out = sandbox.warden(&["login", "--workspace", "sandbox", "--device-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Over the scan budget without the elevation.
    let big = "SELECT count(*) AS n FROM sales.orders";
    let out = sandbox.warden(&["query", "--workspace", "sandbox", big]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let out = sandbox.warden(&[
        "elevation",
        "request",
        "large-scan",
        "--workspace",
        "sandbox",
        "--duration",
        "15m",
        "--justification",
        "yearly totals",
        "--wait",
        "--timeout",
        "1m",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sdk = warden_test_support::standin::local_sdk_config(&moto);
    let admin = aws_sdk_ssoadmin::Client::new(&sdk);
    let assignments = || {
        rt.block_on(async {
            let instance = admin
                .list_instances()
                .send()
                .await
                .expect("instances")
                .instances()[0]
                .instance_arn()
                .expect("arn")
                .to_string();
            let sets = admin
                .list_permission_sets()
                .instance_arn(&instance)
                .send()
                .await
                .expect("sets");
            let mut n = 0;
            for arn in warden_test_support::portal_center::arn_forms(&sets.permission_sets()[0]) {
                n += admin
                    .list_account_assignments()
                    .instance_arn(&instance)
                    .account_id("123456789012")
                    .permission_set_arn(arn)
                    .send()
                    .await
                    .expect("assignments")
                    .account_assignments()
                    .len();
            }
            n
        })
    };
    assert_eq!(assignments(), 1, "the broker assigned the permission set");

    // The credentials `warden` hands out are the permission set's role at moto's STS.
    let out = sandbox.warden(&[
        "credentials",
        "--workspace",
        "sandbox",
        "--elevation",
        "large-scan",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout).expect("credential JSON");
    let arn = rt.block_on(async {
        let config = aws_sdk_sts::config::Builder::from(&sdk)
            .credentials_provider(aws_credential_types::Credentials::new(
                creds["AccessKeyId"].as_str().expect("key"),
                creds["SecretAccessKey"].as_str().expect("secret"),
                creds["SessionToken"].as_str().map(str::to_string),
                None,
                "test",
            ))
            .build();
        aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .expect("caller")
            .arn()
            .unwrap_or_default()
            .to_string()
    });
    assert!(
        arn.contains("assumed-role/AWSReservedSSO_WardenLargeScan_")
            && arn.ends_with("/sam@example.com"),
        "{arn}"
    );

    // The big query runs on the grant.
    let out = sandbox.warden(&[
        "query",
        "--workspace",
        "sandbox",
        "--elevation",
        "large-scan",
        "--format",
        "csv",
        big,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Ended here: wiped, and the broker deletes the assignment at its next pass.
    let out = sandbox.warden(&["elevation", "end", "large-scan", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while assignments() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(assignments(), 0, "the assignment outlived the grant");
    let out = sandbox.warden(&[
        "credentials",
        "--workspace",
        "sandbox",
        "--elevation",
        "large-scan",
    ]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}
