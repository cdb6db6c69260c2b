//! The request bucket's key layout (deploy/warden-aws.yaml). The bucket policy lets each
//! principal write only under a prefix that is its own `aws:userid`, so a parsed key names who
//! wrote the object.

use crate::BrokerError;

/// An object of the queue, as its key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Request { requester: String, id: String },
    Withdrawal { requester: String, id: String },
    Approval { approver: String, id: String },
    Revocation { revoker: String, id: String },
}

pub fn request_key(requester: &str, id: &str) -> String {
    format!("requests/{requester}/{id}.json")
}

/// The requester taking a request back (or ending a grant early); under their own prefix.
pub fn withdrawal_key(requester: &str, id: &str) -> String {
    format!("requests/{requester}/{id}.withdrawn.json")
}

pub fn approval_key(approver: &str, id: &str) -> String {
    format!("approvals/{approver}/{id}.json")
}

/// An approver ending a grant before its time; under their own prefix, which the bucket
/// policy lets only approvers write (a requester ends their own with [`withdrawal_key`]).
pub fn revocation_key(revoker: &str, id: &str) -> String {
    format!("revocations/{revoker}/{id}.json")
}

pub fn state_key(id: &str) -> String {
    format!("state/{id}.json")
}

pub fn grant_key(requester: &str, id: &str, n: u32) -> String {
    format!("grants/{requester}/{id}/{n}.age")
}

impl Key {
    /// What `key` is, or `None` for anything that is not exactly one of the layout's shapes.
    pub fn parse(key: &str) -> Option<Key> {
        let mut parts = key.split('/');
        let (top, user, file) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || check_user(user).is_err() {
            return None;
        }
        let user = user.to_string();
        let id_of = |suffix: &str| {
            file.strip_suffix(suffix)
                .filter(|id| check_id(id).is_ok())
                .map(str::to_string)
        };
        match top {
            "requests" => {
                if let Some(id) = id_of(".withdrawn.json") {
                    Some(Key::Withdrawal {
                        requester: user,
                        id,
                    })
                } else {
                    id_of(".json").map(|id| Key::Request {
                        requester: user,
                        id,
                    })
                }
            }
            "approvals" => id_of(".json").map(|id| Key::Approval { approver: user, id }),
            "revocations" => id_of(".json").map(|id| Key::Revocation { revoker: user, id }),
            _ => None,
        }
    }
}

/// An `aws:userid` as it appears in a key: `AROA...:user@example.com` for a role session.
pub(crate) fn check_user(user: &str) -> Result<(), BrokerError> {
    let ok = !user.is_empty()
        && user.len() <= 200
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":@._+=,-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(BrokerError::Invalid {
            what: "user id",
            value: user.chars().take(200).collect(),
            hint: "an AWS user id looks like AROAEXAMPLE:ana@example.com",
        })
    }
}

/// Request ids are UUIDs in their lowercase hyphenated form, nothing else.
pub(crate) fn check_id(id: &str) -> Result<(), BrokerError> {
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.hyphenated().to_string() == id => Ok(()),
        _ => Err(BrokerError::Invalid {
            what: "request id",
            value: id.chars().take(80).collect(),
            hint: "request ids look like 01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";

    #[test]
    fn keys_name_their_writer_and_nothing_else_parses() {
        let ana = "AROAEXAMPLE:ana@example.com";
        assert_eq!(
            Key::parse(&request_key(ana, ID)),
            Some(Key::Request {
                requester: ana.into(),
                id: ID.into()
            })
        );
        assert_eq!(
            Key::parse(&withdrawal_key(ana, ID)),
            Some(Key::Withdrawal {
                requester: ana.into(),
                id: ID.into()
            })
        );
        assert_eq!(
            Key::parse(&approval_key("AROAEXAMPLE:bob@example.com", ID)),
            Some(Key::Approval {
                approver: "AROAEXAMPLE:bob@example.com".into(),
                id: ID.into()
            })
        );
        assert_eq!(
            Key::parse(&revocation_key("AROAEXAMPLE:bob@example.com", ID)),
            Some(Key::Revocation {
                revoker: "AROAEXAMPLE:bob@example.com".into(),
                id: ID.into()
            })
        );
        for bad in [
            format!("requests/{ID}.json"),
            format!("requests/ana/x/{ID}.json"),
            format!("requests//{ID}.json"),
            "requests/ana/not-an-id.json".to_string(),
            format!("requests/ana/{}.json", ID.to_uppercase()),
            format!("state/{ID}.json"),
            format!("grants/ana/{ID}/1.age"),
            format!("approvals/a b/{ID}.json"),
            format!("approvals/ana/{ID}.txt"),
            format!("revocations/{ID}.json"),
            format!("revocations/bob/{ID}.withdrawn.json"),
        ] {
            assert_eq!(Key::parse(&bad), None, "{bad}");
        }
    }
}
