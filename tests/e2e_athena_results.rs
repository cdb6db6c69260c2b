//! End to end on AWS, locally, for results: in the real window on the sandbox's `sandbox`
//! workspace, a 5,000-row Athena result is paged into the grid to its last row, exported whole,
//! and a long query is cancelled, which Athena (the stand-in) confirms. Needs the keyring
//! session of scripts/with-keyring.sh (`scripts/test.sh` provides it).

// Shared with tests/e2e.rs, which uses the parts this test does not.
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::wait_for;
use support::webdriver::Session;
use support::window::{set_sql, text_of, wait_verdict};
use warden_test_support::sandbox::output_text as text;

/// Athena runs take longer than the demo's: the stand-in polls and reads results from S3.
const ATHENA_PATIENCE: Duration = Duration::from_secs(60);

const ALL_CUSTOMERS: &str = "SELECT customer_id, country FROM sales.customers ORDER BY customer_id";
/// 5,000³ rows to count: it runs until it is cancelled.
const LONG: &str = "SELECT count(*) AS n FROM sales.customers a CROSS JOIN sales.customers b CROSS JOIN sales.customers c WHERE a.customer_id + b.customer_id + c.customer_id > 0";

fn row_numbers(s: &Session<'_>) -> Vec<String> {
    s.execute(
        "return [...document.querySelectorAll('#grid .grid-row .grid-rownum')].map(c => c.textContent);",
        json!([]),
    )
    .ok()
    .and_then(|v| serde_json::from_value(v).ok())
    .unwrap_or_default()
}

fn click(s: &Session<'_>, selector: &str) -> Result<(), String> {
    let element = wait_for(selector, ATHENA_PATIENCE, || {
        s.find(selector).ok().flatten()
    })?;
    s.click(&element)
}

#[test]
fn the_window_pages_exports_and_cancels_athena_results_in_the_sandbox() -> Result<(), String> {
    let window = support::sandbox_window::start(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        Path::new(env!("CARGO_BIN_EXE_warden-desktop")),
    )?;
    let (sandbox, driver) = (&window.sandbox, &window.driver);
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the signed-in identity", ATHENA_PATIENCE, || {
        text_of(&s, "#sign-in-identity").filter(|t| !t.contains("signed out") && !t.is_empty())
    })?;

    // Every customer: 5,000 rows from Athena, shown 200 at a time, the last one reached by
    // scrolling (its page is fetched from the result store then).
    set_sql(&s, ALL_CUSTOMERS)?;
    wait_verdict(&s, "allow")?;
    // Once the text rests its scan is measured as a run measures it, and shown with the budget.
    let scan = wait_for("the measured scan estimate", ATHENA_PATIENCE, || {
        text_of(&s, "#verdict-reads").filter(|t| t.contains("from S3 object sizes"))
    })?;
    assert!(
        scan.contains("Scan about") && scan.contains("budget 1 MB"),
        "{scan}"
    );
    click(&s, "#run")?;
    let meta = wait_for("the result summary", ATHENA_PATIENCE, || {
        text_of(&s, "#result-meta").filter(|t| t.starts_with("5,000 rows"))
    })?;
    assert!(meta.contains("scanned"), "{meta}");
    let first = wait_for("the first page", ATHENA_PATIENCE, || {
        Some(row_numbers(&s)).filter(|r| !r.is_empty())
    })?;
    assert_eq!(first[0], "1", "{first:?}");
    assert!(
        !first.iter().any(|n| n == "5000"),
        "the grid draws what is in view, not every row: {first:?}"
    );
    let last = wait_for("the last row after scrolling", ATHENA_PATIENCE, || {
        let _ = s.execute(
            "const g = document.querySelector('#grid'); g.scrollTop = g.scrollHeight; g.dispatchEvent(new Event('scroll'));",
            json!([]),
        );
        let rows = row_numbers(&s);
        rows.iter().any(|n| n == "5000").then_some(rows)
    })?;
    let cells: Vec<String> = s
        .execute(
            "const row = [...document.querySelectorAll('#grid .grid-row')].find(r => r.querySelector('.grid-rownum').textContent === '5000'); return [...row.querySelectorAll('.grid-cell')].map(c => c.textContent);",
            json!([]),
        )
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    assert_eq!(
        cells.first().map(String::as_str),
        Some("5000"),
        "{last:?} {cells:?}"
    );

    // Export writes all 5,000 rows, not the ones on screen.
    let exported = sandbox.user_home.path().join("customers.csv");
    click(&s, "#export")?;
    wait_for("the export dialog", ATHENA_PATIENCE, || {
        s.find("#export-path").ok().flatten()
    })?;
    s.execute(
        "const p = document.querySelector('#export-path'); p.value = arguments[0]; p.dispatchEvent(new Event('input'));",
        json!([exported.to_string_lossy()]),
    )?;
    click(&s, "#export-submit")?;
    let csv = wait_for("the exported file", ATHENA_PATIENCE, || {
        std::fs::read_to_string(&exported)
            .ok()
            .filter(|t| t.lines().count() == 5_001)
    })?;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("customer_id,country"));
    assert!(
        lines.next().is_some_and(|l| l.starts_with("1,")),
        "{csv:.200}"
    );
    assert!(lines.last().is_some_and(|l| l.starts_with("5000,")));

    // A long query: Cancel stops it at Athena, and the journal names the execution.
    set_sql(&s, LONG)?;
    wait_verdict(&s, "allow")?;
    click(&s, "#run")?;
    let cancel = wait_for("the Cancel button", ATHENA_PATIENCE, || {
        s.find("#cancel")
            .ok()
            .flatten()
            .filter(|c| s.attribute(c, "hidden").ok().flatten().is_none())
    })?;
    // While it runs, the details line says where it is at Athena and names the execution.
    let live = wait_for(
        "the run's state and id while it goes",
        ATHENA_PATIENCE,
        || {
            s.execute(
            "const d = document.querySelector('#run-details'); const st = d && d.querySelector('[data-state]'); const id = d && d.querySelector('.run-id code'); return st && id ? [st.dataset.state, id.textContent] : null;",
            json!([]),
        )
        .ok()
        .and_then(|v| serde_json::from_value::<(String, String)>(v).ok())
        .filter(|(state, _)| state == "running")
        },
    )?;
    s.click(&cancel)?;
    wait_for("the cancellation message", ATHENA_PATIENCE, || {
        text_of(&s, "#error .error-text").filter(|t| t.contains("cancelled"))
    })?;
    let out = sandbox.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let cancelled = journal
        .iter()
        .find(|e| e["kind"] == "query_cancelled")
        .ok_or_else(|| format!("no query_cancelled in {journal:?}"))?;
    let id = cancelled["payload"]["engine"]["query_id"]
        .as_str()
        .ok_or_else(|| format!("no query id in {cancelled}"))?
        .to_string();
    assert_eq!(id, live.1, "the id shown while it ran is the one recorded");
    let endpoint = sandbox.endpoint("athena")?;
    let state = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())?
        .block_on(async {
            let config = warden_test_support::standin::local_sdk_config(&endpoint);
            aws_sdk_athena::Client::new(&config)
                .get_query_execution()
                .query_execution_id(&id)
                .send()
                .await
                .map_err(|e| format!("GetQueryExecution {id}: {e:?}"))
        })?
        .query_execution()
        .and_then(|q| q.status())
        .and_then(|st| st.state())
        .map(|st| st.as_str().to_string());
    assert_eq!(state.as_deref(), Some("CANCELLED"), "execution {id}");

    // The keyring is shared with the other tests of the session: leave it as it was.
    let out = sandbox.warden(&["logout", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    Ok(())
}
