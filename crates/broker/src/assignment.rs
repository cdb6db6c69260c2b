//! Identity Center mode: the account assignment of a permission set to one analyst, made and
//! taken back through IAM Identity Center (`sso-admin`), with the analyst found in its identity
//! store. Every call is bounded; creation and deletion are asynchronous at AWS, so both are
//! followed with `Describe...Status` (backing off, for at most [`OPERATION_WAIT`]) before they
//! count as done.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PrincipalType, StatusValues, TargetType,
};
use serde::{Deserialize, Serialize};
use warden_guardrails::PermissionSetGrant;

use crate::aws::{bounded, describe};
use crate::record::Intent;
use crate::BrokerError;

/// The longest the broker follows one creation or deletion before giving up on it.
pub const OPERATION_WAIT: Duration = Duration::from_secs(120);
/// First pause between two status calls; doubled each time up to [`MAX_POLL_PAUSE`].
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(250);
const MAX_POLL_PAUSE: Duration = Duration::from_secs(5);
/// Pages of `ListAccountAssignments` read at most when looking for one assignment (100 each).
const MAX_LIST_PAGES: u32 = 50;

/// One account assignment: the permission set, the account, the analyst's identity store user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub instance_arn: String,
    pub permission_set_arn: String,
    pub account_id: String,
    /// The identity store's user id (`PrincipalType` USER).
    pub principal_id: String,
}

impl Assignment {
    /// `assignments/<instance>/<permission set>/<account>/<user>.json`: the holders of this
    /// assignment (see `holders.rs`), one object per assignment, written only by brokers.
    pub fn key(&self) -> String {
        let tail = |arn: &str| arn.rsplit('/').next().unwrap_or_default().to_string();
        format!(
            "assignments/{}/{}/{}/{}.json",
            tail(&self.instance_arn),
            tail(&self.permission_set_arn),
            self.account_id,
            self.principal_id
        )
    }
}

/// An Identity Center grant's assignment, as the broker's record of the grant keeps it: what
/// to delete at its end, and what the analyst's Warden asks the SSO portal for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assigned {
    pub assignment: Assignment,
    /// The permission set's name: the role name the SSO portal gives credentials for.
    pub role_name: String,
}

/// How an assignment operation ended at AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// AWS said FAILED: the reason.
    Failed(String),
    /// Still IN_PROGRESS when the broker stopped following it after [`OPERATION_WAIT`]: it may
    /// yet succeed. The reason, and AWS's request id to ask about it later.
    Unfinished {
        reason: String,
        request_id: String,
    },
}

/// What IAM Identity Center says of a creation the broker stopped following.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creation {
    /// It succeeded: the assignment exists.
    Succeeded,
    /// It failed: no assignment was made.
    Failed,
    /// Still in progress.
    InProgress,
}

/// The broker's IAM Identity Center client: `sso-admin` and the identity store.
#[derive(Debug)]
pub struct IdentityCenter {
    admin: aws_sdk_ssoadmin::Client,
    store: aws_sdk_identitystore::Client,
    /// Instance ARN -> identity store id, from `ListInstances` (they do not change).
    instances: Mutex<HashMap<String, String>>,
    wait: Duration,
}

impl IdentityCenter {
    /// `admin` reaches `sso-admin`, `store` the identity store (the same configuration, or
    /// each with its own endpoint).
    pub fn new(admin: &SdkConfig, store: &SdkConfig) -> Self {
        let mut a = aws_sdk_ssoadmin::config::Builder::from(admin);
        if admin.timeout_config().is_none() {
            a = a.timeout_config(crate::aws::timeouts());
        }
        let mut s = aws_sdk_identitystore::config::Builder::from(store);
        if store.timeout_config().is_none() {
            s = s.timeout_config(crate::aws::timeouts());
        }
        Self {
            admin: aws_sdk_ssoadmin::Client::from_conf(a.build()),
            store: aws_sdk_identitystore::Client::from_conf(s.build()),
            instances: Mutex::new(HashMap::new()),
            wait: OPERATION_WAIT,
        }
    }

