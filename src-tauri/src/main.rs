// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

//! `warden-desktop`, and in the package `warden` too: one executable, so the package carries the
//! engine and the SQL parser once (docs/performance.md, "Package"). Started under the name
//! `warden` (`/usr/bin/warden` is a link to this binary) it is the command line, exactly as the
//! `warden` binary of `crates/cli`: same arguments, output and exit statuses, and no display
//! touched. Under any other name it is the desktop app.

use std::ffi::OsStr;
use std::path::Path;
use std::process::ExitCode;

/// The name that selects the command line, as `argv[0]`'s last component.
const CLI_NAME: &str = "warden";

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    if Path::new(&argv0).file_name() == Some(OsStr::new(CLI_NAME)) {
        return warden_cli::main();
    }
    warden_app::run();
    ExitCode::SUCCESS
}
