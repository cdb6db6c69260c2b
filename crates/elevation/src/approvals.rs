use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ElevationError, Validated};

/// A request waiting for a person, as the approver sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingRequest {
    pub id: String,
    pub name: String,
    pub requester: String,
    pub requested_at_ms: i64,
    pub duration_s: u64,
    /// Ticket and justification (see [`Validated::reason`]).
    pub reason: String,
    /// An extension: the request id of the held grant it asks more time for (`duration_s`
    /// is added to that grant's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Deny,
    /// The requester took the request back (or their app did, on quitting or after a timeout).
    Withdraw,
}

impl Decision {
    pub fn past_tense(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Deny => "denied",
            Decision::Withdraw => "withdrawn",
        }
    }
}

/// An answer to a request; written once and never changed. It repeats what was decided on
/// (elevation, duration, requester) so that the requester's app grants exactly that, even if
/// the request file was rewritten after it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    pub id: String,
    pub decision: Decision,
    pub approver: String,
    pub decided_at_ms: i64,
    pub reason: Option<String>,
    pub name: String,
    pub duration_s: u64,
    pub requester: String,
}

impl DecisionRecord {
    pub fn approved(&self) -> bool {
        self.decision == Decision::Approve
    }
}

/// Longest reason an approver may give; it reaches notifications and the journal.
const MAX_REASON_CHARS: usize = 1000;
/// Queue files are small JSON documents; anything bigger is not one of ours.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Requests that need an approver, kept in a folder both sides can reach: `requests/ID.json`
/// written by the requester, `decisions/ID.json` by the approver. Each file is created once,
/// whole (written aside, then linked into place), so two approvers racing cannot both decide.
#[derive(Debug, Clone)]
pub struct Approvals {
    dir: PathBuf,
    allow_self_approval: bool,
}

