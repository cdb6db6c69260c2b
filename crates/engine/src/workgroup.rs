use serde::{Deserialize, Serialize};

/// An Athena workgroup a baseline run may use, as the workgroup picker lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Workgroup {
    pub name: String,
    pub description: String,
    /// `BytesScannedCutoffPerQuery`: Athena cancels a query that scans more. `None`: no cutoff.
    pub cutoff_bytes: Option<u64>,
}
