use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use warden_engine::{ResultSet, Value};

use crate::Execution;

/// A kept result handed out whole (for an export).
#[derive(Debug, Clone)]
pub struct KeptResult {
    pub result: Arc<ResultSet>,
    pub query_id: Option<String>,
}

/// Finished results kept for paging into the grid. Bounded: the oldest are dropped first, so a
/// long session does not keep every result it ever produced in memory. A result read under an
/// elevation is shown only while the grants it leaned on still hold: after a lockout its rows
/// are dropped at the next page, not kept readable for the rest of the session.
pub struct ResultStore {
    capacity: usize,
    next_id: u64,
    entries: VecDeque<Kept>,
}

struct Kept {
    id: String,
    /// Shared so an export can write it out without holding the store's lock.
    result: Arc<ResultSet>,
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

    fn keep(&mut self, result: ResultSet, grants: Vec<String>) -> String {
        let id = format!("r{}", self.next_id);
        self.next_id += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Kept {
            id: id.clone(),
            result: Arc::new(result),
            query_id: None,
            grants,
        });
        id
    }

    /// Rows `[offset, offset + limit)` of a result, or `None` when it is unknown, was dropped,
    /// or leaned on a grant not among `held` (the request ids of the grants that hold now,
    /// [`crate::Gate::held_grants`]); such a result is dropped for good.
    pub fn page(
        &mut self,
        id: &str,
        offset: usize,
        limit: usize,
        held: &BTreeSet<String>,
    ) -> Option<Vec<Vec<Value>>> {
        let at = self.held(id, held)?;
        Some(self.entries[at].result.page(offset, limit).to_vec())
    }

    /// The whole of a kept result, for an export, under the same rule as [`Self::page`]: `None`
    /// when it is unknown, dropped, or leaned on a grant that no longer holds.
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
        if !self.entries[at].grants.iter().all(|g| held.contains(g)) {
            self.entries.remove(at);
            return None;
        }
        Some(at)
    }

    /// Drops every kept result.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_engine::ColumnInfo;

    fn rows(n: i64) -> ResultSet {
        ResultSet {
            columns: vec![ColumnInfo {
                name: "n".into(),
                data_type: "bigint".into(),
            }],
            rows: (0..n).map(|i| vec![Value::Int(i)]).collect(),
        }
    }

    #[test]
    fn pages_and_evicts_the_oldest() {
        let none = BTreeSet::new();
        let mut store = ResultStore::new(2);
        let a = store.keep(rows(500), vec![]);
        let b = store.keep(rows(3), vec![]);
        assert_eq!(store.page(&a, 200, 200, &none).expect("a").len(), 200);
        assert_eq!(
            store.page(&a, 400, 200, &none).expect("a")[0],
            vec![Value::Int(400)]
        );
        let c = store.keep(rows(1), vec![]);
        assert!(store.page(&a, 0, 1, &none).is_none(), "oldest dropped");
        assert_eq!(store.page(&b, 0, 10, &none).expect("b").len(), 3);
        assert_eq!(store.page(&c, 0, 10, &none).expect("c").len(), 1);
        assert!(store.page("nope", 0, 1, &none).is_none());
        store.clear();
        assert!(store.page(&c, 0, 1, &none).is_none());
    }

    #[test]
    fn a_whole_result_follows_the_grants_as_pages_do() {
        let mut store = ResultStore::new(4);
        let elevated = store.keep(rows(10), vec!["grant-1".into()]);
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
        let mut store = ResultStore::new(4);
        let elevated = store.keep(rows(10), vec!["grant-1".into()]);
        let plain = store.keep(rows(10), vec![]);
        let held = BTreeSet::from(["grant-1".to_string()]);
        assert_eq!(store.page(&elevated, 0, 5, &held).expect("held").len(), 5);
        // The grant ended; a new grant of the same elevation has another id.
        let later = BTreeSet::from(["grant-2".to_string()]);
        assert!(store.page(&elevated, 5, 5, &later).is_none());
        assert!(
            store.page(&elevated, 5, 5, &held).is_none(),
            "dropped for good, not hidden"
        );
        assert_eq!(store.page(&plain, 0, 5, &later).expect("plain").len(), 5);
    }
}
