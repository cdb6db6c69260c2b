//! The workgroup picker of an Athena workspace: `workgroups` lists what baseline runs may use
//! (each with its scan cutoff), `choose_workgroup` switches to one. The gate decides both.

use serde::Serialize;
use ts_rs::TS;
use warden_core::{Gate, WorkgroupChoice};

use crate::error::{ApiError, ErrorKind};

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkgroupEntry {
    pub name: String,
    pub description: String,
    /// Athena cancels a query that scans more than this (`BytesScannedCutoffPerQuery`);
    /// `None`: no cutoff.
    pub cutoff_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkgroupPicker {
    pub workgroups: Vec<WorkgroupEntry>,
    /// Where baseline runs go now (runs under a grant use the grant's workgroup).
    pub current: String,
    /// The workspace's configured workgroup.
    pub default_workgroup: String,
    /// Why the workgroup picked in an earlier session is not used now (no longer allowed).
    pub note: Option<String>,
}

impl From<WorkgroupChoice> for WorkgroupPicker {
    fn from(c: WorkgroupChoice) -> Self {
        Self {
            workgroups: c
                .workgroups
                .into_iter()
                .map(|w| WorkgroupEntry {
                    name: w.name,
                    description: w.description,
                    cutoff_bytes: w.cutoff_bytes,
                })
                .collect(),
            current: c.current,
            default_workgroup: c.default,
            note: c.note,
        }
    }
}

/// `workgroups`: the picker's list, or `None` on a workspace without workgroups (the demo).
pub async fn workgroups(gate: &Gate) -> Result<Option<WorkgroupPicker>, ApiError> {
    if !gate.offers_workgroups() {
        return Ok(None);
    }
    gate.workgroups()
        .await
        .map(|c| Some(c.into()))
        .map_err(|e| ApiError::new(ErrorKind::Engine, e))
}

/// `choose_workgroup`: baseline runs from now on go to `name`; refused unless it is offered.
pub async fn choose_workgroup(gate: &Gate, name: &str) -> Result<WorkgroupPicker, ApiError> {
    gate.choose_workgroup(name)
        .await
        .map(Into::into)
        .map_err(|e| ApiError::new(ErrorKind::Blocked, e))
}
