//! The session policy passed with `AssumeRole`: what the role may do during the grant, and not
//! a second after its end. AWS evaluates `aws:CurrentTime` on every call, so credentials
//! minted for 15 minutes stop working at the grant's end even if STS would let them live on.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::BrokerError;

/// AWS refuses packed session policies longer than this.
const MAX_POLICY_CHARS: usize = 2048;

/// The session policy for a grant of `name` ending at `end`: `scoping` (an IAM policy
/// document) or, without one, everything the role allows; either way every statement gains
/// `"DateLessThan": {"aws:CurrentTime": <end>}`. The end is cut to the whole second before
/// it, so the credentials never outlive the grant.
pub fn session_policy(
    name: &str,
    end: DateTime<Utc>,
    scoping: Option<&Value>,
) -> Result<String, BrokerError> {
    let bad = |reason: &str| BrokerError::SessionPolicy {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    let end = end.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut document = match scoping {
        None => json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "WardenGrant",
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
            }],
        }),
        Some(Value::Object(doc)) => Value::Object(doc.clone()),
        Some(_) => return Err(bad("it is not a JSON object")),
    };
    let Some(doc) = document.as_object_mut() else {
        return Err(bad("it is not a JSON object"));
    };
    doc.entry("Version").or_insert_with(|| json!("2012-10-17"));
    let statements = match doc.get_mut("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Object(_)) => {
            let one = doc.remove("Statement").unwrap_or_default();
            doc.insert("Statement".into(), Value::Array(vec![one]));
            match doc.get_mut("Statement") {
                Some(Value::Array(list)) => list,
                _ => return Err(bad("no statements")),
            }
        }
        _ => return Err(bad("it has no statements")),
    };
    for statement in statements.iter_mut() {
        let Some(statement) = statement.as_object_mut() else {
            return Err(bad("a statement is not a JSON object"));
        };
        let condition = statement
            .entry("Condition")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(condition) = condition.as_object_mut() else {
            return Err(bad("a statement's Condition is not a JSON object"));
        };
        let before = condition
            .entry("DateLessThan")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(before) = before.as_object_mut() else {
            return Err(bad("a statement's DateLessThan is not a JSON object"));
        };
        if before.contains_key("aws:CurrentTime") {
            // The broker alone decides when a grant ends; a second end would be ambiguous.
            return Err(bad("a statement sets DateLessThan aws:CurrentTime itself"));
        }
        before.insert("aws:CurrentTime".into(), json!(end));
    }
    let packed = serde_json::to_string(&document).map_err(|e| bad(&e.to_string()))?;
    if packed.len() > MAX_POLICY_CHARS {
        return Err(bad(&format!(
            "it is {} characters long; AWS takes at most {MAX_POLICY_CHARS}",
            packed.len()
        )));
    }
    Ok(packed)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn end() -> DateTime<Utc> {
        // 13:45:30.999: the credentials die at 13:45:30, never after the grant.
        Utc.timestamp_millis_opt(1_796_391_930_999).unwrap()
    }

    fn pretty(packed: &str) -> String {
        let v: Value = serde_json::from_str(packed).unwrap();
        serde_json::to_string_pretty(&v).unwrap()
    }

    #[test]
    fn without_scoping_the_role_holds_until_the_end_of_the_grant() {
        let policy = session_policy("pii-read", end(), None).unwrap();
        insta::assert_snapshot!(pretty(&policy), @r#"
        {
          "Statement": [
            {
              "Action": "*",
              "Condition": {
                "DateLessThan": {
                  "aws:CurrentTime": "2026-12-04T13:45:30Z"
                }
              },
              "Effect": "Allow",
              "Resource": "*",
              "Sid": "WardenGrant"
            }
          ],
          "Version": "2012-10-17"
        }
        "#);
    }

    #[test]
    fn every_statement_of_a_scoping_ends_with_the_grant() {
        let scoping = json!({
            "Statement": [
                {"Effect": "Allow", "Action": "athena:*", "Resource": "arn:aws:athena:eu-west-1:123456789012:workgroup/pii-read"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::results/pii-read/*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
            ]
        });
        let policy = session_policy("pii-read", end(), Some(&scoping)).unwrap();
        insta::assert_snapshot!(pretty(&policy), @r#"
        {
          "Statement": [
            {
              "Action": "athena:*",
              "Condition": {
                "DateLessThan": {
                  "aws:CurrentTime": "2026-12-04T13:45:30Z"
                }
              },
              "Effect": "Allow",
              "Resource": "arn:aws:athena:eu-west-1:123456789012:workgroup/pii-read"
            },
            {
              "Action": "s3:GetObject",
              "Condition": {
                "DateLessThan": {
                  "aws:CurrentTime": "2026-12-04T13:45:30Z"
                },
                "StringEquals": {
                  "aws:RequestedRegion": "eu-west-1"
                }
              },
              "Effect": "Allow",
              "Resource": "arn:aws:s3:::results/pii-read/*"
            },
            {
              "Action": "s3:DeleteObject",
              "Condition": {
                "DateLessThan": {
                  "aws:CurrentTime": "2026-12-04T13:45:30Z"
                }
              },
              "Effect": "Deny",
              "Resource": "*"
            }
          ],
          "Version": "2012-10-17"
        }
        "#);
    }

    #[test]
    fn a_scoping_the_broker_cannot_bound_is_refused() {
        let cases = [
            (json!("s3:*"), "not a JSON object"),
            (json!({"Statement": []}), "no statements"),
            (json!({"Statement": ["x"]}), "statement is not"),
            (
                json!({"Statement": [{"Effect": "Allow", "Condition": []}]}),
                "Condition is not",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Condition": {"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}}]}),
                "sets DateLessThan",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "x".repeat(3000), "Resource": "*"}]}),
                "at most 2048",
            ),
        ];
        for (scoping, expected) in cases {
            let err = session_policy("pii-read", end(), Some(&scoping)).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
            assert!(err
                .to_string()
                .contains("elevations.pii-read.aws.session_policy"));
        }
        // A single statement object is taken as a list of one.
        let one = json!({"Statement": {"Effect": "Allow", "Action": "athena:*", "Resource": "*"}});
        let policy = session_policy("pii-read", end(), Some(&one)).unwrap();
        assert!(
            policy.contains(r#""aws:CurrentTime":"2026-12-04T13:45:30Z""#),
            "{policy}"
        );
    }
}
