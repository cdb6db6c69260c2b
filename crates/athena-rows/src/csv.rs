//! A streaming parser for the CSV Athena writes to `<QueryExecutionId>.csv`: a header row, every
//! non-NULL value in double quotes with quotes doubled, newlines allowed inside quotes, and NULL
//! as an empty field without quotes. General CSV readers cannot tell NULL from an empty string
//! (both read as ""), so this one keeps the quoting: `None` is NULL, `Some("")` is empty text.
//!
//! Bytes arrive in chunks of any size (a chunk may end inside a value or a UTF-8 character);
//! only the row being read is held in memory.

/// One parsed row: `None` for NULL.
pub type Fields = Vec<Option<String>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the result file is not valid CSV at row {row}: {what}")]
    Malformed { row: u64, what: &'static str },
    #[error("the result file is not UTF-8 at row {row}")]
    NotUtf8 { row: u64 },
    #[error("the result file ends inside a quoted value at row {row}")]
    Truncated { row: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (after a delimiter or at the start of a row).
    FieldStart,
    Unquoted,
    Quoted,
    /// Saw `"` inside a quoted field: a doubled quote or the end of the value.
    QuoteInQuoted,
    /// Saw `\r` outside quotes: only `\n` may follow.
    AfterCr,
}

/// Streaming CSV (`,` delimited) or DDL text (tab delimited, no quoting) parser.
#[derive(Debug)]
pub struct CsvStream {
    delimiter: u8,
    quoting: bool,
    state: State,
    field: Vec<u8>,
    quoted: bool,
    row: Fields,
    rows: u64,
    /// Longest value accepted, so a malformed file cannot grow one field without bound.
    max_field: usize,
}

/// Athena caps a VARCHAR far below this; a bigger field means the file is not what we expect.
const MAX_FIELD_BYTES: usize = 64 << 20;

impl CsvStream {
    /// The `.csv` result of a query.
    pub fn csv() -> Self {
        Self::new(b',', true)
    }

    /// The `.txt` result of a DDL statement: tab-separated, no quoting, no header.
    pub fn ddl_text() -> Self {
        Self::new(b'\t', false)
    }

    fn new(delimiter: u8, quoting: bool) -> Self {
        Self {
            delimiter,
            quoting,
            state: State::FieldStart,
            field: Vec::new(),
            quoted: false,
            row: Vec::new(),
            rows: 0,
            max_field: MAX_FIELD_BYTES,
        }
    }

    /// Rows completed so far (the header counts as one).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn malformed(&self, what: &'static str) -> CsvError {
        CsvError::Malformed {
            row: self.rows + 1,
            what,
        }
    }

    fn end_field(&mut self) -> Result<(), CsvError> {
        let bytes = std::mem::take(&mut self.field);
        let value = if bytes.is_empty() && !self.quoted {
            None
        } else {
            Some(String::from_utf8(bytes).map_err(|_| CsvError::NotUtf8 { row: self.rows + 1 })?)
        };
        self.quoted = false;
        self.row.push(value);
        Ok(())
    }

    fn end_row<E: From<CsvError>>(
        &mut self,
        emit: &mut impl FnMut(Fields) -> Result<(), E>,
    ) -> Result<(), E> {
        self.end_field()?;
        self.rows += 1;
        emit(std::mem::take(&mut self.row))
    }

    fn push(&mut self, byte: u8) -> Result<(), CsvError> {
        if self.field.len() >= self.max_field {
            return Err(self.malformed("a value is longer than 64 MiB"));
        }
        self.field.push(byte);
        Ok(())
    }

    /// Parses the next bytes, calling `emit` for every row they complete.
    pub fn feed<E: From<CsvError>>(
        &mut self,
        bytes: &[u8],
        emit: &mut impl FnMut(Fields) -> Result<(), E>,
    ) -> Result<(), E> {
        for &b in bytes {
            match self.state {
                State::FieldStart | State::Unquoted => {
                    if b == self.delimiter {
                        self.end_field()?;
                        self.state = State::FieldStart;
                    } else if b == b'\n' {
                        self.end_row(emit)?;
                        self.state = State::FieldStart;
                    } else if b == b'\r' {
                        self.state = State::AfterCr;
                    } else if b == b'"' && self.quoting && self.state == State::FieldStart {
                        self.quoted = true;
                        self.state = State::Quoted;
                    } else if b == b'"' && self.quoting {
                        return Err(self.malformed("a quote inside an unquoted value").into());
                    } else {
                        self.push(b)?;
                        self.state = State::Unquoted;
                    }
                }
                State::Quoted => {
                    if b == b'"' {
                        self.state = State::QuoteInQuoted;
                    } else {
                        self.push(b)?;
                    }
                }
                State::QuoteInQuoted => {
                    if b == b'"' {
                        self.push(b'"')?;
                        self.state = State::Quoted;
                    } else if b == self.delimiter {
                        self.end_field()?;
                        self.state = State::FieldStart;
                    } else if b == b'\n' {
                        self.end_row(emit)?;
                        self.state = State::FieldStart;
                    } else if b == b'\r' {
                        self.state = State::AfterCr;
                    } else {
                        return Err(self.malformed("text after a closing quote").into());
                    }
                }
                State::AfterCr => {
                    if b != b'\n' {
                        return Err(self.malformed("a carriage return outside quotes").into());
                    }
                    self.end_row(emit)?;
                    self.state = State::FieldStart;
                }
            }
        }
        Ok(())
    }

    /// The end of the file: completes a last row without a line break, refuses a file cut
    /// inside a quoted value.
    pub fn finish<E: From<CsvError>>(
        mut self,
        emit: &mut impl FnMut(Fields) -> Result<(), E>,
    ) -> Result<u64, E> {
        match self.state {
            State::Quoted => return Err(CsvError::Truncated { row: self.rows + 1 }.into()),
            State::AfterCr => self.end_row(emit)?,
            State::FieldStart if self.row.is_empty() && !self.quoted => {}
            _ => self.end_row(emit)?,
        }
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(text: &[u8], chunk: usize) -> Result<Vec<Fields>, CsvError> {
        let mut rows = Vec::new();
        let mut p = CsvStream::csv();
        let mut emit = |r: Fields| -> Result<(), CsvError> {
            rows.push(r);
            Ok(())
        };
        for part in text.chunks(chunk.max(1)) {
            p.feed(part, &mut emit)?;
        }
        p.finish(&mut emit)?;
        Ok(rows)
    }

    #[test]
    fn null_is_unquoted_empty_and_empty_text_is_quoted() {
        let rows = parse_in_chunks(b"\"a\",\"b\",\"c\"\n,\"\",\"x\"\n", 1).unwrap();
        assert_eq!(rows[1], vec![None, Some(String::new()), Some("x".into())]);
    }

    #[test]
    fn every_chunking_gives_the_same_rows() {
        let text = "\"h\",\"é\"\n\"a \"\"q\"\"\",\"line\nbreak, ünï\"\n,\n".as_bytes();
        let whole = parse_in_chunks(text, text.len()).unwrap();
        for size in 1..text.len() {
            assert_eq!(
                parse_in_chunks(text, size).unwrap(),
                whole,
                "chunk size {size}"
            );
        }
        assert_eq!(whole[1][0].as_deref(), Some("a \"q\""));
        assert_eq!(whole[1][1].as_deref(), Some("line\nbreak, ünï"));
        assert_eq!(whole[2], vec![None, None]);
    }

    #[test]
    fn bad_files_say_where_and_what() {
        assert_eq!(
            parse_in_chunks(b"\"a\"\n\"b\"x\n", 3)
                .unwrap_err()
                .to_string(),
            "the result file is not valid CSV at row 2: text after a closing quote"
        );
        assert_eq!(
            parse_in_chunks(b"\"a\"\n\"open", 3).unwrap_err(),
            CsvError::Truncated { row: 2 }
        );
        assert_eq!(
            parse_in_chunks(b"\"a\"\n\"\xff\"\n", 3).unwrap_err(),
            CsvError::NotUtf8 { row: 2 }
        );
    }

    #[test]
    fn ddl_text_is_tab_separated_without_quoting() {
        let mut rows = Vec::new();
        let mut p = CsvStream::ddl_text();
        let mut emit = |r: Fields| -> Result<(), CsvError> {
            rows.push(r);
            Ok(())
        };
        p.feed(b"id\tbigint\t\nsay \"hi\"\tvarchar\tnote\n", &mut emit)
            .unwrap();
        p.finish(&mut emit).unwrap();
        assert_eq!(
            rows[0],
            vec![Some("id".into()), Some("bigint".into()), None]
        );
        assert_eq!(rows[1][0].as_deref(), Some("say \"hi\""));
    }
}
