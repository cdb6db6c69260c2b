//! How rows, statistics and diagnostics look on a terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use warden_core::{Execution, ResultSet, Value};

/// Set once standard output is found closed: nothing more is written to it.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to standard output; a reader that went away (EPIPE) ends the output quietly. Any other
/// write error is said once on stderr, then output stops.
pub fn out(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("warden: cannot write the output: {e}");
        }
    }
}

/// The result of writing a whole report to standard output: a closed pipe is not an error (the
/// reader had what it wanted), anything else is.
pub fn written(result: io::Result<()>, what: &str) -> Result<(), String> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other.map_err(|e| format!("cannot write the {what}: {e}")),
    }
}

pub fn summary_line(e: &Execution) -> String {
    let rows = e.result.len();
    format!(
        "{rows} row{} · {} scanned · {} ms · {} query {}",
        if rows == 1 { "" } else { "s" },
        warden_guardrails::human_size(e.bytes_scanned),
        e.duration.as_millis(),
        e.engine,
        e.query_id
    )
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        other => other.display().replace(['\n', '\r', '\t'], " "),
    }
}

pub fn write_table(out: &mut impl Write, e: &Execution) -> io::Result<()> {
    let rs = &e.result;
    let mut widths: Vec<usize> = rs.columns.iter().map(|c| c.name.chars().count()).collect();
    let rendered: Vec<Vec<String>> = rs
        .rows
        .iter()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    for row in &rendered {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |out: &mut dyn Write| -> io::Result<()> {
        let parts: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
        writeln!(out, "+{}+", parts.join("+"))
    };
    line(out)?;
    let header: Vec<String> = rs
        .columns
        .iter()
        .zip(&widths)
        .map(|(c, w)| format!(" {:<w$} ", c.name, w = w))
        .collect();
    writeln!(out, "|{}|", header.join("|"))?;
    line(out)?;
    for (row, values) in rendered.iter().zip(&rs.rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(values)
            .map(|((cell, w), v)| match v {
                Value::Int(_) | Value::Float(_) => format!(" {:>w$} ", cell, w = w),
                _ => format!(" {:<w$} ", cell, w = w),
            })
            .collect();
        writeln!(out, "|{}|", cells.join("|"))?;
    }
    line(out)?;
    writeln!(out, "{}", summary_line(e))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

pub fn write_csv(out: &mut impl Write, rs: &ResultSet) -> io::Result<()> {
    let header: Vec<String> = rs.columns.iter().map(|c| csv_field(&c.name)).collect();
    write!(out, "{}\r\n", header.join(","))?;
    for row in &rs.rows {
        let fields: Vec<String> = row.iter().map(|v| csv_field(&v.display())).collect();
        write!(out, "{}\r\n", fields.join(","))?;
    }
    Ok(())
}

pub fn write_json(out: &mut impl Write, e: &Execution) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &crate::json::QueryOutput::from(e))
        .map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
