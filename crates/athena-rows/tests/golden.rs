//! Golden files for the parser of Athena's result CSV (`tests/golden/NAME.csv`, DDL text
//! `NAME.txt`) against the rows they must give (`NAME.json`, `null` for NULL), read whole and
//! one byte at a time.

use std::path::Path;

use warden_athena_rows::{CsvError, CsvStream, Fields};

fn parse(bytes: &[u8], ddl: bool, chunk: usize) -> Vec<Fields> {
    let mut rows = Vec::new();
    let mut parser = if ddl {
        CsvStream::ddl_text()
    } else {
        CsvStream::csv()
    };
    let mut emit = |r: Fields| -> Result<(), CsvError> {
        rows.push(r);
        Ok(())
    };
    for part in bytes.chunks(chunk) {
        parser.feed(part, &mut emit).unwrap();
    }
    parser.finish(&mut emit).unwrap();
    rows
}

fn golden(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let (input, ddl) = match std::fs::read(dir.join(format!("{name}.csv"))) {
        Ok(b) => (b, false),
        Err(_) => (
            std::fs::read(dir.join(format!("{name}.txt"))).unwrap(),
            true,
        ),
    };
    let want: Vec<Fields> =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap();
    assert_eq!(parse(&input, ddl, input.len()), want, "{name} read whole");
    assert_eq!(parse(&input, ddl, 1), want, "{name} read a byte at a time");
}

#[test]
fn null_against_empty_string() {
    golden("nulls");
}

#[test]
fn doubled_quotes() {
    golden("quotes");
}

#[test]
fn newlines_inside_values() {
    golden("newlines");
}

#[test]
fn unicode_split_anywhere() {
    golden("unicode");
}

#[test]
fn ddl_text_without_header_or_quotes() {
    golden("ddl");
}
