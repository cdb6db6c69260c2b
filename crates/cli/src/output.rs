//! How rows, statistics and diagnostics look on a terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use warden_core::{
    Execution, ExportFormat, ExportOptions, ResultSet, ResultsError, RowExporter, Value,
};

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

/// RFC 4180 CSV through the same exporter as the window's Export, one row at a time: NULL is an
/// empty field, empty text `""`, and with `formula_guard` text that starts like a spreadsheet
/// formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`.
pub fn write_csv(out: &mut impl Write, rs: &ResultSet, formula_guard: bool) -> io::Result<()> {
    let options = ExportOptions {
        format: ExportFormat::Csv,
        formula_guard,
    };
    let written = RowExporter::start(&mut *out, &rs.columns, options).and_then(|mut csv| {
        for row in &rs.rows {
            csv.row(row)?;
        }
        csv.finish()
    });
    match written {
        Ok(_) => Ok(()),
        // Kept whole so that a closed pipe stays a closed pipe (`written`).
        Err(ResultsError::Output(e)) => Err(e),
        Err(other) => Err(io::Error::other(other.to_string())),
    }
}

pub fn write_json(out: &mut impl Write, e: &Execution) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &crate::json::QueryOutput::from(e))
        .map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_column(values: Vec<Value>) -> ResultSet {
        ResultSet {
            columns: vec![warden_core::ColumnInfo {
                name: "v".into(),
                data_type: "varchar".into(),
            }],
            rows: values.into_iter().map(|v| vec![v]).collect(),
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_guards_formulas_unless_told() {
        let rs = one_column(vec![
            Value::Text("plain".into()),
            Value::Text("a,b".into()),
            Value::Text("say \"hi\"".into()),
            Value::Text("=1+1".into()),
            Value::Int(-3),
        ]);
        let mut out = Vec::new();
        write_csv(&mut out, &rs, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "v\r\nplain\r\n\"a,b\"\r\n\"say \"\"hi\"\"\"\r\n'=1+1\r\n-3\r\n"
        );
        let mut out = Vec::new();
        write_csv(&mut out, &rs, false).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\r\n=1+1\r\n"));
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
        let rs = one_column(vec![Value::Text("x".repeat(10_000))]);
        let err = write_csv(&mut Closed, &rs, true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
