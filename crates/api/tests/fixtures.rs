//! Records what the real backend answers, on the demo workspace, into
//! `ui/src/gen/fixtures.json`, which the UI's mock backend (`ui/src/mock.ts`) serves. Without
//! `WARDEN_RECORD_FIXTURES=1` (`make fixtures`) the test checks that the checked-in fixtures have
//! exactly the shape the backend answers with now (every key, at every depth), so the mock
//! cannot drift from the backend unnoticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{json, Value};
use warden_api::{audit, elevation, query, workspace, ElevationRequest, RunningQueries};
use warden_core::{Home, ResultStore, Workspace};

/// Texts the mock can lint: allowed, needing pii-read, needing large-scan, denied.
const ALLOWED: &str =
    "SELECT country, count(*) AS customers FROM sales.customers GROUP BY country ORDER BY customers DESC";
const PII: &str = "SELECT email FROM sales.customers ORDER BY customer_id LIMIT 3";
const LARGE: &str = "SELECT count(*) FROM web.events";
const DENIED: &str = "SELECT ssn FROM sales.customers";
const WRITE: &str = "DROP TABLE sales.orders";
const STAR: &str = "SELECT * FROM sales.orders LIMIT 10";
/// A text with `?` parameters, and values the parameter dialog checks: one literal, and not.
const PARAMETERS: &str =
    "SELECT country, count(*) AS customers FROM sales.customers WHERE country = ? AND customer_id > ? GROUP BY country";
const PARAMETER_VALUES: [&str; 5] = ["'DE'", "0", "1 OR true", "'DE", ""];
/// The formatter would split the unicode string, so Format refuses.
const UNFORMATTABLE: &str = "SELECT U&'\\0041' AS a FROM sales.customers";

fn fixtures_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/gen/fixtures.json")
}

fn wire(value: impl Serialize) -> Value {
    serde_json::to_value(value).expect("a wire type serialises")
}

/// Every path of keys in `v`; arrays are looked into, their indices left out. An event's
/// `payload` is the journal's own record and varies by kind, so its keys are left out.
fn shape(v: &Value, at: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{at}.{k}");
                out.insert(path.clone());
                if k != "payload" {
                    shape(v, &path, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| shape(v, &format!("{at}[]"), out)),
        _ => {}
    }
}

