//! End to end: the real app binary in a real window (WebKitGTK under Xvfb), driven through
//! WebKitWebDriver. It proves the path editor -> lint -> gate -> engine -> grid as a user sees it.

// Shared with the sandbox tests, which use parts this test does not.
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::display::Xvfb;
use support::notifications::Dunst;
use support::webdriver::{Driver, Name, Session};
use support::window::{
    run_disabled, set_sql, text_of, wait_dialog, wait_dialog_gone, wait_verdict, welcome, PATIENCE,
};
use support::{keyring_users, wait_for};
use warden_core::{Home, Workspace};

#[test]
fn the_window_lints_as_you_type_and_runs_allowed_queries() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    // Initialise up front: the app would do it at start, but then the window waits for it.
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;

    let content = wait_for("the editor", PATIENCE, || {
        s.find("#editor .cm-content").ok().flatten()
    })?;
    wait_for(
        "the status bar to name the demo workspace",
        PATIENCE,
        || {
            let status = s.find("#status").ok().flatten()?;
            s.text(&status).ok().filter(|t| t.contains("demo"))
        },
    )?;

    // A first start on the demo: the welcome panel (walked in its own test) is there until a
    // query runs.
    wait_for("the welcome panel", PATIENCE, || welcome(&s))?;

    // Typing a query that reads a restricted column: the diagnostic appears under it and Run is off.
    s.click(&content)?;
    s.send_keys(&content, "SELECT ssn FROM sales.customers")?;
    wait_for("a lint error mark in the editor", PATIENCE, || {
        s.find(".cm-lintRange-error").ok().flatten()
    })?;
    wait_verdict(&s, "deny")?;
    let marked = s
        .find(".cm-lintRange-error")?
        .ok_or("the error mark went away")?;
    assert_eq!(
        s.text(&marked)?,
        "ssn",
        "the mark covers the offending column"
    );
    assert!(run_disabled(&s)?, "Run is disabled on a deny verdict");
    let reason_text = s
        .execute(
            "return document.querySelector('#verdict-reason').textContent;",
            json!([]),
        )?
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason_text.contains("ssn"),
        "the reason names the column: {reason_text:?}"
    );

    // Personal data needs an elevation, and the window says which.
    set_sql(&s, "SELECT email FROM sales.customers")?;
    wait_verdict(&s, "elevate")?;
    let shown = s.find("#verdict")?.ok_or("no #verdict")?;
    assert!(
        s.text(&shown)?.contains("pii-read"),
        "the elevation is named"
    );

    // An allowed query runs and its rows land in the grid.
    set_sql(&s, "SELECT country, count(*) AS customers FROM sales.customers GROUP BY country ORDER BY customers DESC")?;
    wait_verdict(&s, "allow")?;
    assert!(!run_disabled(&s)?, "Run is enabled on allow");
    let run = s.control("button", "Run")?;
    s.click(&run)?;
    let rows = wait_for("rows in the grid", PATIENCE, || {
        s.find_all("#grid .grid-row").ok().filter(|r| !r.is_empty())
    })?;
    assert!(
        welcome(&s).is_none(),
        "the welcome panel goes once a query runs"
    );
    let cells = s.find_all("#grid .grid-row .grid-cell")?;
    assert!(
        cells.len() >= 2 * rows.len(),
        "each row has a country and a count"
    );
    let first = s.execute(
        "return document.querySelector('#grid .grid-row .grid-cell').textContent;",
        json!([]),
    )?;
    assert!(
        !first.as_str().unwrap_or_default().trim().is_empty(),
        "the first cell shows a country: {first}"
    );
    let meta = s.find("#result-meta")?.ok_or("no #result-meta")?;
    let meta_text = wait_for("the result summary", PATIENCE, || {
        s.text(&meta).ok().filter(|t| t.contains("row"))
    })?;
    assert!(
        meta_text.contains("scanned"),
        "bytes scanned are shown: {meta_text}"
    );
    let error = s.find("#error")?.ok_or("no #error")?;
    assert!(s.text(&error)?.trim().is_empty(), "no error is shown");

    // A double-clicked cell opens its whole value; Close puts it away.
    s.execute(
        "document.querySelector('#grid .grid-row .grid-cell').dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));",
        json!([]),
    )?;
    let viewer = wait_for("the value viewer", PATIENCE, || {
        text_of(&s, "#cell-viewer .cell-viewer-text")
    })?;
    assert!(!viewer.trim().is_empty(), "the viewer shows the value");
    // Named after its column.
    let viewer = wait_dialog(&s, "country")?;
    let close = s.control_in(&viewer, "button", "Close")?;
    s.click(&close)?;
    wait_dialog_gone(&s, "country")?;

    // The same result as a bar chart: customers by country, drawn on a canvas; then the grid.
    let chart_toggle = s.control("button", "Chart")?;
    s.click(&chart_toggle)?;
    assert_eq!(
        s.attribute(&chart_toggle, "aria-pressed")?.as_deref(),
        Some("true"),
        "the Chart button says it is on"
    );
    wait_for("a chart painted on its canvas", PATIENCE, || {
        s.find("#chart[data-drawn] canvas").ok().flatten()
    })?;
    let label = wait_for("the chart's description", PATIENCE, || {
        s.execute(
            "return document.querySelector('#chart').getAttribute('aria-label');",
            json!([]),
        )
        .ok()?
        .as_str()
        .map(str::to_string)
    })?;
    assert!(
        label.starts_with("Bar chart of customers by country"),
        "{label}"
    );
    save_screenshot(&s, "WARDEN_CHART_SCREENSHOT", "warden-chart.png")?;
    s.click(&chart_toggle)?;
    wait_for("the grid back", PATIENCE, || {
        s.find("#grid .grid-row").ok().flatten()
    })?;

    // Export writes the whole result, as CSV with a header, to the file the user picks in the
    // system's Save dialog (GTK, outside the webview: driven with xdotool).
    let exported = home.path().join("customers by country.csv");
    let export = s.control("button", "Export…")?;
    s.click(&export)?;
    let export_dialog = wait_dialog(&s, "Export result")?;
    let choose = s.control_in(&export_dialog, "button", "Choose the file in a Save dialog")?;
    s.click(&choose)?;
    // Found before GTK maps it, the dialog cannot take the focus yet: try until it does.
    wait_for("the system's Save dialog, focused", PATIENCE, || {
        let found = xvfb
            .xdotool(&["search", "--onlyvisible", "--name", "^Export result$"])
            .ok()?;
        let window = found.lines().next()?.to_string();
        xvfb.xdotool(&["windowfocus", "--sync", &window]).ok()
    })?;
    // The name field has the focus; a full path in it picks the folder too.
    xvfb.xdotool(&["key", "--clearmodifiers", "ctrl+a"])?;
    xvfb.xdotool(&["type", "--delay", "5", &exported.to_string_lossy()])?;
    xvfb.xdotool(&["key", "Return"])?;
    wait_for("the picked path in the export form", PATIENCE, || {
        s.execute(
            "return document.querySelector('#export-path').value;",
            json!([]),
        )
        .ok()
        .filter(|v| v.as_str() == Some(&*exported.to_string_lossy()))
    })?;
    let submit = s.control_in(&export_dialog, "button", "Export")?;
    s.click(&submit)?;
    let csv = wait_for("the exported file", PATIENCE, || {
        std::fs::read_to_string(&exported)
            .ok()
            .filter(|t| !t.is_empty())
    })?;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("country,customers"), "{csv}");
    // As many rows as the result has ("14 rows · ..."), not only those on screen.
    let result_rows: usize = meta_text
        .split_whitespace()
        .next()
        .and_then(|n| n.replace(',', "").parse().ok())
        .ok_or_else(|| format!("no row count in {meta_text:?}"))?;
    assert_eq!(lines.count(), result_rows, "{csv}");

    // A ? parameter: Run asks for its value, checked as it is typed, and runs with it.
    set_sql(&s, "SELECT country, count(*) AS customers FROM sales.customers WHERE country = ? GROUP BY country")?;
    wait_verdict(&s, "allow")?;
    let run = s.control("button", "Run")?;
    s.click(&run)?;
    let asked = wait_dialog(&s, "Query parameter")?;
    // The field is labelled with the parameter's place and the column it is compared with.
    let value = s.control_in(&asked, "textbox", "Parameter 1 (country)")?;
    s.set_value(&value, "'DE' OR 1 = 1")?;
    let problem = wait_for("the value refused as it is typed", PATIENCE, || {
        s.execute(
            "const p = document.querySelector('#parameter-1-problem'); return p && !p.hidden ? p.textContent : null;",
            json!([]),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
    })?;
    assert!(problem.contains("not one literal"), "{problem}");
    s.set_value(&value, "'DE'")?;
    let submit = s.control_in(&asked, "button", "Run")?;
    s.click(&submit)?;
    let only_de = wait_for("the rows of the value", PATIENCE, || {
        s.execute(
            "const cells = [...document.querySelectorAll('#grid .grid-row .grid-cell')].map((c) => c.textContent.trim()); return cells.length > 0 && !document.querySelector('#parameter-dialog') ? cells : null;",
            json!([]),
        )
        .ok()
        // One row, country and count (the last result had a row per country).
        .filter(|v| v.as_array().map(Vec::len) == Some(2))
    })?;
    assert_eq!(only_de[0], json!("DE"), "{only_de}");

    // The status bar names the signed bundle in force; no banner while it is valid.
    let bundle_item = s
        .execute(
            "return document.querySelector('#status [data-item=bundle]').textContent;",
            json!([]),
        )?
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        bundle_item.contains("demo r1"),
        "the bundle item names revision 1: {bundle_item:?}"
    );
    assert!(banner(&s)?.is_none(), "no banner while the bundle is valid");

    // The Audit panel lists what the gate recorded, and "Sync now" empties the backlog into the
    // demo's central store.
    let toggle = s.control("button", "Audit")?;
    s.click(&toggle)?;
    wait_for("the finished query in the Audit panel", PATIENCE, || {
        s.find("#audit-events .audit-row[data-kind=query_finished]")
            .ok()
            .flatten()
    })?;
    for kind in ["app_started", "bundle_updated", "query_started"] {
        let selector = format!("#audit-events .audit-row[data-kind={kind}]");
        assert!(
            s.find(&selector)?.is_some(),
            "the panel lists a {kind} event"
        );
    }
    let sync = s.control("button", "Sync now")?;
    s.click(&sync)?;
    wait_for("the journal to be synced", PATIENCE, || {
        text_of(&s, "#audit-pending").filter(|t| t.contains("all synced"))
    })?;
    let objects = walk(&home.path().join("data/workspaces/demo/central/audit"));
    assert!(
        objects.iter().any(|p| p.ends_with(".jsonl.gz")),
        "an audit object reached the store: {objects:?}"
    );

    // Keep a picture of the window for the README and for whoever reads a failed run.
    save_screenshot(&s, "WARDEN_SCREENSHOT", "warden-window.png")?;

    // A query that would run for hours can be cancelled from the window; the gate records it.
    set_sql(&s, "SELECT count(*) AS n FROM sales.customers a CROSS JOIN sales.customers b CROSS JOIN sales.customers c WHERE a.customer_id + b.customer_id + c.customer_id > 0 AND a.country <> 'e2e-literal-5b1f'")?;
    wait_verdict(&s, "allow")?;
    let run = s.control("button", "Run")?;
    s.click(&run)?;
    let cancel = wait_for("the Cancel button", PATIENCE, || {
        s.find_by_role("button", Some("Cancel"), None, None)
            .ok()
            .flatten()
    })?;
    s.click(&cancel)?;
    let cancelled = wait_for("the cancellation message", PATIENCE, || {
        text_of(&s, "#error .error-text").filter(|t| t.contains("cancelled"))
    })?;
    assert_eq!(cancelled, "The query was cancelled.");
    wait_for("the cancellation in the Audit panel", PATIENCE, || {
        s.find("#audit-events .audit-row[data-kind=query_cancelled]")
            .ok()
            .flatten()
    })?;

    // A bundle signed by a key nobody trusts appears at the source: the window says it was
    // refused, and revision 1 stays in force.
    publish_forged_bundle(home.path())?;
    // Focus fetches at most every 30 s (FOCUS_REFRESH_MS), and the window had the focus back
    // from the Save dialog not long ago: focus again until the fetch is due.
    let refused = wait_for(
        "the refusal banner",
        PATIENCE + Duration::from_secs(30),
        || {
            let shown = banner(&s).ok().flatten();
            if shown.is_none() {
                let _ = s.execute("window.dispatchEvent(new Event('focus'));", json!([]));
                std::thread::sleep(Duration::from_millis(400));
            }
            shown
        },
    )?;
    assert!(
        refused.contains("refused") && refused.contains("revision 1"),
        "the banner explains: {refused:?}"
    );
    assert!(
        refused.contains("not trusted"),
        "the banner gives the reason: {refused:?}"
    );
    set_sql(&s, "SELECT count(*) FROM sales.customers")?;
    wait_verdict(&s, "allow")?;

    // Add workspace: the form writes config.toml and the picker offers the new workspace.
    let key = home.path().join("security.key");
    warden_bundle::keygen(&key).map_err(|e| e.to_string())?;
    // The status bar's button; its name may be its visible label ("Add workspace…") or the
    // longer "Add AWS workspace".
    let status = s.control("contentinfo", "Status")?;
    let add = s
        .find_all_by_role("button", Name::Matches("^add\\b.*workspace"), Some(&status))?
        .into_iter()
        .next()
        .ok_or("no Add workspace button in the status bar")?;
    s.click(&add)?;
    let form = wait_dialog(&s, "Add AWS workspace")?;
    s.execute(
        "for (const [id, value] of arguments[0]) { const f = document.getElementById(id); f.value = value; f.dispatchEvent(new Event('input')); }",
        json!([[
            ["workspace-name", "analytics"],
            ["workspace-start-url", "https://my-org.awsapps.com/start"],
            ["workspace-sso-region", "eu-west-1"],
            ["workspace-account", "123456789012"],
            ["workspace-role", "AthenaAnalyst"],
            ["workspace-workgroup", "analysts"],
            ["workspace-source", "s3://security-bundles/warden/"],
            ["workspace-key", warden_bundle::public_path(&key).to_string_lossy()],
        ]]),
    )?;
    let submit = s.control_in(&form, "button", "Add")?;
    s.click(&submit)?;
    wait_for("the picker to offer the new workspace", PATIENCE, || {
        text_of(&s, "#workspace-picker").filter(|t| t.contains("analytics (AWS)"))
    })?;
    let config = std::fs::read_to_string(home.path().join("config/config.toml"))
        .map_err(|e| e.to_string())?;
    assert!(
        config.contains("[workspaces.analytics]") && config.contains("workgroup = \"analysts\""),
        "{config}"
    );
    wait_dialog_gone(&s, "Add AWS workspace")?;

    assert_log_keeps_no_secrets(home.path())?;
    Ok(())
}