impl Approvals {
    /// `allow_self_approval` is for the single-user demo workspace only: elsewhere whoever
    /// asked may not approve.
    pub fn open(dir: impl Into<PathBuf>, allow_self_approval: bool) -> Self {
        Self {
            dir: dir.into(),
            allow_self_approval,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn allows_self_approval(&self) -> bool {
        self.allow_self_approval
    }

    pub fn submit(
        &self,
        request: &Validated,
        requester: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingRequest, ElevationError> {
        let pending = PendingRequest {
            id: uuid::Uuid::now_v7().to_string(),
            name: request.name.clone(),
            requester: requester.to_string(),
            requested_at_ms: now.timestamp_millis(),
            duration_s: request.duration.as_secs(),
            reason: request.reason(),
            extends: request.extends.clone(),
        };
        write_once(&self.dir.join("requests"), &pending.id, &pending)?;
        Ok(pending)
    }

    /// The requests nobody has decided yet, oldest first, and the files that could not be read.
    pub fn open_requests(
        &self,
    ) -> Result<(Vec<PendingRequest>, Vec<ElevationError>), ElevationError> {
        let dir = self.dir.join("requests");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
            Err(source) => return Err(ElevationError::Store { path: dir, source }),
        };
        let (mut open, mut damaged) = (Vec::new(), Vec::new());
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(id) = name
                .strip_suffix(".json")
                .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            else {
                continue;
            };
            match (self.request(id), self.decision(id)) {
                (Ok(request), Ok(None)) => open.push(request),
                (Ok(_), Ok(Some(_))) => {}
                (Err(e), _) | (_, Err(e)) => damaged.push(e),
            }
        }
        open.sort_by(|a, b| (a.requested_at_ms, &a.id).cmp(&(b.requested_at_ms, &b.id)));
        Ok((open, damaged))
    }

    pub fn request(&self, id: &str) -> Result<PendingRequest, ElevationError> {
        check_id(id)?;
        let path = self.dir.join("requests").join(format!("{id}.json"));
        let request: PendingRequest =
            read(&path)?.ok_or_else(|| ElevationError::UnknownRequest { id: id.into() })?;
        if request.id != id {
            return Err(ElevationError::Damaged {
                path,
                reason: format!("it holds request {}", request.id),
            });
        }
        Ok(request)
    }

    pub fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, ElevationError> {
        check_id(id)?;
        let path = self.dir.join("decisions").join(format!("{id}.json"));
        let decision: Option<DecisionRecord> = read(&path)?;
        match decision {
            Some(d) if d.id != id => Err(ElevationError::Damaged {
                path,
                reason: format!("it holds the decision on {}", d.id),
            }),
            other => Ok(other),
        }
    }

    /// Decides request `id` once. A denial must say why; the requester may not approve or deny
    /// their own request (except on the demo workspace), only withdraw it.
    pub fn decide(
        &self,
        id: &str,
        decision: Decision,
        approver: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DecisionRecord, ElevationError> {
        let request = self.request(id)?;
        match decision {
            Decision::Withdraw if request.requester != approver => {
                return Err(ElevationError::NotYours {
                    requester: request.requester,
                    id: id.into(),
                })
            }
            Decision::Approve | Decision::Deny
                if crate::same_person(&request.requester, approver)
                    && !self.allow_self_approval =>
            {
                return Err(ElevationError::SelfApproval {
                    user: approver.into(),
                    id: id.into(),
                })
            }
            _ => {}
        }
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if let Some(r) = &reason {
            let chars = r.chars().count();
            if chars > MAX_REASON_CHARS || r.chars().any(char::is_control) {
                return Err(ElevationError::BadReason {
                    chars,
                    max: MAX_REASON_CHARS,
                });
            }
        }
        if decision == Decision::Deny && reason.is_none() {
            return Err(ElevationError::DenialWithoutReason);
        }
        if let Some(earlier) = self.decision(id)? {
            return Err(already(earlier));
        }
        let record = DecisionRecord {
            id: id.into(),
            decision,
            approver: approver.into(),
            decided_at_ms: now.timestamp_millis(),
            reason,
            name: request.name,
            duration_s: request.duration_s,
            requester: request.requester,
        };
        match write_once(&self.dir.join("decisions"), id, &record) {
            Err(ElevationError::Store { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                // Another approver won the race; their decision stands.
                Err(self
                    .decision(id)?
                    .map(already)
                    .unwrap_or(ElevationError::UnknownRequest { id: id.into() }))
            }
            other => other.map(|()| record),
        }
    }
}

fn already(d: DecisionRecord) -> ElevationError {
    ElevationError::AlreadyDecided {
        id: d.id,
        decision: d.decision.past_tense().into(),
        approver: d.approver,
    }
}

fn check_id(id: &str) -> Result<(), ElevationError> {
    // Ids become file names: only a canonical UUID may reach the file system.
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.hyphenated().to_string() == id => Ok(()),
        _ => Err(ElevationError::BadRequestId {
            id: id.chars().take(80).collect(),
        }),
    }
}

/// Reads a queue file. Whoever can write the folder could plant a pipe, a device or a link
/// there to hang or exhaust the reader: only a small regular file is read, without following
/// links and without waiting for a writer.
fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, ElevationError> {
    use std::io::Read;
    let damaged = |reason: &str| ElevationError::Damaged {
        path: path.into(),
        reason: reason.into(),
    };
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(damaged("it is a symbolic link"))
        }
        Err(source) => {
            return Err(ElevationError::Store {
                path: path.into(),
                source,
            })
        }
    };
    let meta = file.metadata().map_err(|source| ElevationError::Store {
        path: path.into(),
        source,
    })?;
    if !meta.is_file() {
        return Err(damaged("it is not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ElevationError::Store {
            path: path.into(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(damaged("it is larger than 64 KiB"));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| damaged(&e.to_string()))
}

/// Creates `dir/ID.json` holding `value`, or fails with `AlreadyExists` if it is there.
fn write_once<T: Serialize>(dir: &Path, id: &str, value: &T) -> Result<(), ElevationError> {
    let store = |source| ElevationError::Store {
        path: dir.into(),
        source,
    };
    fs::create_dir_all(dir).map_err(store)?;
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| store(std::io::Error::other(e)))?;
    let tmp = dir.join(format!(".{id}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::hard_link(&tmp, dir.join(format!("{id}.json")))
    })();
    let _ = fs::remove_file(&tmp);
    written.map_err(store)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use warden_guardrails::Approval;

    use super::*;

    fn validated() -> Validated {
        Validated {
            name: "large-scan".into(),
            duration: Duration::from_secs(600),
            justification: "quarterly backfill".into(),
            ticket: Some("INC-7".into()),
            approval: Approval::Manual,
            extends: None,
        }
    }

    #[test]
    fn a_request_is_listed_until_someone_else_decides_it_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), false);
        let now = Utc::now();
        let r = q.submit(&validated(), "ana", now).expect("submit");
        assert_eq!(r.reason, "[INC-7] quarterly backfill");
        assert_eq!(q.open_requests().expect("list").0, vec![r.clone()]);

        let e = q
            .decide(&r.id, Decision::Approve, "ana", None, now)
            .unwrap_err();
        assert!(matches!(e, ElevationError::SelfApproval { .. }), "{e}");
        assert!(matches!(
            q.decide(&r.id, Decision::Deny, "bob", Some(" "), now),
            Err(ElevationError::DenialWithoutReason)
        ));

        let e = q
            .decide(&r.id, Decision::Withdraw, "bob", None, now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("only ana"), "{e}");
        let e = q
            .decide(&r.id, Decision::Deny, "bob", Some("no\u{1b}[2J"), now)
            .unwrap_err();
        assert!(matches!(e, ElevationError::BadReason { .. }), "{e}");

