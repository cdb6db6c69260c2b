use std::collections::{BTreeSet, VecDeque};

use warden_engine::{ResultReader, Value};
use warden_results::ResultsError;

use crate::Execution;

/// A kept result handed out whole (for an export): a reader of its chunk files, not its rows.
#[derive(Debug, Clone)]
pub struct KeptResult {
    pub result: ResultReader,
    pub query_id: Option<String>,
}

/// Finished results kept for paging into the grid. The rows are in the disk-backed result
/// store (each result a folder of chunk files in the workspace's cache folder): the store here
/// holds readers, so memory does not grow with the results. Bounded: the oldest are dropped
/// first, and a dropped result's folder is removed with its last reader. A result read under
/// an elevation is shown only while the grants it leaned on still hold: the gate deletes its
/// files at the lockout, and a page asked for afterwards drops it here too.
pub struct ResultStore {
    capacity: usize,
    next_id: u64,
    entries: VecDeque<Kept>,
}

struct Kept {
    id: String,
    /// Cheap to clone: an export reads it without holding the store's lock.
    result: ResultReader,
    /// The engine's id of the run, for the audit record of an export.
    query_id: Option<String>,
    /// Request ids of the grants the run leaned on; empty for baseline access.
    grants: Vec<String>,
}

impl ResultStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            next_id: 1,
            entries: VecDeque::new(),
        }
    }

    /// Keeps the rows of `execution`, tied to the grants it leaned on.
    pub fn insert(&mut self, execution: &Execution) -> String {
        let id = self.keep(execution.result.clone(), execution.grants.clone());
        if let Some(kept) = self.entries.back_mut() {
            kept.query_id = Some(execution.query_id.clone());
        }
        id
    }

    /// Keeps the result of a run still going, whose rows are arriving, tied to the grants the
    /// run leans on; [`Self::insert_finished`] keeps it on under the same id when it ends.
    pub fn keep_arriving(&mut self, result: ResultReader, grants: Vec<String>) -> String {
        self.keep(result, grants)
    }

    /// Keeps the rows of `execution` under `arriving`, the id its rows were shown under while
    /// they arrived, when that is still kept (else under a new id, as [`Self::insert`]).
    pub fn insert_finished(&mut self, arriving: Option<&str>, execution: &Execution) -> String {
        let same = |k: &&mut Kept| {
            Some(k.id.as_str()) == arriving && k.result.folder() == execution.result.folder()
        };
        match self.entries.iter_mut().find(same) {
            Some(kept) => {
                kept.query_id = Some(execution.query_id.clone());
                kept.grants = execution.grants.clone();
                kept.id.clone()
            }
            None => self.insert(execution),
        }
    }

    /// Forgets a result (a run that failed after its first rows were shown).
    pub fn remove(&mut self, id: &str) {
        self.entries.retain(|k| k.id != id);
    }

    fn keep(&mut self, result: ResultReader, grants: Vec<String>) -> String {
        let id = format!("r{}", self.next_id);
        self.next_id += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Kept {
            id: id.clone(),
            result,
            query_id: None,
            grants,
        });
        id
    }

    /// Rows `[offset, offset + limit)` of a result, read from its chunk files, or `None` when
    /// it is unknown, was dropped or withdrawn, or leaned on a grant not among `held` (the
    /// request ids of the grants that hold now, [`crate::Gate::held_grants`]); such a result is
    /// dropped for good. An error when its files could not be read.
    pub fn page(
        &mut self,
        id: &str,
        offset: u64,
        limit: usize,
        held: &BTreeSet<String>,
    ) -> Option<Result<Vec<Vec<Value>>, ResultsError>> {
        let at = self.held(id, held)?;
        match self.entries[at].result.page(offset, limit) {
            Err(ResultsError::Withdrawn) => {
                self.entries.remove(at);
                None
            }
            other => Some(other),
        }
    }

    /// A kept result, for an export, under the same rule as [`Self::page`]: `None` when it is
    /// unknown, dropped, withdrawn, or leaned on a grant that no longer holds.
    pub fn whole(&mut self, id: &str, held: &BTreeSet<String>) -> Option<KeptResult> {
        let at = self.held(id, held)?;
        let kept = &self.entries[at];
        Some(KeptResult {
            result: kept.result.clone(),
            query_id: kept.query_id.clone(),
        })
    }

    fn held(&mut self, id: &str, held: &BTreeSet<String>) -> Option<usize> {
        let at = self.entries.iter().position(|k| k.id == id)?;
        let kept = &self.entries[at];
        if kept.result.is_withdrawn() || !kept.grants.iter().all(|g| held.contains(g)) {
            self.entries.remove(at);
            return None;
        }
        Some(at)
    }

    /// Drops every kept result (and with the last reader of each, its folder).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_engine::ColumnInfo;

    fn rows(dir: &std::path::Path, n: i64) -> ResultReader {
        warden_results::from_rows(
            dir,
            vec![ColumnInfo {
                name: "n".into(),
                data_type: "bigint".into(),
            }],
            (0..n).map(|i| vec![Value::Int(i)]),
        )
        .expect("stored")
    }

    fn page(store: &mut ResultStore, id: &str, offset: u64, limit: usize) -> Option<usize> {
        store
            .page(id, offset, limit, &BTreeSet::new())
            .map(|p| p.expect("readable").len())
    }

    #[test]
    fn pages_from_disk_and_evicts_the_oldest_with_its_folder() {
        let cache = tempfile::tempdir().unwrap();
        let none = BTreeSet::new();
        let mut store = ResultStore::new(2);
        let a_rows = rows(cache.path(), 50_000);
        let a_folder = a_rows.folder().to_path_buf();
        let a = store.keep(a_rows, vec![]);
        let b = store.keep(rows(cache.path(), 3), vec![]);
        assert_eq!(page(&mut store, &a, 200, 200), Some(200));
        assert_eq!(
            store
                .page(&a, 40_000, 200, &none)
                .expect("a")
                .expect("read")[0],
            vec![Value::Int(40_000)]
        );
        let c = store.keep(rows(cache.path(), 1), vec![]);
        assert_eq!(page(&mut store, &a, 0, 1), None, "oldest dropped");
        assert!(!a_folder.exists(), "and its chunk files with it");
        assert_eq!(page(&mut store, &b, 0, 10), Some(3));
        assert_eq!(page(&mut store, &c, 0, 10), Some(1));
        assert_eq!(page(&mut store, "nope", 0, 1), None);
        store.clear();
        assert_eq!(page(&mut store, &c, 0, 1), None);
        assert_eq!(
            std::fs::read_dir(cache.path()).unwrap().count(),
            0,
            "no folder outlives the store"
        );
    }

    #[test]
    fn a_whole_result_follows_the_grants_as_pages_do() {
        let cache = tempfile::tempdir().unwrap();
        let mut store = ResultStore::new(4);
        let elevated = store.keep(rows(cache.path(), 10), vec!["grant-1".into()]);
        let held = BTreeSet::from(["grant-1".to_string()]);
        assert_eq!(
            store.whole(&elevated, &held).expect("held").result.len(),
            10
        );
        assert!(store.whole(&elevated, &BTreeSet::new()).is_none());
        assert!(
            store.page(&elevated, 0, 1, &held).is_none(),
            "dropped for good"
        );
    }

    #[test]
    fn rows_read_under_a_grant_are_dropped_once_it_no_longer_holds() {
        let cache = tempfile::tempdir().unwrap();
        let mut store = ResultStore::new(4);
        let elevated = store.keep(rows(cache.path(), 10), vec!["grant-1".into()]);
        let plain = store.keep(rows(cache.path(), 10), vec![]);
        let held = BTreeSet::from(["grant-1".to_string()]);
        assert_eq!(
            store
                .page(&elevated, 0, 5, &held)
                .expect("held")
                .unwrap()
                .len(),
            5
        );
        // The grant ended; a new grant of the same elevation has another id.
        let later = BTreeSet::from(["grant-2".to_string()]);
        assert!(store.page(&elevated, 5, 5, &later).is_none());
        assert!(
            store.page(&elevated, 5, 5, &held).is_none(),
            "dropped for good, not hidden"
        );
        assert_eq!(
            store
                .page(&plain, 0, 5, &later)
                .expect("plain")
                .unwrap()
                .len(),
            5
        );
    }

    #[test]
    fn a_withdrawn_result_is_no_longer_kept() {
        let cache = tempfile::tempdir().unwrap();
        let mut store = ResultStore::new(4);
        let reader = rows(cache.path(), 10);
        let id = store.keep(reader.clone(), vec![]);
        reader.withdraw();
        assert!(!reader.folder().exists());
        assert!(store.page(&id, 0, 1, &BTreeSet::new()).is_none());
        assert!(store.whole(&id, &BTreeSet::new()).is_none());
    }
}
