//! Writes rows to CSV or JSON one row at a time, so an export never holds the result: from the
//! disk-backed store one chunk at a time ([`ResultReader::export`]), or from any other source of
//! rows ([`RowExporter`]). [`write_atomically`] puts a file in place only once it is whole.

use std::io::Write;
use std::path::Path;

use crate::{ColumnInfo, Value};

use crate::{ResultReader, ResultsError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180: a header row, CRLF line ends, fields quoted when they hold `,` `"` CR or LF
    /// (quotes doubled). NULL is an empty field and empty text is `""`, so the two stay apart.
    Csv,
    /// One JSON array of objects keyed by column name in column order, one object per line;
    /// NULL is `null` and numbers stay numbers.
    Json,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// CSV only: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
    /// leading `'`, so a spreadsheet opening the file shows it as text instead of running it as
    /// a formula (CSV formula injection). Numbers are never changed: they cannot be formulas.
    pub formula_guard: bool,
}

impl ExportOptions {
    /// The safe default: formula guard on.
    pub fn new(format: ExportFormat) -> Self {
        Self {
            format,
            formula_guard: true,
        }
    }
}

fn export_err(e: std::io::Error) -> ResultsError {
    ResultsError::Output(e)
}

fn json_err(e: serde_json::Error) -> ResultsError {
    match e.io_error_kind() {
        Some(kind) => ResultsError::Output(std::io::Error::new(kind, e.to_string())),
        None => ResultsError::Export(e.to_string()),
    }
}

/// Starts a spreadsheet formula when a cell begins with it. A negative number written as text,
/// as engines write DECIMAL values (`-12.50`), is a number to a spreadsheet, not a formula: a
/// `'` would turn it into text that sums and sorts wrongly. `ui/src/copy.ts` holds the same rule.
fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_negative_number(text)
}

/// `-` then digits, with an optional `.` and more digits: `-7`, `-0.50`; not `-2+3` or `-.5`.
fn is_negative_number(text: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match text.strip_prefix('-') {
        Some(number) => match number.split_once('.') {
            Some((whole, fraction)) => digits(whole) && digits(fraction),
            None => digits(number),
        },
        None => false,
    }
}

fn csv_field(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    if text.is_empty() {
        out.write_all(b"\"\"")
    } else if text.contains([',', '"', '\n', '\r']) {
        out.write_all(b"\"")?;
        out.write_all(text.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(text.as_bytes())
    }
}

/// Writes the header, then each row as it is given, then the end: memory holds one row.
pub struct RowExporter<W: Write> {
    out: std::io::BufWriter<W>,
    options: ExportOptions,
    /// JSON object keys, already encoded.
    keys: Vec<String>,
    rows: u64,
}

impl<W: Write> RowExporter<W> {
    pub fn start(
        out: W,
        columns: &[ColumnInfo],
        options: ExportOptions,
    ) -> Result<Self, ResultsError> {
        let mut out = std::io::BufWriter::new(out);
        let mut keys = Vec::new();
        match options.format {
            ExportFormat::Csv => {
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",").map_err(export_err)?;
                    }
                    let name = if options.formula_guard && looks_like_formula(&c.name) {
                        format!("'{}", c.name)
                    } else {
                        c.name.clone()
                    };
                    csv_field(&mut out, &name).map_err(export_err)?;
                }
                out.write_all(b"\r\n").map_err(export_err)?;
            }
            ExportFormat::Json => {
                keys = columns
                    .iter()
                    .map(|c| serde_json::to_string(&c.name).map_err(json_err))
                    .collect::<Result<_, _>>()?;
                out.write_all(b"[").map_err(export_err)?;
            }
        }
        Ok(Self {
            out,
            options,
            keys,
            rows: 0,
        })
    }

    pub fn row(&mut self, row: &[Value]) -> Result<(), ResultsError> {
        let out = &mut self.out;
        match self.options.format {
            ExportFormat::Csv => {
                for (i, value) in row.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",").map_err(export_err)?;
                    }
                    match value {
                        Value::Null => {}
                        Value::Text(t) if self.options.formula_guard && looks_like_formula(t) => {
                            csv_field(out, &format!("'{t}")).map_err(export_err)?
                        }
                        Value::Text(t) => csv_field(out, t).map_err(export_err)?,
                        other => csv_field(out, &other.display()).map_err(export_err)?,
                    }
                }
                out.write_all(b"\r\n").map_err(export_err)?;
            }
            ExportFormat::Json => {
                out.write_all(if self.rows == 0 { b"\n{" } else { b",\n{" })
                    .map_err(export_err)?;
                for (i, (key, value)) in self.keys.iter().zip(row).enumerate() {
                    if i > 0 {
                        out.write_all(b",").map_err(export_err)?;
                    }
                    out.write_all(key.as_bytes()).map_err(export_err)?;
                    out.write_all(b":").map_err(export_err)?;
                    serde_json::to_writer(&mut *out, value).map_err(json_err)?;
                }
                out.write_all(b"}").map_err(export_err)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the document and flushes; returns the number of rows written.
    pub fn finish(mut self) -> Result<u64, ResultsError> {
        if self.options.format == ExportFormat::Json {
            self.out.write_all(b"\n]\n").map_err(export_err)?;
        }
        self.out.flush().map_err(export_err)?;
        Ok(self.rows)
    }
}

impl ResultReader {
    /// Exports every row, reading one chunk at a time and waiting for the chunks still to come;
    /// fails if the rows stopped arriving. Returns the number of rows.
    pub fn export(&self, out: impl Write, options: ExportOptions) -> Result<u64, ResultsError> {
        let mut exporter = RowExporter::start(out, self.columns(), options)?;
        self.for_each_row(|row| exporter.row(row))?;
        exporter.finish()
    }

