//! Exports a stored result to CSV or JSON Lines without loading it into memory.

use std::io::Write;

use warden_engine::Value;

use crate::{ResultReader, ResultsError};

fn csv_field(text: Option<&str>) -> String {
    match text {
        None => String::new(),
        Some("") => "\"\"".into(),
        Some(t) if t.contains([',', '"', '\n', '\r']) => format!("\"{}\"", t.replace('"', "\"\"")),
        Some(t) => t.to_string(),
    }
}

fn export_err(e: impl std::fmt::Display) -> ResultsError {
    ResultsError::Export(e.to_string())
}

impl ResultReader {
    /// RFC 4180 CSV with a header row and CRLF line ends. NULL is an empty field and empty
    /// text is `""`, so the two stay apart. Returns the number of rows.
    pub fn export_csv(&self, out: impl Write) -> Result<u64, ResultsError> {
        let mut out = std::io::BufWriter::new(out);
        let header: Vec<String> = self
            .columns()
            .iter()
            .map(|c| csv_field(Some(&c.name)))
            .collect();
        write!(out, "{}\r\n", header.join(",")).map_err(export_err)?;
        let rows = self.for_each_row(|row| {
            let fields: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Null => String::new(),
                    other => csv_field(Some(&other.display())),
                })
                .collect();
            write!(out, "{}\r\n", fields.join(",")).map_err(export_err)
        })?;
        out.flush().map_err(export_err)?;
        Ok(rows)
    }

    /// One JSON object per line, keyed by column name in column order; NULL is `null`.
    /// Returns the number of rows.
    pub fn export_json_lines(&self, out: impl Write) -> Result<u64, ResultsError> {
        let mut out = std::io::BufWriter::new(out);
        let keys: Vec<String> = self
            .columns()
            .iter()
            .map(|c| serde_json::to_string(&c.name).map_err(export_err))
            .collect::<Result<_, _>>()?;
        let rows = self.for_each_row(|row| {
            let mut line = String::from("{");
            for (i, (key, value)) in keys.iter().zip(row).enumerate() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str(key);
                line.push(':');
                line.push_str(&serde_json::to_string(value).map_err(export_err)?);
            }
            line.push_str("}\n");
            out.write_all(line.as_bytes()).map_err(export_err)
        })?;
        out.flush().map_err(export_err)?;
        Ok(rows)
    }
}
