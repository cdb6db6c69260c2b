//! What the window shows about the open workspace.

use serde::Serialize;
use ts_rs::TS;
use warden_core::{Gate, Home};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    pub workspace: String,
    pub engine: String,
    /// Empty while no policy is in force (the banner says why).
    pub policy_name: String,
    pub policy_fingerprint: String,
    pub default_database: Option<String>,
    pub home: String,
}

/// `workspace_info`.
pub fn workspace_info(gate: &Gate, home: &Home) -> WorkspaceInfo {
    let policy = gate.policy().ok();
    WorkspaceInfo {
        workspace: gate.workspace().to_string(),
        engine: gate.engine_name().to_string(),
        policy_name: policy
            .as_ref()
            .map(|p| p.policy().name().to_string())
            .unwrap_or_default(),
        policy_fingerprint: policy
            .as_ref()
            .map(|p| p.policy().fingerprint().to_string())
            .unwrap_or_default(),
        default_database: gate.default_database().map(str::to_string),
        home: home.data.display().to_string(),
    }
}