/// The first-run panel on the demo, walked as a new user would: its three queries (allowed,
/// needing pii-read, denied) each open with the verdict the panel promised, its Add AWS
/// workspace button opens the form, and once closed it stays closed after a restart; the
/// allowed query then runs and shows rows.
#[test]
fn the_first_run_panel_offers_three_verdicts_adds_a_workspace_and_stays_closed(
) -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let [allowed, elevated, denied] = &warden_core::DEMO_QUERIES;
    {
        let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
        let panel = wait_for("the welcome panel", PATIENCE, || welcome(&s))?;
        let opens = s.find_all_by_role(
            "button",
            Name::Matches("^Open “.+” in the editor$"),
            Some(&panel),
        )?;
        assert_eq!(opens.len(), 3, "one Open button per query");
        let open = |query: &warden_core::DemoQuery| {
            s.control_in(
                &panel,
                "button",
                &format!("Open “{}” in the editor", query.title),
            )
        };

        // Allowed: it opens in the empty editor.
        s.click(&open(allowed)?)?;
        wait_sql(&s, allowed.sql)?;
        wait_verdict(&s, "allow")?;
        assert!(!run_disabled(&s)?, "Run is enabled on allow");
        assert_eq!(tabs(&s)?.0, ["Query 1"], "the empty tab took it");

        // Needs pii-read: in a new tab, the verdict names the elevation and offers to ask.
        s.click(&open(elevated)?)?;
        wait_tabs(&s, &["Query 1", "Query 2"], "Query 2")?;
        wait_sql(&s, elevated.sql)?;
        wait_verdict(&s, "elevate")?;
        let verdict = text_of(&s, "#verdict").unwrap_or_default();
        assert!(verdict.contains("pii-read"), "{verdict:?}");
        wait_for("the Request elevation button", PATIENCE, || {
            s.find_by_role("button", Some("Request elevation pii-read"), None, None)
                .ok()
                .flatten()
        })?;
        assert!(run_disabled(&s)?, "Run waits for the elevation");

        // Denied: the deciding reason names the restricted column.
        s.click(&open(denied)?)?;
        wait_tabs(&s, &["Query 1", "Query 2", "Query 3"], "Query 3")?;
        wait_sql(&s, denied.sql)?;
        wait_verdict(&s, "deny")?;
        let reason = text_of(&s, "#verdict-reason").unwrap_or_default();
        assert!(reason.contains("ssn"), "the deny reason: {reason:?}");
        assert!(run_disabled(&s)?, "Run is disabled on deny");

        // The panel's own button opens the Add AWS workspace form; Cancel puts it away.
        let add = s.control_in(&panel, "button", "Add AWS workspace…")?;
        s.click(&add)?;
        let form = wait_dialog(&s, "Add AWS workspace")?;
        let name = s.find_all_by_role("textbox", Name::Matches("^Name\\b"), Some(&form))?;
        assert_eq!(name.len(), 1, "the form asks for the workspace's name");
        let cancel = s.control_in(&form, "button", "Cancel")?;
        s.click(&cancel)?;
        wait_dialog_gone(&s, "Add AWS workspace")?;
        assert!(welcome(&s).is_some(), "the form leaves the panel open");

        // Closed by its close button.
        let close = s.control_in(&panel, "button", "Close the welcome panel")?;
        s.click(&close)?;
        wait_for("the panel to close", PATIENCE, || {
            welcome(&s).is_none().then_some(())
        })?;
    }

    // Started again: the panel stays closed, the three tabs are back.
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    let restored = wait_for("the tabs restored", PATIENCE, || {
        tabs(&s).ok().filter(|(titles, _)| titles.len() == 3)
    })?;
    assert_eq!(restored.0, ["Query 1", "Query 2", "Query 3"]);
    wait_for("the status bar", PATIENCE, || {
        text_of(&s, "#status").filter(|t| t.contains("demo"))
    })?;
    assert!(welcome(&s).is_none(), "a closed panel stays closed");

    // The allowed query runs and its rows land in the grid.
    s.click(&s.control("tab", "Query 1")?)?;
    wait_sql(&s, allowed.sql)?;
    wait_verdict(&s, "allow")?;
    s.click(&s.control("button", "Run")?)?;
    wait_for("rows in the grid", PATIENCE, || {
        (grid_rows(&s) > 0).then_some(())
    })?;
    let first = wait_for("the first row's country", PATIENCE, || {
        text_of(&s, "#grid .grid-row .grid-cell")
            .filter(|t| !t.trim().is_empty() && !t.contains("Loading"))
    })?;
    assert!(first.trim().len() >= 2, "a country code: {first:?}");
    Ok(())
}

