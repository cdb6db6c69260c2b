use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: String,
}

/// One cell. Kept small and typed so JSON output keeps numbers as numbers.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Value {
    /// How the cell reads in a table or CSV; NULL is empty in CSV and shown as NULL in tables.
    pub fn display(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(s) => s.clone(),
        }
    }
}

/// Rows of a finished query, kept in memory and handed out in pages.
#[derive(Debug, Clone, Default)]
pub struct ResultSet {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Vec<Value>>,
}

impl ResultSet {
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Rows `[offset, offset + limit)`, clamped to what exists.
    pub fn page(&self, offset: usize, limit: usize) -> &[Vec<Value>] {
        let start = offset.min(self.rows.len());
        let end = start.saturating_add(limit).min(self.rows.len());
        &self.rows[start..end]
    }
}

#[derive(Debug, Clone)]
pub struct QueryOutcome {
    /// The engine's own id for the execution (Athena's QueryExecutionId, or a local UUID).
    pub query_id: String,
    pub result: ResultSet,
    pub bytes_scanned: u64,
    /// What the scan cost in USD, for engines that bill by the byte (Athena); `None` otherwise.
    pub cost_usd: Option<f64>,
    pub duration: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped() {
        let rs = ResultSet {
            columns: vec![ColumnInfo {
                name: "n".into(),
                data_type: "bigint".into(),
            }],
            rows: (0..10).map(|i| vec![Value::Int(i)]).collect(),
        };
        assert_eq!(rs.page(8, 5).len(), 2);
        assert_eq!(rs.page(20, 5).len(), 0);
        assert_eq!(rs.page(0, usize::MAX).len(), 10);
        assert_eq!(rs.page(3, 2)[0], vec![Value::Int(3)]);
    }
}
