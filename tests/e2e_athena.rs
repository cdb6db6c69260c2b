//! End to end on AWS, locally: `make sandbox` (moto, the SSO fake, the Athena stand-in over the
//! demo lake, the broker), a sign-in kept in the real OS keyring, and the real app window running
//! queries on the `sandbox` workspace through the Athena engine. Needs the keyring session of
//! scripts/with-keyring.sh (`scripts/test.sh` provides it).

// Shared with tests/e2e.rs, which uses the parts this test does not.
#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::webdriver::Session;
use support::window::{set_sql, text_of, wait_verdict};
use support::{keyring_users, wait_for};
use warden_test_support::sandbox::{output_text as text, Sandbox};

/// Athena runs take longer than the demo's: the stand-in polls and reads results from S3.
const ATHENA_PATIENCE: Duration = Duration::from_secs(60);

/// The elevation ids each device of the central store (s3://warden-audit/ in moto) recorded as
/// granted, read from its objects as an admin's Athena table would.
fn granted_by_device(moto: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let s3 = warden_test_support::standin::s3_client(moto);
        let listed = s3
            .list_objects_v2()
            .bucket("warden-audit")
            .prefix("audit/v1/")
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for key in listed.contents().iter().filter_map(|o| o.key()) {
            let device = key
                .split('/')
                .find_map(|part| part.strip_prefix("device="))
                .ok_or_else(|| format!("no device in {key}"))?
                .to_string();
            let body = s3
                .get_object()
                .bucket("warden-audit")
                .key(key)
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?
                .body
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .into_bytes();
            let mut lines = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut lines)
                .map_err(|e| format!("{key}: {e}"))?;
            for line in lines.lines() {
                let event: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| format!("{key}: {e}"))?;
                if event["kind"] == "elevation_granted" {
                    if let Some(id) = event["payload"]["elevation_id"].as_str() {
                        granted
                            .entry(device.clone())
                            .or_default()
                            .insert(id.to_string());
                    }
                }
            }
        }
        Ok(granted)
    })
}

fn grid_cells(s: &Session<'_>) -> Vec<String> {
    s.execute(
        "return [...document.querySelectorAll('#grid .grid-row .grid-cell')].map(c => c.textContent);",
        json!([]),
    )
    .ok()
    .and_then(|v| serde_json::from_value(v).ok())
    .unwrap_or_default()
}

/// Opens the request dialog of large-scan from the verdict and presses `button` in it
/// (`#elevation-submit` to request, `#elevation-submit-run` to request and run).
fn ask_for_large_scan(s: &Session<'_>, button: &str) -> Result<(), String> {
    s.click_found("the Request elevation button", ATHENA_PATIENCE, || {
        s.find("button.request-elevation[data-elevation=large-scan]")
            .ok()
            .flatten()
    })?;
    s.click_found(
        &format!("{button} in the request dialog"),
        ATHENA_PATIENCE,
        || s.find(button).ok().flatten(),
    )
}

/// The runs the workspace's journal records as finished in large-scan's workgroup, oldest first.
fn elevated_runs(sandbox: &Sandbox) -> Result<Vec<serde_json::Value>, String> {
    let out = sandbox.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    if out.status.code() != Some(0) {
        return Err(text(&out));
    }
    let journal: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(journal
        .into_iter()
        .filter(|e| e["kind"] == "query_finished")
        .filter(|e| e["payload"]["engine"]["workgroup"] == "warden-large-scan")
        .collect())
}

