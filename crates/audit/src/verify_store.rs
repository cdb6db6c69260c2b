//! The central side: every device's events in the store exactly once, gap-free, chained.
//!
//! A device's chain is one chain whoever wrote its objects: the objects of one device id under
//! every `principal=` (and under the older keys without one) are verified together, in
//! sequence order. The same range with the same events under two writers is a re-upload (a
//! batch planned under one sign-in and uploaded again under the next), not a problem.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::batch::{day_of, decode_lines, gunzip, parse_object_key, ObjectKey, KEY_ROOT};
use crate::chain::ChainWalker;
use crate::event::EventLine;
use crate::kind::Kind;
use crate::payload::StoreTampering;
use crate::store::{PutOutcome, Store, StoreError};
use crate::sync::with_timeout;

/// The result of `verify_store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReport {
    pub store: String,
    pub objects: u64,
    /// Events whose hash and chain link verified.
    pub events: u64,
    pub devices: Vec<DeviceSummary>,
    pub problems: Vec<StoreProblem>,
}

impl StoreReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSummary {
    pub device_id: String,
    pub objects: u64,
    pub events: u64,
    pub last_seq: u64,
    /// Who wrote the device's objects (`principal=` of their keys), sorted; objects written
    /// before keys named their writer add none.
    pub principals: Vec<String>,
    /// Objects repeating another's range and events under another writer (see the module).
    pub reuploads: u64,
}

/// One thing wrong in the store, in terms an admin can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreProblem {
    /// A key under `audit/v1/` that this format does not produce.
    UnrecognizedKey { key: String },
    /// Sequence numbers missing between objects (an object was deleted or never uploaded).
    Gap {
        device_id: String,
        missing_from: u64,
        missing_to: u64,
    },
    /// An object repeating, with the same events, sequence numbers already covered by another.
    Duplicate {
        device_id: String,
        key: String,
        overlaps: String,
    },
    /// Two objects with different events under the same sequence numbers of one device: two
    /// copies of its journal synced (one rolled back or copied), or a forged object. Tampering.
    Fork {
        device_id: String,
        seq: u64,
        key: String,
        other: String,
    },
    /// A device recorded, in an event of its chain, tampering it found while syncing.
    Reported {
        device_id: String,
        seq: u64,
        tampering: StoreTampering,
    },
    /// An object that cannot be read or parsed.
    Unreadable { key: String, reason: String },
    /// An event that is altered, misplaced or does not link to its predecessor.
    Broken {
        device_id: String,
        seq: u64,
        key: String,
        reason: String,
    },
}

impl fmt::Display for StoreProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreProblem::UnrecognizedKey { key } => write!(f, "{key}: not an audit object key"),
            StoreProblem::Gap {
                device_id,
                missing_from,
                missing_to,
            } => {
                write!(f, "device {device_id}: sequence {missing_from} to {missing_to} missing from the store")
            }
            StoreProblem::Duplicate {
                device_id,
                key,
                overlaps,
            } => {
                write!(
                    f,
                    "device {device_id}: {key} repeats sequence numbers already in {overlaps}"
                )
            }
            StoreProblem::Fork {
                device_id,
                seq,
                key,
                other,
            } => write!(
                f,
                "tampering: device {device_id} forked at sequence {seq}: {key} holds other events than {other} under the same sequence numbers (its journal was rolled back or copied, or an object was forged)"
            ),
            StoreProblem::Reported {
                device_id,
                seq,
                tampering,
            } => write!(
                f,
                "tampering reported by device {device_id} (its event {seq}): {} {}: {}",
                tampering.finding.as_str().replace('_', " "),
                tampering.key,
                tampering.detail
            ),
            StoreProblem::Unreadable { key, reason } => write!(f, "{key}: unreadable ({reason})"),
            StoreProblem::Broken {
                device_id,
                seq,
                key,
                reason,
            } => {
                write!(f, "device {device_id}, sequence {seq} in {key}: {reason}")
            }
        }
    }
}

/// Checks every object under `audit/v1/`: per device no gaps, no duplicates, every event's hash,
/// and the chain continuous across objects. Problems are reported, not errors; errors mean the
/// store could not be listed or read at all.
pub async fn verify_store(store: &dyn Store) -> Result<StoreReport, StoreError> {
    verify_store_within(store, REQUEST_TIMEOUT).await
}

