//! The desktop shell: Tauri state, commands and nothing else. Every decision is made in
//! `warden-core`; what the window receives, and the commands' bodies, are in `warden-api`.

mod approvals;
mod audit;
mod background;
mod closing;
mod commands;
mod display;
mod elevation;
mod events;
mod identity;
mod logging;
mod notify;
mod picked;
mod policy;
mod save_dialog;
mod state;
mod webview;

use tauri::{Manager, RunEvent};

use state::AppState;

pub fn run() {
    // First, while this is the only thread: WebKit reads its settings from the environment.
    webview::before_gtk();
    logging::start();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "the desktop app starts"
    );
    if let Err(why) = display::check() {
        tracing::error!("the desktop app could not open a window: {why}");
        eprintln!("warden: the desktop app cannot open a window: {why}");
        std::process::exit(1);
    }
    let state = AppState::start();
    let result = tauri::Builder::default()
        .manage(state)
        .manage(closing::Closing::default())
        .on_window_event(closing::on_window_event)
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let state = app.state::<AppState>();
            state.watcher.attach(app.handle().clone());
            if let Ok(Some(identity)) = &state.identity {
                background::watch_session(identity.clone());
            }
            if let Ok(opened) = state.opened() {
                background::start(
                    app.handle().clone(),
                    opened.gate.clone(),
                    state.told.clone(),
                    opened.audit_sync_every,
                );
            }
            // A display that goes away stops the app as quitting does, not inside GDK.
            let handle = app.handle().clone();
            display::on_loss(move || quit(&handle, "the display went away"));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace_info,
            commands::catalog,
            commands::refresh_catalog,
            commands::workgroups,
            commands::choose_workgroup,
            commands::named_queries,
            save_dialog::choose_export_path,
            commands::lint,
            commands::format_sql,
            commands::check_parameter,
            commands::run_query,
            commands::cancel_query,
            commands::run_progress,
            commands::lint_measured,
            commands::fetch_rows,
            commands::export_result,
            commands::kept_tabs,
            commands::keep_tabs,
            closing::ready_to_close,
            commands::saved_queries,
            commands::save_query,
            commands::delete_saved_query,
            policy::policy_status,
            policy::refresh_policy,
            approvals::approvals,
            approvals::act_on_approval,
            audit::audit_events,
            audit::audit_status,
            audit::audit_sync,
            elevation::elevation_status,
            elevation::request_elevation,
            elevation::end_elevation,
            identity::sign_in_status,
            identity::sign_in,
            identity::sign_out,
            identity::workspaces,
            identity::switch_workspace,
            identity::aws_profiles,
            identity::add_workspace,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|app, event| {
            if let RunEvent::Exit = event {
                quit(app, "the app quit");
            }
        }),
        Err(e) => {
            tracing::error!("the desktop app could not start: {e}");
            eprintln!("warden: the desktop app could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// What quitting does, for whatever reason (`why` is recorded with the ended grants). True
/// when every grant and waiting request was ended with nothing left unconfirmed.
fn quit(app: &tauri::AppHandle, why: &'static str) -> bool {
    let state = app.state::<AppState>();
    let mut ended = true;
    // Grants and waiting requests do not outlive the app: ended in the gate, their keyring
    // entries deleted, withdrawn at the broker (a few seconds at most), and recorded. On a
    // thread of its own, outside the event loop's.
    if let Ok(opened) = state.opened() {
        let gate = opened.gate.clone();
        let stopping =
            std::thread::spawn(move || tauri::async_runtime::block_on(gate.end_everywhere(why)))
                .join();
        match stopping {
            Ok(stopped) => {
                ended = stopped.not_told.is_empty() && stopped.errors.is_empty();
                for (id, why) in &stopped.not_told {
                    tracing::warn!(request = %id, "quitting: the broker was not told: {why}");
                }
                for e in &stopped.errors {
                    tracing::warn!("quitting: {e}");
                }
            }
            Err(_) => {
                ended = false;
                tracing::error!("quitting: ending the grants failed");
            }
        }
    }
    // Nor do results: their folders in the cache go with their last reader (a killed app's
    // are swept when the next one opens the workspace).
    if let Ok(mut results) = state.results.lock() {
        results.clear();
    };
    ended
}
