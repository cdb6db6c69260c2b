//! The desktop shell: Tauri state, commands and nothing else. Every decision is made in
//! `warden-core`; a command here translates arguments, calls the core, and shapes errors.

mod audit;
mod background;
mod commands;
mod elevation;
mod error;
mod events;
mod notify;
mod policy;
mod running;
mod state;

use tauri::Manager;

use state::AppState;

pub fn run() {
    let state = AppState::start();
    let result = tauri::Builder::default()
        .manage(state)
        .setup(|app| {
            let state = app.state::<AppState>();
            if let Ok(opened) = state.opened() {
                background::start(app.handle().clone(), opened.gate.clone(), state.told.clone(), opened.audit_sync_every);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace_info,
            commands::catalog,
            commands::lint,
            commands::run_query,
            commands::cancel_query,
            commands::fetch_rows,
            policy::policy_status,
            policy::refresh_policy,
            audit::audit_events,
            audit::audit_status,
            audit::audit_sync,
            elevation::elevation_status,
            elevation::request_elevation,
            elevation::end_elevation,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("warden: the desktop app could not start: {e}");
        std::process::exit(1);
    }
}
