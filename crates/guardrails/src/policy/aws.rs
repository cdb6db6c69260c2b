//! What an elevation grants on AWS (`elevations.<name>.aws`): in the STS mode the role the
//! elevation broker assumes for the analyst and an optional session policy scoping it down; in
//! the Identity Center mode the permission set the broker assigns to the analyst in one
//! account; in both the Athena workgroup elevated runs use. Checked when the policy loads, so
//! that a broker never finds out at the moment of a grant that the mapping cannot work.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// The AWS side of one elevation.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsGrant {
    /// What the broker gives the analyst for the grant.
    pub target: AwsTarget,
    /// The Athena workgroup elevated runs use.
    pub workgroup: Option<String>,
}

/// The two modes of elevation on AWS (docs/elevation.md, "On AWS").
#[derive(Debug, Clone, PartialEq)]
pub enum AwsTarget {
    /// STS mode: the broker assumes a role for the analyst and delivers the credentials.
    Role {
        /// `arn:aws:iam::ACCOUNT:role/NAME`: the role the broker assumes for the grant.
        role_arn: String,
        /// An IAM policy document that scopes the role down for every grant; the broker adds
        /// the grant's end to each statement.
        session_policy: Option<Value>,
    },
    /// Identity Center mode: the broker assigns a permission set to the analyst in one account
    /// for the grant, and the analyst's Warden takes the credentials from the SSO portal.
    PermissionSet(PermissionSetGrant),
}

/// The Identity Center mode's account assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSetGrant {
    /// `arn:aws:sso:::permissionSet/ssoins-.../ps-...`.
    pub permission_set_arn: String,
    /// The 12-digit account the permission set is assigned in.
    pub account_id: String,
    /// `arn:aws:sso:::instance/ssoins-...`; when absent the broker asks `ListInstances`.
    pub instance_arn: Option<String>,
    /// The permission set's name, which is the role name the SSO portal gives credentials for.
    pub role_name: Option<String>,
}

impl AwsGrant {
    /// The role of the STS mode, `None` in the Identity Center mode.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.target {
            AwsTarget::Role { role_arn, .. } => Some(role_arn),
            AwsTarget::PermissionSet(_) => None,
        }
    }

    /// The permission set of the Identity Center mode, `None` in the STS mode.
    pub fn permission_set(&self) -> Option<&PermissionSetGrant> {
        match &self.target {
            AwsTarget::PermissionSet(p) => Some(p),
            AwsTarget::Role { .. } => None,
        }
    }
}

/// AWS refuses packed session policies longer than this (the broker's limit too).
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// What the broker adds to every statement, at most: the `Condition` with the grant's end
/// (`,"Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-04T13:45:30Z"}}`).
const END_CONDITION_CHARS: usize = 72;
/// And a `"Version":"2012-10-17",` when the document has none.
const VERSION_CHARS: usize = 23;

static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    // Partition (aws, aws-cn, aws-us-gov, ...), a 12-digit account, an optional path of
    // printable ASCII, and a role name of at most 64 of IAM's characters.
    Regex::new(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}$")
        .expect("role ARN pattern")
});

static PERMISSION_SET_ARN: LazyLock<Regex> = LazyLock::new(|| {
    // IAM Identity Center's own pattern (sso-admin API reference, PermissionSetArn).
    Regex::new(r"^arn:aws(-[a-z]+)*:sso:::permissionSet/((sso)?ins-[a-zA-Z0-9.-]{16})/ps-[a-zA-Z0-9./-]{16}$")
        .expect("permission set ARN pattern")
});

static INSTANCE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]+)*:sso:::instance/((sso)?ins-[a-zA-Z0-9.-]{16})$")
        .expect("instance ARN pattern")
});

static ROLE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_+=,.@-]{1,32}$").expect("role name pattern"));

static WORKGROUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9._-]{1,128}$").expect("workgroup pattern"));

/// `Ok` when `arn` has the shape of an IAM role ARN; otherwise what is wrong with it.
pub(crate) fn check_role_arn(arn: &str) -> Result<(), String> {
    if arn.len() <= 2048 && ROLE_ARN.is_match(arn) {
        return Ok(());
    }
    let hint = if arn.contains(":assumed-role/") {
        " (an assumed-role session ARN names a session, not the role: use the role's own ARN)"
    } else if arn.starts_with("arn:") && !arn.contains(":iam::") {
        " (it is not an IAM ARN)"
    } else {
        ""
    };
    Err(format!(
        "{arn:?} is not an IAM role ARN such as arn:aws:iam::123456789012:role/warden-pii-read{hint}"
    ))
}

/// The instance id (`ssoins-...`) of a permission set ARN; otherwise what is wrong with it.
pub(crate) fn check_permission_set_arn(arn: &str) -> Result<String, String> {
    if let Some(c) = PERMISSION_SET_ARN.captures(arn) {
        return Ok(c[2].to_string());
    }
    let hint = if arn.contains(":iam::") {
        " (an IAM ARN belongs to the STS mode: give it as role_arn instead)"
    } else if arn.contains(":sso:::instance/") {
        " (that is the Identity Center instance: give it as instance_arn)"
    } else {
        ""
    };
    Err(format!(
        "{arn:?} is not a permission set ARN such as arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef{hint}"
    ))
}

