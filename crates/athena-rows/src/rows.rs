//! Rows into the result store, each value typed by its column's Athena type.

use warden_results::{ResultWriter, ResultsError};

use crate::csv::{CsvError, CsvStream, Fields};
use crate::kind::Kind;

/// Why a row could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// The result file is not what Athena writes.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The result store refused the row (full, withdrawn, or a row of the wrong width).
    #[error(transparent)]
    Store(#[from] ResultsError),
}

/// Typed rows into a result: the column kinds are read once from the writer's columns.
pub struct Rows<'w> {
    writer: &'w mut ResultWriter,
    kinds: Vec<Kind>,
}

impl<'w> Rows<'w> {
    pub fn new(writer: &'w mut ResultWriter) -> Self {
        let kinds = writer
            .columns()
            .iter()
            .map(|c| Kind::of(&c.data_type))
            .collect();
        Rows { writer, kinds }
    }

    /// Stores one row of text values (`None` for NULL). A row of another width than the
    /// result's is refused as the store refuses it, never cut or padded to fit.
    pub fn push(&mut self, fields: Fields) -> Result<(), RowError> {
        if fields.len() != self.kinds.len() {
            return Err(RowError::Store(ResultsError::RowWidth {
                expected: self.kinds.len(),
                got: fields.len(),
            }));
        }
        let row = fields
            .into_iter()
            .zip(&self.kinds)
            .map(|(text, kind)| kind.value(text))
            .collect();
        self.writer.push(row).map_err(RowError::Store)
    }
}

/// A result file streamed into a result, in chunks of any size as they arrive.
pub struct CsvRows<'w> {
    rows: Rows<'w>,
    parser: CsvStream,
    header_left: bool,
}

impl<'w> CsvRows<'w> {
    /// The `.csv` result of a query; its first row, the header, is not stored.
    pub fn csv(writer: &'w mut ResultWriter) -> Self {
        CsvRows {
            rows: Rows::new(writer),
            parser: CsvStream::csv(),
            header_left: true,
        }
    }

    /// The `.txt` result of a DDL statement: tab-separated, no quoting, no header.
    pub fn ddl_text(writer: &'w mut ResultWriter) -> Self {
        CsvRows {
            rows: Rows::new(writer),
            parser: CsvStream::ddl_text(),
            header_left: false,
        }
    }

    /// Stores every row the next bytes complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), RowError> {
        let CsvRows {
            rows,
            parser,
            header_left,
        } = self;
        parser.feed(bytes, &mut |fields| store(rows, header_left, fields))
    }

    /// The end of the file: stores a last row without a line end, refuses a file that ends
    /// inside a quoted value.
    pub fn finish(self) -> Result<(), RowError> {
        let CsvRows {
            mut rows,
            parser,
            mut header_left,
        } = self;
        parser
            .finish(&mut |fields| store(&mut rows, &mut header_left, fields))
            .map(|_rows| ())
    }
}

fn store(rows: &mut Rows<'_>, header_left: &mut bool, fields: Fields) -> Result<(), RowError> {
    if std::mem::take(header_left) {
        return Ok(());
    }
    rows.push(fields)
}

#[cfg(test)]
mod tests {
    use warden_engine::{ColumnInfo, Value};

    use super::*;

    fn columns() -> Vec<ColumnInfo> {
        [("id", "bigint"), ("name", "varchar"), ("score", "double")]
            .into_iter()
            .map(|(name, t)| ColumnInfo {
                name: name.into(),
                data_type: t.into(),
            })
            .collect()
    }

    fn stored(chunk: usize, bytes: &[u8], ddl: bool) -> Result<Vec<Vec<Value>>, RowError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut writer, reader) = warden_results::create(dir.path(), columns()).expect("store");
        let mut rows = if ddl {
            CsvRows::ddl_text(&mut writer)
        } else {
            CsvRows::csv(&mut writer)
        };
        for part in bytes.chunks(chunk) {
            rows.feed(part)?;
        }
        rows.finish()?;
        writer.finish().expect("finished");
        Ok(reader.all_rows().expect("rows"))
    }

    #[test]
    fn a_csv_result_is_stored_typed_without_its_header_in_chunks_of_any_size() {
        let csv = b"\"id\",\"name\",\"score\"\n\"1\",\"a, \"\"b\"\"\",\"1.5\"\n\"2\",,\"NaN\"\n\"3\",\"\",";
        for chunk in [1, 2, 7, csv.len()] {
            let rows = stored(chunk, csv, false).expect("stored");
            assert_eq!(rows.len(), 3, "chunks of {chunk}");
            assert_eq!(
                rows[0],
                vec![
                    Value::Int(1),
                    Value::Text("a, \"b\"".into()),
                    Value::Float(1.5)
                ]
            );
            assert_eq!(rows[1][0], Value::Int(2));
            assert_eq!(rows[1][1], Value::Null);
            assert!(matches!(rows[1][2], Value::Float(f) if f.is_nan()));
            // An empty quoted value is empty text, an empty unquoted one NULL.
            assert_eq!(
                rows[2],
                vec![Value::Int(3), Value::Text(String::new()), Value::Null]
            );
        }
    }

    #[test]
    fn ddl_text_has_no_header_and_every_row_is_stored() {
        let rows = stored(3, b"1\tx\t2.0\n2\ty\t3.0\n", true).expect("stored");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            vec![Value::Int(2), Value::Text("y".into()), Value::Float(3.0)]
        );
    }

    #[test]
    fn a_row_of_another_width_or_a_broken_file_is_refused_with_the_reason() {
        let narrow = stored(64, b"\"id\",\"name\",\"score\"\n\"1\",\"a\"\n", false)
            .expect_err("two fields for three columns");
        assert!(
            matches!(
                narrow,
                RowError::Store(ResultsError::RowWidth {
                    expected: 3,
                    got: 2
                })
            ),
            "{narrow:?}"
        );
        let truncated = stored(64, b"\"id\",\"name\",\"score\"\n\"1\",\"a", false)
            .expect_err("ends inside a quoted value");
        assert!(
            matches!(truncated, RowError::Csv(CsvError::Truncated { .. })),
            "{truncated:?}"
        );
        assert!(truncated.to_string().contains("ends inside a quoted value"));
    }
}
