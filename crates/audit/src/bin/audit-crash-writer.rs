//! Appends events to a journal as fast as it can and prints `ack SEQ HASH` for each one once
//! `append` has returned. The crash test kills it with SIGKILL and checks that every
//! acknowledged event survived.
//!
//! Usage: audit-crash-writer JOURNAL_PATH COUNT [BATCH]

use std::io::Write;
use std::process::ExitCode;

use warden_audit::{
    Actor, EngineRef, Journal, NewEvent, Payload, QueryContext, QueryFinished, SqlRecord,
    SqlTextMode, Verdict,
};

fn event(i: u64) -> NewEvent {
    NewEvent::new(
        "crash-test",
        Payload::QueryFinished(QueryFinished {
            query: QueryContext {
                sql: SqlRecord::new(
                    &format!("SELECT * FROM t WHERE id = {i}"),
                    SqlTextMode::Full,
                ),
                verdict: Verdict::Allow,
                rule_ids: vec![],
                active_elevations: vec![],
                bundle_revision: Some(1),
                parameters: None,
                database: None,
            },
            engine: EngineRef {
                engine: "demo".into(),
                query_id: Some(format!("q-{i}")),
                workgroup: None,
            },
            rows: i,
            bytes_scanned: i * 10,
            cost_micro_usd: None,
            duration_ms: 1,
        }),
    )
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: audit-crash-writer JOURNAL_PATH COUNT [BATCH]";
    let path = args.get(1).ok_or(usage)?;
    let count: u64 = args
        .get(2)
        .ok_or(usage)?
        .parse()
        .map_err(|e| format!("COUNT: {e}; {usage}"))?;
    let batch: u64 = match args.get(3) {
        Some(b) => b.parse().map_err(|e| format!("BATCH: {e}; {usage}"))?,
        None => 1,
    };
    let journal = Journal::open(path, Actor::from_os()).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut i = 0;
    while i < count {
        let events: Vec<NewEvent> = (i..(i + batch.max(1)).min(count)).map(event).collect();
        i += events.len() as u64;
        let recorded = journal.append_all(events).map_err(|e| e.to_string())?;
        for r in recorded {
            writeln!(out, "ack {} {}", r.seq, r.hash).map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("audit-crash-writer: {e}");
            ExitCode::from(2)
        }
    }
}
