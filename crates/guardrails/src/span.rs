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

/// Maps sqlparser's 1-based line/column locations to full positions in one text.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, line_starts }
    }

    /// The position of a 1-based line and character column, clamped to the text.
    pub(crate) fn position(&self, line: u64, column: u64) -> Position {
        let line_idx = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[line_idx];
        let line_end = self.line_starts.get(line_idx + 1).copied().unwrap_or(self.text.len());
        let mut offset = start;
        let mut col = 1u64;
        for (i, ch) in self.text[start..line_end].char_indices() {
            if col >= column.max(1) || ch == '\n' {
                offset = start + i;
                break;
            }
            col += 1;
            offset = start + i + ch.len_utf8();
        }
        self.at_offset(offset)
    }

    /// The position of a UTF-8 byte offset (rounded down to a character boundary).
    pub(crate) fn at_offset(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx];
        let column = self.text[start..offset].chars().count() as u32 + 1;
        let utf16 = self.text[..offset].encode_utf16().count();
        Position { line: line_idx as u32 + 1, column, offset, utf16 }
    }

    pub(crate) fn span(&self, start: Position, end: Position) -> Span {
        Span { start, end }
    }

    pub(crate) fn whole(&self) -> Span {
        Span { start: self.at_offset(0), end: self.at_offset(self.text.len()) }
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
    }
}
