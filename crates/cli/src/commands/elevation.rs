use chrono::{TimeZone, Utc};
use warden_core::aws_elevation::{self, until_text, AwsElevations, Progress};
use warden_core::aws_queue::{self, Revocation};
use warden_core::{
    format_duration, CoreError, Decision, ElevationError, Home, Workspace, WorkspaceKind,
};

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
    let on_aws = |name: &Option<String>| {
        Workspace::find(&home, name.as_deref())
            .map(|ws| ws.kind() == WorkspaceKind::Athena)
            .unwrap_or(false)
    };
    match command {
        ElevationCommand::List { workspace, format } if on_aws(workspace) => {
            list_on_aws(&home, workspace.as_deref(), *format)
        }
        ElevationCommand::Approve {
            id,
            workspace,
            reason,
        } if on_aws(workspace) => decide_on_aws(
            &home,
            workspace.as_deref(),
            id,
            Decision::Approve,
            reason.as_deref(),
        ),
        ElevationCommand::Deny {
            id,
            workspace,
            reason,
        } if on_aws(workspace) => decide_on_aws(
            &home,
            workspace.as_deref(),
            id,
            Decision::Deny,
            Some(reason),
        ),
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
                        let duration =
                            format_duration(std::time::Duration::from_secs(r.duration_s));
                        // Request files are written by requesters: nothing in them may drive the terminal.
                        // An extension adds its duration to a held grant: say which.
                        let extends = r
                            .extends
                            .as_deref()
                            .map(|g| format!("  (more time on grant {})", plain(g)))
                            .unwrap_or_default();
                        println!(
                            "{}  {}  {:<16} {:<8} {}  {}{extends}",
                            r.id,
                            rfc3339(r.requested_at_ms),
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
        ElevationCommand::Request {
            name,
            workspace,
            duration,
            justification,
            ticket,
            wait,
            timeout,
        } => {
            let duration = match duration {
                Some(text) => Some(duration_arg("--duration", text)?),
                None => None,
            };
            let timeout = duration_arg("--timeout", timeout)?;
            let request = warden_core::ElevationRequest {
                name: name.clone(),
                duration,
                justification: justification.clone(),
                ticket: ticket.clone(),
                extends: None,
            };
            request_on_aws(
                &home,
                workspace.as_deref(),
                &request,
                wait.then_some(timeout),
            )
        }
        ElevationCommand::Extend {
            name,
            workspace,
            duration,
            justification,
            ticket,
            wait,
            timeout,
        } => {
            let duration = match duration {
                Some(text) => Some(duration_arg("--duration", text)?),
                None => None,
            };
            let timeout = duration_arg("--timeout", timeout)?;
            extend_on_aws(
                &home,
                workspace.as_deref(),
                name,
                duration,
                justification,
                ticket.clone(),
                wait.then_some(timeout),
            )
        }
        ElevationCommand::Status { workspace } => status_on_aws(&home, workspace.as_deref()),
        ElevationCommand::End { name, workspace } => end_on_aws(&home, workspace.as_deref(), name),
    }
}

fn duration_arg(flag: &str, text: &str) -> Result<std::time::Duration, String> {
    warden_bundle::parse_duration(text)
        .ok()
        .and_then(|d| d.to_std().ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{flag} {text:?} is not a duration such as 15m or 1h"))
}

/// What a request's progress means for the person waiting on it, and the exit status.
fn say(name: &str, id: &str, progress: &Progress) -> u8 {
    match progress {
        Progress::Held { expires_at_ms } => {
            println!(
                "{} is held until {} (request {id}); its credentials are in the OS keyring: `warden query --elevation {}`",
                plain(name),
                until_text(*expires_at_ms),
                plain(name)
            );
            0
        }
        Progress::Granted => {
            println!(
                "{} was granted (request {id}); its credentials are not delivered yet: `warden elevation status` takes them when they are",
                plain(name)
            );
            EXIT_REFUSED
        }
        Progress::Waiting => {
            println!(
                "{} is waiting for a decision (request {id}); `warden elevation status` shows when it is decided",
                plain(name)
            );
            EXIT_REFUSED
        }
        Progress::Unusable { reason } => {
            println!(
                "{} was {} (request {id}); end it with `warden elevation end {}`",
                plain(name),
                plain(reason),
                plain(name)
            );
            EXIT_REFUSED
        }
        Progress::Extended {
            grant_id,
            expires_at_ms,
            approver,
        } => {
            let by = approver
                .as_deref()
                .map(|a| format!("approved by {}", plain(a)))
                .unwrap_or_else(|| "approved by policy".into());
            println!(
                "{} extended until {} ({by}; grant {grant_id}, extension {id}); its new credentials are in the OS keyring once delivered",
                plain(name),
                until_text(*expires_at_ms)
            );
            0
        }
        Progress::Finished { status, reason } => {
            let word = serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            println!(
                "{} was {word} (request {id}): {}",
                plain(name),
                plain(reason)
            );
            EXIT_REFUSED
        }
    }
}

fn request_on_aws(
    home: &Home,
    workspace: Option<&str>,
    request: &warden_core::ElevationRequest,
    wait: Option<std::time::Duration>,
) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let elevations = AwsElevations::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        let (id, duration) = match elevations.request(request).await {
            Ok(sent) => sent,
            Err(e @ (CoreError::Elevation(_) | CoreError::NoElevation(_))) => {
                eprintln!("warden: {e}");
                return Ok(EXIT_REFUSED);
            }
            Err(e) => return Err(e.to_string()),
        };
        println!(
            "requested {} for {} (request {id})",
            plain(&request.name),
            format_duration(duration)
        );
        let Some(timeout) = wait else {
            return Ok(0);
        };
        let progress = elevations
            .wait(&id, timeout, aws_elevation::WAIT_INTERVAL)
            .await
            .map_err(|e| e.to_string())?;
        Ok(say(&request.name, &id, &progress))
    })
}

