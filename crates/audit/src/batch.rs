//! Store objects: `audit/v1/dt=YYYY-MM-DD/principal=USERID/device=ID/FIRSTSEQ-LASTSEQ.jsonl.gz`,
//! one canonical JSON event per line, gzip-compressed. All events of an object fall on the
//! object's UTC day. `USERID` is the writer's `aws:userid` (STS `GetCallerIdentity`'s `UserId`;
//! `ROLEID:session-name` for a role session), so that a bucket policy can confine each writer to
//! its own keys (`deploy/warden-aws.yaml`); a folder store writes as [`LOCAL_PRINCIPAL`].
//! Objects written before the principal was part of the key
//! (`audit/v1/dt=YYYY-MM-DD/device=ID/...`) are still read.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::event::EventLine;

pub(crate) const KEY_ROOT: &str = "audit/v1/";

/// The principal a store without IAM (a local or shared folder) writes as.
pub const LOCAL_PRINCIPAL: &str = "local";

/// Longest principal accepted in a key (a role id, `:`, and a session name of at most 64).
const MAX_PRINCIPAL_LEN: usize = 128;

/// Decompressed objects larger than this are refused rather than filling memory.
const MAX_OBJECT_BYTES: u64 = 512 * 1024 * 1024;

/// The parts of an object key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey {
    pub dt: String,
    /// Who wrote the object (its `aws:userid`); `None` for a key of the layout without it.
    pub principal: Option<String>,
    pub device_id: String,
    pub first_seq: u64,
    pub last_seq: u64,
    /// Set on a batch uploaded under a second key because its own key was taken by an object
    /// that is not this journal's (`FIRSTSEQ-LASTSEQ.TAG.jsonl.gz`, TAG `c` + content hash prefix).
    pub tag: Option<String>,
}

/// Whether `principal` can name a writer in a key: what `aws:userid` can hold (role and user
/// ids, `:`, session names of `[A-Za-z0-9+=,.@_-]`), never a `/` (it would leave its prefix)
/// nor a wildcard a policy could read as one.
pub fn valid_principal(principal: &str) -> bool {
    !principal.is_empty()
        && principal.len() <= MAX_PRINCIPAL_LEN
        && principal
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_:-".contains(&b))
}

/// The folder holding `device_id`'s objects written by `principal` on day `dt`.
pub(crate) fn device_prefix(dt: &str, principal: &str, device_id: &str) -> String {
    format!("{KEY_ROOT}dt={dt}/principal={principal}/device={device_id}/")
}

/// The key of the object holding `first_seq..=last_seq` of `device_id` for day `dt`
/// (YYYY-MM-DD), written by `principal`. Sequence numbers are zero-padded to 12 digits so that
/// keys sort in sequence order.
pub fn object_key(
    dt: &str,
    principal: &str,
    device_id: &str,
    first_seq: u64,
    last_seq: u64,
) -> String {
    format!(
        "{}{first_seq:012}-{last_seq:012}.jsonl.gz",
        device_prefix(dt, principal, device_id)
    )
}

/// The second key of a batch whose own key holds a foreign object: tagged with the start of the
/// batch's content hash, so a retry of the same batch lands on the same key (exactly once still
/// holds) and nobody can take it in advance without knowing the events.
pub(crate) fn alternate_key(
    dt: &str,
    principal: &str,
    device_id: &str,
    first_seq: u64,
    last_seq: u64,
    content_sha256: &str,
) -> String {
    let tag = &content_sha256[..content_sha256.len().min(16)];
    format!(
        "{}{first_seq:012}-{last_seq:012}.c{tag}.jsonl.gz",
        device_prefix(dt, principal, device_id)
    )
}

/// Parses a key written by `object_key` or `alternate_key`, or by a Warden that wrote keys
/// without the principal; `None` for anything else.
pub fn parse_object_key(key: &str) -> Option<ObjectKey> {
    let rest = key.strip_prefix(KEY_ROOT)?;
    let mut parts = rest.split('/');
    let dt = parts.next()?.strip_prefix("dt=")?;
    let mut next = parts.next()?;
    let principal = match next.strip_prefix("principal=") {
        Some(principal) => {
            if !valid_principal(principal) {
                return None;
            }
            next = parts.next()?;
            Some(principal.to_string())
        }
        None => None,
    };
    let device_id = next.strip_prefix("device=")?;
    let name = parts.next()?.strip_suffix(".jsonl.gz")?;
    if parts.next().is_some()
        || device_id.is_empty()
        || chrono::NaiveDate::parse_from_str(dt, "%Y-%m-%d").is_err()
    {
        return None;
    }
    let (range, tag) = match name.split_once('.') {
        Some((range, tag))
            if !tag.is_empty()
                && tag.len() <= 32
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
        {
            (range, Some(tag.to_string()))
        }
        Some(_) => return None,
        None => (name, None),
    };
    let (first, last) = range.split_once('-')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(first) || !all_digits(last) {
        return None;
    }
    let (first_seq, last_seq) = (first.parse().ok()?, last.parse().ok()?);
    (first_seq >= 1 && first_seq <= last_seq).then(|| ObjectKey {
        dt: dt.to_string(),
        principal,
        device_id: device_id.to_string(),
        first_seq,
        last_seq,
        tag,
    })
}

/// The UTC day of a timestamp, as used in `dt=`.
pub(crate) fn day_of(ts_ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ts_ms) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        // Out of chrono's range: cannot come from a real clock, but must still land somewhere valid.
        None => "1970-01-01".to_string(),
    }
}

