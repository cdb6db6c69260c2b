//! What an elevation grants on AWS (`elevations.<name>.aws`, STS mode): the role the elevation
//! broker assumes for the analyst, an optional session policy scoping it down, and the Athena
//! workgroup elevated runs use. Checked when the policy loads, so that a broker never finds out
//! at the moment of a grant that the mapping cannot work.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// The AWS side of one elevation.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsGrant {
    /// `arn:aws:iam::ACCOUNT:role/NAME`: the role the broker assumes for the grant.
    pub role_arn: String,
    /// An IAM policy document that scopes the role down for every grant; the broker adds the
    /// grant's end to each statement.
    pub session_policy: Option<Value>,
    /// The Athena workgroup elevated runs use.
    pub workgroup: Option<String>,
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
    fn workgroups_and_groups_are_names() {
        assert!(check_workgroup("warden-pii_read.1").is_ok());
        assert!(check_workgroup("").is_err());
        assert!(check_workgroup("pii read").is_err());
        assert!(check_group("Data approvers").is_ok());
        assert!(check_group(" ").is_err());
        assert!(check_group("a\nb").is_err());
    }
}