async fn record(home_dir: &Path) -> Value {
    let home = Home::under(home_dir);
    let ws = Workspace::find(&home, None).expect("the demo workspace");
    ws.init().await.expect("the demo initialises");
    let gate = ws.open_gate().await.expect("the gate opens");
    let running = Mutex::new(RunningQueries::default());
    let results = Mutex::new(ResultStore::new(4));

    let mut lint = BTreeMap::new();
    for sql in [ALLOWED, PII, LARGE, DENIED, WRITE, STAR, PARAMETERS] {
        lint.insert(sql, wire(query::lint(&gate, sql, Some("sales"))));
    }
    let run = query::run_query(
        &gate,
        &running,
        &results,
        ALLOWED,
        &[],
        Some("sales"),
        "run-1",
    )
    .await
    .expect("the allowed text runs");
    let rows =
        query::fetch_rows(&gate, &results, &run.result_id, 0, 100).expect("its rows are kept");
    // The whole result, not a page, goes to the file; the journal records it.
    let export_path = home_dir.join("exported.csv");
    let kept = warden_api::export::kept(&gate, &results, &run.result_id).expect("kept whole");
    let exported = warden_api::export::export_result(
        &gate,
        &kept,
        &export_path.display().to_string(),
        warden_api::ExportFormat::Csv,
    )
    .expect("the result exports");
    let csv = std::fs::read_to_string(&export_path).expect("the export is written");
    assert_eq!(exported.rows as usize, run.row_count);
    assert_eq!(csv.lines().count(), run.row_count + 1, "{csv}");
    assert!(csv.starts_with("country,customers\r\n"), "{csv}");
    let export_nowhere = warden_api::export::export_result(
        &gate,
        &kept,
        "relative.csv",
        warden_api::ExportFormat::Json,
    )
    .expect_err("a relative path is refused");
    let blocked = query::run_query(
        &gate,
        &running,
        &results,
        DENIED,
        &[],
        Some("sales"),
        "run-2",
    )
    .await
    .expect_err("the denied text is refused");
    let values = ["'DE'".to_string(), "0".to_string()];
    let with_parameters = query::run_query(
        &gate,
        &running,
        &results,
        PARAMETERS,
        &values,
        Some("sales"),
        "run-3",
    )
    .await
    .expect("the text runs with its values");
    assert_eq!(with_parameters.row_count, 1);
    let refused_parameters = query::run_query(
        &gate,
        &running,
        &results,
        PARAMETERS,
        &["'DE' OR 1 = 1".to_string(), "0".to_string()],
        Some("sales"),
        "run-4",
    )
    .await
    .expect_err("a value that is not one literal is refused");
    let check_parameter: BTreeMap<&str, Option<String>> = PARAMETER_VALUES
        .iter()
        .map(|v| (*v, query::check_parameter(1, v)))
        .collect();
    let gone = query::fetch_rows(&gate, &results, "no-such-result", 0, 10)
        .expect_err("an unknown result is refused");

    let status_before = elevation::elevation_status(&gate);
    let unknown_elevation = elevation::request_elevation(
        &gate,
        ElevationRequest {
            name: "no-such-elevation".into(),
            duration_s: None,
            justification: "audit".into(),
            ticket: None,
            extends: None,
        },
    )
    .expect_err("an elevation the policy does not define is refused");
    let (granted, _) = elevation::request_elevation(
        &gate,
        ElevationRequest {
            name: "pii-read".into(),
            duration_s: None,
            justification: "customer asked for their data".into(),
            ticket: None,
            extends: None,
        },
    )
    .expect("pii-read is granted by the policy");
    let mut lint_elevated = BTreeMap::new();
    lint_elevated.insert(PII, wire(query::lint(&gate, PII, Some("sales"))));
    let ended = elevation::end_elevation(&gate, "pii-read").expect("the grant ends");
    let (pending, _) = elevation::request_elevation(
        &gate,
        ElevationRequest {
            name: "large-scan".into(),
            duration_s: None,
            justification: "yearly report".into(),
            ticket: None,
            extends: None,
        },
    )
    .expect("large-scan waits for an approver");
    let withdrawn = elevation::end_elevation(&gate, "large-scan").expect("the request withdraws");

    let formatted = warden_api::format::format_sql(&gate, ALLOWED, Some("sales"))
        .expect("the allowed text formats");
    let not_formatted = warden_api::format::format_sql(&gate, UNFORMATTABLE, Some("sales"))
        .expect_err("a text the formatter would change the meaning of stays as typed");

    let saved_empty =
        warden_api::saved::saved_queries(&home, gate.workspace()).expect("no saved queries yet");
    let saved = warden_api::saved::save_query(
        &home,
        gate.workspace(),
        warden_api::SaveQuery {
            name: "Customers by country".into(),
            description: "the demo's first query".into(),
            sql: ALLOWED.into(),
            database: Some("sales".into()),
        },
        1_764_849_600_000,
    )
    .expect("the query saves");
    let saved_deleted =
        warden_api::saved::delete_saved_query(&home, gate.workspace(), "Customers by country")
            .expect("the query deletes");

    let events = audit::audit_events(&gate, None, None, Some(50)).expect("the journal reads");
    let audit_status = audit::audit_status(&gate).expect("the journal's status");
    let audit_synced = audit::audit_sync(&gate)
        .await
        .expect("a sync to the demo store");
    let bad_kind = audit::audit_events(&gate, Some("no_such_kind".into()), None, None)
        .expect_err("an unknown kind is refused");
    let no_workgroups = warden_api::workgroups::choose_workgroup(&gate, "primary")
        .await
        .expect_err("the demo has no workgroups to pick");
    // The Approvals panel is for AWS workspaces: the demo's queue is decided in the window.
    let no_approvals = warden_api::approvals::approvals(&home, gate.workspace())
        .await
        .expect_err("the demo has no request bucket");

    let mut doc = json!({
        "workspace_info": workspace::workspace_info(&gate, &home),
        "catalog": query::catalog(&gate).await.expect("the catalog"),
        "refresh_catalog": query::refresh_catalog(&gate).await.expect("the catalog is read again"),
        // The demo runs no Athena queries: no workgroup picker.
        "workgroups": warden_api::workgroups::workgroups(&gate).await.expect("no workgroups"),
        // Nor named queries: those are Athena's.
        "named_queries": warden_api::named_queries::named_queries(&gate).await.expect("none"),
        "policy_status": warden_api::policy::policy_status(&gate),
        // The demo needs no AWS sign-in; the picker lists the one workspace.
        "sign_in_status": warden_api::SignInStatus::not_needed(gate.workspace()),
        "workspaces": warden_api::identity::workspaces(&home, gate.workspace())
            .expect("the workspaces are listed"),
        "lint": lint,
        "lint_elevated": lint_elevated,
        "run_query": { "sql": ALLOWED, "result": run, "rows": rows },
        "format_sql": { "sql": ALLOWED, "formatted": formatted },
        "check_parameter": check_parameter,
        "saved": { "empty": saved_empty, "after_save": saved, "after_delete": saved_deleted },
        "export_result": exported,
        "errors": {
            "run_blocked": { "sql": DENIED, "error": blocked },
            "run_parameters_refused": { "sql": PARAMETERS, "error": refused_parameters },
            "fetch_rows_gone": gone,
            "export_relative": export_nowhere,
            "format_refused": not_formatted,
            "request_invalid": unknown_elevation,
            "audit_events_bad_kind": bad_kind,
            "choose_workgroup_demo": no_workgroups,
            "approvals_demo": no_approvals,
        },
        "elevation": {
            "status": status_before,
            "granted": granted,
            "ended": ended,
            "pending": pending,
            "withdrawn": withdrawn,
        },
        "audit": { "events": events, "status": audit_status, "synced": audit_synced },
    });
    // The temporary home is no one's: show where the app keeps things by default instead.
    let text = doc.to_string().replace(
        home_dir.to_str().expect("a UTF-8 temporary path"),
        "/home/analyst/.local/share/warden-demo",
    );
    doc = serde_json::from_str(&text).expect("still JSON");
    doc
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mock_serves_what_the_backend_answers() {
    let dir = tempfile::tempdir().expect("a temporary home");
    let recorded = record(dir.path()).await;
    assert_eq!(recorded["lint"][ALLOWED]["verdict"], "allow");
    assert_eq!(recorded["lint"][PII]["verdict"], "elevate");
    assert_eq!(recorded["lint_elevated"][PII]["verdict"], "allow");
    assert_eq!(recorded["lint"][DENIED]["verdict"], "deny");
    assert_eq!(
        recorded["errors"]["run_blocked"]["error"]["kind"],
        "blocked"
    );
    assert_eq!(recorded["elevation"]["granted"]["outcome"], "granted");
    assert_eq!(recorded["elevation"]["pending"]["outcome"], "pending");

    let path = fixtures_file();
    if std::env::var_os("WARDEN_RECORD_FIXTURES").is_some() {
        let text = serde_json::to_string_pretty(&recorded).expect("serialises");
        std::fs::write(&path, text + "\n").expect("the fixtures can be written");
        return;
    }
    let text = std::fs::read_to_string(&path).expect("ui/src/gen/fixtures.json exists");
    let checked_in: Value = serde_json::from_str(&text).expect("the fixtures are JSON");
    let (mut now, mut then) = (Default::default(), Default::default());
    shape(&recorded, "", &mut now);
    shape(&checked_in, "", &mut then);
    let missing: Vec<_> = now.difference(&then).collect();
    let extra: Vec<_> = then.difference(&now).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "ui/src/gen/fixtures.json no longer matches the backend (missing {missing:?}, \
         no longer sent {extra:?}); run `make fixtures` and commit the result"
    );
}
