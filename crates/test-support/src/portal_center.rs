//! The SSO fake's part of IAM Identity Center's account assignments: the real portal gives a
//! user credentials for a permission set's role (named like the permission set) in an account
//! only while the user has an account assignment of it there. The fake asks moto's sso-admin
//! and identity store the same question, and answers with credentials of a session moto's STS
//! assumed on the role Identity Center provisions for the permission set
//! (`aws-reserved/sso.amazonaws.com/AWSReservedSSO_<name>_<suffix>`), so that moto and the
//! Athena stand-in tell the elevated role from the baseline by its key, as AWS does.

use std::time::Duration;

use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
use aws_sdk_ssoadmin::types::PrincipalType;
use aws_smithy_types::Document;
use serde::{Deserialize, Serialize};

/// Where the fake looks for assignments, and who the signed-in user is there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Center {
    /// moto_server's endpoint (sso-admin, identitystore, STS).
    pub moto_endpoint: String,
    /// The signed-in user's `userName` in the identity store of moto's instance.
    pub user_name: String,
}

/// One set of credentials the fake hands out.
pub struct Issued {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// The suffix Identity Center gives the roles it provisions (fixed here: one account, one
/// instance).
pub const ROLE_SUFFIX: &str = "5a4db0e2c1f3a9b7";

/// The ARN of the role Identity Center provisions in `account` for permission set `name`.
pub fn provisioned_role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{name}_{ROLE_SUFFIX}")
}

/// The fake answers, rather than hangs, when moto is gone.
const ASK_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials for permission set `role` in `account` when `center`'s user holds an account
/// assignment of it there (`Ok(None)` when not: the portal's `ForbiddenException`), living
/// `lifetime_s` seconds; `Err` when moto could not be asked.
pub async fn assigned_role(
    center: &Center,
    account: &str,
    role: &str,
    lifetime_s: i64,
) -> Result<Option<Issued>, String> {
    tokio::time::timeout(ASK_TIMEOUT, ask(center, account, role, lifetime_s))
        .await
        .map_err(|_| format!("moto at {} did not answer in time", center.moto_endpoint))?
}

async fn ask(
    center: &Center,
    account: &str,
    role: &str,
    lifetime_s: i64,
) -> Result<Option<Issued>, String> {
    let sdk = crate::standin::local_sdk_config(&center.moto_endpoint);
    let admin = aws_sdk_ssoadmin::Client::new(&sdk);
    let instances = admin
        .list_instances()
        .send()
        .await
        .map_err(|e| format!("sso-admin ListInstances: {e:?}"))?;
    let Some(instance) = instances.instances().first() else {
        return Ok(None);
    };
    let (Some(instance_arn), Some(store)) = (instance.instance_arn(), instance.identity_store_id())
    else {
        return Ok(None);
    };
    let Some(permission_set) = permission_set_named(&admin, instance_arn, role).await? else {
        return Ok(None);
    };
    let ids = aws_sdk_identitystore::Client::new(&sdk);
    let attribute = UniqueAttribute::builder()
        .attribute_path("userName")
        .attribute_value(Document::String(center.user_name.clone()))
        .build()
        .map_err(|e| e.to_string())?;
    let user_id = match ids
        .get_user_id()
        .identity_store_id(store)
        .alternate_identifier(AlternateIdentifier::UniqueAttribute(attribute))
        .send()
        .await
    {
        Ok(out) => out.user_id().to_string(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(format!("identitystore GetUserId: {e:?}")),
    };
    let mut held = false;
    for arn in arn_forms(&permission_set) {
        let assignments = admin
            .list_account_assignments()
            .instance_arn(instance_arn)
            .account_id(account)
            .permission_set_arn(&arn)
            .send()
            .await
            .map_err(|e| format!("sso-admin ListAccountAssignments: {e:?}"))?;
        held |= assignments.account_assignments().iter().any(|a| {
            a.principal_type() == Some(&PrincipalType::User) && a.principal_id() == Some(&user_id)
        });
    }
    if !held {
        return Ok(None);
    }
    let sts = aws_sdk_sts::Client::new(&sdk);
    let out = sts
        .assume_role()
        .role_arn(provisioned_role_arn(account, role))
        .role_session_name(&center.user_name)
        .duration_seconds(lifetime_s.clamp(900, 43_200) as i32)
        .send()
        .await
        .map_err(|e| format!("sts AssumeRole: {e:?}"))?;
    let c = out
        .credentials()
        .ok_or("sts AssumeRole answered no credentials")?;
    Ok(Some(Issued {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: c.session_token().to_string(),
    }))
}

/// A permission set's ARN as moto makes it (`arn:aws:sso:::instance/ssoins-…/ps-…`) and as AWS
/// does (`arn:aws:sso:::permissionSet/ssoins-…/ps-…`, which Warden's policy requires). moto
/// keeps an assignment under whichever form it was made with, so both are asked.
pub fn arn_forms(moto_arn: &str) -> Vec<String> {
    let aws = moto_arn.replacen(":::instance/", ":::permissionSet/", 1);
    if aws == moto_arn {
        vec![aws]
    } else {
        vec![moto_arn.to_string(), aws]
    }
}

/// The ARN of the permission set called `name` in `instance_arn`, if there is one.
async fn permission_set_named(
    admin: &aws_sdk_ssoadmin::Client,
    instance_arn: &str,
    name: &str,
) -> Result<Option<String>, String> {
    let sets = admin
        .list_permission_sets()
        .instance_arn(instance_arn)
        .send()
        .await
        .map_err(|e| format!("sso-admin ListPermissionSets: {e:?}"))?;
    for arn in sets.permission_sets() {
        let out = admin
            .describe_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(arn)
            .send()
            .await
            .map_err(|e| format!("sso-admin DescribePermissionSet: {e:?}"))?;
        if out.permission_set().and_then(|p| p.name()) == Some(name) {
            return Ok(Some(arn.clone()));
        }
    }
    Ok(None)
}