/// `warden elevation extend`: an extension of the grant of `name` held in this machine's
/// keyring, sent to the broker (and with `wait`, waited on).
fn extend_on_aws(
    home: &Home,
    workspace: Option<&str>,
    name: &str,
    duration: Option<std::time::Duration>,
    justification: &str,
    ticket: Option<String>,
    wait: Option<std::time::Duration>,
) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let elevations = AwsElevations::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        let Some(grant) = elevations
            .held(name)
            .map_err(|e| e.to_string())?
            .filter(|g| g.usable_at(Utc::now()))
        else {
            eprintln!(
                "warden: {} is not held on this machine, so there is no grant to extend; ask for it with `warden elevation request {}`",
                plain(name),
                plain(name)
            );
            return Ok(EXIT_REFUSED);
        };
        let request = warden_core::ElevationRequest {
            name: name.to_string(),
            duration,
            justification: justification.to_string(),
            ticket,
            extends: Some(grant.request_id.clone()),
        };
        let (id, more) = match elevations.request(&request).await {
            Ok(sent) => sent,
            Err(e @ (CoreError::Elevation(_) | CoreError::NoElevation(_))) => {
                eprintln!("warden: {e}");
                return Ok(EXIT_REFUSED);
            }
            Err(e) => return Err(e.to_string()),
        };
        println!(
            "asked for {} more on {} (request {id}, extending grant {}, which runs on to {} meanwhile)",
            format_duration(more),
            plain(name),
            grant.request_id,
            until_text(grant.expires_at_ms)
        );
        let Some(timeout) = wait else {
            return Ok(0);
        };
        let progress = elevations
            .wait(&id, timeout, aws_elevation::WAIT_INTERVAL)
            .await
            .map_err(|e| e.to_string())?;
        Ok(say(name, &id, &progress))
    })
}

fn end_on_aws(home: &Home, workspace: Option<&str>, name: &str) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let elevations = AwsElevations::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        match elevations.end(name).await {
            Ok(Some(aws_elevation::Ended::Grant { request_id })) => {
                println!(
                    "{name} ended (grant {request_id}): the broker is told and its credentials are deleted from the keyring"
                );
                Ok(0)
            }
            Ok(Some(aws_elevation::Ended::Request { request_id })) => {
                println!("request {request_id} for {name} withdrawn");
                Ok(0)
            }
            Ok(None) => {
                eprintln!(
                    "warden: {name} is neither held nor waiting on this machine (see `warden elevation status`)"
                );
                Ok(EXIT_REFUSED)
            }
            Err(e) => {
                eprintln!("warden: {e}");
                Ok(EXIT_REFUSED)
            }
        }
    })
}

fn status_on_aws(home: &Home, workspace: Option<&str>) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let elevations = AwsElevations::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        let lines = elevations.requests().await.map_err(|e| e.to_string())?;
        let mut shown = std::collections::BTreeSet::new();
        for line in &lines {
            say(&line.name, &line.id, &line.progress);
            shown.insert(line.id.clone());
        }
        for grant in elevations.held_now().map_err(|e| e.to_string())? {
            if !shown.contains(&grant.request_id) {
                say(
                    &grant.name,
                    &grant.request_id,
                    &Progress::Held {
                        expires_at_ms: grant.expires_at_ms,
                    },
                );
                shown.insert(grant.request_id.clone());
            }
        }
        if shown.is_empty() {
            println!("no elevation requested or held from this machine");
        }
        Ok(0)
    })
}

