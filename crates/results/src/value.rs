//! The cells and column descriptions of a result. They live here, below the engines, so that
//! the store can hold them and every engine hands the gate a stored result
//! (`warden-engine` re-exports them).

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