/// The titles of the window's tabs, and the one in front.
fn tabs(s: &Session<'_>) -> Result<(Vec<String>, Option<String>), String> {
    let found = s.execute(
        "const tabs = [...document.querySelectorAll('[role=tablist] [role=tab]')];
         return [tabs.map(t => t.textContent),
                 (tabs.find(t => t.getAttribute('aria-selected') === 'true') || {}).textContent || null];",
        json!([]),
    )?;
    let titles = found[0]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok((titles, found[1].as_str().map(str::to_string)))
}

/// Waits until the editor holds `want`: a click or a key takes effect on the window's next turn.
fn wait_sql(s: &Session<'_>, want: &str) -> Result<(), String> {
    wait_for(&format!("the editor to hold {want:?}"), PATIENCE, || {
        (sql_in_editor(s).ok()? == want).then_some(())
    })
}

/// Waits until the tab strip shows `titles` with `front` in front.
fn wait_tabs(s: &Session<'_>, titles: &[&str], front: &str) -> Result<(), String> {
    wait_for(
        &format!("the tabs {titles:?} with {front} in front"),
        PATIENCE,
        || {
            let (shown, active) = tabs(s).ok()?;
            (shown == titles && active.as_deref() == Some(front)).then_some(())
        },
    )
}

fn sql_in_editor(s: &Session<'_>) -> Result<String, String> {
    Ok(s.execute("return window.__warden.getSql();", json!([]))?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn grid_rows(s: &Session<'_>) -> usize {
    s.find_all("#grid .grid-row").map(|r| r.len()).unwrap_or(0)
}

#[test]
fn two_tabs_run_the_statement_under_the_cursor_and_come_back_after_a_restart() -> Result<(), String>
{
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let denied = "SELECT ssn FROM sales.customers";
    let allowed = "SELECT country, count(*) AS customers FROM sales.customers GROUP BY country ORDER BY customers DESC";
    let script = format!("{denied};\n{allowed}");
    {
        let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
        let content = wait_for("the editor", PATIENCE, || {
            s.find("#editor .cm-content").ok().flatten()
        })?;
        set_sql(&s, denied)?;
        wait_verdict(&s, "deny")?;

        // A second tab from the tab strip's New tab button: empty, in front.
        let new_tab = s.control("button", "New tab")?;
        s.click(&new_tab)?;
        wait_tabs(&s, &["Query 1", "Query 2"], "Query 2")?;
        wait_sql(&s, "")?;

        // Two statements, the cursor on the allowed one: the script as a whole is denied, yet
        // Ctrl+Enter runs the statement under the cursor.
        // setSql leaves the cursor at the end, on the allowed statement.
        set_sql(&s, &script)?;
        wait_verdict(&s, "deny")?;
        assert!(
            welcome(&s).is_some(),
            "a first start shows the welcome panel"
        );
        s.send_keys(&content, "\u{E009}\u{E007}\u{E000}")?;
        wait_for("rows of the statement under the cursor", PATIENCE, || {
            (grid_rows(&s) > 0).then_some(())
        })?;
        assert!(
            welcome(&s).is_none(),
            "the welcome panel goes once a query runs"
        );
        // The grid pages from the stored result: the first page's cells arrive after its rows.
        wait_for("the first page's cells", PATIENCE, || {
            let loading = text_of(&s, "#grid").is_none_or(|t| t.contains("Loading"));
            (!loading).then_some(())
        })?;
        let error = s.find("#error")?.ok_or("no #error")?;
        assert!(s.text(&error)?.trim().is_empty(), "no error is shown");
        // The script's deny names the restricted column, and the Problems list has it too.
        let reason = text_of(&s, "#verdict-reason").unwrap_or_default();
        assert!(reason.contains("ssn"), "the deciding reason: {reason:?}");
        let problems = text_of(&s, "#problems-list").unwrap_or_default();
        assert!(
            problems.contains("2:8") || problems.contains("1:8"),
            "positions: {problems:?}"
        );
        // The page's cells are in the DOM; give the webview a moment to paint them.
        std::thread::sleep(Duration::from_millis(1500));
        save_screenshot(&s, "WARDEN_TABS_SCREENSHOT", "warden-tabs.png")?;

        // The first tab has its own text and no result.
        let first = s.control("tab", "Query 1")?;
        s.click(&first)?;
        wait_sql(&s, denied)?;
        wait_verdict(&s, "deny")?;
        assert_eq!(grid_rows(&s), 0, "the first tab ran nothing");

        // The run is in the History, and a click reopens its text in a new tab.
        let history = s.control("button", "History")?;
        s.click(&history)?;
        let panel = wait_for("the History panel", PATIENCE, || {
            s.find_by_role("complementary", Some("History"), None, None)
                .ok()
                .flatten()
        })?;
        // Each run is a button named by what it shows: the text, the time, how it ended.
        let reopen = wait_for("the run in the history", PATIENCE, || {
            let list = s
                .find_by_role("list", Some("Past runs"), None, Some(&panel))
                .ok()??;
            s.find_all_by_role(
                "button",
                Name::Matches("(?=.*GROUP BY country)(?=.*Finished)"),
                Some(&list),
            )
            .ok()?
            .into_iter()
            .next()
        })?;
        save_screenshot(&s, "WARDEN_HISTORY_SCREENSHOT", "warden-history.png")?;
        s.click(&reopen)?;
        wait_for("the history to open a third tab", PATIENCE, || {
            (tabs(&s).ok()?.0.len() == 3).then_some(())
        })?;
        wait_sql(&s, allowed)?;
        // Kept in the data folder after every change: the third tab is on disk before the
        // window goes away, whatever the webview does with its own storage.
        let kept = Home::under(home.path()).data.join("tabs").join("demo.json");
        wait_for("the three tabs kept on disk", PATIENCE, || {
            let text = std::fs::read_to_string(&kept).ok()?;
            let saved: serde_json::Value = serde_json::from_str(&text).ok()?;
            (saved["tabs"].as_array()?.len() == 3).then_some(())
        })?;
    }

    // The same home again: the tabs come back with their texts.
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    let restored = wait_for("the tabs restored", PATIENCE, || {
        tabs(&s).ok().filter(|(titles, _)| titles.len() == 3)
    })?;
    assert_eq!(restored.0, ["Query 1", "Query 3", "Query 2"]);
    assert_eq!(restored.1.as_deref(), Some("Query 3"));
    assert_eq!(sql_in_editor(&s)?, allowed);
    assert!(
        welcome(&s).is_none(),
        "kept tabs: not a first start, no welcome panel"
    );
    let second = s.control("tab", "Query 2")?;
    s.click(&second)?;
    wait_sql(&s, &script)?;

    // The shortcuts as real keys in the editor: Ctrl+Tab wraps to the first tab, Ctrl+W closes
    // it, Ctrl+T opens a new one.
    let content = s
        .find("#editor .cm-content")?
        .ok_or("no editor after the restart")?;
    s.send_keys(&content, "\u{E009}\u{E004}\u{E000}")?;
    wait_tabs(&s, &["Query 1", "Query 3", "Query 2"], "Query 1")?;
    wait_sql(&s, denied)?;
    s.send_keys(&content, "\u{E009}w\u{E000}")?;
    wait_for("Ctrl+W to close the tab", PATIENCE, || {
        (tabs(&s).ok()?.0 == ["Query 3", "Query 2"]).then_some(())
    })?;
    let content = s.find("#editor .cm-content")?.ok_or("no editor")?;
    s.send_keys(&content, "\u{E009}t\u{E000}")?;
    wait_tabs(&s, &["Query 3", "Query 4", "Query 2"], "Query 4")?;
    wait_sql(&s, "")?;
    Ok(())
}

/// Closing the window right after typing keeps what was typed: the window's save waits for a
/// pause in typing, so the close waits for the window to write its tabs first.
#[test]
fn closing_the_window_right_after_typing_keeps_the_text() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let typed = "SELECT 42 AS answer";
    {
        let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
        let content = wait_for("the editor", PATIENCE, || {
            s.find("#editor .cm-content").ok().flatten()
        })?;
        s.click(&content)?;
        s.send_keys(&content, typed)?;
        // The close button, well within the save's pause after the last key.
        let pid = xvfb.ask_to_close("Warden")?;
        wait_for("the app to end", PATIENCE, || app_ended(pid).then_some(()))?;
    }
    let kept = Home::under(home.path()).data.join("tabs").join("demo.json");
    let text = std::fs::read_to_string(&kept).map_err(|e| format!("{}: {e}", kept.display()))?;
    assert!(text.contains(typed), "the kept tabs: {text}");

    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_sql(&s, typed)?;
    Ok(())
}

/// The close waits for the window's answer only so long: a page that hangs still lets the
/// window close, well before it would have answered.
#[test]
fn a_window_that_does_not_answer_still_closes() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the editor", PATIENCE, || {
        s.find("#editor .cm-content").ok().flatten()
    })?;
    // The page busy, from half a second on (the driver's own answer comes first), for longer
    // than this test waits: it cannot hear the close request.
    let busy = PATIENCE + Duration::from_secs(5);
    let asked = std::time::Instant::now();
    s.execute(
        "const ms = arguments[0];
         setTimeout(() => { const end = Date.now() + ms; while (Date.now() < end) {} }, 500);",
        json!([busy.as_millis() as u64]),
    )?;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "the driver answered before the page went busy"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let pid = xvfb.ask_to_close("Warden")?;
    wait_for("the app to end without the page's answer", PATIENCE, || {
        app_ended(pid).then_some(())
    })?;
    Ok(())
}

