//! A small fake of IAM Identity Center's `sso-admin` (awsJson1.1 over HTTP on 127.0.0.1), for
//! what moto cannot show: moto answers every account assignment SUCCEEDED at once, this fake
//! answers `CreateAccountAssignment` IN_PROGRESS and its status as its knob says (FAILED, or
//! IN_PROGRESS until the test lets the creation land). It holds one assignment at most and
//! answers `ListInstances`, `CreateAccountAssignment`, `DescribeAccountAssignmentCreationStatus`,
//! `DeleteAccountAssignment` (SUCCEEDED at once; ResourceNotFoundException when there is none)
//! and `ListAccountAssignments` (in two pages: an empty one, then the assignment if it exists).
//! Its switches lose the answer to `CreateAccountAssignment` (the connection closes after the
//! creation is recorded, landed or not) and make the status call fail as for an expired
//! request id. It stops when dropped; each connection reads with a timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The identity store's instance the fake lists.
pub const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
/// The permission set its assignments are of.
pub const PERMISSION_SET: &str =
    "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";
/// The account its assignments are in.
pub const ACCOUNT: &str = "123456789012";
/// The request id of every creation it is asked for.
pub const CREATION_REQUEST: &str = "0b3e5e4c-0000-4000-8000-000000000001";

/// What the fake has been asked and holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AdminState {
    /// What `DescribeAccountAssignmentCreationStatus` answers: FAILED or IN_PROGRESS (until
    /// [`FakeAdmin::land`]), SUCCEEDED after it.
    pub creation_status: String,
    /// The principal (identity store user id) of the creation asked for, if one was.
    pub asked_for: Option<String>,
    /// The principal holding the assignment, when it exists.
    pub assigned_to: Option<String>,
    pub creations: u32,
    pub status_calls: u32,
    /// `DeleteAccountAssignment` calls, whether or not there was one to delete.
    pub deletions: u32,
    /// `ListAccountAssignments` calls (pages).
    pub list_calls: u32,
    /// `Some(lands)`: every `CreateAccountAssignment` is recorded (and the assignment made if
    /// `lands`), then the connection closes without an answer.
    pub lose_creations: Option<bool>,
    /// `DescribeAccountAssignmentCreationStatus` answers ResourceNotFoundException.
    pub fail_status: bool,
    /// A lost answer is held back (up to 20 s, or until the fake stops) before the connection
    /// closes, as for a broker that stops while it waits.
    pub stall: bool,
}

pub struct FakeAdmin {
    pub endpoint: String,
    state: Arc<Mutex<AdminState>>,
    stop: Arc<AtomicBool>,
}

impl FakeAdmin {
    /// Serves on a free port; `ListInstances` names identity store `store`, and creations
    /// report `creation_status` ("FAILED" or "IN_PROGRESS").
    pub fn start(store: &str, creation_status: &str) -> FakeAdmin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
        let state = Arc::new(Mutex::new(AdminState {
            creation_status: creation_status.to_string(),
            ..Default::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopping, store) = (state.clone(), stop.clone(), store.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { return };
                let (shared, stopping, store) = (shared.clone(), stopping.clone(), store.clone());
                std::thread::spawn(move || serve(stream, &shared, &stopping, &store));
            }
        });
        FakeAdmin {
            endpoint,
            state,
            stop,
        }
    }

    /// The creation asked for completes now (as at AWS, after the broker stopped waiting): the
    /// assignment exists and its status says SUCCEEDED.
    pub fn land(&self) {
        let mut s = lock(&self.state);
        s.creation_status = "SUCCEEDED".into();
        s.assigned_to = s.asked_for.clone();
    }

    /// From now on `CreateAccountAssignment` gets no answer (the connection closes after the
    /// request is taken); the assignment is made if `lands`.
    pub fn lose_creation_answers(&self, lands: bool) {
        lock(&self.state).lose_creations = Some(lands);
    }

    /// As [`Self::lose_creation_answers`], but the connection stays open without an answer for
    /// a while (a caller that gives up first is cut off mid-call).
    pub fn stall_creation_answers(&self, lands: bool) {
        let mut s = lock(&self.state);
        s.lose_creations = Some(lands);
        s.stall = true;
    }

    /// From now on (`on`) the status of every creation is unknown to the fake, as for a request
    /// id whose status AWS no longer keeps.
    pub fn fail_status_calls(&self, on: bool) {
        lock(&self.state).fail_status = on;
    }

    pub fn state(&self) -> AdminState {
        lock(&self.state).clone()
    }
}

impl Drop for FakeAdmin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect_timeout(
            &self.endpoint["http://".len()..]
                .parse()
                .expect("a socket address"),
            Duration::from_secs(1),
        );
    }
}

