use std::collections::VecDeque;

use warden_engine::{ResultSet, Value};

/// Finished results kept for paging into the grid. Bounded: the oldest are dropped first, so a
/// long session does not keep every result it ever produced in memory.
pub struct ResultStore {
    capacity: usize,
    next_id: u64,
    entries: VecDeque<(String, ResultSet)>,
}

impl ResultStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            next_id: 1,
            entries: VecDeque::new(),
        }
    }

    pub fn insert(&mut self, result: ResultSet) -> String {
        let id = format!("r{}", self.next_id);
        self.next_id += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((id.clone(), result));
        id
    }

    /// Rows `[offset, offset + limit)` of a result, or `None` when it is unknown or was dropped.
    pub fn page(&self, id: &str, offset: usize, limit: usize) -> Option<Vec<Vec<Value>>> {
        self.entries
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, rs)| rs.page(offset, limit).to_vec())
    }

    /// Drops every kept result (e.g. when elevated work is locked out).
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
        let mut store = ResultStore::new(2);
        let a = store.insert(rows(500));
        let b = store.insert(rows(3));
        assert_eq!(store.page(&a, 200, 200).expect("a").len(), 200);
        assert_eq!(
            store.page(&a, 400, 200).expect("a")[0],
            vec![Value::Int(400)]
        );
        let c = store.insert(rows(1));
        assert!(store.page(&a, 0, 1).is_none(), "oldest dropped");
        assert_eq!(store.page(&b, 0, 10).expect("b").len(), 3);
        assert_eq!(store.page(&c, 0, 10).expect("c").len(), 1);
        assert!(store.page("nope", 0, 1).is_none());
        store.clear();
        assert!(store.page(&c, 0, 1).is_none());
    }
}
