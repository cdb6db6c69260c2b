use crate::kind::Kind;

/// Which events `Journal::events` returns. The default is every event, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub kinds: Vec<Kind>,
    /// Only events at or after this UTC time (milliseconds since the epoch).
    pub since_ms: Option<i64>,
    /// Only events before this UTC time.
    pub until_ms: Option<i64>,
    /// Only events with a sequence number above this one (for paging).
    pub after_seq: Option<u64>,
    /// Newest first, e.g. for a "recent events" panel.
    pub newest_first: bool,
    pub limit: Option<u64>,
}

impl EventFilter {
    pub fn recent(limit: u64) -> Self {
        EventFilter {
            newest_first: true,
            limit: Some(limit),
            ..Default::default()
        }
    }
}