/// A workspace that cannot be opened (here a `config.toml` that does not parse) is said once,
/// plainly, with what is wrong; nothing is checked as allowed meanwhile, and no panel repeats it.
#[test]
fn a_workspace_that_cannot_be_opened_is_said_once_and_nothing_runs() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = Home::under(home.path()).config_file();
    std::fs::create_dir_all(config.parent().ok_or("no config folder")?)
        .map_err(|e| e.to_string())?;
    std::fs::write(&config, "[workspaces.demo\nkind = ").map_err(|e| e.to_string())?;
    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    let error = wait_for("the workspace's error", PATIENCE, || {
        text_of(&s, "#error").filter(|t| !t.trim().is_empty())
    })?;
    assert!(
        error
            .trim()
            .starts_with("The workspace cannot be opened: the configuration file")
            && error.contains("config.toml"),
        "{error}"
    );
    let schema = text_of(&s, "#schema").unwrap_or_default();
    assert!(
        schema.contains("No schema: the workspace could not be opened.")
            && !schema.contains("config.toml"),
        "{schema}"
    );
    set_sql(&s, "SELECT 1")?;
    wait_verdict(&s, "deny")?;
    assert!(
        run_disabled(&s)?,
        "nothing runs on a workspace that is not open"
    );
    Ok(())
}