/// The object's uncompressed content (one canonical line per event, each ending in `\n`) and its SHA-256.
pub(crate) fn encode_lines(lines: &[EventLine]) -> Result<(Vec<u8>, String), String> {
    let mut out = String::new();
    for line in lines {
        out.push_str(&line.canonical_line()?);
        out.push('\n');
    }
    let sha = hex::encode(Sha256::digest(out.as_bytes()));
    Ok((out.into_bytes(), sha))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    encoder
        .write_all(bytes)
        .map_err(|e| format!("gzip failed: {e}"))?;
    encoder.finish().map_err(|e| format!("gzip failed: {e}"))
}

pub(crate) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .take(MAX_OBJECT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip object: {e}"))?;
    if out.len() as u64 > MAX_OBJECT_BYTES {
        return Err(format!(
            "object is larger than {MAX_OBJECT_BYTES} bytes uncompressed"
        ));
    }
    Ok(out)
}

/// Parses an object's lines; the error names the 1-based line.
pub(crate) fn decode_lines(content: &[u8]) -> Result<Vec<EventLine>, String> {
    let text = std::str::from_utf8(content).map_err(|e| format!("object is not UTF-8: {e}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("line {} is not an audit event: {e}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_writer_round_trip_and_sort_by_sequence() {
        let writer = "AROAEXAMPLEROLEID:alice@example.com";
        let key = object_key("2026-11-21", writer, "dev-1", 1, 500);
        assert_eq!(
            key,
            "audit/v1/dt=2026-11-21/principal=AROAEXAMPLEROLEID:alice@example.com/device=dev-1/000000000001-000000000500.jsonl.gz"
        );
        assert_eq!(
            parse_object_key(&key),
            Some(ObjectKey {
                dt: "2026-11-21".into(),
                principal: Some(writer.into()),
                device_id: "dev-1".into(),
                first_seq: 1,
                last_seq: 500,
                tag: None,
            })
        );
        assert!(key.starts_with(&device_prefix("2026-11-21", writer, "dev-1")));
        let second = alternate_key("2026-11-21", writer, "dev-1", 1, 500, &"ab".repeat(32));
        assert_eq!(
            second,
            "audit/v1/dt=2026-11-21/principal=AROAEXAMPLEROLEID:alice@example.com/device=dev-1/000000000001-000000000500.cabababababababab.jsonl.gz"
        );
        let parsed = parse_object_key(&second).unwrap();
        assert_eq!(parsed.tag.as_deref(), Some("cabababababababab"));
        assert_eq!(parsed.principal.as_deref(), Some(writer));
        assert!(object_key("d", "p", "x", 9, 9) < object_key("d", "p", "x", 10, 10));
        for bad in [
            "audit/v1/dt=2026-13-01/principal=p/device=a/1-2.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/device=a/2-1.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/device=a/0-1.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/device=a/1-2.jsonl",
            "audit/v1/dt=2026-11-21/principal=p/device=a/1-2..jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/device=a/1-2.X.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/device=/1-2.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/device=a/x/1-2.jsonl.gz",
            // An empty principal, a wildcard in it, or a principal folder without a device.
            "audit/v1/dt=2026-11-21/principal=/device=a/1-2.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=a*b/device=a/1-2.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/1-2.jsonl.gz",
            "audit/v1/dt=2026-11-21/principal=p/principal=q/device=a/1-2.jsonl.gz",
            // The principal comes between the day and the device, never elsewhere.
            "audit/v1/principal=p/dt=2026-11-21/device=a/1-2.jsonl.gz",
            "audit/v1/dt=2026-11-21/device=a/principal=p/1-2.jsonl.gz",
            "other/1-2.jsonl.gz",
        ] {
            assert_eq!(parse_object_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_written_before_the_principal_was_named_still_parse() {
        let legacy = "audit/v1/dt=2026-11-21/device=dev-1/000000000001-000000000500.jsonl.gz";
        assert_eq!(
            parse_object_key(legacy),
            Some(ObjectKey {
                dt: "2026-11-21".into(),
                principal: None,
                device_id: "dev-1".into(),
                first_seq: 1,
                last_seq: 500,
                tag: None,
            })
        );
        let legacy_second =
            "audit/v1/dt=2026-11-21/device=dev-1/000000000001-000000000500.cabab.jsonl.gz";
        let parsed = parse_object_key(legacy_second).unwrap();
        assert_eq!(
            (parsed.principal, parsed.tag.as_deref()),
            (None, Some("cabab"))
        );
    }

    #[test]
    fn principals_are_what_aws_userid_can_hold() {
        for good in [
            LOCAL_PRINCIPAL,
            "AIDAEXAMPLEUSERID",
            "AROAEXAMPLEROLEID:alice@example.com",
            "AROAEXAMPLEROLEID:i-0123456789abcdef0",
            "123456789012:fed+user=x,y.z_w-v",
        ] {
            assert!(valid_principal(good), "{good}");
        }
        let long = "A".repeat(MAX_PRINCIPAL_LEN + 1);
        for bad in [
            "",
            "a/b",
            "a*",
            "a?",
            "a b",
            "..\\x",
            "caf\u{e9}",
            long.as_str(),
        ] {
            assert!(!valid_principal(bad), "{bad:?}");
        }
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_763_769_599_999), "2025-11-21");
        assert_eq!(day_of(1_763_769_600_000), "2025-11-22");
    }

    #[test]
    fn gzip_round_trips_and_refuses_garbage() {
        let data = b"{\"a\":1}\n".repeat(100);
        assert_eq!(gunzip(&gzip(&data).unwrap()).unwrap(), data);
        assert!(gunzip(b"plain text").is_err());
    }
}
