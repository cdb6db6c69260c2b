//! `warden`: the command line for admins, approvers and CI pipelines.
//!
//! A thin shell over `warden-core` and `warden-guardrails`: argument parsing, file handling,
//! output formats and exit codes live here; every decision lives in the libraries.
//!
//! A library with one entry point, [`main`], so that two executables run the same CLI: the
//! `warden` binary of this crate (`src/main.rs`), and the desktop app's `warden-desktop` when it
//! is started under the name `warden` (the package installs `/usr/bin/warden` as a link to it,
//! so the package holds one copy of the engine and the parser, docs/performance.md "Package").

// Every command prints through these instead of std's: when standard output is closed early
// (`warden bundle status | head -c1`), std's panic; these end the output quietly and let the
// command finish its work (audit events included) with its own exit status. Defined before the
// modules so that they shadow std's macros in all of them.
macro_rules! println {
    () => {
        $crate::output::out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::output::out(format_args!($($arg)*))
    };
}

mod args;
mod commands;
mod json;
mod output;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, PolicyCommand, WorkspaceCommand};

/// Exit statuses: 0 success, 1 the work was refused or failed (a deny or elevate verdict, a
/// failed query), 2 the command could not be carried out (usage, configuration, policy errors).
pub(crate) const EXIT_REFUSED: u8 = 1;
pub(crate) const EXIT_USAGE: u8 = 2;

/// Runs the CLI on this process's arguments and returns its exit status: 0 success, 1 refused
/// or failed, 2 the command could not be carried out (see `EXIT_REFUSED`, `EXIT_USAGE`).
/// Touches no display: it is what `warden-desktop` runs when started as `warden`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    start_logging(cli.verbose);
    let outcome = match &cli.command {
        Command::Query(args) => commands::query::run(&cli, args),
        Command::Lint(args) => commands::lint::run(&cli, args),
        Command::Bundle { command } => commands::bundle::run(&cli, command),
        Command::Audit { command } => commands::audit::run(&cli, command),
        Command::Elevation { command } => commands::elevation::run(&cli, command),
        Command::Broker { command } => commands::broker::run(&cli, command),
        Command::Login(args) => commands::identity::login(&cli, args),
        Command::Logout(args) => commands::identity::logout(&cli, args),
        Command::Whoami(args) => commands::identity::whoami(&cli, args),
        Command::Credentials(args) => commands::identity::credentials(&cli, args),
        Command::Workspace {
            command: WorkspaceCommand::Init(args),
        } => commands::workspace::init(&cli, args),
        Command::Workspace {
            command: WorkspaceCommand::Show(args),
        } => commands::workspace::show(&cli, args),
        Command::Policy {
            command: PolicyCommand::Catalog(args),
        } => commands::policy::catalog(&cli, args),
        Command::Workspace {
            command: WorkspaceCommand::List(args),
        } => commands::workspace::list(&cli, args),
        Command::Workspace {
            command: WorkspaceCommand::Add(args),
        } => commands::workspace::add(&cli, args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("warden: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Logs of Warden's crates go to stderr, apart from the output on stdout: warnings always,
/// each step with `-v`, detail with `-vv`.
fn start_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_filter(Targets::new().with_target("warden", level));
    // A subscriber already set (nothing sets one) would only mean fewer log lines.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
