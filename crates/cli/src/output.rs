//! How rows, statistics and diagnostics look on a terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use warden_core::{Execution, ExportFormat, ExportOptions, ResultReader, ResultsError, Value};

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

/// A table sized to its widest cells: the stored result is read twice, one chunk file at a
/// time (once for the widths, once to print), so a large result never sits in memory.
pub fn write_table(out: &mut impl Write, e: &Execution) -> io::Result<()> {
    let rs = &e.result;
    let mut widths: Vec<usize> = rs
        .columns()
        .iter()
        .map(|c| c.name.chars().count())
        .collect();
    rs.for_each_row(|row| {
        for (i, v) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell_text(v).chars().count());
            }
        }
        Ok(())
    })
    .map_err(io_error)?;
    let line = |out: &mut dyn Write| -> io::Result<()> {
        let parts: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
        writeln!(out, "+{}+", parts.join("+"))
    };
    line(out)?;
    let header: Vec<String> = rs
        .columns()
        .iter()
        .zip(&widths)
        .map(|(c, w)| format!(" {:<w$} ", c.name, w = w))
        .collect();
    writeln!(out, "|{}|", header.join("|"))?;
    line(out)?;
    let mut failed = None;
    let printed = rs.for_each_row(|row| {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(v, w)| match v {
                Value::Int(_) | Value::Float(_) => format!(" {:>w$} ", cell_text(v), w = w),
                _ => format!(" {:<w$} ", cell_text(v), w = w),
            })
            .collect();
        writeln!(out, "|{}|", cells.join("|")).map_err(|e| {
            failed = Some(e);
            ResultsError::Export("the output stopped".into())
        })
    });
    if let Some(e) = failed {
        return Err(e);
    }
    printed.map_err(io_error)?;
    line(out)?;
    writeln!(out, "{}", summary_line(e))
}

/// Kept whole when it is the output's own error, so that a closed pipe stays a closed pipe
/// (`written`).
fn io_error(e: ResultsError) -> io::Error {
    match e {
        ResultsError::Output(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// RFC 4180 CSV through the same exporter as the window's Export, one row at a time read from
/// the stored result: NULL is an empty field, empty text `""`, and with `formula_guard` text
/// that starts like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`.
pub fn write_csv(out: &mut impl Write, rs: &ResultReader, formula_guard: bool) -> io::Result<()> {
    let options = ExportOptions {
        format: ExportFormat::Csv,
        formula_guard,
    };
    rs.export(&mut *out, options).map(|_| ()).map_err(io_error)
}

/// The JSON document, its rows streamed from the stored result as they are encoded.
pub fn write_json(out: &mut impl Write, e: &Execution) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &crate::json::QueryOutput::from(e)).map_err(
        |e| match e.io_error_kind() {
            Some(kind) => io::Error::new(kind, e.to_string()),
            None => io::Error::other(e.to_string()),
        },
    )?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_column(dir: &std::path::Path, values: Vec<Value>) -> ResultReader {
        warden_results::from_rows(
            dir,
            vec![warden_core::ColumnInfo {
                name: "v".into(),
                data_type: "varchar".into(),
            }],
            values.into_iter().map(|v| vec![v]),
        )
        .expect("stored")
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_guards_formulas_unless_told() {
        let dir = tempfile::tempdir().unwrap();
        // Text that starts like a formula is guarded; a negative number is a number.
        let rs = warden_results::from_rows(
            dir.path(),
            vec![
                warden_core::ColumnInfo {
                    name: "v".into(),
                    data_type: "varchar".into(),
                },
                warden_core::ColumnInfo {
                    name: "n".into(),
                    data_type: "bigint".into(),
                },
            ],
            [("plain", 1), ("a,b", 2), ("say \"hi\"", 3), ("=1+1", -3)]
                .map(|(v, n)| vec![Value::Text(v.into()), Value::Int(n)]),
        )
        .expect("stored");
        let mut out = Vec::new();
        write_csv(&mut out, &rs, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "v,n\r\nplain,1\r\n\"a,b\",2\r\n\"say \"\"hi\"\"\",3\r\n'=1+1,-3\r\n"
        );
        let mut out = Vec::new();
        write_csv(&mut out, &rs, false).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\r\n=1+1,-3\r\n"));
    }

    #[test]
    fn a_closed_pipe_stays_a_closed_pipe() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let rs = one_column(dir.path(), vec![Value::Text("x".repeat(10_000))]);
        let err = write_csv(&mut Closed, &rs, true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
