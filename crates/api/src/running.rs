//! The queries the window has running, by the run id the window chose, so that Cancel stops
//! exactly the query it was pressed for, even if it arrives before the run has started.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use warden_core::{CancellationToken, ResultStore, RunTrace};

use crate::editor::ResultColumn;
use crate::{ArrivingResult, RunDetails};

/// Early cancels kept for runs not registered yet; older ones are forgotten.
const MAX_EARLY_CANCELS: usize = 64;

#[derive(Default)]
pub struct RunningQueries {
    tokens: HashMap<String, CancellationToken>,
    cancelled_early: VecDeque<String>,
    /// What the engine notes of each run while it goes, for `run_progress`.
    traces: HashMap<String, (Arc<RunTrace>, Instant)>,
    /// The result id under which each run's arriving rows are kept for `fetch_rows`.
    arriving: HashMap<String, String>,
}

impl RunningQueries {
    /// The token for run `id`; already cancelled if Cancel was pressed for it first.
    pub fn start(&mut self, id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        if let Some(at) = self.cancelled_early.iter().position(|c| c == id) {
            self.cancelled_early.remove(at);
            token.cancel();
        }
        self.tokens.insert(id.to_string(), token.clone());
        token
    }

    /// Where run `id` notes its progress (its engine, Athena's id and state).
    pub fn watch(&mut self, id: &str) -> Arc<RunTrace> {
        let trace = Arc::new(RunTrace::new());
        self.traces
            .insert(id.to_string(), (trace.clone(), Instant::now()));
        trace
    }

    /// Run `id` as it goes; `None` once it ended, or before the gate handed it to an engine.
    pub fn progress(&self, id: &str) -> Option<RunDetails> {
        let (trace, started) = self.traces.get(id)?;
        RunDetails::in_progress(trace, started.elapsed().as_millis() as u64)
    }

    /// The rows run `id` has stored so far, kept in `results` (once, under the grants the run
    /// leans on, so `fetch_rows` pages them as it pages a finished result); `None` before the
    /// engine stored any, or once they were withdrawn.
    pub fn arriving(&mut self, id: &str, results: &mut ResultStore) -> Option<ArrivingResult> {
        let (trace, _) = self.traces.get(id)?;
        let reader = trace.arriving()?;
        if reader.is_withdrawn() || reader.is_empty() {
            return None;
        }
        let result_id = self
            .arriving
            .entry(id.to_string())
            .or_insert_with(|| results.keep_arriving(reader.clone(), trace.grants()))
            .clone();
        Some(ArrivingResult {
            result_id,
            columns: ResultColumn::all(reader.columns()),
            row_count: reader.len() as usize,
        })
    }

    /// Run `id` ended; other runs' tokens stay. The id its arriving rows were kept under, if
    /// the window was shown them.
    pub fn finish(&mut self, id: &str) -> Option<String> {
        self.tokens.remove(id);
        self.traces.remove(id);
        self.arriving.remove(id)
    }

    /// Cancels run `id`. True when it was running; otherwise the cancel is kept in case the
    /// run has not registered yet.
    pub fn cancel(&mut self, id: &str) -> bool {
        match self.tokens.remove(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => {
                if self.cancelled_early.len() == MAX_EARLY_CANCELS {
                    self.cancelled_early.pop_front();
                }
                self.cancelled_early.push_back(id.to_string());
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_stops_only_the_run_it_names() {
        let mut running = RunningQueries::default();
        let first = running.start("a");
        let second = running.start("b");
        assert!(running.cancel("a"));
        assert!(first.is_cancelled() && !second.is_cancelled());
        // The first run ending does not touch the second's token.
        running.finish("a");
        assert!(running.cancel("b"));
        assert!(second.is_cancelled());
    }

    #[test]
    fn progress_follows_the_trace_until_the_run_finishes() {
        let mut running = RunningQueries::default();
        let trace = running.watch("a");
        assert_eq!(running.progress("a"), None, "not handed to an engine yet");
        trace.pin_engine("athena");
        trace.pin_workgroup(Some("analysts".into()));
        trace.set_phase(warden_core::Phase::Queued);
        let queued = running.progress("a").expect("going");
        assert_eq!(queued.state, crate::RunState::Queued);
        assert_eq!(queued.query_id, None);
        trace.set_query_id("q-1");
        trace.set_phase(warden_core::Phase::Running);
        let on = running.progress("a").expect("going");
        assert_eq!(
            (on.state, on.query_id.as_deref(), on.workgroup.as_deref()),
            (crate::RunState::Running, Some("q-1"), Some("analysts"))
        );
        running.finish("a");
        assert_eq!(running.progress("a"), None);
        assert_eq!(running.progress("unknown"), None);
    }

    fn stored(dir: &std::path::Path) -> (warden_results::ResultWriter, warden_core::ResultReader) {
        warden_results::create(
            dir,
            vec![warden_core::ColumnInfo {
                name: "n".into(),
                data_type: "bigint".into(),
            }],
        )
        .expect("created")
    }

    #[test]
    fn arriving_rows_are_kept_once_for_paging_and_counted_in_the_progress() {
        let dir = tempfile::tempdir().expect("dir");
        let mut running = RunningQueries::default();
        let mut results = ResultStore::new(4);
        let trace = running.watch("a");
        trace.pin_engine("athena");
        trace.pin_grants(vec!["req-1".into()]);
        assert_eq!(running.arriving("a", &mut results), None, "no result yet");
        let (mut writer, reader) = stored(dir.path());
        trace.set_arriving(&reader);
        assert_eq!(running.arriving("a", &mut results), None, "no row yet");
        writer
            .push(vec![warden_core::Value::Int(7)])
            .expect("pushed");
        writer.flush().expect("written");

        let first = running.arriving("a", &mut results).expect("rows");
        assert_eq!((first.row_count, first.columns[0].name.as_str()), (1, "n"));
        assert_eq!(running.progress("a").expect("going").rows, Some(1));
        writer
            .push(vec![warden_core::Value::Int(8)])
            .expect("pushed");
        writer.flush().expect("written");
        let second = running.arriving("a", &mut results).expect("rows");
        assert_eq!(
            (second.result_id.as_str(), second.row_count),
            (first.result_id.as_str(), 2),
            "kept once, counted as they come"
        );
        // Paged like a finished result, under the run's grants.
        let held = std::collections::BTreeSet::from(["req-1".to_string()]);
        let page = results.page(&first.result_id, 0, 10, &held).expect("kept");
        assert_eq!(page.expect("read").len(), 2);
        assert!(
            results
                .page(&first.result_id, 0, 10, &Default::default())
                .is_none(),
            "not once the grant no longer holds"
        );

        assert_eq!(running.finish("a"), Some(first.result_id));
        assert_eq!(running.arriving("a", &mut results), None);
    }

    #[test]
    fn a_cancel_before_the_run_registers_still_cancels_it_and_only_it() {
        let mut running = RunningQueries::default();
        assert!(!running.cancel("late"));
        assert!(running.start("late").is_cancelled());
        assert!(
            !running.start("next").is_cancelled(),
            "a cancel is used once"
        );
    }

    #[test]
    fn early_cancels_are_bounded() {
        let mut running = RunningQueries::default();
        for i in 0..(MAX_EARLY_CANCELS + 10) {
            running.cancel(&format!("r{i}"));
        }
        assert_eq!(running.cancelled_early.len(), MAX_EARLY_CANCELS);
        assert!(
            !running.start("r0").is_cancelled(),
            "the oldest early cancel was forgotten"
        );
    }
}