/// The instance id (`ssoins-...`) of an Identity Center instance ARN; otherwise what is wrong.
pub(crate) fn check_instance_arn(arn: &str) -> Result<String, String> {
    INSTANCE_ARN
        .captures(arn)
        .map(|c| c[2].to_string())
        .ok_or_else(|| {
            format!(
                "{arn:?} is not an IAM Identity Center instance ARN such as arn:aws:sso:::instance/ssoins-0123456789abcdef (or leave it out: the broker asks ListInstances)"
            )
        })
}

/// `Ok` when `account` is a 12-digit AWS account id.
pub(crate) fn check_account_id(account: &str) -> Result<(), String> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "{account:?} is not an AWS account id: give its 12 digits, quoted if it starts with 0 (\"012345678901\")"
        ))
    }
}

/// `Ok` when `name` can be a permission set's name (the role name the SSO portal knows).
pub(crate) fn check_role_name(name: &str) -> Result<(), String> {
    if ROLE_NAME.is_match(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a permission set name (1 to 32 letters, digits or _+=,.@-)"
        ))
    }
}

/// `Ok` when `name` can be an Athena workgroup's name.
pub(crate) fn check_workgroup(name: &str) -> Result<(), String> {
    if WORKGROUP.is_match(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an Athena workgroup name (1 to 128 letters, digits, '.', '_' or '-')"
        ))
    }
}

/// `Ok` when `group` can be an IAM Identity Center group's display name.
pub(crate) fn check_group(group: &str) -> Result<(), String> {
    if group.trim().is_empty() || group.len() > 1024 || group.chars().any(char::is_control) {
        Err(format!(
            "{group:?} is not a group name: give the display name of an IAM Identity Center group (1 to 1024 characters, no control characters)"
        ))
    } else {
        Ok(())
    }
}

