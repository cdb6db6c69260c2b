//! Shared helpers for the integration tests: keys, policies, hand-made archives.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use warden_bundle::{build, keygen, public_path, PublicKey, SigningKey, TrustStore};

pub const POLICY: &str = "format: warden-policy/1\nname: finance\nrules: []\n";

pub fn policy_text(marker: &str) -> String {
    format!("format: warden-policy/1\nname: finance\n# {marker}\nrules: []\n")
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

pub struct Keys {
    pub dir: tempfile::TempDir,
    pub signing: SigningKey,
    pub trust: TrustStore,
    pub private_path: PathBuf,
}

pub fn keys() -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let private_path = dir.path().join("signing.key");
    keygen(&private_path).unwrap();
    let signing = SigningKey::from_file(&private_path).unwrap();
    let mut trust = TrustStore::new();
    trust.add(PublicKey::from_file(&public_path(&private_path)).unwrap());
    Keys {
        dir,
        signing,
        trust,
        private_path,
    }
}

pub fn bundle(keys: &Keys, revision: u64, policy: &str, now: DateTime<Utc>) -> Vec<u8> {
    build(
        policy.as_bytes(),
        None,
        revision,
        Duration::days(30),
        &keys.signing,
        now,
    )
    .unwrap()
}

/// Unpacks a bundle into (name, bytes) pairs, in archive order.
pub fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.push((name, data));
    }
    out
}

pub enum Raw<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Dir(&'a str),
}

/// Packs entries exactly as given, names unchecked, as an attacker would.
pub fn pack_raw(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, kind, data, link): (&str, tar::EntryType, &[u8], Option<&str>) = match entry {
            Raw::File(n, d) => (n, tar::EntryType::Regular, d, None),
            Raw::Symlink(n, t) => (n, tar::EntryType::Symlink, &[], Some(t)),
            Raw::HardLink(n, t) => (n, tar::EntryType::Link, &[], Some(t)),
            Raw::Dir(n) => (n, tar::EntryType::Directory, &[], None),
        };
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name = [0; 100];
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            gnu.linkname = [0; 100];
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// Repacks a bundle's entries after `edit` changed them.
pub fn repack(bytes: &[u8], edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
    let mut files = unpack(bytes);
    edit(&mut files);
    let raw: Vec<Raw<'_>> = files.iter().map(|(n, d)| Raw::File(n, d)).collect();
    pack_raw(&raw)
}