/// How long one listing or one object may take before the check gives up: a stalled
/// connection must end the command with an error, not hang it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// [`verify_store`] with `limit` for each request to the store.
pub async fn verify_store_within(
    store: &dyn Store,
    limit: Duration,
) -> Result<StoreReport, StoreError> {
    let store: &dyn Store = &Bounded {
        inner: store,
        limit,
    };
    let mut problems = Vec::new();
    let mut by_device: BTreeMap<String, Vec<(ObjectKey, String)>> = BTreeMap::new();
    let keys = store.list(KEY_ROOT).await?;
    let objects = keys.len() as u64;
    for key in keys {
        match parse_object_key(&key) {
            Some(parsed) => by_device
                .entry(parsed.device_id.clone())
                .or_default()
                .push((parsed, key)),
            None => problems.push(StoreProblem::UnrecognizedKey { key }),
        }
    }
    let mut devices = Vec::new();
    let mut events = 0;
    for (device_id, mut objects) in by_device {
        // Ties (a batch's second key beside the object that took its first) by key, so the
        // order does not depend on the store's listing.
        objects.sort_by(|(a, ka), (b, kb)| {
            (a.first_seq, a.last_seq, ka).cmp(&(b.first_seq, b.last_seq, kb))
        });
        let summary = verify_device(store, &device_id, &objects, &mut problems).await?;
        events += summary.events;
        devices.push(summary);
    }
    Ok(StoreReport {
        store: store.url().to_string(),
        objects,
        events,
        devices,
        problems,
    })
}

/// A store whose every request gives up after `limit`.
struct Bounded<'a> {
    inner: &'a dyn Store,
    limit: Duration,
}

#[async_trait]
impl Store for Bounded<'_> {
    fn url(&self) -> &str {
        self.inner.url()
    }

    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        with_timeout(self.limit, self.inner.put_if_absent(key, body)).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        with_timeout(self.limit, self.inner.get(key)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        with_timeout(self.limit, self.inner.list(prefix)).await
    }

    async fn principal(&self) -> Result<String, StoreError> {
        with_timeout(self.limit, self.inner.principal()).await
    }
}

