use std::collections::BTreeMap;

/// What an elevation grants on AWS (the policy's `elevations.<name>.aws`, STS mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsElevation {
    /// The elevated role the broker assumes for the analyst.
    pub role_arn: String,
    /// An IAM policy document scoping the role down further for every grant (optional).
    pub session_policy: Option<serde_json::Value>,
    /// The Athena workgroup elevated runs use (for the client; the role is confined to it).
    pub workgroup: Option<String>,
    /// The Identity Center group (display name) an approver must be in, when set.
    pub approver_group: Option<String>,
}

/// What the broker needs besides the policy: the workspace name its journal records and each
/// elevation's AWS side.
#[derive(Debug, Clone, Default)]
pub struct BrokerConfig {
    pub workspace: String,
    pub elevations: BTreeMap<String, AwsElevation>,
}
