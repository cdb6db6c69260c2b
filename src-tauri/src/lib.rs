//! The desktop shell: Tauri state, commands and nothing else. Every decision is made in
//! `warden-core`; a command here translates arguments, calls the core, and shapes errors.

mod commands;
mod error;
mod state;

use state::AppState;

pub fn run() {
    let state = AppState::start();
    let result = tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::workspace_info,
            commands::catalog,
            commands::lint,
            commands::run_query,
            commands::fetch_rows,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("warden: the desktop app could not start: {e}");
        std::process::exit(1);
    }
}
