use std::sync::Mutex;

/// What an engine has learned of a run while it goes (Athena's query execution id as soon as
/// Athena accepts the query), kept when the run then fails or is cancelled, so that the audit
/// journal records the id of those runs as it does for finished ones.
#[derive(Debug, Default)]
pub struct RunTrace {
    query_id: Mutex<Option<String>>,
}

impl RunTrace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_query_id(&self, id: &str) {
        *self.query_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.to_string());
    }

    pub fn query_id(&self) -> Option<String> {
        self.query_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
