use chrono::Utc;
use warden_core::audit::{parse_kind, parse_since, verify_central_store};
use warden_core::Workspace;

use crate::args::{AuditCommand, Cli, InfoFormat};
use crate::json;
use crate::EXIT_REFUSED;

pub fn run(cli: &Cli, command: &AuditCommand) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let find =
        |name: &Option<String>| Workspace::find(&home, name.as_deref()).map_err(|e| e.to_string());
    match command {
        AuditCommand::Log {
            workspace,
            kinds,
            since,
            limit,
            format,
        } => {
            let audit = find(workspace)?.open_audit().map_err(|e| e.to_string())?;
            let kinds = kinds
                .iter()
                .map(|k| parse_kind(k))
                .collect::<Result<Vec<_>, _>>()?;
            let since = since
                .as_deref()
                .map(|t| parse_since(t, Utc::now()))
                .transpose()?;
            // The newest `limit` events, printed oldest first like any log.
            let mut events = audit
                .events(&kinds, since, *limit, limit.is_some())
                .map_err(|e| e.to_string())?;
            if limit.is_some() {
                events.reverse();
            }
            match format {
                InfoFormat::Json => json::print(
                    &events
                        .iter()
                        .map(json::AuditEvent::from)
                        .collect::<Vec<_>>(),
                )?,
                InfoFormat::Text => {
                    for e in &events {
                        println!(
                            "{:>6}  {}  {:<18}  {}  {}",
                            e.seq, e.at, e.kind, e.actor, e.summary
                        );
                    }
                }
            }
            Ok(0)
        }
        AuditCommand::Verify { workspace } => {
            let audit = find(workspace)?.open_audit().map_err(|e| e.to_string())?;
            let report = audit.verify().map_err(|e| e.to_string())?;
            match report.first_broken {
                None => {
                    println!(
                        "{} events, chain intact ({})",
                        report.events,
                        audit.journal_path().display()
                    );
                    Ok(0)
                }
                Some(seq) => {
                    eprintln!(
                        "warden: the audit journal is broken at sequence number {seq}: {} ({} events before it are intact)",
                        report.reason.as_deref().unwrap_or("the hash chain does not match"),
                        report.events
                    );
                    Ok(EXIT_REFUSED)
                }
            }
        }
        AuditCommand::Sync { workspace, to } => {
            let ws = find(workspace)?;
            let runtime = super::runtime()?;
            let audit = runtime
                .block_on(ws.open_audit_for_sync())
                .map_err(|e| e.to_string())?;
            match runtime.block_on(audit.sync(to.as_deref())) {
                Ok(report) => {
                    println!(
                        "synced {} events in {} new objects to {} ({} already there, {} retries); last synced sequence {}, {} pending",
                        report.events_synced,
                        report.objects_created,
                        report.store,
                        report.objects_already_present,
                        report.retries,
                        report.last_synced_seq,
                        report.pending
                    );
                    for tampering in &report.findings {
                        eprintln!("warden: warning: {tampering}");
                    }
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("warden: audit sync failed: {e}; nothing is lost, the next sync resumes where this one stopped");
                    Ok(EXIT_REFUSED)
                }
            }
        }
        AuditCommand::Status { workspace, format } => {
            let audit = find(workspace)?.open_audit().map_err(|e| e.to_string())?;
            let status = audit.status().map_err(|e| e.to_string())?;
            match format {
                InfoFormat::Json => json::print(&json::AuditStatus::from(&status))?,
                InfoFormat::Text => {
                    println!("journal:          {}", status.journal.display());
                    println!("device:           {}", status.device_id);
                    println!(
                        "events:           {} (last sequence {})",
                        status.events, status.last_seq
                    );
                    println!(
                        "store:            {}",
                        status.store.as_deref().unwrap_or("(none configured)")
                    );
                    println!("last synced seq:  {}", status.last_synced_seq);
                    println!("pending:          {}", status.pending);
                    println!(
                        "last success:     {}",
                        status.last_success.as_deref().unwrap_or("(never)")
                    );
                    if let Some(error) = &status.last_error {
                        println!(
                            "last error:       {error} (at {})",
                            status.last_error_at.as_deref().unwrap_or("?")
                        );
                    }
                }
            }
            Ok(0)
        }
        AuditCommand::VerifyStore { store, format } => {
            let report = super::runtime()?
                .block_on(verify_central_store(store))
                .map_err(|e| e.to_string())?;
            match format {
                InfoFormat::Json => {
                    json::print(&json::StoreReport {
                        store,
                        intact: report.is_intact(),
                        devices: report
                            .devices
                            .iter()
                            .map(|d| json::StoreDevice {
                                device: &d.device_id,
                                events: d.events,
                                objects: d.objects,
                                last_seq: d.last_seq,
                                writers: &d.principals,
                                reuploads: d.reuploads,
                            })
                            .collect(),
                        problems: report.problems.iter().map(|p| p.to_string()).collect(),
                    })?;
                }
                InfoFormat::Text => {
                    for d in &report.devices {
                        let writers = match d.principals.as_slice() {
                            [] => String::new(),
                            w => format!(", written by {}", w.join(", ")),
                        };
                        let reuploads = match d.reuploads {
                            0 => String::new(),
                            n => format!(" ({n} re-uploaded under another writer)"),
                        };
                        println!(
                            "device {}: {} events in {} objects, up to sequence {}{writers}{reuploads}",
                            d.device_id, d.events, d.objects, d.last_seq
                        );
                    }
                    for p in &report.problems {
                        eprintln!("warden: {p}");
                    }
                    if report.is_intact() {
                        println!(
                            "{store}: {} devices, every chain intact",
                            report.devices.len()
                        );
                    }
                }
            }
            Ok(if report.is_intact() { 0 } else { EXIT_REFUSED })
        }
    }
}
