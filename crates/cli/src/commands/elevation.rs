use chrono::{TimeZone, Utc};
use warden_core::aws_queue::{self, Revocation};
use warden_core::{format_duration, CoreError, Decision, ElevationError, Home, Workspace};

use crate::args::{Cli, ElevationCommand, InfoFormat};
use crate::json;
use crate::EXIT_REFUSED;

pub fn run(cli: &Cli, command: &ElevationCommand) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let queue = |name: &Option<String>| {
        let ws = Workspace::find(&home, name.as_deref()).map_err(|e| e.to_string())?;
        ws.approvals()
            .ok_or_else(|| format!("the {} workspace has no approval queue", ws.name()))
    };
    match command {
        ElevationCommand::List { workspace, format } => {
            let (open, damaged) = queue(workspace)?
                .open_requests()
                .map_err(|e| e.to_string())?;
            for problem in &damaged {
                eprintln!("warden: {problem}");
            }
            match format {
                InfoFormat::Json => {
                    let list: json::PendingRequests = &open;
                    json::print(&list)?
                }
                InfoFormat::Text if open.is_empty() => {
                    println!("no requests are waiting for a decision")
                }
                InfoFormat::Text => {
                    for r in &open {
                        let at = Utc
                            .timestamp_millis_opt(r.requested_at_ms)
                            .single()
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_default();
                        let duration =
                            format_duration(std::time::Duration::from_secs(r.duration_s));
                        // Request files are written by requesters: nothing in them may drive the terminal.
                        println!(
                            "{}  {}  {:<16} {:<8} {}  {}",
                            r.id,
                            at,
                            plain(&r.name),
                            duration,
                            plain(&r.requester),
                            plain(&r.reason)
                        );
                    }
                }
            }
            Ok(0)
        }
        ElevationCommand::Approve {
            id,
            workspace,
            reason,
        } => decide(queue(workspace)?, id, Decision::Approve, reason.as_deref()),
        ElevationCommand::Deny {
            id,
            workspace,
            reason,
        } => decide(queue(workspace)?, id, Decision::Deny, Some(reason)),
        ElevationCommand::Revoke {
            id,
            workspace,
            reason,
        } => revoke(&home, workspace.as_deref(), id, reason),
    }
}

fn revoke(home: &Home, workspace: Option<&str>, id: &str, reason: &str) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let queue = aws_queue::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        match aws_queue::revoke(&queue, id, reason).await {
            Ok(Revocation::Written(record)) => {
                println!(
                    "revoked {} for {} (request {id}) as {}; the broker ends it at its next pass",
                    plain(&record.name),
                    plain(&record.requester),
                    plain(&record.approver)
                );
                Ok(0)
            }
            Ok(Revocation::NotHeld(why)) => {
                eprintln!("warden: {why}");
                Ok(EXIT_REFUSED)
            }
            Err(CoreError::Elevation(
                e @ (ElevationError::AlreadyDecided { .. } | ElevationError::SelfApproval { .. }),
            )) => {
                eprintln!("warden: {e}");
                Ok(EXIT_REFUSED)
            }
            Err(e) => Err(e.to_string()),
        }
    })
}

fn decide(
    queue: warden_core::Approvals,
    id: &str,
    decision: Decision,
    reason: Option<&str>,
) -> Result<u8, String> {
    let approver = warden_core::audit::os_user();
    match queue.decide(id, decision, &approver, reason, Utc::now()) {
        Ok(record) => {
            let request = queue.request(id).map_err(|e| e.to_string())?;
            println!(
                "{} {} for {} (request {id}) as {approver}; it takes effect when the requester's app sees it",
                record.decision.past_tense(),
                plain(&request.name),
                plain(&request.requester)
            );
            Ok(0)
        }
        Err(e @ (ElevationError::AlreadyDecided { .. } | ElevationError::SelfApproval { .. })) => {
            eprintln!("warden: {e}");
            Ok(EXIT_REFUSED)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// `text` with control characters (escape sequences, newlines) shown escaped.
fn plain(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_text_cannot_drive_the_terminal() {
        assert_eq!(super::plain("ana\u{1b}[2J\nbob"), "ana\\u{1b}[2J\\nbob");
        assert_eq!(super::plain("plain words, ünïcode"), "plain words, ünïcode");
    }
}