/// Whether process `pid` ended: gone, or a zombie its parent (the driver) has not reaped yet.
fn app_ended(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(") ")
        .next()
        .and_then(|rest| rest.chars().next());
    matches!(state, None | Some('Z') | Some('X'))
}

/// The app's log after a session: written, with the `run` span, and holding neither SQL (its
/// literals included) nor the demo signing key.
fn assert_log_keeps_no_secrets(home: &Path) -> Result<(), String> {
    let files = walk(&home.join("cache/logs"));
    let log: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    assert!(!log.trim().is_empty(), "the app wrote a log: {files:?}");
    assert!(log.contains("run{"), "the log has the run span:\n{log}");
    for sql in [
        "e2e-literal-5b1f",
        "sales.customers",
        "CROSS JOIN",
        "SELECT",
    ] {
        assert!(!log.contains(sql), "{sql:?} reached the log:\n{log}");
    }
    let key = std::fs::read_to_string(home.join("data/workspaces/demo/keys/demo-signing.key"))
        .map_err(|e| e.to_string())?;
    for secret in key.split_whitespace().filter(|t| t.len() >= 64) {
        assert!(!log.contains(secret), "the signing key reached the log");
    }
    Ok(())
}

/// Saves the window as a PNG where the environment variable `var` says, or in the target dir.
fn save_screenshot(s: &Session<'_>, var: &str, default_name: &str) -> Result<(), String> {
    let png = s.screenshot()?;
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let target = std::env::var_os(var)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join(default_name));
    std::fs::write(&target, png).map_err(|e| format!("cannot write {}: {e}", target.display()))
}

/// The banner's text when it is shown.
fn banner(s: &Session<'_>) -> Result<Option<String>, String> {
    let shown = s.execute(
        "const b = document.querySelector('#policy-banner'); return b && !b.hidden ? document.querySelector('#policy-banner-text').textContent : null;",
        json!([]),
    )?;
    Ok(shown.as_str().map(str::to_string))
}

fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// Replaces the demo store's `latest` with a bundle of revision 99 signed by a fresh key.
fn publish_forged_bundle(home: &Path) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let key_path = dir.path().join("rogue.key");
    warden_bundle::keygen(&key_path).map_err(|e| e.to_string())?;
    let key = warden_bundle::SigningKey::from_file(&key_path).map_err(|e| e.to_string())?;
    let policy =
        std::fs::read(home.join("data/workspaces/demo/policy.yaml")).map_err(|e| e.to_string())?;
    let bytes = warden_bundle::build(
        &policy,
        None,
        99,
        chrono::Duration::days(1),
        &key,
        chrono::Utc::now(),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        home.join("data/workspaces/demo/central/bundles/latest"),
        bytes,
    )
    .map_err(|e| e.to_string())
}

/// Points the demo workspace at a store of its own holding `policy` as revision 2, signed by a
/// fresh key that the configuration trusts, valid for `valid_for`, with `grace`.
fn serve_own_bundle(
    home: &Path,
    policy: &[u8],
    valid_for: chrono::Duration,
    grace: &str,
) -> Result<(), String> {
    let warden_home = Home::under(home);
    let key = home.join("short.key");
    warden_bundle::keygen(&key).map_err(|e| e.to_string())?;
    let signing = warden_bundle::SigningKey::from_file(&key).map_err(|e| e.to_string())?;
    let bytes = warden_bundle::build(policy, None, 2, valid_for, &signing, chrono::Utc::now())
        .map_err(|e| e.to_string())?;
    let store = home.join("short");
    std::fs::create_dir_all(&store).map_err(|e| e.to_string())?;
    std::fs::write(store.join("latest"), bytes).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&warden_home.config).map_err(|e| e.to_string())?;
    std::fs::write(
        warden_home.config_file(),
        format!(
            "[workspaces.demo]\nkind = \"demo\"\ndefault_database = \"sales\"\n[workspaces.demo.bundle]\nsource = \"file://{}/\"\ntrust = [\"{}.pub\"]\ngrace = \"{grace}\"\n",
            store.display(),
            key.display()
        ),
    )
    .map_err(|e| e.to_string())
}

/// A bundle that expires while the window is open: the window learns of it on its own, says
/// why nothing can run, and the verdict turns to deny.
#[test]
fn a_bundle_expiring_while_the_window_is_open_blocks_it_with_a_banner() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let warden_home = Home::under(home.path());
    let ws = Workspace::find(&warden_home, None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;

    // The security team's store for this test: revision 2 of the demo policy, valid 20 seconds.
    let policy = std::fs::read(home.path().join("data/workspaces/demo/policy.yaml"))
        .map_err(|e| e.to_string())?;
    serve_own_bundle(home.path(), &policy, chrono::Duration::seconds(20), "1s")?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the status bar to show revision 2", PATIENCE, || {
        text_of(&s, "#status [data-item=bundle]").filter(|t| t.contains("demo r2"))
    })?;
    set_sql(&s, "SELECT country FROM sales.customers")?;
    wait_verdict(&s, "allow")?;

    // No fetch brings a fresh bundle; the window notices the expiry by itself.
    let blocked = wait_for("the expiry banner", Duration::from_secs(60), || {
        banner(&s)
            .ok()
            .flatten()
            .filter(|t| t.starts_with("Nothing can run"))
    })?;
    assert!(
        blocked.contains("expired"),
        "the banner says why: {blocked:?}"
    );
    wait_verdict(&s, "deny")?;
    assert!(
        run_disabled(&s)?,
        "Run is disabled once the bundle has expired"
    );
    Ok(())
}