        let d = q
            .decide(&r.id, Decision::Approve, "bob", None, now)
            .expect("approve");
        assert!(d.approved());
        assert_eq!(
            (d.name.as_str(), d.duration_s, d.requester.as_str()),
            ("large-scan", 600, "ana")
        );
        assert_eq!(q.decision(&r.id).expect("read"), Some(d));
        let e = q
            .decide(&r.id, Decision::Deny, "carol", Some("too late"), now)
            .unwrap_err()
            .to_string();
        assert!(e.contains("already approved by bob"), "{e}");
        assert!(q.open_requests().expect("list").0.is_empty());
    }

    #[test]
    fn the_demo_lets_its_only_user_decide_and_records_denials_with_a_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), true);
        let r = q.submit(&validated(), "ana", Utc::now()).expect("submit");
        let d = q
            .decide(
                &r.id,
                Decision::Deny,
                "ana",
                Some("use a daily partition"),
                Utc::now(),
            )
            .expect("deny");
        assert!(!d.approved());
        assert_eq!(d.reason.as_deref(), Some("use a daily partition"));
    }

    #[test]
    fn a_withdrawn_request_cannot_be_approved_afterwards() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), false);
        let r = q.submit(&validated(), "ana", Utc::now()).expect("submit");
        q.decide(
            &r.id,
            Decision::Withdraw,
            "ana",
            Some("not needed any more"),
            Utc::now(),
        )
        .expect("withdraw");
        let e = q
            .decide(&r.id, Decision::Approve, "bob", None, Utc::now())
            .unwrap_err()
            .to_string();
        assert!(e.contains("already withdrawn by ana"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn pipes_links_and_huge_files_in_the_queue_are_refused_without_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), false);
        let decisions = dir.path().join("decisions");
        fs::create_dir_all(&decisions).expect("mkdir");
        let ids: Vec<String> = (0..3)
            .map(|_| {
                q.submit(&validated(), "ana", Utc::now())
                    .expect("submit")
                    .id
            })
            .collect();
        let fifo = decisions.join(format!("{}.json", ids[0]));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        std::os::unix::fs::symlink("/dev/zero", decisions.join(format!("{}.json", ids[1])))
            .expect("symlink");
        fs::write(
            decisions.join(format!("{}.json", ids[2])),
            vec![b' '; 70 * 1024],
        )
        .expect("write");
        for id in &ids {
            assert!(
                matches!(q.decision(id), Err(ElevationError::Damaged { .. })),
                "{id}"
            );
        }
        let (open, damaged) = q.open_requests().expect("list");
        assert!(open.is_empty());
        assert_eq!(damaged.len(), 3);
    }

    #[test]
    fn ids_that_are_not_uuids_never_reach_the_file_system() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), false);
        for id in [
            "../../etc/passwd",
            "",
            "0189",
            "01890A5D-AC96-7A3E-8F1E-5C2B1D0E9F00",
        ] {
            assert!(
                matches!(q.request(id), Err(ElevationError::BadRequestId { .. })),
                "{id}"
            );
        }
        let missing = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";
        assert!(matches!(
            q.request(missing),
            Err(ElevationError::UnknownRequest { .. })
        ));
    }

    #[test]
    fn damaged_files_are_reported_not_trusted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), false);
        let r = q.submit(&validated(), "ana", Utc::now()).expect("submit");
        fs::create_dir_all(dir.path().join("decisions")).expect("mkdir");
        fs::write(
            dir.path().join("decisions").join(format!("{}.json", r.id)),
            b"{\"id\": ",
        )
        .expect("write");
        let (open, damaged) = q.open_requests().expect("list");
        assert!(
            open.is_empty(),
            "a request with an unreadable decision is not offered"
        );
        assert_eq!(damaged.len(), 1);
        assert!(matches!(
            q.decide(&r.id, Decision::Approve, "bob", None, Utc::now()),
            Err(ElevationError::Damaged { .. })
        ));
    }

    #[test]
    fn racing_approvers_cannot_both_decide() {
        let dir = tempfile::tempdir().expect("tempdir");
        let q = Approvals::open(dir.path(), false);
        let r = q.submit(&validated(), "ana", Utc::now()).expect("submit");
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let (q, id) = (q.clone(), r.id.clone());
                    s.spawn(move || {
                        q.decide(
                            &id,
                            Decision::Approve,
                            &format!("approver-{i}"),
                            None,
                            Utc::now(),
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
        assert!(outcomes
            .iter()
            .filter_map(|o| o.as_ref().err())
            .all(|e| matches!(e, ElevationError::AlreadyDecided { .. })));
        let leftovers = fs::read_dir(dir.path().join("decisions"))
            .expect("dir")
            .count();
        assert_eq!(leftovers, 1, "no temporary files are left behind");
    }
}