#[test]
fn the_window_runs_queries_on_athena_in_the_sandbox_within_its_policy() -> Result<(), String> {
    let window = support::sandbox_window::start(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        Path::new(env!("CARGO_BIN_EXE_warden-desktop")),
    )?;
    let (sandbox, driver) = (&window.sandbox, &window.driver);
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for(
        "the signed-in identity in the status bar",
        ATHENA_PATIENCE,
        || text_of(&s, "#sign-in-identity").filter(|t| !t.contains("signed out") && !t.is_empty()),
    )?;
    assert!(
        s.find("#welcome")?.is_none(),
        "the demo's welcome panel is not shown on an AWS workspace"
    );

    // The sandbox's signed policy guards the window: personal data needs an elevation.
    set_sql(&s, "SELECT email FROM sales.customers")?;
    wait_verdict(&s, "elevate")?;

    // An allowed query runs on the Athena stand-in and its rows land in the grid.
    set_sql(
        &s,
        "SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY country",
    )?;
    wait_verdict(&s, "allow")?;
    let run = s.find("#run")?.ok_or("no #run button")?;
    s.click(&run)?;
    let cells = wait_for("rows from Athena in the grid", ATHENA_PATIENCE, || {
        Some(grid_cells(&s)).filter(|c| !c.is_empty())
    })?;
    // The same rows as the command line gets from the same workspace.
    let out = sandbox.warden(&[
        "query",
        "--workspace",
        "sandbox",
        "--format",
        "csv",
        "SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY country",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    let first_row: Vec<&str> = csv
        .lines()
        .nth(1)
        .ok_or("the CLI printed no row")?
        .split(',')
        .collect();
    assert_eq!(&cells[..2], &first_row[..], "grid {cells:?}, CLI {csv}");

    // The journal names the run's Athena execution.
    let out = sandbox.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let finished: Vec<_> = journal
        .iter()
        .filter(|e| e["kind"] == "query_finished")
        .collect();
    assert_eq!(
        finished.len(),
        2,
        "the window's run and the CLI's: {journal:?}"
    );
    for event in finished {
        assert_eq!(event["payload"]["engine"]["engine"], "athena", "{event}");
        assert!(
            event["payload"]["engine"]["query_id"].is_string(),
            "{event}"
        );
    }

    // The Saved panel lists the workgroup's named queries (the sandbox keeps two in `primary`);
    // one opens in a new tab, where the gate judges it like typed text.
    let toggle = s.find("#saved-toggle")?.ok_or("no Saved toggle")?;
    s.click(&toggle)?;
    let named = wait_for("the workgroup's named queries", ATHENA_PATIENCE, || {
        text_of(&s, "#named-list").filter(|t| t.contains("Customer emails"))
    })?;
    assert!(named.contains("Customers by country"), "{named}");
    assert_eq!(
        text_of(&s, "#named-title").as_deref(),
        Some("Named queries in Athena (workgroup primary)")
    );
    s.click_found("the Customer emails row", ATHENA_PATIENCE, || {
        s.find_all("#named-list .saved-row button")
            .ok()?
            .into_iter()
            .find(|r| s.text(r).is_ok_and(|t| t.contains("Customer emails")))
    })?;
    wait_for("the named query in the editor", ATHENA_PATIENCE, || {
        s.execute("return window.__warden.getSql();", json!([]))
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|sql| sql.contains("email FROM sales.customers"))
    })?;
    wait_verdict(&s, "elevate")?;
    s.click(&toggle)?;
    // A scan over the sandbox's budget needs large-scan, which its policy approves at once: the
    // request goes to the broker's queue, the broker grants it and delivers credentials for the
    // elevation's own role, and the window runs the query with them, in the elevation's
    // workgroup; End gives them up.
    const BIG: &str = "SELECT count(*) AS n FROM sales.orders";
    set_sql(&s, BIG)?;
    wait_verdict(&s, "elevate")?;
    ask_for_large_scan(&s, "#elevation-submit")?;
    wait_for(
        "the broker's grant in the status bar",
        ATHENA_PATIENCE,
        || text_of(&s, "#status [data-item=elevation]").filter(|t| t.contains("large-scan")),
    )?;
    wait_verdict(&s, "allow")?;
    let users = keyring_users()?;
    assert!(
        users
            .iter()
            .any(|u| u == "sandbox/elevation-grant/large-scan"),
        "the grant's credentials are in the keyring: {users:?}"
    );
    let run = s.find("#run")?.ok_or("no #run button")?;
    s.click(&run)?;
    let counted = wait_for("the elevated count in the grid", ATHENA_PATIENCE, || {
        let cells = grid_cells(&s);
        (cells.len() == 1).then(|| cells[0].clone())
    })
    .map_err(|e| format!("{e}; the window says: {:?}", text_of(&s, "#error")))?;
    assert!(
        counted.chars().all(|c| c.is_ascii_digit()),
        "a count: {counted:?}"
    );
    s.click_found("the End button for large-scan", ATHENA_PATIENCE, || {
        s.find("#status .end-elevation[data-elevation=large-scan]")
            .ok()
            .flatten()
    })?;
    wait_verdict(&s, "elevate")?;
    // The verdict turns when the grant's credentials are wiped; End deletes the request's key
    // from the keyring a D-Bus call later, so a loaded machine may show it for a moment.
    let elevation_entries = || -> Result<Vec<String>, String> {
        Ok(keyring_users()?
            .into_iter()
            .filter(|u| {
                u.starts_with("sandbox/elevation-grant/") || u.starts_with("sandbox/elevation-key/")
            })
            .collect())
    };
    wait_for(
        "End to wipe the grant's credentials and key",
        Duration::from_secs(5),
        || elevation_entries().ok().filter(|left| left.is_empty()),
    )
    .map_err(|e| format!("{e}; still in the keyring: {:?}", elevation_entries()))?;

    // Request and run, on AWS: asked from the refused query's dialog, the count runs by itself
    // once the broker's grant arrives, once, on the grant, without Run being pressed.
    assert_eq!(elevated_runs(sandbox)?.len(), 1, "the run before End");
    ask_for_large_scan(&s, "#elevation-submit-run")?;
    wait_for("the second elevated run", ATHENA_PATIENCE, || {
        elevated_runs(sandbox).ok().filter(|runs| runs.len() == 2)
    })?;
    // A moment more, so a second run of the same request would have shown.
    std::thread::sleep(Duration::from_secs(2));
    let runs = elevated_runs(sandbox)?;
    assert_eq!(runs.len(), 2, "Request and run ran once: {runs:?}");
    assert_eq!(
        runs[1]["payload"]["query"]["active_elevations"],
        json!(["large-scan"]),
        "it leaned on the new grant: {}",
        runs[1]
    );
    assert!(s.find("#elevation-dialog")?.is_none(), "the dialog closed");

    // Extend, on AWS: the broker moves the grant's end and mints a set that lasts to it; the
    // window shows the new end and says so, and the same grant runs on.
    let minutes_left = || -> Option<u32> {
        text_of(&s, "#status [data-item=elevation]")?
            .split("large-scan · ")
            .nth(1)?
            .split(" min left")
            .next()?
            .trim()
            .parse()
            .ok()
    };
    let before = wait_for("the grant's minutes left", ATHENA_PATIENCE, &minutes_left)?;
    assert!(before <= 15, "the sandbox's default is 15 min: {before}");
    s.click_found("the Extend button", ATHENA_PATIENCE, || {
        s.find_by_role("button", Some("Extend large-scan"), None, None)
            .ok()
            .flatten()
    })?;
    wait_for("the dialog in extend mode", ATHENA_PATIENCE, || {
        text_of(&s, "#elevation-title").filter(|t| t == "Extend large-scan")
    })?;
    let submit = s.find("#elevation-submit")?.ok_or("no #elevation-submit")?;
    s.click(&submit)?;
    wait_for("the new end in the status bar", ATHENA_PATIENCE, || {
        minutes_left().filter(|m| *m > before)
    })
    .map_err(|e| {
        format!(
            "{e}; status {:?}, banner {:?}, dialog {:?}",
            text_of(&s, "#status [data-item=elevation]"),
            text_of(&s, "#elevation-banner-text"),
            text_of(&s, "#elevation-dialog"),
        )
    })?;
    let told = wait_for("the extended banner", ATHENA_PATIENCE, || {
        text_of(&s, "#elevation-banner-text").filter(|t| t.contains("extended until"))
    })?;
    assert!(told.starts_with("large-scan extended until "), "{told:?}");
    wait_verdict(&s, "allow")?;

    s.click_found(
        "the End button for the second large-scan grant",
        ATHENA_PATIENCE,
        || {
            s.find("#status .end-elevation[data-elevation=large-scan]")
                .ok()
                .flatten()
        },
    )?;
    wait_verdict(&s, "elevate")?;

    let out = sandbox.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let elevated = journal
        .iter()
        .filter(|e| e["kind"] == "query_finished")
        .find(|e| e["payload"]["engine"]["workgroup"] == "warden-large-scan")
        .ok_or_else(|| format!("no run in the elevation's workgroup: {journal:?}"))?;
    assert_eq!(
        elevated["payload"]["engine"]["engine"], "athena",
        "{elevated}"
    );
    for kind in [
        "elevation_requested",
        "elevation_granted",
        "elevation_extended",
        "credentials_wiped",
    ] {
        assert!(
            journal.iter().any(|e| e["kind"] == kind),
            "no {kind} in {journal:?}"
        );
    }

    // The client's journal (written with the sign-in's credentials) and the broker's meet in
    // the central store in moto's S3, intact, and tell the same grant.
    let out = sandbox.warden(&["audit", "sync", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let moto = sandbox.endpoint("moto")?;
    let granted_on_both = wait_for(
        "the grant in the client's and the broker's journals in the store",
        ATHENA_PATIENCE,
        || {
            let granted = granted_by_device(&moto).ok()?;
            let mut devices = granted.keys();
            let (first, second) = (devices.next()?, devices.next()?);
            granted[first]
                .intersection(&granted[second])
                .next()
                .cloned()
        },
    )?;
    assert!(!granted_on_both.is_empty());
    let mut verify = std::process::Command::new(
        Path::new(env!("CARGO_BIN_EXE_warden-desktop")).with_file_name("warden"),
    );
    sandbox.env(&mut verify);
    let out = verify
        .args([
            "audit",
            "verify-store",
            "--store",
            "s3://warden-audit/",
            "--format",
            "json",
        ])
        .env("AWS_ENDPOINT_URL_S3", &moto)
        .env("AWS_ACCESS_KEY_ID", "sandbox-admin")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-admin")
        .env("AWS_REGION", "us-east-1")
        .output()
        .map_err(|e| e.to_string())?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    assert_eq!(report["intact"], true, "{report}");
    assert!(
        report["devices"].as_array().is_some_and(|d| d.len() >= 2),
        "{report}"
    );

    // The keyring is shared with the other tests of the session: leave it as it was.
    let out = sandbox.warden(&["logout", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    Ok(())
}