/// The analyst asks for pii-read from the window: the policy approves it at once, personal data
/// becomes readable, the desktop is told, and when the grant ends the query still running on
/// it is cancelled and the editor is back to baseline.
#[test]
fn an_elevation_requested_from_the_window_holds_until_it_ends_and_then_locks_out(
) -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    // The demo policy with pii-read lasting 30 seconds unless asked otherwise: time enough, on
    // a slow machine, to start the long query below before the grant ends.
    let policy = std::fs::read_to_string(home.path().join("data/workspaces/demo/policy.yaml"))
        .map_err(|e| e.to_string())?;
    let short = policy.replacen(
        "    default_duration: 15m\n    approval: auto",
        "    default_duration: 30s\n    approval: auto",
        1,
    );
    assert_ne!(
        short, policy,
        "the demo policy's pii-read definition changed; update this test"
    );
    serve_own_bundle(
        home.path(),
        short.as_bytes(),
        chrono::Duration::days(1),
        "1h",
    )?;

    let xvfb = Xvfb::start()?;
    let dunst = Dunst::start(&xvfb.display)?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the status bar to show revision 2", PATIENCE, || {
        text_of(&s, "#status [data-item=bundle]").filter(|t| t.contains("demo r2"))
    })?;

    set_sql(
        &s,
        "SELECT email FROM sales.customers ORDER BY customer_id LIMIT 3",
    )?;
    wait_verdict(&s, "elevate")?;
    let ask = wait_for("the Request elevation button", PATIENCE, || {
        s.find("button.request-elevation[data-elevation=pii-read]")
            .ok()
            .flatten()
    })?;
    assert_eq!(s.text(&ask)?, "Request elevation pii-read");
    s.click(&ask)?;
    let dialog = wait_for("the request dialog", PATIENCE, || {
        s.find("#elevation-dialog").ok().flatten()
    })?;
    assert_eq!(s.attribute(&dialog, "role")?.as_deref(), Some("dialog"));
    let duration = s.execute(
        "return document.querySelector('#elevation-duration').value;",
        json!([]),
    )?;
    assert_eq!(
        duration,
        json!("30"),
        "the policy's default duration is preselected"
    );
    // The policy wants a justification: submitting without one is refused in the dialog.
    let submit = s.find("#elevation-submit")?.ok_or("no #elevation-submit")?;
    s.click(&submit)?;
    let missing = wait_for("the missing-justification message", PATIENCE, || {
        text_of(&s, "#elevation-error").filter(|t| !t.trim().is_empty())
    })?;
    assert!(
        missing.to_lowercase().contains("justification"),
        "{missing:?}"
    );
    let why = s
        .find("#elevation-justification")?
        .ok_or("no #elevation-justification")?;
    s.send_keys(&why, "Checking the churn list for INC-1234")?;
    wait_for(
        "the complaint to go once the justification is there",
        PATIENCE,
        || {
            let shown = s
                .execute(
                    "return document.querySelector('#elevation-error').hidden;",
                    json!([]),
                )
                .ok()?;
            (shown == json!(true)).then_some(())
        },
    )?;
    save_screenshot(&s, "WARDEN_ELEVATION_SCREENSHOT", "warden-elevation.png")?;
    s.click(&submit)?;
    wait_for("the dialog to close", PATIENCE, || {
        s.find("#elevation-dialog")
            .ok()
            .and_then(|d| d.is_none().then_some(()))
    })?;
    wait_verdict(&s, "allow")?;
    let item = wait_for("the elevation in the status bar", PATIENCE, || {
        text_of(&s, "#status [data-item=elevation]").filter(|t| t.contains("pii-read"))
    })?;
    assert!(
        item.contains("left"),
        "the status bar says how long is left: {item:?}"
    );

    // Personal data runs now.
    let run = s.find("#run")?.ok_or("no #run button")?;
    s.click(&run)?;
    wait_for("three e-mail addresses in the grid", PATIENCE, || {
        text_of(&s, "#grid .grid-row .grid-cell").filter(|t| t.contains('@'))
    })?;

    // A long query on personal data is still running when the grant ends: it is cancelled.
    set_sql(&s, "SELECT count(*) AS n FROM sales.customers a CROSS JOIN sales.customers b CROSS JOIN sales.customers c WHERE a.email <> b.email AND b.email <> c.email")?;
    wait_verdict(&s, "allow")?;
    s.click(&run)?;
    let cancelled = wait_for(
        "the lockout to cancel the running query",
        Duration::from_secs(60),
        || text_of(&s, "#error .error-text").filter(|t| t.contains("cancelled")),
    )?;
    assert_eq!(cancelled, "The query was cancelled.");
    wait_verdict(&s, "elevate")?;
    let ended = wait_for("the ended banner", PATIENCE, || {
        text_of(&s, "#elevation-banner-text").filter(|t| t.contains("has ended"))
    })?;
    assert!(ended.contains("pii-read"), "{ended:?}");

    // The desktop was told, and the journal holds the whole story.
    let shown = wait_for("the notifications", PATIENCE, || {
        dunst
            .summaries()
            .ok()
            .filter(|n| n.iter().any(|t| t == "pii-read has ended"))
    })?;
    assert!(
        shown.iter().any(|t| t == "pii-read granted"),
        "granted was notified: {shown:?}"
    );
    let audit = ws.open_audit().map_err(|e| e.to_string())?;
    let kinds: Vec<String> = audit
        .events(&[], None, None, false)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|e| e.kind)
        .collect();
    let order = [
        "elevation_requested",
        "elevation_granted",
        "query_finished",
        "elevation_expired",
        "lockout",
    ];
    let mut at = 0;
    for kind in order {
        at += kinds[at..]
            .iter()
            .position(|k| k == kind)
            .ok_or_else(|| format!("no {kind} after the previous step in {kinds:?}"))?;
    }
    assert!(kinds.contains(&"query_cancelled".to_string()), "{kinds:?}");
    Ok(())
}

/// Issue 14, extending a grant on the demo (pii-read is approved by the policy): Extend in the
/// status bar, found by its accessible name, opens the dialog in extend mode; the same grant
/// then ends later, as the status bar says, and the journal records the extension.
#[test]
fn a_held_grant_is_extended_from_the_status_bar() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the editor", PATIENCE, || {
        s.find("#editor .cm-content").ok().flatten()
    })?;
    set_sql(
        &s,
        "SELECT email FROM sales.customers ORDER BY customer_id LIMIT 3",
    )?;
    wait_verdict(&s, "elevate")?;
    open_request_dialog(&s, "pii-read")?;
    let submit = s.find("#elevation-submit")?.ok_or("no #elevation-submit")?;
    s.click(&submit)?;
    wait_verdict(&s, "allow")?;
    // The demo's default is 15 minutes.
    wait_for("the grant in the status bar", PATIENCE, || {
        text_of(&s, "#status [data-item=elevation]")
            .filter(|t| t.contains("pii-read · 15 min left"))
    })?;

    s.click_found("the Extend button", PATIENCE, || {
        s.find_by_role("button", Some("Extend pii-read"), None, None)
            .ok()
            .flatten()
    })?;
    wait_for("the dialog in extend mode", PATIENCE, || {
        text_of(&s, "#elevation-title").filter(|t| t == "Extend pii-read")
    })?;
    let chosen = s.execute(
        "return document.querySelector('#elevation-duration').value;",
        json!([]),
    )?;
    assert_eq!(chosen, json!("900"), "15 min more is offered first");
    let why = s
        .find("#elevation-justification")?
        .ok_or("no #elevation-justification")?;
    s.send_keys(&why, "The churn list needs longer, INC-1234")?;
    let submit = s.find("#elevation-submit")?.ok_or("no #elevation-submit")?;
    assert_eq!(s.text(&submit)?, "Extend");
    s.click(&submit)?;
    wait_for("the dialog to close", PATIENCE, || {
        s.find("#elevation-dialog")
            .ok()
            .and_then(|d| d.is_none().then_some(()))
    })?;
    let item = wait_for("the new end in the status bar", PATIENCE, || {
        text_of(&s, "#status [data-item=elevation]")
            .filter(|t| t.contains("pii-read · 30 min left"))
    })?;
    assert!(item.contains("Extend"), "{item:?}");
    let told = wait_for("the extended banner", PATIENCE, || {
        text_of(&s, "#elevation-banner-text").filter(|t| t.contains("extended until"))
    })?;
    assert!(told.starts_with("pii-read extended until "), "{told:?}");
    // Still allowed: the grant was not ended and asked for again.
    wait_verdict(&s, "allow")?;

    let (kinds, _) = journal(&ws)?;
    let tail: Vec<&str> = kinds
        .iter()
        .filter(|k| k.starts_with("elevation_") || k.as_str() == "lockout")
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "elevation_requested",
            "elevation_granted",
            "elevation_requested",
            "elevation_extended"
        ],
        "{kinds:?}"
    );
    Ok(())
}

