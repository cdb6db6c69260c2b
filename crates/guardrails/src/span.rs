use serde::Serialize;

/// A place in the SQL text. `line` and `column` are 1-based and count characters, as editors
/// and compilers print them; `offset` is the UTF-8 byte offset and `utf16` the UTF-16 code unit
/// offset that CodeMirror works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
    pub utf16: usize,
}

/// A half-open range `[start, end)` of the SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

struct Line {
    start: usize,
    /// UTF-16 offset of the line's first character.
    utf16: usize,
    /// ASCII lines map columns to offsets by arithmetic; a long generated line stays cheap.
    ascii: bool,
}

/// Maps sqlparser's 1-based line/column locations to full positions in one text.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    lines: Vec<Line>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        let mut utf16 = 0;
        for piece in text.split_inclusive('\n') {
            let ascii = piece.is_ascii();
            lines.push(Line {
                start,
                utf16,
                ascii,
            });
            utf16 += if ascii {
                piece.len()
            } else {
                piece.encode_utf16().count()
            };
            start += piece.len();
        }
        if lines.is_empty() || text.ends_with('\n') {
            lines.push(Line {
                start,
                utf16,
                ascii: true,
            });
        }
        Self { text, lines }
    }

    fn line_end(&self, i: usize) -> usize {
        self.lines
            .get(i + 1)
            .map(|l| l.start)
            .unwrap_or(self.text.len())
    }

    /// The position of a 1-based line and character column, clamped to the text.
    pub(crate) fn position(&self, line: u64, column: u64) -> Position {
        let i = (line.max(1) as usize - 1).min(self.lines.len() - 1);
        let l = &self.lines[i];
        let end = self.line_end(i);
        let body_end = if self.text[l.start..end].ends_with('\n') {
            end - 1
        } else {
            end
        };
        let col = column.max(1) as usize - 1;
        let offset = if l.ascii {
            (l.start + col).min(body_end)
        } else {
            self.text[l.start..body_end]
                .char_indices()
                .nth(col)
                .map(|(o, _)| l.start + o)
                .unwrap_or(body_end)
        };
        self.at_offset(offset)
    }

    /// The position of a UTF-8 byte offset (rounded down to a character boundary).
    pub(crate) fn at_offset(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let i = match self.lines.binary_search_by(|l| l.start.cmp(&offset)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let l = &self.lines[i];
        let (column, utf16) = if l.ascii {
            (offset - l.start, l.utf16 + offset - l.start)
        } else {
            let part = &self.text[l.start..offset];
            (part.chars().count(), l.utf16 + part.encode_utf16().count())
        };
        Position {
            line: i as u32 + 1,
            column: column as u32 + 1,
            offset,
            utf16,
        }
    }

    pub(crate) fn span(&self, start: Position, end: Position) -> Span {
        Span { start, end }
    }

    pub(crate) fn whole(&self) -> Span {
        Span {
            start: self.at_offset(0),
            end: self.at_offset(self.text.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let text = "SELECT 'é😀', x\nFROM t";
        let idx = LineIndex::new(text);
        let p = idx.position(1, 14);
        assert_eq!(&text[p.offset..p.offset + 1], "x");
        assert_eq!(p.column, 14);
        // 'é' is one UTF-16 unit, the emoji two.
        assert_eq!(p.utf16, 14);
        let q = idx.position(2, 6);
        assert_eq!(&text[q.offset..], "t");
        assert_eq!(q.line, 2);
        assert_eq!(q.utf16, text[..q.offset].encode_utf16().count());
    }

    #[test]
    fn positions_clamp_to_the_text() {
        let idx = LineIndex::new("ab\ncd\n");
        assert_eq!(idx.position(1, 99).offset, 2);
        assert_eq!(idx.position(9, 1).line, 3);
        assert_eq!(idx.at_offset(99).offset, 6);
        let empty = LineIndex::new("");
        assert_eq!(empty.whole().end.offset, 0);
    }

    #[test]
    fn every_offset_agrees_with_a_direct_count() {
        let text = "é\n😀x\r\nab\tc";
        let idx = LineIndex::new(text);
        for (offset, _) in text.char_indices() {
            let p = idx.at_offset(offset);
            assert_eq!(p.utf16, text[..offset].encode_utf16().count());
            assert_eq!(idx.position(p.line as u64, p.column as u64).offset, offset);
        }
    }
}
