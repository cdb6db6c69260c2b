//! Input is read through a bound: `--file /dev/zero` or a pasted 100 MB file must end in an
//! error, not in a process that reads forever.

use std::io::Read;
use std::path::Path;

/// SQL inputs larger than this are not read. Athena takes at most 262,144 bytes; texts up to
/// this bound are read so the guardrails can say that (`query_size`) with the real size.
pub const MAX_SQL_INPUT_BYTES: usize = 16 * warden_guardrails::MAX_QUERY_BYTES;

/// At most `limit` bytes from `reader`; more is an error naming `what`.
pub(crate) fn read(reader: impl Read, limit: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if bytes.len() > limit {
        return Err(format!(
            "{what} is larger than {limit} bytes, more than Warden reads: check the path, or split the input"
        ));
    }
    Ok(bytes)
}

pub(crate) fn read_file(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {what}: {e}"))?;
    read(file, limit, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_at_the_bound() {
        assert_eq!(read(&b"abc"[..], 3, "x").unwrap(), b"abc");
        let endless = std::io::repeat(0);
        let e = read(endless, 1024, "the SQL file /dev/zero").unwrap_err();
        assert!(e.contains("larger than 1024 bytes"), "{e}");
    }

    #[test]
    fn dev_zero_is_refused() {
        let e = read_file(Path::new("/dev/zero"), MAX_SQL_INPUT_BYTES, "the SQL file").unwrap_err();
        assert!(e.contains("larger than"), "{e}");
    }
}
