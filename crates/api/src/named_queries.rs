//! `named_queries`: the Athena named queries of the workgroup baseline runs use, shown in the
//! Saved queries panel beside the analyst's own. Read-only here: they are managed in Athena.

use serde::Serialize;
use ts_rs::TS;
use warden_core::{Gate, NamedQueries};

use crate::error::{ApiError, ErrorKind};

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct NamedQueryEntry {
    pub id: String,
    pub name: String,
    pub description: String,
    pub database: Option<String>,
    pub sql: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkgroupQueries {
    pub workgroup: String,
    /// In name order.
    pub queries: Vec<NamedQueryEntry>,
    /// The workgroup has more than were read; the rest are left out.
    pub truncated: bool,
}

impl From<NamedQueries> for WorkgroupQueries {
    fn from(n: NamedQueries) -> Self {
        Self {
            workgroup: n.workgroup,
            queries: n
                .queries
                .into_iter()
                .map(|q| NamedQueryEntry {
                    id: q.id,
                    name: q.name,
                    description: q.description,
                    database: q.database,
                    sql: q.sql,
                })
                .collect(),
            truncated: n.truncated,
        }
    }
}

/// The named queries, or `None` on a workspace without workgroups (the demo).
pub async fn named_queries(gate: &Gate) -> Result<Option<WorkgroupQueries>, ApiError> {
    gate.named_queries()
        .await
        .map(|n| n.map(Into::into))
        .map_err(|e| ApiError::new(ErrorKind::Engine, e))
}
