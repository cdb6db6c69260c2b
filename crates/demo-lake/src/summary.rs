use serde::{Deserialize, Serialize};

/// What one table of a generated lake holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    pub database: String,
    pub table: String,
    pub rows: u64,
    /// Total size of the table's Parquet files.
    pub bytes: u64,
    /// Number of `dt=` partitions; 0 for a table that is not partitioned.
    pub partitions: u64,
    pub files: u64,
}

/// What a generated lake holds; also stored in the lake's marker file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeSummary {
    pub generator_version: u32,
    pub seed: u64,
    /// First and last `dt` partition values, `YYYY-MM-DD`.
    pub first_day: String,
    pub last_day: String,
    pub tables: Vec<TableSummary>,
}

impl LakeSummary {
    pub fn table(&self, database: &str, table: &str) -> Option<&TableSummary> {
        self.tables
            .iter()
            .find(|t| t.database == database && t.table == table)
    }

    pub fn total_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}