    /// RFC 4180 CSV with the formula guard on (see [`ExportOptions`]).
    pub fn export_csv(&self, out: impl Write) -> Result<u64, ResultsError> {
        self.export(out, ExportOptions::new(ExportFormat::Csv))
    }
}

/// Writes a file through `write` into a temporary file beside `path`, synced, then, if `commit`
/// agrees (the caller records the export there), renamed over `path`: a reader never sees half
/// an export, and a failed or refused one leaves no file (nor replaces an earlier one).
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, ResultsError>,
    commit: impl FnOnce(&T) -> Result<(), ResultsError>,
) -> Result<T, ResultsError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        return Err(ResultsError::Export(format!(
            "{} names no file: give a file name",
            path.display()
        )));
    }
    // Refused before anything is written or recorded: the rename over a folder would fail only
    // after `commit` had recorded an export that never happened.
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(ResultsError::Export(format!(
            "{} is a folder: give the name of a file to write in it",
            path.display()
        )));
    }
    let mut file = tempfile::Builder::new()
        .prefix(".warden-export-")
        .tempfile_in(folder)
        .map_err(|e| {
            ResultsError::Export(format!(
                "cannot write in {}: {e}; pick a folder you can write to",
                folder.display()
            ))
        })?;
    let value = write(file.as_file_mut())?;
    file.as_file().sync_all().map_err(export_err)?;
    commit(&value)?;
    file.persist(path).map_err(|e| {
        ResultsError::Export(format!(
            "cannot put the file at {}: {}",
            path.display(),
            e.error
        ))
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &[&str]) -> Vec<ColumnInfo> {
        names
            .iter()
            .map(|n| ColumnInfo {
                name: n.to_string(),
                data_type: "varchar".into(),
            })
            .collect()
    }

    fn export(rows: &[Vec<Value>], options: ExportOptions) -> String {
        let mut out = Vec::new();
        let mut e = RowExporter::start(&mut out, &columns(&["a", "b"]), options).unwrap();
        for r in rows {
            e.row(r).unwrap();
        }
        assert_eq!(e.finish().unwrap(), rows.len() as u64);
        String::from_utf8(out).unwrap()
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn csv_quotes_per_rfc_4180_and_keeps_null_apart_from_empty() {
        let rows = vec![
            vec![text("plain"), text("a,b")],
            vec![text("say \"hi\""), text("two\r\nlines")],
            vec![Value::Null, text("")],
            vec![Value::Int(-5), Value::Float(1.5)],
            vec![Value::Bool(true), text("ünï ☃")],
        ];
        assert_eq!(
            export(&rows, ExportOptions::new(ExportFormat::Csv)),
            "a,b\r\nplain,\"a,b\"\r\n\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n,\"\"\r\n-5,1.5\r\ntrue,ünï ☃\r\n"
        );
    }

    #[test]
    fn csv_guards_text_that_a_spreadsheet_would_run_as_a_formula() {
        let rows = vec![
            vec![text("=HYPERLINK(\"http://x\",\"y\")"), text("+1")],
            vec![text("-2+3"), text("@SUM(A1)")],
            vec![text("\tx"), text("a=b")],
            vec![Value::Int(-7), Value::Float(-0.5)],
            vec![text("-12.50"), text("-12.5.0")],
            vec![text("-1e5"), text("-.5")],
        ];
        assert_eq!(
            export(&rows, ExportOptions::new(ExportFormat::Csv)),
            "a,b\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1\r\n'-2+3,'@SUM(A1)\r\n'\tx,a=b\r\n-7,-0.5\r\n-12.50,'-12.5.0\r\n'-1e5,'-.5\r\n"
        );
        let off = ExportOptions {
            format: ExportFormat::Csv,
            formula_guard: false,
        };
        assert!(export(&rows, off).starts_with("a,b\r\n\"=HYPERLINK("));
    }

    #[test]
    fn json_is_one_array_with_an_object_per_line() {
        let rows = vec![
            vec![Value::Int(1), Value::Null],
            vec![text("=1"), text("a\"b\n")],
        ];
        let json = export(&rows, ExportOptions::new(ExportFormat::Json));
        assert_eq!(
            json,
            "[\n{\"a\":1,\"b\":null},\n{\"a\":\"=1\",\"b\":\"a\\\"b\\n\"}\n]\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed[1]["a"], "=1", "JSON has no formulas to guard");
        let empty = export(&[], ExportOptions::new(ExportFormat::Json));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&empty).unwrap(),
            serde_json::json!([])
        );
    }

    #[test]
    fn a_failed_atomic_write_leaves_no_file_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let err = write_atomically(
            &path,
            |f| {
                f.write_all(b"half").unwrap();
                Err::<(), _>(ResultsError::Export("stopped".into()))
            },
            |_| Ok(()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("stopped"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        let refused = write_atomically(
            &path,
            |f| f.write_all(b"whole").map_err(export_err),
            |_| Err(ResultsError::Export("not recorded".into())),
        );
        assert!(refused.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "old",
            "refused: not put in place"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomically(
            &path,
            |f| f.write_all(b"new").map_err(export_err),
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let missing = dir.path().join("no-such-folder").join("x.csv");
        let err = write_atomically(&missing, |_| Ok(()), |_| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("pick a folder you can write to"),
            "{err}"
        );
    }

    #[test]
    fn a_folder_is_refused_before_the_export_is_written_or_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("out.d");
        std::fs::create_dir(&folder).unwrap();
        let mut written = false;
        let mut recorded = false;
        let err = write_atomically(
            &folder,
            |_| {
                written = true;
                Ok(())
            },
            |_| {
                recorded = true;
                Ok(())
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("is a folder"), "{err}");
        assert!(!written && !recorded, "nothing written, nothing recorded");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
