use std::io::Write;

use warden_core::{CancellationToken, RunError, EXIT_SYNC_LIMIT};
use warden_guardrails::output::FileReport;

use crate::args::{Cli, QueryArgs, RowFormat};
use crate::output;
use crate::{EXIT_REFUSED, EXIT_USAGE};

pub fn run(cli: &Cli, args: &QueryArgs) -> Result<u8, String> {
    let (sql, origin) = match (&args.sql, &args.file) {
        (Some(sql), _) => (sql.clone(), "<command line>".to_string()),
        (None, Some(path)) => {
            let what = format!("the SQL file {}", path.display());
            let bytes =
                super::bounded::read_file(path, super::bounded::MAX_SQL_INPUT_BYTES, &what)?;
            let sql = String::from_utf8(bytes)
                .map_err(|_| format!("{what} is not UTF-8 text: save it as UTF-8"))?;
            (sql, path.display().to_string())
        }
        (None, None) => return Err("give the SQL as an argument or with --file PATH".into()),
    };
    let home = super::home(cli.home.as_deref())?;
    let workspace = super::ready_workspace(&home, args.workspace.as_deref())?;
    let rt = super::runtime()?;
    rt.block_on(async {
        // A grant used from the keyring on an AWS workspace: first the broker's newest
        // credential set and its verdict (a revoked grant is wiped), then followed while the run
        // lasts. A broker that cannot be asked is a verdict that cannot be trusted: refused,
        // whatever the keyring still holds (the demo's grants live in the gate's own state).
        let aws = workspace.kind() == warden_core::WorkspaceKind::Athena;
        let before = match (args.elevations.is_empty(), aws) {
            (true, _) | (false, false) => None,
            (false, true) => match warden_core::aws_hold::before_use(&home, workspace.name(), &args.elevations).await {
                Ok(before) => {
                    for note in &before.notes {
                        eprintln!("warden: {note}");
                    }
                    Some(before)
                }
                Err(e) => {
                    eprintln!(
                        "warden: {} cannot be used in workspace `{}` ({e}): nothing was run",
                        args.elevations.join(", "),
                        workspace.name()
                    );
                    return Ok(EXIT_REFUSED);
                }
            },
        };
        let gate = match workspace.open_gate_holding(&args.elevations).await {
            Ok(gate) => std::sync::Arc::new(gate),
            Err(e @ warden_core::CoreError::NoElevation(_)) => {
                eprintln!("warden: {e}");
                return Ok(EXIT_REFUSED);
            }
            Err(e) => return Err(e.to_string()),
        };
        let following = before.map(|b| {
            warden_core::aws_hold::follow_while_running(
                gate.clone(),
                b.elevations,
                warden_core::aws_elevation::WAIT_INTERVAL,
            )
        });
        let cancel = CancellationToken::new();
        let on_interrupt = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let (outcome, _) = gate
            .run_with_parameters(&sql, &args.params, args.database.as_deref(), cancel)
            .await;
        let code = match outcome {
            Ok(execution) => {
                let mut stdout = std::io::stdout().lock();
                let written = match args.format {
                    RowFormat::Table => output::write_table(&mut stdout, &execution),
                    RowFormat::Csv => output::write_csv(&mut stdout, &execution.result, !args.no_formula_guard),
                    RowFormat::Json => output::write_json(&mut stdout, &execution),
                };
                output::written(written.and_then(|_| stdout.flush()), "rows")?;
                if !matches!(args.format, RowFormat::Table) {
                    eprintln!("{}", output::summary_line(&execution));
                }
                Ok(0)
            }
            // The text was allowed (for any values); its values were not: say only why.
            Err(RunError::Blocked(refusal)) if refusal.parameters.is_some() => {
                eprintln!("warden: {refusal}");
                Ok(EXIT_REFUSED)
            }
            Err(RunError::Blocked(refusal)) => {
                let summary = refusal.to_string();
                let files = [FileReport {
                    path: origin.clone(),
                    report: refusal.report,
                }];
                eprint!("{}", warden_guardrails::output::render_text(&files));
                eprintln!("warden: {summary}");
                Ok(EXIT_REFUSED)
            }
            Err(
                e @ (RunError::Engine(_)
                | RunError::NoPolicy(_)
                | RunError::Unsynced(_)
                | RunError::Audit(_)
                | RunError::NotHeld(_)
                | RunError::UnlistedColumns(_)
                | RunError::MissingTables(_)),
            ) => {
                eprintln!("warden: {e}");
                Ok(EXIT_REFUSED)
            }
        };
        if let Some(task) = following {
            task.abort();
        }
        // Whatever the outcome, what this run recorded goes to the central store now; a
        // failure only delays it (the journal keeps every event) and never changes the result.
        match gate.audit().sync_before_exit(EXIT_SYNC_LIMIT).await {
            Ok(report) => {
                for tampering in report.iter().flat_map(|r| &r.findings) {
                    eprintln!("warden: warning: {tampering}");
                }
            }
            Err(e) => eprintln!(
                "warden: warning: this run's audit events are kept in the local journal but could not be sent to the central store yet ({e}); they go with the next sync (`warden audit sync`)"
            ),
        }
        code
    })
    .or_else(|message: String| {
        eprintln!("warden: {message}");
        Ok(EXIT_USAGE)
    })
}