/// The kinds of the journal's events, oldest first, and the query events among them.
fn journal(ws: &Workspace) -> Result<(Vec<String>, Vec<serde_json::Value>), String> {
    let events = ws
        .open_audit()
        .map_err(|e| e.to_string())?
        .events(&[], None, None, false)
        .map_err(|e| e.to_string())?;
    let kinds = events.iter().map(|e| e.kind.clone()).collect();
    let queries = events
        .into_iter()
        .filter(|e| e.kind.starts_with("query_"))
        .map(|e| json!({ "kind": e.kind, "payload": e.payload }))
        .collect();
    Ok((kinds, queries))
}

/// The id of the element that has the keyboard focus, if it has one.
fn focused_id(s: &Session<'_>) -> Option<String> {
    s.execute(
        "const e = document.activeElement; return e && e.id ? e.id : null;",
        json!([]),
    )
    .ok()?
    .as_str()
    .map(str::to_string)
}

/// Opens the request dialog from the verdict's Request elevation button and fills in the
/// justification the demo policy requires.
fn open_request_dialog(s: &Session<'_>, name: &str) -> Result<String, String> {
    s.click_found("the Request elevation button", PATIENCE, || {
        s.find(&format!("button.request-elevation[data-elevation={name}]"))
            .ok()
            .flatten()
    })?;
    let dialog = wait_for("the request dialog", PATIENCE, || {
        s.find("#elevation-dialog").ok().flatten()
    })?;
    let why = s
        .find("#elevation-justification")?
        .ok_or("no #elevation-justification")?;
    s.send_keys(&why, "Checking the churn list for INC-1234")?;
    Ok(dialog)
}

/// Issue 14, "Request and run", on the demo (pii-read is approved by the policy): the analyst
/// reaches Request and run with the keyboard, and the refused query runs by itself once
/// granted, without Run being pressed, once, leaning on the grant in the journal.
#[test]
fn request_and_run_runs_the_refused_query_once_it_is_granted() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the editor", PATIENCE, || {
        s.find("#editor .cm-content").ok().flatten()
    })?;

    let sql = "SELECT email FROM sales.customers ORDER BY customer_id LIMIT 3";
    set_sql(&s, sql)?;
    wait_verdict(&s, "elevate")?;
    assert!(run_disabled(&s)?, "Run is off until pii-read is granted");
    let dialog = open_request_dialog(&s, "pii-read")?;
    // Beside Request, found by its accessible name as a screen reader finds it.
    let button = s
        .find_by_role("button", Some("Request and run"), None, Some(&dialog))?
        .ok_or("no Request and run button in the dialog")?;
    assert_eq!(
        s.attribute(&button, "id")?.as_deref(),
        Some("elevation-submit-run")
    );
    assert!(
        text_of(&s, "#elevation-because").is_some_and(|t| t.contains("pii")),
        "the dialog says why the query needs it"
    );
    // From the justification, Tab reaches it (Cancel, Request, Request and run) and Enter presses it.
    for _ in 0..3 {
        if focused_id(&s).as_deref() == Some("elevation-submit-run") {
            break;
        }
        let at = focused_id(&s).ok_or("nothing in the dialog has the focus")?;
        let el = s
            .find(&format!("#{at}"))?
            .ok_or("the focused element went")?;
        s.send_keys(&el, "\u{E004}")?;
    }
    assert_eq!(
        focused_id(&s).as_deref(),
        Some("elevation-submit-run"),
        "Tab reaches Request and run"
    );
    // docs/elevation.png, once a frame shows the whole justification.
    s.execute(
        "return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
        json!([]),
    )?;
    save_screenshot(
        &s,
        "WARDEN_REQUEST_AND_RUN_SCREENSHOT",
        "warden-request-and-run.png",
    )?;
    s.send_keys(&button, "\u{E007}")?;

    // Granted by the policy: the rows come without Run being pressed.
    let rows = wait_for("three e-mail addresses in the grid", PATIENCE, || {
        s.find_all("#grid .grid-row")
            .ok()
            .filter(|r| r.len() == 3)
            .filter(|_| text_of(&s, "#grid .grid-row .grid-cell").is_some_and(|t| t.contains('@')))
    })?;
    assert_eq!(rows.len(), 3);
    assert!(s.find("#elevation-dialog")?.is_none(), "the dialog closed");
    wait_verdict(&s, "allow")?;
    assert!(
        text_of(&s, "#status [data-item=elevation]").is_some_and(|t| t.contains("pii-read")),
        "the grant shows in the status bar"
    );
    assert!(
        s.find("#pending-run")?
            .map(|el| s.attribute(&el, "hidden"))
            .transpose()?
            .flatten()
            .is_some(),
        "nothing waits any more"
    );

    // The journal: asked, granted, then the one run, checked under the grant.
    wait_for("query_finished in the journal", PATIENCE, || {
        journal(&ws)
            .ok()
            .filter(|(kinds, _)| kinds.iter().any(|k| k == "query_finished"))
    })?;
    // A moment more, so a second run would have shown.
    std::thread::sleep(Duration::from_secs(2));
    let (kinds, queries) = journal(&ws)?;
    let mut at = 0;
    for kind in [
        "elevation_requested",
        "elevation_granted",
        "query_started",
        "query_finished",
    ] {
        at += kinds[at..]
            .iter()
            .position(|k| k == kind)
            .ok_or_else(|| format!("no {kind} after the previous step in {kinds:?}"))?;
    }
    let started: Vec<_> = queries
        .iter()
        .filter(|q| q["kind"] == "query_started")
        .collect();
    assert_eq!(started.len(), 1, "it ran once: {queries:?}");
    for query in &queries {
        let context = &query["payload"]["query"];
        assert_eq!(context["verdict"], json!("allow"), "{query}");
        assert_eq!(
            context["active_elevations"],
            json!(["pii-read"]),
            "it leaned on the grant: {query}"
        );
    }
    assert!(
        queries.iter().any(|q| q["kind"] == "query_finished"),
        "{queries:?}"
    );
    Ok(())
}

