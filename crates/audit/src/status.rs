/// What `warden audit status` and the Audit panel show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalStatus {
    pub device_id: String,
    pub events: u64,
    pub last_seq: u64,
    pub last_event_ms: Option<i64>,
    /// One entry per store this journal has synced (or tried to sync) to.
    pub stores: Vec<StoreSyncStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSyncStatus {
    pub store: String,
    pub last_synced_seq: u64,
    /// Events recorded but not yet in this store.
    pub pending: u64,
    pub last_success_ms: Option<i64>,
    /// The last failure in plain words; cleared by the next successful sync.
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
}