    /// Follows operations for at most `wait` instead of [`OPERATION_WAIT`] (tests).
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The assignment for `user` (an SSO user name) of elevation `name`'s permission set:
    /// `Ok(Err(why))` when it cannot be made (no such user, no instance), which denies the
    /// request; `Err` when AWS could not be asked (the next pass tries again).
    pub async fn resolve(
        &self,
        name: &str,
        target: &PermissionSetGrant,
        user: &str,
    ) -> Result<Result<Assigned, String>, BrokerError> {
        let instance = target
            .permission_set_arn
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let instances = self.instances().await?;
        let found = instances
            .iter()
            .find(|(arn, _)| match &target.instance_arn {
                Some(wanted) => arn == wanted,
                None => arn.rsplit('/').next() == Some(instance.as_str()),
            });
        let Some((instance_arn, store)) = found else {
            return Ok(Err(format!(
                "IAM Identity Center has no instance {instance} for elevation {name}'s permission set (ListInstances); check elevations.{name}.aws.permission_set_arn and the broker's region"
            )));
        };
        let Some(principal_id) = self.user_id(store, user).await? else {
            return Ok(Err(format!(
                "{user} is not a user of the identity store {store}, so IAM Identity Center cannot assign them elevation {name}'s permission set"
            )));
        };
        if principal_id.is_empty()
            || principal_id.len() > 64
            || !principal_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(BrokerError::Invalid {
                what: "identity store user id",
                value: principal_id.chars().take(80).collect(),
                hint: "the identity store answered something that is not a user id",
            });
        }
        let role_name = match &target.role_name {
            Some(r) => r.clone(),
            None => {
                self.permission_set_name(instance_arn, &target.permission_set_arn)
                    .await?
            }
        };
        Ok(Ok(Assigned {
            assignment: Assignment {
                instance_arn: instance_arn.clone(),
                permission_set_arn: target.permission_set_arn.clone(),
                account_id: target.account_id.clone(),
                principal_id,
            },
            role_name,
        }))
    }

    async fn instances(&self) -> Result<Vec<(String, String)>, BrokerError> {
        {
            let known = self.instances.lock().unwrap_or_else(|p| p.into_inner());
            if !known.is_empty() {
                return Ok(known.iter().map(|(a, s)| (a.clone(), s.clone())).collect());
            }
        }
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let call = self
                .admin
                .list_instances()
                .set_next_token(next.take())
                .send();
            let page = bounded("sso-admin ListInstances", call)
                .await?
                .map_err(|e| describe("sso-admin ListInstances", &e))?;
            for i in page.instances() {
                if let (Some(arn), Some(store)) = (i.instance_arn(), i.identity_store_id()) {
                    found.push((arn.to_string(), store.to_string()));
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
        let mut known = self.instances.lock().unwrap_or_else(|p| p.into_inner());
        known.extend(found.iter().cloned());
        Ok(found)
    }

    async fn user_id(&self, store: &str, user: &str) -> Result<Option<String>, BrokerError> {
        crate::approvers::find(&self.store, store, "userName", user, true).await
    }

    async fn permission_set_name(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<String, BrokerError> {
        let call = self
            .admin
            .describe_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(permission_set_arn)
            .send();
        let out = bounded("sso-admin DescribePermissionSet", call)
            .await?
            .map_err(|e| describe("sso-admin DescribePermissionSet", &e))?;
        out.permission_set()
            .and_then(|p| p.name())
            .map(str::to_string)
            .ok_or_else(|| BrokerError::Aws {
                what: "sso-admin DescribePermissionSet".into(),
                message: format!("{permission_set_arn} has no name"),
            })
    }

    /// `CreateAccountAssignment`, then its status until it succeeds, fails or takes too long.
    /// Only with an `intent` the broker's journal has accepted.
    pub(crate) async fn create(
        &self,
        _intent: &Intent,
        a: &Assignment,
    ) -> Result<Outcome, BrokerError> {
        let call = self
            .admin
            .create_account_assignment()
            .instance_arn(&a.instance_arn)
            .permission_set_arn(&a.permission_set_arn)
            .target_type(TargetType::AwsAccount)
            .target_id(&a.account_id)
            .principal_type(PrincipalType::User)
            .principal_id(&a.principal_id)
            .send();
        let out = bounded("sso-admin CreateAccountAssignment", call)
            .await?
            .map_err(|e| describe("sso-admin CreateAccountAssignment", &e))?;
        let first = out.account_assignment_creation_status().cloned();
        self.follow(a, first, Operation::Create).await
    }

    /// `DeleteAccountAssignment`, then its status. An assignment that is already gone counts
    /// as deleted. Only with an `intent` the broker's journal has accepted.
    pub(crate) async fn delete(
        &self,
        _intent: &Intent,
        a: &Assignment,
    ) -> Result<Outcome, BrokerError> {
        let call = self
            .admin
            .delete_account_assignment()
            .instance_arn(&a.instance_arn)
            .permission_set_arn(&a.permission_set_arn)
            .target_type(TargetType::AwsAccount)
            .target_id(&a.account_id)
            .principal_type(PrincipalType::User)
            .principal_id(&a.principal_id)
            .send();
        let out = match bounded("sso-admin DeleteAccountAssignment", call).await? {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(Outcome::Succeeded)
            }
            Err(e) => return Err(describe("sso-admin DeleteAccountAssignment", &e)),
        };
        let first = out.account_assignment_deletion_status().cloned();
        self.follow(a, first, Operation::Delete).await
    }

    /// What became of creation `request_id` of `a`, which the broker stopped following
    /// (`DescribeAccountAssignmentCreationStatus`, bounded; it asks and changes nothing).
    pub(crate) async fn creation(
        &self,
        a: &Assignment,
        request_id: &str,
    ) -> Result<Creation, BrokerError> {
        let what = Operation::Create.status_call();
        let call = self
            .admin
            .describe_account_assignment_creation_status()
            .instance_arn(&a.instance_arn)
            .account_assignment_creation_request_id(request_id)
            .send();
        let out = bounded(what, call).await?.map_err(|e| describe(what, &e))?;
        Ok(
            match out
                .account_assignment_creation_status()
                .and_then(|s| s.status())
            {
                Some(StatusValues::Succeeded) => Creation::Succeeded,
                Some(StatusValues::Failed) => Creation::Failed,
                _ => Creation::InProgress,
            },
        )
    }

    /// Whether assignment `a` exists at AWS: `ListAccountAssignments` of its permission set in
    /// its account, paged (each page bounded, at most [`MAX_LIST_PAGES`]), looking for its
    /// user. For a creation whose answer was lost; it asks and changes nothing.
    pub(crate) async fn exists(&self, a: &Assignment) -> Result<bool, BrokerError> {
        const WHAT: &str = "sso-admin ListAccountAssignments";
        let mut next: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let call = self
                .admin
                .list_account_assignments()
                .instance_arn(&a.instance_arn)
                .account_id(&a.account_id)
                .permission_set_arn(&a.permission_set_arn)
                .max_results(100)
                .set_next_token(next.take())
                .send();
            let page = bounded(WHAT, call).await?.map_err(|e| describe(WHAT, &e))?;
            if page.account_assignments().iter().any(|x| {
                x.principal_type() == Some(&PrincipalType::User)
                    && x.principal_id() == Some(a.principal_id.as_str())
                    && x.account_id() == Some(a.account_id.as_str())
                    && x.permission_set_arn() == Some(a.permission_set_arn.as_str())
            }) {
                return Ok(true);
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => return Ok(false),
            }
        }
        Err(BrokerError::Aws {
            what: WHAT.into(),
            message: format!(
                "more than {MAX_LIST_PAGES} pages of assignments of {} in account {}; the broker stopped looking",
                a.permission_set_arn, a.account_id
            ),
        })
    }

    async fn follow(
        &self,
        a: &Assignment,
        mut status: Option<AccountAssignmentOperationStatus>,
        op: Operation,
    ) -> Result<Outcome, BrokerError> {
        let started = tokio::time::Instant::now();
        let mut pause = FIRST_POLL_PAUSE;
        loop {
            let s = status.as_ref().ok_or_else(|| BrokerError::Aws {
                what: op.call().into(),
                message: "the answer held no operation status".into(),
            })?;
            match s.status() {
                Some(StatusValues::Succeeded) => return Ok(Outcome::Succeeded),
                Some(StatusValues::Failed) => {
                    return Ok(Outcome::Failed(format!(
                        "IAM Identity Center reported the {} of the assignment as FAILED: {}",
                        op.noun(),
                        s.failure_reason().unwrap_or("no reason given")
                    )))
                }
                _ => {}
            }
            let request_id = s.request_id().unwrap_or_default().to_string();
            if request_id.is_empty() {
                return Err(BrokerError::Aws {
                    what: op.call().into(),
                    message: "the operation status held no request id to follow".into(),
                });
            }
            if started.elapsed() + pause > self.wait {
                return Ok(Outcome::Unfinished {
                    reason: format!(
                        "IAM Identity Center did not finish the {} of the assignment within {} s (request {request_id}); it may still complete",
                        op.noun(),
                        self.wait.as_secs()
                    ),
                    request_id,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL_PAUSE);
            status = match op {
                Operation::Create => {
                    let call = self
                        .admin
                        .describe_account_assignment_creation_status()
                        .instance_arn(&a.instance_arn)
                        .account_assignment_creation_request_id(&request_id)
                        .send();
                    bounded(op.status_call(), call)
                        .await?
                        .map_err(|e| describe(op.status_call(), &e))?
                        .account_assignment_creation_status()
                        .cloned()
                }
                Operation::Delete => {
                    let call = self
                        .admin
                        .describe_account_assignment_deletion_status()
                        .instance_arn(&a.instance_arn)
                        .account_assignment_deletion_request_id(&request_id)
                        .send();
                    bounded(op.status_call(), call)
                        .await?
                        .map_err(|e| describe(op.status_call(), &e))?
                        .account_assignment_deletion_status()
                        .cloned()
                }
            };
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Operation {
    Create,
    Delete,
}

impl Operation {
    fn call(self) -> &'static str {
        match self {
            Operation::Create => "sso-admin CreateAccountAssignment",
            Operation::Delete => "sso-admin DeleteAccountAssignment",
        }
    }

    fn status_call(self) -> &'static str {
        match self {
            Operation::Create => "sso-admin DescribeAccountAssignmentCreationStatus",
            Operation::Delete => "sso-admin DescribeAccountAssignmentDeletionStatus",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Operation::Create => "creation",
            Operation::Delete => "deletion",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assignment_has_one_key_of_its_four_parts() {
        let a = Assignment {
            instance_arn: "arn:aws:sso:::instance/ssoins-0123456789abcdef".into(),
            permission_set_arn:
                "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef".into(),
            account_id: "123456789012".into(),
            principal_id: "9067a5e1-40a1-70c4-3a0a-5c6b1ef5d4a2".into(),
        };
        assert_eq!(
            a.key(),
            "assignments/ssoins-0123456789abcdef/ps-0123456789abcdef/123456789012/9067a5e1-40a1-70c4-3a0a-5c6b1ef5d4a2.json"
        );
    }
}
