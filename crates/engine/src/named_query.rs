use serde::{Deserialize, Serialize};

/// A query saved in an Athena workgroup (`CreateNamedQuery`), offered beside the analyst's own
/// saved queries. Only its text: opening one lints it like any typed text, and running it goes
/// through the gate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NamedQuery {
    pub id: String,
    pub name: String,
    pub description: String,
    pub database: Option<String>,
    pub sql: String,
}

/// The named queries of one workgroup, in name order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NamedQueries {
    pub workgroup: String,
    pub queries: Vec<NamedQuery>,
    /// More were listed than are read ([`NAMED_QUERIES_MAX`]); the rest are left out.
    pub truncated: bool,
}

/// At most this many named queries are read from a workgroup: a workgroup with thousands
/// would otherwise cost hundreds of calls each time the panel opens.
pub const NAMED_QUERIES_MAX: usize = 500;