fn lock(state: &Mutex<AdminState>) -> MutexGuard<'_, AdminState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Answers the requests of one keep-alive connection.
fn serve(stream: TcpStream, state: &Mutex<AdminState>, stop: &AtomicBool, store: &str) {
    if stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .is_err()
    {
        return;
    }
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while !stop.load(Ordering::SeqCst) {
        let mut target = String::new();
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (name, value) = l.split_once(':').unwrap_or((l, ""));
            match name.to_ascii_lowercase().as_str() {
                "x-amz-target" => target = value.trim().to_string(),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let asked: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let Some((code, answer)) = answer(
            target.rsplit('.').next().unwrap_or_default(),
            &asked,
            state,
            store,
        ) else {
            // The answer is lost: the connection closes without one (held open a while first
            // when stalling).
            if lock(state).stall {
                for _ in 0..200 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            return;
        };
        let answer = answer.to_string();
        let response = format!(
            "HTTP/1.1 {code}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn operation(status: &str, request_id: &str, reason: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "Status": status,
        "RequestId": request_id,
        "FailureReason": reason,
        "TargetId": ACCOUNT, "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": PERMISSION_SET, "PrincipalType": "USER",
    })
}

/// The status line and body of the answer, `None` when the answer is to be lost.
fn answer(
    operation_name: &str,
    asked: &serde_json::Value,
    state: &Mutex<AdminState>,
    store: &str,
) -> Option<(&'static str, serde_json::Value)> {
    let mut s = lock(state);
    let ok = "200 OK";
    Some(match operation_name {
        "ListInstances" => (
            ok,
            serde_json::json!({"Instances": [
                {"InstanceArn": INSTANCE, "IdentityStoreId": store, "Status": "ACTIVE"}
            ]}),
        ),
        "CreateAccountAssignment" => {
            s.creations += 1;
            s.asked_for = asked["PrincipalId"].as_str().map(str::to_string);
            if let Some(lands) = s.lose_creations {
                if lands {
                    s.creation_status = "SUCCEEDED".into();
                    s.assigned_to = s.asked_for.clone();
                }
                return None;
            }
            (
                ok,
                serde_json::json!({"AccountAssignmentCreationStatus":
                    operation("IN_PROGRESS", CREATION_REQUEST, None)}),
            )
        }
        "DescribeAccountAssignmentCreationStatus" => {
            s.status_calls += 1;
            if s.fail_status {
                return Some((
                    "400 Bad Request",
                    serde_json::json!({"__type": "ResourceNotFoundException",
                        "Message": "no such account assignment creation request"}),
                ));
            }
            let status = s.creation_status.clone();
            let reason = (status == "FAILED")
                .then_some("the permission set is not provisioned in the account");
            (
                ok,
                serde_json::json!({"AccountAssignmentCreationStatus":
                    operation(&status, CREATION_REQUEST, reason)}),
            )
        }
        "DeleteAccountAssignment" => {
            s.deletions += 1;
            let wanted = asked["PrincipalId"].as_str();
            if wanted.is_some() && s.assigned_to.as_deref() == wanted {
                s.assigned_to = None;
                (
                    ok,
                    serde_json::json!({"AccountAssignmentDeletionStatus":
                        operation("SUCCEEDED", "0b3e5e4c-0000-4000-8000-000000000002", None)}),
                )
            } else {
                (
                    "400 Bad Request",
                    serde_json::json!({"__type": "ResourceNotFoundException",
                        "Message": "no such account assignment"}),
                )
            }
        }
        "ListAccountAssignments" => {
            s.list_calls += 1;
            let wanted = (
                asked["AccountId"].as_str(),
                asked["PermissionSetArn"].as_str(),
            );
            if wanted != (Some(ACCOUNT), Some(PERMISSION_SET)) {
                return Some((
                    "400 Bad Request",
                    serde_json::json!({"__type": "ValidationException",
                        "Message": "AccountId and PermissionSetArn are required"}),
                ));
            }
            if asked["NextToken"].as_str() != Some("page-2") {
                // A first page without assignments, as AWS may answer: the caller pages on.
                return Some((
                    ok,
                    serde_json::json!({"AccountAssignments": [], "NextToken": "page-2"}),
                ));
            }
            let listed: Vec<_> = s
                .assigned_to
                .iter()
                .map(|p| {
                    serde_json::json!({"AccountId": ACCOUNT, "PermissionSetArn": PERMISSION_SET,
                        "PrincipalType": "USER", "PrincipalId": p})
                })
                .collect();
            (ok, serde_json::json!({"AccountAssignments": listed}))
        }
        other => (
            "400 Bad Request",
            serde_json::json!({"__type": "ValidationException",
                "Message": format!("the fake sso-admin does not answer {other}")}),
        ),
    })
}
