//! The central side: every device's events in the store exactly once, gap-free, chained.

use std::collections::BTreeMap;
use std::fmt;

use crate::batch::{day_of, decode_lines, gunzip, parse_object_key, ObjectKey, KEY_ROOT};
use crate::chain::ChainWalker;
use crate::store::{Store, StoreError};

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
    /// An object covering sequence numbers already covered by another (a duplicate).
    Duplicate {
        device_id: String,
        key: String,
        overlaps: String,
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
        objects.sort_by_key(|(k, _)| (k.first_seq, k.last_seq));
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
    };
    let mut previous_key: Option<&str> = None;
    for (parsed, key) in objects {
        summary.objects += 1;
        let expected = walker.next_seq();
        if parsed.first_seq < expected {
            problems.push(StoreProblem::Duplicate {
                device_id: device_id.to_string(),
                key: key.clone(),
                overlaps: previous_key.unwrap_or("an earlier object").to_string(),
            });
            continue;
        }
        if parsed.first_seq > expected {
            problems.push(StoreProblem::Gap {
                device_id: device_id.to_string(),
                missing_from: expected,
                missing_to: parsed.first_seq - 1,
            });
            walker.restart_at(parsed.first_seq);
        }
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
        for line in &lines {
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
                break;
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
    }
    Ok(summary)
}
