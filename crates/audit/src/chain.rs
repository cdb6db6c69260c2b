//! The hash chain: hash = SHA-256(prev_hash as 32 raw bytes || canonical body), the first event's
//! prev_hash being 32 zero bytes.

use sha2::{Digest, Sha256};

use crate::event::EventLine;

/// The `prev_hash` of a device's first event (hex of 32 zero bytes).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) fn compute_hash(prev_hash_hex: &str, canonical_body: &str) -> Result<String, String> {
    let prev = decode_hash(prev_hash_hex)?;
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(canonical_body.as_bytes());
    Ok(hex::encode(hasher.finalize()))
}

fn decode_hash(hex_hash: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    if hex_hash.len() != 64 || hex_hash.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "{hex_hash:?} is not a 64-character lowercase hex hash"
        ));
    }
    hex::decode_to_slice(hex_hash, &mut out)
        .map_err(|e| format!("{hex_hash:?} is not a hex hash: {e}"))?;
    Ok(out)
}

/// The result of `Journal::verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events checked (up to, not including, the first broken one).
    pub events: u64,
    /// The first sequence number at which the chain is broken, if any.
    pub first_broken: Option<u64>,
    /// Why it is broken, in plain words.
    pub reason: Option<String>,
    /// Hash of the last intact event (the genesis hash for an empty journal).
    pub head_hash: String,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Walks one device's events in sequence order; the same rules for the journal and the store.
pub(crate) struct ChainWalker {
    device_id: String,
    next_seq: u64,
    /// `None` after a restart: the next event's prev_hash cannot be checked.
    prev_hash: Option<String>,
}

impl ChainWalker {
    pub fn new(device_id: &str) -> Self {
        ChainWalker {
            device_id: device_id.to_string(),
            next_seq: 1,
            prev_hash: Some(GENESIS_HASH.to_string()),
        }
    }

    /// Walks a range of the chain that starts at `next_seq`, whose first event must link to `prev_hash`.
    pub fn starting_at(device_id: &str, next_seq: u64, prev_hash: &str) -> Self {
        ChainWalker {
            device_id: device_id.to_string(),
            next_seq,
            prev_hash: Some(prev_hash.to_string()),
        }
    }

    /// Continues at `next_seq` after a problem already reported, so later problems are found too.
    pub fn restart_at(&mut self, next_seq: u64) {
        self.next_seq = next_seq;
        self.prev_hash = None;
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn head_hash(&self) -> &str {
        self.prev_hash.as_deref().unwrap_or("")
    }

    /// Checks the next event. On error, says what is wrong with the event at `expected seq`.
    pub fn check(&mut self, line: &EventLine) -> Result<(), String> {
        if line.device_id != self.device_id {
            return Err(format!(
                "event belongs to device {:?}, expected {:?}",
                line.device_id, self.device_id
            ));
        }
        if line.seq != self.next_seq {
            return Err(if line.seq > self.next_seq {
                format!(
                    "sequence {} is missing (next event found is {})",
                    self.next_seq, line.seq
                )
            } else {
                format!(
                    "sequence {} appears out of order or twice (expected {})",
                    line.seq, self.next_seq
                )
            });
        }
        if self
            .prev_hash
            .as_ref()
            .is_some_and(|prev| *prev != line.prev_hash)
        {
            return Err(format!(
                "prev_hash does not match the hash of sequence {}",
                line.seq.saturating_sub(1)
            ));
        }
        let body = line.canonical_body()?;
        let computed = compute_hash(&line.prev_hash, &body)?;
        if computed != line.hash {
            return Err(
                "the stored hash does not match the event's content (the event was altered)"
                    .to_string(),
            );
        }
        self.prev_hash = Some(computed);
        self.next_seq += 1;
        Ok(())
    }
}
