//! `warden`: the command line for admins, approvers and CI pipelines.
//!
//! A thin shell over `warden-core` and `warden-guardrails`: argument parsing, file handling,
//! output formats and exit codes live here; every decision lives in the libraries.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, WorkspaceCommand};

/// Exit statuses: 0 success, 1 the work was refused or failed (a deny or elevate verdict, a
/// failed query), 2 the command could not be carried out (usage, configuration, policy errors).
pub(crate) const EXIT_REFUSED: u8 = 1;
pub(crate) const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Query(args) => commands::query::run(&cli, args),
        Command::Lint(args) => commands::lint::run(args),
        Command::Bundle { command } => commands::bundle::run(&cli, command),
        Command::Audit { command } => commands::audit::run(&cli, command),
        Command::Elevation { command } => commands::elevation::run(&cli, command),
        Command::Workspace {
            command: WorkspaceCommand::Init(args),
        } => commands::workspace::init(&cli, args),
        Command::Workspace {
            command: WorkspaceCommand::Show(args),
        } => commands::workspace::show(&cli, args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("warden: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