/// The session policy as the broker will use it: a JSON object (written as a YAML mapping, or
/// as a string holding the JSON) with at least one statement, each an object with an `Effect`,
/// none setting the grant's end itself, and short enough for AWS once the end is added.
pub(crate) fn session_policy(value: &Value) -> Result<Value, String> {
    let document = match value {
        Value::String(text) => serde_json::from_str::<Value>(text).map_err(|e| {
            format!("it is a string but not JSON ({e}); write the policy document as a mapping or as JSON text")
        })?,
        other => other.clone(),
    };
    let Value::Object(doc) = &document else {
        return Err(format!(
            "it is {}, not a JSON object; write an IAM policy document such as {{Version: \"2012-10-17\", Statement: [...]}}",
            kind(&document)
        ));
    };
    if let Some(version) = doc.get("Version") {
        if !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17")) {
            return Err(format!(
                "it has Version {version}; IAM takes \"2012-10-17\" (or leave it out)"
            ));
        }
    }
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("it has no statements: give Statement as a list of at least one".into()),
    };
    for (i, statement) in statements.iter().enumerate() {
        let Value::Object(s) = statement else {
            return Err(format!("statement {i} is not an object"));
        };
        if !matches!(
            s.get("Effect").and_then(Value::as_str),
            Some("Allow" | "Deny")
        ) {
            return Err(format!("statement {i} has no Effect of Allow or Deny"));
        }
        let sets_end = s
            .get("Condition")
            .and_then(|c| c.get("DateLessThan"))
            .and_then(|d| d.get("aws:CurrentTime"))
            .is_some();
        if sets_end {
            return Err(format!(
                "statement {i} sets DateLessThan aws:CurrentTime itself; leave it out, the broker ends every statement at the grant's end"
            ));
        }
    }
    let packed = serde_json::to_string(&document).map_err(|e| e.to_string())?;
    let longest = packed.len()
        + statements.len() * END_CONDITION_CHARS
        + if doc.contains_key("Version") {
            0
        } else {
            VERSION_CHARS
        };
    if longest > MAX_SESSION_POLICY_CHARS {
        return Err(format!(
            "it is {longest} characters long once the broker adds the grant's end; AWS takes at most {MAX_SESSION_POLICY_CHARS}"
        ));
    }
    Ok(document)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn role_arns_have_the_shape_of_an_iam_role() {
        for good in [
            "arn:aws:iam::123456789012:role/warden-pii-read",
            "arn:aws-us-gov:iam::123456789012:role/data/warden/pii_read+1",
            "arn:aws-cn:iam::123456789012:role/a",
        ] {
            assert_eq!(check_role_arn(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "warden-pii-read",
            "arn:aws:iam::12345:role/warden",
            "arn:aws:iam::123456789012:user/ana",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:s3:::bucket",
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
            "arn:aws:iam::123456789012:role/has space",
        ] {
            let e = check_role_arn(bad).expect_err(bad);
            assert!(
                e.contains("is not an IAM role ARN such as arn:aws:iam::"),
                "{e}"
            );
        }
        let e = check_role_arn("arn:aws:sts::123456789012:assumed-role/warden/ana").unwrap_err();
        assert!(e.contains("names a session, not the role"), "{e}");
    }

    #[test]
    fn a_session_policy_is_an_iam_document_without_an_end_of_its_own() {
        let ok = json!({"Statement": [{"Effect": "Allow", "Action": "athena:*", "Resource": "*"}]});
        assert_eq!(session_policy(&ok), Ok(ok.clone()));
        let text = Value::String(ok.to_string());
        assert_eq!(session_policy(&text), Ok(ok), "JSON text is read too");
        let one = json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}});
        assert!(session_policy(&one).is_ok());

        let cases = [
            (json!(["Allow"]), "is a list, not a JSON object"),
            (json!("{not json"), "it is a string but not JSON"),
            (json!({"Version": "2012-10-17"}), "has no statements"),
            (json!({"Statement": []}), "has no statements"),
            (
                json!({"Version": "2020-01-01", "Statement": [{"Effect": "Allow"}]}),
                "has Version",
            ),
            (
                json!({"Statement": ["Allow"]}),
                "statement 0 is not an object",
            ),
            (
                json!({"Statement": [{"Effect": "Allow"}, {"Action": "*"}]}),
                "statement 1 has no Effect",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]}),
                "sets DateLessThan aws:CurrentTime itself",
            ),
        ];
        for (value, expected) in cases {
            let e = session_policy(&value).expect_err(&value.to_string());
            assert!(e.contains(expected), "{value}: {e}");
        }
    }

    #[test]
    fn a_session_policy_leaves_room_for_the_grants_end() {
        let statement = |n: usize| json!({"Effect": "Allow", "Action": "athena:*", "Resource": format!("arn:aws:athena:::workgroup/{}", "w".repeat(n))});
        let fits = |n: usize| {
            session_policy(&json!({"Version": "2012-10-17", "Statement": [statement(n)]})).is_ok()
        };
        // The largest resource name that fits, found by search, leaves exactly the room the
        // broker's condition takes.
        let largest = (0..2048).rev().find(|n| fits(*n)).expect("some size fits");
        let packed = serde_json::to_string(
            &json!({"Version": "2012-10-17", "Statement": [statement(largest)]}),
        )
        .unwrap();
        assert_eq!(packed.len() + END_CONDITION_CHARS, MAX_SESSION_POLICY_CHARS);
        let e = session_policy(&json!({"Statement": [statement(largest + 1)]})).unwrap_err();
        assert!(e.contains("once the broker adds the grant's end"), "{e}");
    }

    #[test]
    fn the_end_condition_allowance_is_what_the_broker_adds() {
        let added = r#","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-04T13:45:30Z"}}"#;
        assert_eq!(added.len(), END_CONDITION_CHARS);
        assert_eq!(r#""Version":"2012-10-17","#.len(), VERSION_CHARS);
    }

    #[test]
    fn identity_center_arns_accounts_and_names_have_their_shapes() {
        let ps = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";
        assert_eq!(
            check_permission_set_arn(ps),
            Ok("ssoins-0123456789abcdef".into())
        );
        assert_eq!(
            check_permission_set_arn(
                "arn:aws-us-gov:sso:::permissionSet/ins-0123456789abcdef/ps-0123456789abcdef"
            ),
            Ok("ins-0123456789abcdef".into())
        );
        for (bad, hint) in [
            ("", ""),
            ("ps-0123456789abcdef", ""),
            (
                "arn:aws:sso:::permissionSet/ssoins-0123/ps-0123456789abcdef",
                "",
            ),
            (
                "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-01",
                "",
            ),
            ("arn:aws:iam::123456789012:role/r", "give it as role_arn"),
            (
                "arn:aws:sso:::instance/ssoins-0123456789abcdef",
                "give it as instance_arn",
            ),
        ] {
            let e = check_permission_set_arn(bad).expect_err(bad);
            assert!(
                e.contains("is not a permission set ARN") && e.contains(hint),
                "{e}"
            );
        }
        assert_eq!(
            check_instance_arn("arn:aws:sso:::instance/ssoins-0123456789abcdef"),
            Ok("ssoins-0123456789abcdef".into())
        );
        assert!(check_instance_arn("arn:aws:sso:::instance/ssoins-01").is_err());
        assert!(check_instance_arn(ps).is_err());
        assert!(check_account_id("012345678901").is_ok());
        for bad in ["", "12345678901", "1234567890123", "12345678901a"] {
            assert!(
                check_account_id(bad).unwrap_err().contains("12 digits"),
                "{bad}"
            );
        }
        assert!(check_role_name("PiiRead").is_ok());
        assert!(check_role_name("").is_err());
        assert!(check_role_name(&"r".repeat(33)).is_err());
        assert!(check_role_name("has space").is_err());
    }

    #[test]
    fn workgroups_and_groups_are_names() {
        assert!(check_workgroup("warden-pii_read.1").is_ok());
        assert!(check_workgroup("").is_err());
        assert!(check_workgroup("pii read").is_err());
        assert!(check_group("Data approvers").is_ok());
        assert!(check_group(" ").is_err());
        assert!(check_group("a\nb").is_err());
    }
}
