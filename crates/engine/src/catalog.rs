use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogColumn {
    pub name: String,
    pub data_type: String,
    /// True for Hive partition keys (`dt=...` folders).
    pub partition_key: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogTable {
    pub name: String,
    pub columns: Vec<CatalogColumn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CatalogDatabase {
    pub name: String,
    pub tables: Vec<CatalogTable>,
}

/// What an engine can see, sorted by name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct CatalogSnapshot {
    pub databases: Vec<CatalogDatabase>,
}
