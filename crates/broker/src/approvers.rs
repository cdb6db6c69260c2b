//! Who may approve: an approver the identity store knows, in the elevation's approver group
//! when it names one. Asked of IAM Identity Center's identity store, never of the decision.

use aws_config::SdkConfig;
use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_sdk_identitystore::Client;
use aws_smithy_types::Document;

use crate::aws::{bounded, describe};
use crate::BrokerError;

/// Looks approvers up in one identity store; without one, any writer of `approvals/` (whom the
/// bucket policy limits to the approvers' permission set) is accepted unless a group is named.
#[derive(Debug, Clone)]
pub struct Approvers {
    store: Option<(Client, String)>,
}

impl Approvers {
    pub fn none() -> Self {
        Self { store: None }
    }

    pub fn identity_store(sdk: &SdkConfig, identity_store_id: &str) -> Self {
        let mut builder = aws_sdk_identitystore::config::Builder::from(sdk);
        if sdk.timeout_config().is_none() {
            builder = builder.timeout_config(crate::aws::timeouts());
        }
        Self {
            store: Some((
                Client::from_conf(builder.build()),
                identity_store_id.to_string(),
            )),
        }
    }

    /// `Ok(Ok(()))` when `approver` (an `aws:userid`) may decide, `Ok(Err(why not))` when they
    /// may not, `Err` when the identity store could not be asked (try again later).
    pub async fn check(
        &self,
        approver: &str,
        group: Option<&str>,
    ) -> Result<Result<(), String>, BrokerError> {
        let Some((client, store)) = &self.store else {
            return Ok(match group {
                None => Ok(()),
                Some(g) => Err(format!(
                    "the elevation needs an approver in group {g}, and the broker has no identity store to ask"
                )),
            });
        };
        let user = approver.rsplit(':').next().unwrap_or(approver);
        let Some(user_id) = find(client, store, "userName", user, true).await? else {
            return Ok(Err(format!("{user} is not a user of the identity store")));
        };
        let Some(group) = group else {
            return Ok(Ok(()));
        };
        let Some(group_id) = find(client, store, "displayName", group, false).await? else {
            return Ok(Err(format!(
                "the approver group {group} does not exist in the identity store"
            )));
        };
        let mut next: Option<String> = None;
        loop {
            let call = client
                .list_group_memberships_for_member()
                .identity_store_id(store)
                .member_id(MemberId::UserId(user_id.clone()))
                .set_next_token(next.take())
                .send();
            let page = bounded("identitystore ListGroupMembershipsForMember", call)
                .await?
                .map_err(|e| describe("identitystore ListGroupMembershipsForMember", &e))?;
            if page
                .group_memberships()
                .iter()
                .any(|m| m.group_id() == Some(group_id.as_str()))
            {
                return Ok(Ok(()));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => return Ok(Err(format!("{user} is not in the approver group {group}"))),
            }
        }
    }
}

/// The id of the identity store's user (`user`) or group whose attribute `path` is `value`;
/// `None` when there is none. Shared by the approver check and the Identity Center mode.
pub(crate) async fn find(
    client: &Client,
    store: &str,
    path: &str,
    value: &str,
    user: bool,
) -> Result<Option<String>, BrokerError> {
    let attribute = UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_string()))
        .build()
        .map_err(|e| BrokerError::Aws {
            what: "identitystore lookup".into(),
            message: e.to_string(),
        })?;
    let id = AlternateIdentifier::UniqueAttribute(attribute);
    if user {
        let call = client
            .get_user_id()
            .identity_store_id(store)
            .alternate_identifier(id)
            .send();
        match bounded("identitystore GetUserId", call).await? {
            Ok(out) => Ok(Some(out.user_id().to_string())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(describe("identitystore GetUserId", &e)),
        }
    } else {
        let call = client
            .get_group_id()
            .identity_store_id(store)
            .alternate_identifier(id)
            .send();
        match bounded("identitystore GetGroupId", call).await? {
            Ok(out) => Ok(Some(out.group_id().to_string())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(describe("identitystore GetGroupId", &e)),
        }
    }
}
