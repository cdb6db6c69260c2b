//! STS mode: the elevated role, assumed by the broker for one analyst and one grant.

use aws_config::SdkConfig;
use aws_sdk_sts::types::Tag;
use chrono::{DateTime, Utc};

use crate::aws::{bounded, describe};
use crate::{session_policy, AwsElevation, BrokerError, Credentials};

/// Every credential set lives 15 minutes at most (the shortest STS allows); the broker mints
/// the next one before it expires, for as long as the grant holds.
pub const SESSION_SECONDS: i32 = 900;

#[derive(Debug, Clone)]
pub struct Minter {
    sts: aws_sdk_sts::Client,
}

impl Minter {
    pub fn new(sdk: &SdkConfig) -> Self {
        let mut builder = aws_sdk_sts::config::Builder::from(sdk);
        if sdk.timeout_config().is_none() {
            builder = builder.timeout_config(crate::aws::timeouts());
        }
        Self {
            sts: aws_sdk_sts::Client::from_conf(builder.build()),
        }
    }

    /// Assumes `target.role_arn` for grant `id` of elevation `name`, held by `requester` (an
    /// `aws:userid`) until `end`: `SourceIdentity` is the analyst's SSO user, the session is
    /// tagged `warden-grant=<id>`, and the session policy ends at `end`.
    pub async fn mint(
        &self,
        name: &str,
        target: &AwsElevation,
        id: &str,
        requester: &str,
        end: DateTime<Utc>,
    ) -> Result<Credentials, BrokerError> {
        let role_arn = target
            .role_arn()
            .ok_or_else(|| BrokerError::NoMapping { name: name.into() })?;
        let source_identity = source_identity(requester)?;
        let policy = session_policy(name, end, target.session_policy())?;
        let tag = Tag::builder()
            .key("warden-grant")
            .value(id)
            .build()
            .map_err(|e| BrokerError::Aws {
                what: "STS AssumeRole".into(),
                message: e.to_string(),
            })?;
        let call = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(format!("warden-{id}"))
            .duration_seconds(SESSION_SECONDS)
            .source_identity(source_identity)
            .tags(tag)
            .policy(policy)
            .send();
        let out = bounded("STS AssumeRole", call)
            .await?
            .map_err(|e| describe(&format!("STS AssumeRole {role_arn}"), &e))?;
        let c = out.credentials().ok_or_else(|| BrokerError::Aws {
            what: "STS AssumeRole".into(),
            message: "the answer held no credentials".into(),
        })?;
        // The session policy refuses the set from `end` on, whatever STS says: the holder is
        // told the earlier of the two, so it never counts on a set AWS already refuses (a set
        // minted for the old end while another broker extends the grant ends there).
        let expires_at_ms = c
            .expiration()
            .to_millis()
            .unwrap_or(i64::MAX)
            .min(end.timestamp_millis());
        Ok(Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().to_string(),
            expires_at_ms,
        })
    }
}

/// The analyst's SSO user: the session name of their `aws:userid` (`AROA...:ana@example.com`),
/// as STS accepts a `SourceIdentity` (2 to 64 of `[A-Za-z0-9_+=,.@-]`).
pub(crate) fn source_identity(requester: &str) -> Result<String, BrokerError> {
    let user = requester.rsplit(':').next().unwrap_or(requester);
    let ok = (2..=64).contains(&user.len())
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(user.to_string())
    } else {
        Err(BrokerError::Invalid {
            what: "SSO user name (STS SourceIdentity)",
            value: user.chars().take(80).collect(),
            hint: "it must be 2 to 64 letters, digits or _+=,.@-",
        })
    }
}

/// The account and role name of a role ARN, for the journal.
pub(crate) fn account_and_role(arn: &str) -> (String, String) {
    let mut parts = arn.splitn(6, ':');
    let account = parts.nth(4).unwrap_or_default().to_string();
    let resource = parts.next().unwrap_or_default();
    let role = resource.rsplit('/').next().unwrap_or_default().to_string();
    (account, role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_identity_is_the_sso_user_of_the_session() {
        assert_eq!(
            source_identity("AROAEXAMPLE:ana@example.com").unwrap(),
            "ana@example.com"
        );
        assert!(source_identity("AROAEXAMPLE:a").is_err());
        assert!(source_identity(&format!("AROA:{}", "a".repeat(65))).is_err());
    }

    #[test]
    fn journal_names_account_and_role() {
        assert_eq!(
            account_and_role("arn:aws:iam::123456789012:role/warden/PiiRead"),
            ("123456789012".into(), "PiiRead".into())
        );
    }
}
