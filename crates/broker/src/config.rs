use std::collections::BTreeMap;

use warden_guardrails::{AwsTarget, Policy};

/// What an elevation grants on AWS (the policy's `elevations.<name>.aws`).
#[derive(Debug, Clone, PartialEq)]
pub struct AwsElevation {
    /// The elevated role the broker assumes for the analyst (STS mode), or the permission set
    /// it assigns them (Identity Center mode).
    pub target: AwsTarget,
    /// The Athena workgroup elevated runs use (for the client; the role is confined to it).
    pub workgroup: Option<String>,
    /// The Identity Center group (display name) an approver must be in, when set.
    pub approver_group: Option<String>,
}

impl AwsElevation {
    /// The STS mode onto `role_arn`, without a session policy, workgroup or approver group.
    pub fn role(role_arn: &str) -> Self {
        Self {
            target: AwsTarget::Role {
                role_arn: role_arn.to_string(),
                session_policy: None,
            },
            workgroup: None,
            approver_group: None,
        }
    }

    /// The role of the STS mode, `None` in the Identity Center mode.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.target {
            AwsTarget::Role { role_arn, .. } => Some(role_arn),
            AwsTarget::PermissionSet(_) => None,
        }
    }

    /// The STS mode's session policy.
    pub fn session_policy(&self) -> Option<&serde_json::Value> {
        match &self.target {
            AwsTarget::Role { session_policy, .. } => session_policy.as_ref(),
            AwsTarget::PermissionSet(_) => None,
        }
    }

    /// The Identity Center mode's permission set, `None` in the STS mode.
    pub fn permission_set(&self) -> Option<&warden_guardrails::PermissionSetGrant> {
        match &self.target {
            AwsTarget::PermissionSet(p) => Some(p),
            AwsTarget::Role { .. } => None,
        }
    }
}

/// What the broker needs besides the policy: the workspace name its journal records and each
/// elevation's AWS side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerConfig {
    pub workspace: String,
    pub elevations: BTreeMap<String, AwsElevation>,
}

impl BrokerConfig {
    /// The mapping of the policy in force: every elevation with an `aws` section, with its
    /// approver group. Elevations without one are left out, so the broker denies requests for
    /// them ("has no AWS mapping") rather than guess a role.
    pub fn from_policy(workspace: &str, policy: &Policy) -> Self {
        let elevations = policy
            .elevations()
            .iter()
            .filter_map(|(name, e)| {
                let aws = e.aws.as_ref()?;
                Some((
                    name.clone(),
                    AwsElevation {
                        target: aws.target.clone(),
                        workgroup: aws.workgroup.clone(),
                        approver_group: e.approver_group.clone(),
                    },
                ))
            })
            .collect();
        Self {
            workspace: workspace.to_string(),
            elevations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_the_aws_mapping_of_the_policy_in_force() {
        let policy = Policy::from_yaml(
            r#"
format: warden-policy/1
name: mapped
elevations:
  pii-read:
    approval: manual
    approver_group: Data approvers
    aws:
      role_arn: arn:aws:iam::123456789012:role/warden-pii-read
      workgroup: warden-pii-read
      session_policy: { Statement: [{ Effect: Allow, Action: "athena:*", Resource: "*" }] }
  large-scan:
    approval: auto
    justification: optional
    aws: { role_arn: "arn:aws:iam::123456789012:role/warden-large-scan" }
  local-only:
    approval: auto
"#,
        )
        .expect("policy");
        let config = BrokerConfig::from_policy("prod", &policy);
        let expected = BrokerConfig {
            workspace: "prod".into(),
            elevations: BTreeMap::from([
                (
                    "large-scan".to_string(),
                    AwsElevation::role("arn:aws:iam::123456789012:role/warden-large-scan"),
                ),
                (
                    "pii-read".to_string(),
                    AwsElevation {
                        target: AwsTarget::Role {
                            role_arn: "arn:aws:iam::123456789012:role/warden-pii-read".into(),
                            session_policy: Some(serde_json::json!({
                                "Statement": [{"Effect": "Allow", "Action": "athena:*", "Resource": "*"}]
                            })),
                        },
                        workgroup: Some("warden-pii-read".into()),
                        approver_group: Some("Data approvers".into()),
                    },
                ),
            ]),
        };
        assert_eq!(config, expected);
        // Whatever the policy lets through, the broker's own session policy takes.
        let end = chrono::Utc::now();
        for (name, e) in &config.elevations {
            crate::session_policy(name, end, e.session_policy()).expect(name);
        }
    }

    #[test]
    fn the_sandbox_policy_maps_every_elevation_onto_a_role() {
        let policy = Policy::from_yaml(include_str!("../../../scripts/sandbox-policy.yaml"))
            .expect("scripts/sandbox-policy.yaml loads");
        let config = BrokerConfig::from_policy("sandbox", &policy);
        assert_eq!(
            config.elevations.keys().collect::<Vec<_>>(),
            policy.elevation_names().iter().collect::<Vec<_>>()
        );
        for (name, e) in &config.elevations {
            // scripts/sandbox.sh creates exactly these roles in moto.
            assert_eq!(
                e.role_arn(),
                Some(format!("arn:aws:iam::123456789012:role/warden-{name}").as_str())
            );
        }
    }
}