/// Issue 14, the "does not run" side, with an approver deciding in the demo's folder queue as
/// `warden elevation approve` does: the query was edited while its request waited, so once
/// granted it is checked again but not run, and the window says why.
#[test]
fn request_and_run_does_not_run_a_query_changed_while_waiting() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    // The demo policy with pii-read decided by an approver.
    let policy = std::fs::read_to_string(home.path().join("data/workspaces/demo/policy.yaml"))
        .map_err(|e| e.to_string())?;
    let manual = policy.replacen(
        "    default_duration: 15m\n    approval: auto",
        "    default_duration: 15m\n    approval: manual",
        1,
    );
    assert_ne!(
        manual, policy,
        "the demo policy's pii-read definition changed; update this test"
    );
    serve_own_bundle(
        home.path(),
        manual.as_bytes(),
        chrono::Duration::days(1),
        "1h",
    )?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the status bar to show revision 2", PATIENCE, || {
        text_of(&s, "#status [data-item=bundle]").filter(|t| t.contains("demo r2"))
    })?;

    let sql = "SELECT email FROM sales.customers ORDER BY customer_id LIMIT 3";
    set_sql(&s, sql)?;
    wait_verdict(&s, "elevate")?;
    let dialog = open_request_dialog(&s, "pii-read")?;
    let button = s
        .find_by_role("button", Some("Request and run"), None, Some(&dialog))?
        .ok_or("no Request and run button in the dialog")?;
    s.click(&button)?;
    let waiting = wait_for(
        "the note that the query waits for its grant",
        PATIENCE,
        || text_of(&s, "#pending-run-text").filter(|t| !t.is_empty()),
    )?;
    assert_eq!(waiting, "Runs once pii-read is granted");
    s.find_by_role(
        "button",
        Some("Don't run the query when pii-read is granted"),
        None,
        None,
    )?
    .ok_or("no Don't run button")?;

    // The analyst edits the query while the request waits; then an approver approves it.
    set_sql(
        &s,
        "SELECT email FROM sales.customers ORDER BY customer_id LIMIT 2",
    )?;
    let approvals = ws.approvals().ok_or("the demo has a folder queue")?;
    let open = wait_for("the request in the queue", PATIENCE, || {
        approvals
            .open_requests()
            .ok()
            .filter(|(open, damaged)| !open.is_empty() && damaged.is_empty())
            .map(|(open, _)| open)
    })?;
    let [request] = open.as_slice() else {
        return Err(format!("one request waits, not {open:?}"));
    };
    assert_eq!(request.name, "pii-read");
    approvals
        .decide(
            &request.id,
            warden_elevation::Decision::Approve,
            "bob",
            Some("ok"),
            chrono::Utc::now(),
        )
        .map_err(|e| e.to_string())?;

    let told = wait_for("the window to say why it did not run", PATIENCE, || {
        text_of(&s, "#error .error-text").filter(|t| t.contains("did not run"))
    })?;
    assert_eq!(
        told,
        "pii-read granted; the query changed since you asked, so it did not run."
    );
    // Granted all the same: the edited text is allowed now, and runs only when asked.
    wait_verdict(&s, "allow")?;
    assert!(!run_disabled(&s)?, "Run is on under the grant");
    std::thread::sleep(Duration::from_secs(2));
    let (kinds, _) = journal(&ws)?;
    assert!(
        kinds.contains(&"elevation_granted".to_string()),
        "{kinds:?}"
    );
    assert!(
        !kinds.iter().any(|k| k.starts_with("query_")),
        "nothing ran: {kinds:?}"
    );
    assert!(
        s.find_all("#grid .grid-row")?.is_empty(),
        "no rows in the grid"
    );
    Ok(())
}

/// Issue 12 in the window, against the SSO fake and moto's STS: Sign in opens "the browser"
/// (a script that hands the URL to the test), the test approves on the fake's authorize page
/// and follows its redirect to the app's loopback listener, the identity shows in the status
/// bar and the secrets are in the OS keyring; Sign out empties it.
#[test]
fn signing_in_from_the_window_shows_the_identity_and_signing_out_empties_the_keyring(
) -> Result<(), String> {
    use warden_test_support::sso_fake::{FakeSso, ACCOUNT_ID, ROLE_NAME};
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --test e2e"
    );
    const WS: &str = "e2e-aws";
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let fake = FakeSso::start();
    let moto = warden_test_support::Moto::start();
    let config = format!(
        "default_workspace = \"{WS}\"\n[workspaces.{WS}]\nkind = \"athena\"\n[workspaces.{WS}.sign_in]\nsso_start_url = \"https://sandbox.awsapps.com/start\"\nsso_region = \"us-east-1\"\naccount_id = \"{ACCOUNT_ID}\"\nrole_name = \"{ROLE_NAME}\"\n[workspaces.{WS}.sign_in.endpoints]\nsso = \"{sso}\"\nsso_oidc = \"{sso}\"\nsts = \"{sts}\"\n",
        sso = fake.endpoint,
        sts = moto.endpoint,
    );
    std::fs::create_dir_all(home.path().join("config")).map_err(|e| e.to_string())?;
    std::fs::write(home.path().join("config/config.toml"), config).map_err(|e| e.to_string())?;
    // "The browser": writes the URL it was asked to open where the test reads it.
    let opened = home.path().join("opened-url");
    let browser = home.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .map_err(|e| e.to_string())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(
        &xvfb.display,
        &[("WARDEN_HOME", home.path()), ("BROWSER", &browser)],
    )?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    let sign_in = wait_for("the Sign in button", PATIENCE, || {
        s.find("#sign-in").ok().flatten()
    })?;
    assert!(
        text_of(&s, "#sign-in-identity").is_some_and(|t| t.contains("signed out")),
        "the status bar says signed out first"
    );
    s.click(&sign_in)?;
    let url = wait_for("the app to open the browser", PATIENCE, || {
        std::fs::read_to_string(&opened)
            .ok()
            .filter(|u| !u.is_empty())
    })?;
    assert!(
        url.starts_with(&format!("{}/authorize?", fake.endpoint)),
        "{url}"
    );
    // The user approves; the browser follows the redirect to the app's loopback listener.
    let callback = fake.approve(&url)?;
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    ureq::get(&callback)
        .call()
        .map_err(|e| format!("the loopback listener did not answer: {e}"))?;
    let shown = wait_for("the identity in the status bar", PATIENCE, || {
        text_of(&s, "#sign-in-identity").filter(|t| t.contains(ROLE_NAME))
    })?;
    assert!(shown.contains(ACCOUNT_ID), "{shown}");
    let users = keyring_users()?;
    for slot in ["sso-access-token", "sso-refresh-token", "aws-credentials"] {
        assert!(
            users.contains(&format!("{WS}/{slot}")),
            "{slot} is in the keyring while signed in: {users:?}"
        );
    }

    let sign_out = s.find("#sign-out")?.ok_or("no Sign out button")?;
    s.click(&sign_out)?;
    wait_for("Sign in to come back", PATIENCE, || {
        s.find("#sign-in").ok().flatten()
    })?;
    let left: Vec<_> = keyring_users()?
        .into_iter()
        .filter(|u| u.starts_with(&format!("{WS}/")))
        .collect();
    assert!(left.is_empty(), "sign-out emptied the keyring: {left:?}");
    Ok(())
}
