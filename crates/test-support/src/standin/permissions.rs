//! Column permissions per role, as Lake Formation enforces them in front of Athena: a column
//! tagged (in Glue, column parameter `warden-class`) with a restricted class is readable only
//! with credentials of a role granted that class. The stand-in tells who signed a call by its
//! access key, looked up among the roles moto_server's STS has handed out (`AssumeRole`), and
//! refuses a session whose session policy has ended (the broker's `DateLessThan
//! aws:CurrentTime` condition, which moto itself ignores).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The Glue column parameter holding a column's class (the LF-Tag of deploy/warden-aws.yaml).
pub const CLASS_PARAMETER: &str = "warden-class";

/// Which roles may read columns of class `class`.
#[derive(Debug, Clone)]
pub struct ColumnGrants {
    pub class: String,
    /// IAM role ARNs (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub roles: Vec<String>,
}

/// Who signed a call: an assumed role of moto's STS, or anybody else (the baseline).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub access_key_id: String,
    pub role_arn: Option<String>,
    pub assumed_arn: Option<String>,
    /// The end of the session policy's `DateLessThan aws:CurrentTime` condition, if any.
    pub session_end: Option<SystemTime>,
}

impl Caller {
    /// Whether this caller may read columns tagged `class` under `grants`.
    pub fn may_read(&self, grants: &ColumnGrants, class: &str) -> bool {
        class != grants.class
            || self
                .role_arn
                .as_ref()
                .is_some_and(|r| grants.roles.contains(r))
    }

    /// IAM's words for a session whose session policy no longer allows the call.
    pub fn refusal_at(&self, now: SystemTime, action: &str) -> Option<String> {
        let end = self.session_end?;
        (now >= end).then(|| {
            format!(
                "User: {} is not authorized to perform: {action} because no session policy allows the {action} action",
                self.assumed_arn.as_deref().unwrap_or(&self.access_key_id)
            )
        })
    }
}

/// The access key id of a SigV4 `Authorization` header.
pub fn signer(authorization: Option<&str>) -> String {
    authorization
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .unwrap_or("")
        .to_string()
}

/// Looks `access_key_id` up among moto's assumed roles (its `/moto-api/data.json`).
pub async fn caller(moto_endpoint: &str, access_key_id: &str) -> Result<Caller, String> {
    let data = get_json(moto_endpoint, "/moto-api/data.json").await?;
    let mut out = Caller {
        access_key_id: access_key_id.to_string(),
        ..Caller::default()
    };
    let roles = data
        .pointer("/sts/AssumedRole")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(role) = roles
        .iter()
        .find(|r| r.get("access_key_id").and_then(Json::as_str) == Some(access_key_id))
    {
        out.role_arn = role
            .get("role_arn")
            .and_then(Json::as_str)
            .map(str::to_string);
        out.assumed_arn = role.get("arn").and_then(Json::as_str).map(str::to_string);
        out.session_end = role
            .get("policy")
            .and_then(Json::as_str)
            .and_then(session_end);
    }
    Ok(out)
}

/// The earliest `DateLessThan aws:CurrentTime` of a session policy.
fn session_end(policy: &str) -> Option<SystemTime> {
    let policy: Json = serde_json::from_str(policy).ok()?;
    let statements = match policy.get("Statement")? {
        Json::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    statements
        .iter()
        .filter_map(|s| s.pointer("/Condition/DateLessThan/aws:CurrentTime"))
        .filter_map(Json::as_str)
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| SystemTime::UNIX_EPOCH + Duration::from_millis(t.timestamp_millis().max(0) as u64))
        .min()
}

/// GET `path` from `endpoint` (`http://host:port`) as JSON, over a plain connection.
async fn get_json(endpoint: &str, path: &str) -> Result<Json, String> {
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("{endpoint} is not an http:// endpoint"))?
        .trim_end_matches('/');
    let read = async {
        let mut stream = tokio::net::TcpStream::connect(host).await?;
        stream
            .write_all(
                format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await?;
        Ok::<_, std::io::Error>(bytes)
    };
    let bytes = tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .map_err(|_| format!("{endpoint}{path} did not answer within 20 s"))?
        .map_err(|e| format!("{endpoint}{path}: {e}"))?;
    let start = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{endpoint}{path}: no HTTP answer"))?;
    serde_json::from_slice(&bytes[start + 4..]).map_err(|e| format!("{endpoint}{path}: {e}"))
}

/// Restricted columns by table (`database.table`, lower case): column name to class.
pub type Classes = BTreeMap<String, BTreeMap<String, String>>;

/// The first column `columns` of `table` reads that `caller` may not, if any.
pub fn first_denied<'a>(
    classes: &Classes,
    grants: &ColumnGrants,
    caller: &Caller,
    table: &str,
    columns: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let tagged = classes.get(&table.to_lowercase())?;
    let wanted: BTreeSet<String> = columns.into_iter().map(str::to_lowercase).collect();
    wanted.into_iter().find(|c| {
        tagged
            .get(c)
            .is_some_and(|class| !caller.may_read(grants, class))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_policy_end_is_read_from_its_condition() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-04T18:00:00Z"}}}]}"#;
        let end = session_end(policy).expect("an end");
        let want = chrono::DateTime::parse_from_rfc3339("2026-12-04T18:00:00Z")
            .expect("date")
            .timestamp();
        assert_eq!(
            end.duration_since(SystemTime::UNIX_EPOCH)
                .expect("after the epoch")
                .as_secs() as i64,
            want
        );
        assert!(session_end(r#"{"Statement":{"Effect":"Allow"}}"#).is_none());
    }

    #[test]
    fn only_granted_roles_read_tagged_columns() {
        let grants = ColumnGrants {
            class: "pii".into(),
            roles: vec!["arn:aws:iam::1:role/pii".into()],
        };
        let mut classes = Classes::new();
        classes.insert(
            "sales.customers".into(),
            [("email".to_string(), "pii".to_string())].into(),
        );
        let baseline = Caller::default();
        let elevated = Caller {
            role_arn: Some("arn:aws:iam::1:role/pii".into()),
            ..Caller::default()
        };
        let read = |c: &Caller, cols: &[&str]| {
            first_denied(
                &classes,
                &grants,
                c,
                "Sales.Customers",
                cols.iter().copied(),
            )
        };
        assert_eq!(read(&baseline, &["country", "EMAIL"]), Some("email".into()));
        assert_eq!(read(&baseline, &["country"]), None);
        assert_eq!(read(&elevated, &["email"]), None);
    }
}