async fn verify_device(
    store: &dyn Store,
    device_id: &str,
    objects: &[(ObjectKey, String)],
    problems: &mut Vec<StoreProblem>,
) -> Result<DeviceSummary, StoreError> {
    let mut walker = ChainWalker::new(device_id);
    let mut summary = DeviceSummary {
        device_id: device_id.to_string(),
        objects: 0,
        events: 0,
        last_seq: 0,
        principals: objects
            .iter()
            .filter_map(|(parsed, _)| parsed.principal.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        reuploads: 0,
    };
    let mut previous_key: Option<&str> = None;
    // The hash of every event verified so far and the object it is in: an object that covers
    // them again is compared with them, so that a fork is told apart from a duplicate.
    let mut verified: HashMap<u64, (String, usize)> = HashMap::new();
    // The highest sequence any object (a fork's too) covers: no gap is reported below it.
    let mut covered = 0u64;
    for (index, (parsed, key)) in objects.iter().enumerate() {
        summary.objects += 1;
        let expected = walker.next_seq();
        // An object starting below the walk whose sequence numbers nothing verified yet (the
        // object before it was unreadable) is checked in its own right instead.
        let compared = parsed.first_seq < expected
            && (parsed.first_seq..=parsed.last_seq.min(expected - 1))
                .any(|seq| verified.contains_key(&seq));
        if parsed.first_seq < expected && !compared {
            match verified.get(&(parsed.first_seq - 1)) {
                Some((hash, _)) => {
                    walker = ChainWalker::starting_at(device_id, parsed.first_seq, hash)
                }
                None if parsed.first_seq == 1 => walker = ChainWalker::new(device_id),
                None => walker.restart_at(parsed.first_seq),
            }
        }
        if compared {
            let overlap = overlapping(store, device_id, key, &verified, objects, problems).await?;
            if let Some(problem) = overlap {
                problems.push(problem);
            } else if reuploaded(parsed, &verified, objects) {
                summary.reuploads += 1;
            } else {
                problems.push(StoreProblem::Duplicate {
                    device_id: device_id.to_string(),
                    key: key.clone(),
                    overlaps: previous_key.unwrap_or("an earlier object").to_string(),
                });
            }
            covered = covered.max(parsed.last_seq);
            continue;
        }
        if parsed.first_seq > expected {
            let missing_from = expected.max(covered + 1);
            if missing_from < parsed.first_seq {
                problems.push(StoreProblem::Gap {
                    device_id: device_id.to_string(),
                    missing_from,
                    missing_to: parsed.first_seq - 1,
                });
            }
            walker.restart_at(parsed.first_seq);
        }
        covered = covered.max(parsed.last_seq);
        previous_key = Some(key);
        summary.last_seq = parsed.last_seq;
        let lines = match store.get(key).await? {
            None => Err("listed but gone".to_string()),
            Some(bytes) => gunzip(&bytes).and_then(|content| decode_lines(&content)),
        };
        let lines = match lines {
            Ok(lines) => lines,
            Err(reason) => {
                problems.push(StoreProblem::Unreadable {
                    key: key.clone(),
                    reason,
                });
                walker.restart_at(parsed.last_seq + 1);
                continue;
            }
        };
        let mut unchecked = &lines[lines.len()..];
        for (at, line) in lines.iter().enumerate() {
            let seq = walker.next_seq();
            let checked = if line.seq > parsed.last_seq {
                Err(format!(
                    "sequence {} lies outside the object's range {}-{}",
                    line.seq, parsed.first_seq, parsed.last_seq
                ))
            } else if day_of(line.ts_ms) != parsed.dt {
                Err(format!(
                    "event of {} stored in partition dt={}",
                    day_of(line.ts_ms),
                    parsed.dt
                ))
            } else {
                walker.check(line)
            };
            if let Err(reason) = checked {
                problems.push(StoreProblem::Broken {
                    device_id: device_id.to_string(),
                    seq,
                    key: key.clone(),
                    reason,
                });
                unchecked = &lines[at + 1..];
                break;
            }
            verified.insert(line.seq, (line.hash.clone(), index));
            if let Some(reported) = reported_tampering(device_id, line) {
                problems.push(reported);
            }
            summary.events += 1;
        }
        if walker.next_seq() != parsed.last_seq + 1 {
            if problems
                .last()
                .is_none_or(|p| !matches!(p, StoreProblem::Broken { key: k, .. } if k == key))
            {
                problems.push(StoreProblem::Broken {
                    device_id: device_id.to_string(),
                    seq: walker.next_seq(),
                    key: key.clone(),
                    reason: format!(
                        "the object ends before sequence {} that its name promises",
                        parsed.last_seq
                    ),
                });
            }
            walker.restart_at(parsed.last_seq + 1);
        }
        // A device's reports stay readable after a break in its chain (a fork often is one).
        problems.extend(
            unchecked
                .iter()
                .filter_map(|line| reported_tampering(device_id, line)),
        );
    }
    Ok(summary)
}

/// Whether `parsed`, whose events equal those already verified, repeats exactly the range (and
/// day) of the object they were verified in, every event of it verified, under another writer: a pending batch planned again after
/// the sign-in changed (sync cannot see the other writer's keys), not tampering.
fn reuploaded(
    parsed: &ObjectKey,
    verified: &HashMap<u64, (String, usize)>,
    objects: &[(ObjectKey, String)],
) -> bool {
    verified
        .get(&parsed.first_seq)
        .map(|(_, index)| &objects[*index].0)
        .is_some_and(|first| {
            (first.first_seq, first.last_seq, &first.dt)
                == (parsed.first_seq, parsed.last_seq, &parsed.dt)
                && first.principal != parsed.principal
        })
        && (parsed.first_seq..=parsed.last_seq).all(|seq| verified.contains_key(&seq))
}

/// An object covering sequence numbers already verified: a fork when some of its events differ
/// from the verified ones, `None` (a plain duplicate) when all of them are the same. Reports
/// that the forked copy recorded are listed too: they are often in the fork's own objects.
async fn overlapping(
    store: &dyn Store,
    device_id: &str,
    key: &str,
    verified: &HashMap<u64, (String, usize)>,
    objects: &[(ObjectKey, String)],
    problems: &mut Vec<StoreProblem>,
) -> Result<Option<StoreProblem>, StoreError> {
    let lines = match store.get(key).await? {
        None => Err("listed but gone".to_string()),
        Some(bytes) => gunzip(&bytes).and_then(|content| decode_lines(&content)),
    };
    let lines = match lines {
        Ok(lines) => lines,
        Err(reason) => {
            return Ok(Some(StoreProblem::Unreadable {
                key: key.to_string(),
                reason,
            }))
        }
    };
    for line in &lines {
        let seen = verified
            .get(&line.seq)
            .is_some_and(|(hash, _)| *hash == line.hash);
        if let Some(reported) = reported_tampering(device_id, line).filter(|_| !seen) {
            problems.push(reported);
        }
    }
    Ok(lines.iter().find_map(|line| {
        let (hash, index) = verified.get(&line.seq)?;
        (*hash != line.hash || line.device_id != device_id).then(|| StoreProblem::Fork {
            device_id: device_id.to_string(),
            seq: line.seq,
            key: key.to_string(),
            other: objects[*index].1.clone(),
        })
    }))
}

/// A `store_tampering` event in a device's chain, as a problem of the store.
fn reported_tampering(device_id: &str, line: &EventLine) -> Option<StoreProblem> {
    if line.kind != Kind::StoreTampering.as_str() {
        return None;
    }
    let tampering: StoreTampering = serde_json::from_value(line.payload.clone()).ok()?;
    Some(StoreProblem::Reported {
        device_id: device_id.to_string(),
        seq: line.seq,
        tampering,
    })
}
