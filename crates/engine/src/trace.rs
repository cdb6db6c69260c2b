use std::sync::Mutex;

use warden_results::ResultReader;

/// What an engine has learned of a run while it goes (Athena's query execution id as soon as
/// Athena accepts the query, and the bytes it scanned when it ended), kept when the run then
/// fails or is cancelled, so that the audit journal and the window show the id and the scan of
/// those runs as they do for finished ones: a cancelled scan is still billed.
#[derive(Debug, Default)]
pub struct RunTrace {
    inner: Mutex<Traced>,
}

#[derive(Debug, Default, Clone)]
struct Traced {
    engine: Option<&'static str>,
    workgroup: Option<String>,
    query_id: Option<String>,
    phase: Option<Phase>,
    scanned: Option<Scanned>,
    grants: Vec<String>,
    /// The run's result while its rows arrive, so the window can show the first page early.
    arriving: Option<ResultReader>,
    /// Set when a grant the run leaned on ended: a result published after that is withdrawn
    /// as it arrives.
    withdrawn: bool,
}

/// Where a run is while it goes, as its engine reports it (Athena's states, then the read of
/// its result); engines that say nothing are simply running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Athena holds the query in its queue.
    Queued,
    Running,
    /// The query succeeded; its rows are being read into the result store.
    Reading,
}

/// Bytes a run scanned and what that cost, as the engine reported them when the run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scanned {
    pub bytes: u64,
    /// USD, for engines that bill by the byte (Athena); `None` otherwise.
    pub cost_usd: Option<f64>,
}

impl RunTrace {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Traced> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The workgroup the run must go to, read once by the gate: the one it records is then the
    /// one the engine uses, even if another is picked while the run starts.
    pub fn pin_workgroup(&self, workgroup: Option<String>) {
        self.lock().workgroup = workgroup;
    }

    pub fn workgroup(&self) -> Option<String> {
        self.lock().workgroup.clone()
    }

    /// The engine the gate handed the run to, so a watcher can tell the window.
    pub fn pin_engine(&self, engine: &'static str) {
        self.lock().engine = Some(engine);
    }

    /// `None` until the gate hands the run to an engine.
    pub fn engine(&self) -> Option<&'static str> {
        self.lock().engine
    }

    pub fn set_phase(&self, phase: Phase) {
        self.lock().phase = Some(phase);
    }

    pub fn phase(&self) -> Option<Phase> {
        self.lock().phase
    }

    pub fn set_query_id(&self, id: &str) {
        self.lock().query_id = Some(id.to_string());
    }

    pub fn query_id(&self) -> Option<String> {
        self.lock().query_id.clone()
    }

    pub fn set_scanned(&self, scanned: Scanned) {
        self.lock().scanned = Some(scanned);
    }

    /// What the engine said the run scanned, when it said.
    pub fn scanned(&self) -> Option<Scanned> {
        self.lock().scanned
    }

    /// The request ids of the grants the run leans on, pinned by the gate before the engine
    /// starts: rows that arrive early are shown only while these hold.
    pub fn pin_grants(&self, grants: Vec<String>) {
        self.lock().grants = grants;
    }

    pub fn grants(&self) -> Vec<String> {
        self.lock().grants.clone()
    }

    /// The engine created the run's result and its rows start to arrive: a watcher may page
    /// the rows stored so far before the run ends. Withdrawn at once if a grant the run leaned
    /// on has already ended.
    pub fn set_arriving(&self, result: &ResultReader) {
        let mut traced = self.lock();
        if traced.withdrawn {
            result.withdraw();
        }
        traced.arriving = Some(result.clone());
    }

    /// The result still arriving (or just complete), once the engine created it.
    pub fn arriving(&self) -> Option<ResultReader> {
        self.lock().arriving.clone()
    }

    /// Deletes the rows of the run's result, now and whenever it is published: for the end of
    /// a grant the run leaned on.
    pub fn withdraw_arriving(&self) {
        let mut traced = self.lock();
        traced.withdrawn = true;
        if let Some(result) = &traced.arriving {
            result.withdraw();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_the_engine_noted() {
        let trace = RunTrace::new();
        assert_eq!((trace.query_id(), trace.scanned()), (None, None));
        assert_eq!(trace.workgroup(), None);
        assert_eq!((trace.engine(), trace.phase()), (None, None));
        trace.pin_engine("athena");
        trace.set_phase(Phase::Queued);
        trace.set_phase(Phase::Running);
        assert_eq!(
            (trace.engine(), trace.phase()),
            (Some("athena"), Some(Phase::Running))
        );
        trace.pin_workgroup(Some("analysts".into()));
        assert_eq!(trace.workgroup().as_deref(), Some("analysts"));
        trace.set_query_id("q-1");
        trace.set_scanned(Scanned {
            bytes: 10,
            cost_usd: Some(0.5),
        });
        assert_eq!(trace.query_id().as_deref(), Some("q-1"));
        assert_eq!(
            trace.scanned(),
            Some(Scanned {
                bytes: 10,
                cost_usd: Some(0.5)
            })
        );
    }

    fn stored(dir: &std::path::Path) -> ResultReader {
        warden_results::from_rows(
            dir,
            vec![warden_results::ColumnInfo {
                name: "n".into(),
                data_type: "bigint".into(),
            }],
            [vec![warden_results::Value::Int(1)]],
        )
        .expect("stored")
    }

    #[test]
    fn an_arriving_result_is_withdrawn_at_a_grant_end_before_or_after_it_is_published() {
        let dir = tempfile::tempdir().expect("dir");
        let trace = RunTrace::new();
        trace.pin_grants(vec!["req-1".into()]);
        assert_eq!(trace.grants(), ["req-1"]);
        assert!(trace.arriving().is_none());
        let early = stored(dir.path());
        trace.set_arriving(&early);
        assert_eq!(trace.arriving().expect("published").len(), 1);
        trace.withdraw_arriving();
        assert!(early.is_withdrawn() && !early.folder().exists());

        // Published after the end: withdrawn as it arrives.
        let late = stored(dir.path());
        trace.set_arriving(&late);
        assert!(late.is_withdrawn() && !late.folder().exists());
    }
}
