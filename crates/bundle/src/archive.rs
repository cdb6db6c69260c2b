//! The `.tar.gz` container: written deterministically, read defensively.
//!
//! Reading never touches the file system: entries are unpacked into memory, under a cap on the
//! total unpacked size and on the entry count, so a hostile archive can neither escape nor
//! exhaust the machine.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Component;
use std::rc::Rc;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use crate::error::BundleError;

/// Caps applied while unpacking a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Total bytes of tar data after decompression (headers included).
    pub max_unpacked_bytes: u64,
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_unpacked_bytes: 16 * 1024 * 1024,
            max_entries: 16,
        }
    }
}

/// Writes the given files, in the given order, as a reproducible `.tar.gz`.
pub(crate) fn write(files: &[(&str, &[u8])]) -> Result<Vec<u8>, BundleError> {
    let io = |e: std::io::Error| BundleError::NotAnArchive {
        reason: format!("could not write the archive: {e}"),
    };
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::default()));
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        tar.append_data(&mut header, name, *bytes).map_err(io)?;
    }
    tar.into_inner().map_err(io)?.finish().map_err(io)
}

/// Reads every entry into memory. Only regular files with a plain one-component name are allowed.
pub(crate) fn read(
    bytes: &[u8],
    limits: &Limits,
) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let not_archive = |e: std::io::Error| BundleError::NotAnArchive {
        reason: e.to_string(),
    };
    // One byte past the cap, so that reaching it can be told apart from ending exactly at it.
    let capped = GzDecoder::new(bytes).take(limits.max_unpacked_bytes.saturating_add(1));
    let count = Rc::new(Cell::new(0u64));
    let mut counter = CountingReader {
        inner: capped,
        count: Rc::clone(&count),
    };
    let too_large_or = |e: std::io::Error| {
        if count.get() > limits.max_unpacked_bytes {
            BundleError::ArchiveTooLarge {
                limit: limits.max_unpacked_bytes,
            }
        } else {
            BundleError::NotAnArchive {
                reason: e.to_string(),
            }
        }
    };
    let mut out = BTreeMap::new();
    {
        let mut archive = tar::Archive::new(&mut counter);
        let entries = archive.entries().map_err(not_archive)?;
        for (index, entry) in entries.enumerate() {
            if index >= limits.max_entries {
                return Err(BundleError::TooManyEntries {
                    limit: limits.max_entries,
                });
            }
            let mut entry = entry.map_err(too_large_or)?;
            let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                return Err(BundleError::LinkOrSpecialEntry {
                    entry: raw_name,
                    kind: "link".into(),
                });
            }
            let name = plain_name(&raw_name).ok_or_else(|| BundleError::PathTraversal {
                entry: raw_name.clone(),
            })?;
            if !matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
                return Err(BundleError::LinkOrSpecialEntry {
                    entry: raw_name,
                    kind: entry_kind(kind),
                });
            }
            if entry.size() > limits.max_unpacked_bytes {
                return Err(BundleError::ArchiveTooLarge {
                    limit: limits.max_unpacked_bytes,
                });
            }
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut data).map_err(too_large_or)?;
            if out.insert(name.clone(), data).is_some() {
                return Err(BundleError::DuplicateEntry { entry: name });
            }
        }
    }
    // Data after the end-of-archive marker is ignored by tar; drain it so it counts against the cap.
    let _ = std::io::copy(&mut counter, &mut std::io::sink());
    if count.get() > limits.max_unpacked_bytes {
        return Err(BundleError::ArchiveTooLarge {
            limit: limits.max_unpacked_bytes,
        });
    }
    Ok(out)
}

fn plain_name(raw: &str) -> Option<String> {
    let path = std::path::Path::new(raw);
    let mut components = path.components();
    let first = components.next()?;
    if components.next().is_some() || raw.contains('\\') {
        return None;
    }
    match first {
        Component::Normal(name) => name.to_str().map(str::to_string),
        _ => None,
    }
}

fn entry_kind(kind: tar::EntryType) -> String {
    match kind {
        tar::EntryType::Directory => "directory".into(),
        tar::EntryType::Char | tar::EntryType::Block => "device".into(),
        tar::EntryType::Fifo => "named pipe".into(),
        other => format!("special entry ({other:?})"),
    }
}

struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_names_and_bytes() {
        let bytes = write(&[("a", b"one"), ("b", b"two")]).unwrap();
        let files = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(files.get("a").map(Vec::as_slice), Some(&b"one"[..]));
        assert_eq!(files.get("b").map(Vec::as_slice), Some(&b"two"[..]));
        assert_eq!(
            write(&[("a", b"one"), ("b", b"two")]).unwrap(),
            bytes,
            "writing is reproducible"
        );
    }

    #[test]
    fn plain_names_only() {
        assert_eq!(plain_name("policy.yaml").as_deref(), Some("policy.yaml"));
        for bad in [
            "./policy.yaml",
            "../x",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "..",
            "",
        ] {
            assert_eq!(plain_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn garbage_is_not_an_archive() {
        assert!(matches!(
            read(b"not gzip at all", &Limits::default()),
            Err(BundleError::NotAnArchive { .. })
        ));
    }
}