fn revoke(home: &Home, workspace: Option<&str>, id: &str, reason: &str) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let queue = aws_queue::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        match aws_queue::revoke(&queue, id, reason).await {
            Ok(Revocation::Written(record)) => {
                println!(
                    "revoked {} of {} (request {id}) as {}; the broker ends it at its next pass",
                    plain(&record.name),
                    plain(&record.requester),
                    plain(&record.revoked_by)
                );
                Ok(0)
            }
            Ok(Revocation::EndedOwn(record)) => {
                println!(
                    "ended your own grant of {} (request {id}); the broker ends it at its next pass, and `warden elevation status` then deletes its credentials from this machine's keyring",
                    plain(&record.name)
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

/// `time` (ms since the epoch) as RFC 3339, or nothing for a time out of range.
fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// How long ago `ms` was, in whole minutes (seconds are noise to an approver).
fn age(ms: i64, now: chrono::DateTime<Utc>) -> String {
    let minutes = (now.timestamp_millis() - ms).max(0) / 60_000;
    if minutes == 0 {
        "under 1 min".into()
    } else {
        format_duration(std::time::Duration::from_secs(minutes as u64 * 60))
    }
}

fn list_on_aws(home: &Home, workspace: Option<&str>, format: InfoFormat) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let queue = aws_queue::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        let (open, damaged) = aws_queue::open_requests(&queue)
            .await
            .map_err(|e| e.to_string())?;
        for problem in &damaged {
            eprintln!("warden: {}", plain(problem));
        }
        let now = Utc::now();
        match format {
            InfoFormat::Json => {
                let list: Vec<json::OpenRequest> = open
                    .iter()
                    .map(|r| json::OpenRequest::of(r, now.timestamp_millis()))
                    .collect();
                json::print(&list)?
            }
            InfoFormat::Text if open.is_empty() => {
                println!("no requests are waiting for a decision")
            }
            InfoFormat::Text => {
                for r in &open {
                    // Requests are written by requesters: nothing in them may drive the terminal.
                    let ticket = r
                        .ticket
                        .as_deref()
                        .map(|t| format!("[{}] ", plain(t)))
                        .unwrap_or_default();
                    // An extension adds its duration to a held grant: say which, and its ends.
                    let extends = r
                        .extends
                        .as_ref()
                        .map(|x| match (x.ends_at_ms, x.would_end_at_ms) {
                            (Some(end), Some(then)) => format!(
                                "  (more time on grant {}: ends {}, would end {})",
                                plain(&x.id),
                                until_text(end),
                                until_text(then)
                            ),
                            _ => format!(
                                "  (more time on grant {}, which no longer holds)",
                                plain(&x.id)
                            ),
                        })
                        .unwrap_or_default();
                    println!(
                        "{}  {:<16} {:<8} {}  asked {} ago  {ticket}{}{extends}",
                        r.id,
                        plain(&r.name),
                        format_duration(std::time::Duration::from_secs(r.duration_s)),
                        plain(&r.requester),
                        age(r.requested_at_ms, now),
                        plain(&r.justification)
                    );
                }
            }
        }
        Ok(0)
    })
}

fn decide_on_aws(
    home: &Home,
    workspace: Option<&str>,
    id: &str,
    decision: Decision,
    reason: Option<&str>,
) -> Result<u8, String> {
    super::runtime()?.block_on(async {
        let queue = aws_queue::open(home, workspace)
            .await
            .map_err(|e| e.to_string())?;
        match aws_queue::decide(&queue, id, decision, reason).await {
            Ok(record) => {
                println!(
                    "{} {} for {} (request {id}) as {}; the broker judges it at its next pass",
                    record.decision.past_tense(),
                    plain(&record.name),
                    plain(&record.requester),
                    plain(&record.approver)
                );
                Ok(0)
            }
            Err(CoreError::Elevation(
                e @ (ElevationError::AlreadyDecided { .. } | ElevationError::SelfApproval { .. }),
            )) => {
                eprintln!("warden: {}", plain(&e.to_string()));
                Ok(EXIT_REFUSED)
            }
            Err(e) => Err(plain(&e.to_string())),
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
