//! The AWS request queue as a signed-in person sees it: their Warden writes under their own
//! `aws:userid` in the workspace's request bucket, with the credentials of their sign-in
//! (`warden login`), so the bucket policy, not Warden, decides what they may write.

use std::collections::HashMap;

use aws_config::Region;
use aws_credential_types::provider::SharedCredentialsProvider;
use chrono::Utc;
use warden_broker::{Bucket, Key, Status};
pub use warden_broker::{RevocationRecord, S3Queue};
use warden_elevation::{Decision, DecisionRecord, ElevationError};

use crate::config::WorkspaceKind;
use crate::error::CoreError;
use crate::home::Home;
use crate::identity::WorkspaceIdentity;
use crate::workspace::Workspace;

/// The queue of workspace `name` (kind `athena`, with `[elevation] bucket`), as the person
/// signed in to it.
pub async fn open(home: &Home, name: Option<&str>) -> Result<S3Queue, CoreError> {
    open_as(home, name).await.map(|(queue, _)| queue)
}

/// The queue of workspace `name` and the sign-in whose credentials write to it.
pub async fn open_as(
    home: &Home,
    name: Option<&str>,
) -> Result<(S3Queue, WorkspaceIdentity), CoreError> {
    let ws = Workspace::find(home, name)?;
    let workspace = ws.name().to_string();
    if ws.kind() != WorkspaceKind::Athena {
        return Err(CoreError::NoElevation(format!(
            "the {workspace} workspace is not an AWS workspace; the request bucket is for workspaces of kind `athena` (on the demo, elevations are asked for and ended in the window, and decided with `warden elevation approve|deny`)"
        )));
    }
    let settings = ws.elevation().cloned().unwrap_or_default();
    let bucket = settings.bucket.clone().ok_or_else(|| {
        CoreError::NoElevation(format!(
            "the {workspace} workspace names no request bucket: set bucket under [workspaces.{workspace}.elevation] in config.toml"
        ))
    })?;
    let identity = WorkspaceIdentity::open(home, Some(&workspace)).await?;
    let me = identity.credentials.caller_identity().await?.user_id;
    let region = settings
        .region
        .clone()
        .or_else(|| ws.region_hint())
        .unwrap_or_else(|| identity.session.config().region.clone());
    let sdk = warden_broker::sdk_config()
        .await
        .to_builder()
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(identity.credentials.clone()))
        .build();
    let s3_endpoint = settings
        .endpoints
        .s3
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    let sdk = match &settings.endpoints.s3 {
        Some(url) => crate::aws_endpoint::at_endpoint(&sdk, url),
        None => sdk,
    };
    let bucket = Bucket::new(&sdk, &bucket, s3_endpoint.is_some())
        .map_err(|e| CoreError::NoElevation(e.to_string()))?;
    let queue = S3Queue::new(bucket, &me).map_err(|e| CoreError::NoElevation(e.to_string()))?;
    Ok((queue, identity))
}

/// What became of a revocation.
#[derive(Debug)]
pub enum Revocation {
    /// Written at `revocations/<me>/ID.json`; the broker ends the grant at its next pass if it
    /// accepts the revoker (docs/elevation.md, "Revoking").
    Written(RevocationRecord),
    /// The requester's own grant: ended by their withdrawal under their own prefix
    /// (`requests/<me>/ID.withdrawn.json`), which the broker honours at its next pass.
    EndedOwn(DecisionRecord),
    /// Nothing written: the request is not a grant that holds (why, in words).
    NotHeld(String),
}

/// Revokes grant `id` as the signed-in person. An approver's revocation is a create-only
/// object under their own prefix, so the approver who approved can take it back (their
/// approval is create-only too, and stays); the requester's is their withdrawal. Only a grant
/// that holds can be revoked; a waiting request is denied with `warden elevation deny`.
pub async fn revoke(queue: &S3Queue, id: &str, reason: &str) -> Result<Revocation, CoreError> {
    let remote = |e: warden_broker::BrokerError| CoreError::NoElevation(e.to_string());
    let state = queue
        .state(id)
        .await
        .map_err(|e| match e {
            warden_broker::BrokerError::Invalid { value, .. } => {
                CoreError::Elevation(ElevationError::BadRequestId { id: value })
            }
            e => remote(e),
        })?
        .map(|(state, _)| state)
        .ok_or_else(|| CoreError::Elevation(ElevationError::UnknownRequest { id: id.into() }))?;
    if state.status != Status::Granted {
        return Ok(Revocation::NotHeld(format!(
            "request {id} is not a grant that holds (it is {}); only a held grant can be revoked",
            status_word(state.status)
        )));
    }
    let now = Utc::now();
    if state
        .expires_at_ms
        .is_none_or(|end| end <= now.timestamp_millis())
    {
        return Ok(Revocation::NotHeld(format!(
            "grant {id} has run to its end; only a held grant can be revoked"
        )));
    }
    if state.requester == queue.me() {
        return Ok(Revocation::EndedOwn(
            queue
                .decide_request(id, Decision::Withdraw, Some(reason), now)
                .await?,
        ));
    }
    Ok(Revocation::Written(
        queue.write_revocation(&state, reason, now).await?,
    ))
}

/// A grant that holds at the broker, as an approver sees it (`state/ID.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldGrant {
    pub id: String,
    pub name: String,
    pub requester: String,
    /// Who approved it (the key prefix of their decision); `None` when the policy did.
    pub approver: Option<String>,
    pub granted_at_ms: Option<i64>,
    pub expires_at_ms: i64,
}

/// The grants that hold now and that the signed-in approver approved, soonest end first: what
/// they may take back with [`revoke`]. State objects that cannot be read are named in the
/// second list and the others are listed.
pub async fn approved_grants(queue: &S3Queue) -> Result<(Vec<HeldGrant>, Vec<String>), CoreError> {
    let remote = |e: warden_broker::BrokerError| CoreError::NoElevation(e.to_string());
    let now_ms = Utc::now().timestamp_millis();
    let mut ids = std::collections::BTreeSet::new();
    for key in queue.bucket().list("requests/").await.map_err(remote)? {
        if let Some(Key::Request { id, .. }) = Key::parse(&key) {
            ids.insert(id);
        }
    }
    let (mut held, mut damaged) = (Vec::new(), Vec::new());
    for id in ids {
        let state = match queue.state(&id).await {
            Ok(Some((state, _))) => state,
            Ok(None) => continue,
            Err(e @ warden_broker::BrokerError::Damaged { .. }) => {
                damaged.push(e.to_string());
                continue;
            }
            Err(e) => return Err(remote(e)),
        };
        let Some(end) = state.expires_at_ms else {
            continue;
        };
        if state.status != Status::Granted
            || end <= now_ms
            || state.approver.as_deref() != Some(queue.me())
        {
            continue;
        }
        held.push(HeldGrant {
            id: state.id,
            name: state.name,
            requester: state.requester,
            approver: state.approver,
            granted_at_ms: state.granted_at_ms,
            expires_at_ms: end,
        });
    }
    held.sort_by(|a, b| (a.expires_at_ms, &a.id).cmp(&(b.expires_at_ms, &b.id)));
    Ok((held, damaged))
}

/// A request in the bucket waiting for an approver, as `warden elevation list` shows it. The
/// requester is the key's prefix (who wrote it), never a name inside the object; everything
/// else was written by the requester and is shown escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub id: String,
    pub name: String,
    pub requester: String,
    pub requested_at_ms: i64,
    pub duration_s: u64,
    pub justification: String,
    pub ticket: Option<String>,
    /// The decisions on it the broker refused: they did not count, and the request waits on.
    pub refused: Vec<RefusedDecision>,
    /// An extension: the grant it adds time to, as the broker's record has it.
    pub extends: Option<ExtendedGrant>,
}

/// The grant an extension asks more time on, so an approver knows what they approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedGrant {
    /// The grant's request id.
    pub id: String,
    /// When it ends now, while it holds; `None` when it no longer holds (or is not the
    /// requester's grant of that elevation): the broker refuses the extension then.
    pub ends_at_ms: Option<i64>,
    /// When it would end if the time asked were added now (the broker caps it at the policy's
    /// maximum from its decision).
    pub would_end_at_ms: Option<i64>,
}

/// A decision the broker refused: its writer (from its key), and why when the broker said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDecision {
    pub approver: String,
    /// `None` from a broker that kept only the key (the reason is in its journal).
    pub reason: Option<String>,
}

/// The requests waiting for a decision, oldest first, and the objects that could not be read
/// (what is wrong with each, in words): a damaged request must not hide the others.
pub async fn open_requests(queue: &S3Queue) -> Result<(Vec<OpenRequest>, Vec<String>), CoreError> {
    let remote = |e: warden_broker::BrokerError| CoreError::NoElevation(e.to_string());
    let bucket = queue.bucket();
    let mut found = Vec::new();
    let mut withdrawn = std::collections::HashSet::new();
    for key in bucket.list("requests/").await.map_err(remote)? {
        match Key::parse(&key) {
            Some(Key::Request { requester, id }) => found.push((requester, id)),
            Some(Key::Withdrawal { id, .. }) => {
                withdrawn.insert(id);
            }
            _ => {}
        }
    }
    let mut decided: HashMap<String, Vec<String>> = HashMap::new();
    for key in bucket.list("approvals/").await.map_err(remote)? {
        if let Some(Key::Approval { id, .. }) = Key::parse(&key) {
            decided.entry(id).or_default().push(key);
        }
    }
    let (mut open, mut damaged) = (Vec::new(), Vec::new());
    for (requester, id) in found {
        if withdrawn.contains(&id) {
            continue;
        }
        let (refused, reasons) = match queue.state(&id).await {
            Ok(None) => (vec![], Default::default()),
            Ok(Some((state, _))) if state.status == Status::Pending => {
                (state.refused, state.refusals)
            }
            Ok(Some(_)) => continue,
            Err(e @ warden_broker::BrokerError::Damaged { .. }) => {
                damaged.push(e.to_string());
                continue;
            }
            Err(e) => return Err(remote(e)),
        };
        // A decision the broker has not judged yet: decided, waiting for its next pass.
        if decided
            .get(&id)
            .is_some_and(|keys| keys.iter().any(|k| !refused.contains(k)))
        {
            continue;
        }
        let read = queue.read_request(&requester, &id).await;
        let extends = match &read {
            Ok(r) => match &r.extends {
                Some(grant) => Some(extended_grant(queue, grant, &requester, r).await),
                None => None,
            },
            Err(_) => None,
        };
        match read {
            Ok(r) => open.push(OpenRequest {
                id,
                name: r.name,
                requester,
                requested_at_ms: r.requested_at_ms,
                duration_s: r.duration_s,
                justification: r.justification,
                ticket: r.ticket,
                refused: refused
                    .iter()
                    .filter_map(|key| match Key::parse(key) {
                        Some(Key::Approval { approver, .. }) => Some(RefusedDecision {
                            approver,
                            reason: reasons.get(key).cloned(),
                        }),
                        _ => None,
                    })
                    .collect(),
                extends,
            }),
            Err(
                e @ (warden_broker::BrokerError::Damaged { .. }
                | warden_broker::BrokerError::TooLarge { .. }),
            ) => damaged.push(e.to_string()),
            // Withdrawn and cleaned up between the listing and the read.
            Err(warden_broker::BrokerError::UnknownRequest { .. }) => {}
            Err(e) => return Err(remote(e)),
        }
    }
    open.sort_by(|a, b| (a.requested_at_ms, &a.id).cmp(&(b.requested_at_ms, &b.id)));
    Ok((open, damaged))
}

/// The grant `grant` that `requester`'s extension `r` adds time to, as the broker's record has
/// it: its end while it holds, and the end the extension asks for.
async fn extended_grant(
    queue: &S3Queue,
    grant: &str,
    requester: &str,
    r: &warden_broker::RequestObject,
) -> ExtendedGrant {
    let now_ms = Utc::now().timestamp_millis();
    let ends_at_ms = match queue.state(grant).await {
        Ok(Some((g, _)))
            if g.status == Status::Granted && g.requester == requester && g.name == r.name =>
        {
            g.expires_at_ms.filter(|end| *end > now_ms)
        }
        _ => None,
    };
    ExtendedGrant {
        id: grant.to_string(),
        ends_at_ms,
        would_end_at_ms: ends_at_ms
            .map(|end| end.saturating_add((r.duration_s as i64).saturating_mul(1000))),
    }
}

/// Approves or denies request `id` as the signed-in approver: the decision is written once,
/// create-only, at `approvals/<me>/<id>.json`, and the broker judges it at its next pass (it
/// alone decides whether it counts). Refused here first, without writing: the approver's own
/// request, a request the broker has already decided, one withdrawn, or one another approver
/// has decided and the broker not yet judged.
pub async fn decide(
    queue: &S3Queue,
    id: &str,
    decision: Decision,
    reason: Option<&str>,
) -> Result<DecisionRecord, CoreError> {
    if !matches!(decision, Decision::Approve | Decision::Deny) {
        return Err(CoreError::NoElevation(
            "only the requester withdraws a request".into(),
        ));
    }
    let remote = |e: warden_broker::BrokerError| CoreError::NoElevation(e.to_string());
    let (requester, _) = queue.find_request(id).await.map_err(|e| match e {
        warden_broker::BrokerError::UnknownRequest { id } => {
            CoreError::Elevation(ElevationError::UnknownRequest { id })
        }
        warden_broker::BrokerError::Invalid { value, .. } => {
            CoreError::Elevation(ElevationError::BadRequestId { id: value })
        }
        e => remote(e),
    })?;
    if warden_elevation::same_person(&requester, queue.me()) {
        return Err(CoreError::Elevation(ElevationError::SelfApproval {
            user: requester,
            id: id.into(),
        }));
    }
    let already = |decision: &str, approver: &str| {
        CoreError::Elevation(ElevationError::AlreadyDecided {
            id: id.into(),
            decision: decision.into(),
            approver: approver.into(),
        })
    };
    let withdrawal = warden_broker::withdrawal_key(&requester, id);
    if queue
        .bucket()
        .get(&withdrawal)
        .await
        .map_err(remote)?
        .is_some()
    {
        return Err(already("withdrawn", &requester));
    }
    let refused = match queue.state(id).await.map_err(remote)? {
        None => vec![],
        Some((state, _)) if state.status == Status::Pending => state.refused,
        Some((state, _)) => {
            let by = state.approver.unwrap_or_else(|| match state.status {
                Status::Granted | Status::Ended => "the policy".into(),
                _ => "the broker".into(),
            });
            return Err(already(&status_word(state.status), &by));
        }
    };
    for (key, read) in queue.approvals(id).await.map_err(remote)? {
        if refused.contains(&key) {
            continue;
        }
        let writer = match Key::parse(&key) {
            Some(Key::Approval { approver, .. }) => approver,
            _ => continue,
        };
        let word = match &read {
            Ok((_, record)) => record.decision.past_tense().to_string(),
            Err(_) => "decided".into(),
        };
        return Err(already(
            &format!("{word} (the broker judges it at its next pass)"),
            &writer,
        ));
    }
    Ok(queue
        .decide_request(id, decision, reason, Utc::now())
        .await?)
}

/// `granted`, `denied`, ... as the broker's state spells a status.
fn status_word(status: Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use warden_broker::{Approvers, AwsElevation, Broker, BrokerConfig, Minter};
    use warden_guardrails::Policy;
    use warden_test_support::{policies, ManualClock, Moto};

    use super::*;

    const ANA: &str = "AROAEXAMPLE:ana@example.com";
    const BOB: &str = "AROAEXAMPLE:bob@example.com";
    const CY: &str = "AROAEXAMPLE:cy@example.com";
    const BUCKET: &str = "warden-requests";

    fn broker(moto_sdk: &aws_config::SdkConfig, dir: &std::path::Path) -> Broker {
        let mut config = BrokerConfig {
            workspace: "prod".into(),
            ..Default::default()
        };
        for (name, role) in [
            ("pii-read", "warden-pii-read"),
            ("large-scan", "warden-large-scan"),
        ] {
            config.elevations.insert(
                name.into(),
                AwsElevation::role(&format!("arn:aws:iam::123456789012:role/{role}")),
            );
        }
        let journal = warden_audit::Journal::open(
            dir.join("broker.sqlite"),
            warden_audit::Actor {
                os_user: "warden-broker".into(),
                sso_identity: None,
            },
        )
        .expect("journal");
        Broker::new(
            S3Queue::new(
                Bucket::new(moto_sdk, BUCKET, true).expect("bucket"),
                "AROABROKER:b",
            )
            .expect("queue"),
            Policy::from_yaml(policies::ELEVATIONS).expect("policy"),
            config,
            Minter::new(moto_sdk),
            Approvers::none(),
            Arc::new(journal),
            Arc::new(ManualClock::new()),
        )
    }

    async fn ask(queue: &S3Queue, name: &str) -> String {
        let policy = Policy::from_yaml(policies::ELEVATIONS).expect("policy");
        let validated = warden_elevation::validate(
            &policy,
            &warden_elevation::Request {
                name: name.into(),
                duration: Some(Duration::from_secs(1800)),
                justification: "fraud case 7".into(),
                ticket: Some("INC-7".into()),
                extends: None,
            },
        )
        .expect("allowed");
        queue
            .submit_request(&validated, Utc::now())
            .await
            .expect("sent")
            .0
            .id
    }

    /// What the Approvals panel and `warden elevation revoke` stand on: the grants an approver
    /// approved are theirs to revoke (a revocation of its own, since their approval stays), a
    /// requester ends their own, and nothing else is written for a grant that does not hold.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_approver_revokes_what_they_approved_and_a_requester_ends_their_own() {
        let moto = Moto::start();
        let sdk = moto.sdk_config().await;
        moto.create_bucket(BUCKET).await;
        let dir = tempfile::tempdir().expect("dir");
        let broker = broker(&sdk, dir.path());
        let queue = |me: &str| {
            let identity = warden_broker::age::x25519::Identity::generate();
            S3Queue::new(Bucket::new(&sdk, BUCKET, true).expect("bucket"), me)
                .expect("queue")
                .with_recipient(&identity.to_public().to_string())
                .expect("recipient")
        };
        let (ana, bob, cy) = (queue(ANA), queue(BOB), queue(CY));
        let approved = ask(&ana, "pii-read").await;
        let by_cy = ask(&ana, "pii-read").await;
        let waiting = ask(&ana, "pii-read").await;
        let scan = ask(&ana, "large-scan").await;
        broker.run_once().await.expect("pass");
        decide(&bob, &approved, Decision::Approve, None)
            .await
            .expect("approved");
        decide(&cy, &by_cy, Decision::Approve, None)
            .await
            .expect("approved");
        broker.run_once().await.expect("pass");

        // Bob's grants: only the one he approved, and only while it holds.
        let (grants, damaged) = approved_grants(&bob).await.expect("grants");
        assert!(damaged.is_empty(), "{damaged:?}");
        assert_eq!(
            grants.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
            [approved.as_str()]
        );
        assert_eq!(grants[0].requester, ANA);
        assert!(approved_grants(&ana).await.expect("grants").0.is_empty());

        // A waiting request and an unknown id are no grant to revoke; nothing is written.
        assert!(matches!(
            revoke(&bob, &waiting, "x").await.expect("answered"),
            Revocation::NotHeld(why) if why.contains("it is pending")
        ));
        assert!(matches!(
            revoke(&bob, "0190f0e0-0000-7000-8000-000000000000", "x").await,
            Err(CoreError::Elevation(ElevationError::UnknownRequest { .. }))
        ));
        assert!(bob
            .bucket()
            .list("revocations/")
            .await
            .expect("list")
            .is_empty());

        match revoke(&bob, &approved, "case closed")
            .await
            .expect("revoked")
        {
            Revocation::Written(r) => {
                assert_eq!((r.revoked_by.as_str(), r.requester.as_str()), (BOB, ANA))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            revoke(&bob, &approved, "again").await,
            Err(CoreError::Elevation(ElevationError::AlreadyDecided { .. }))
        ));
        match revoke(&ana, &scan, "done early").await.expect("ended") {
            Revocation::EndedOwn(r) => assert_eq!(r.decision, Decision::Withdraw),
            other => panic!("{other:?}"),
        }
        let report = broker.run_once().await.expect("pass");
        let mut ended = report.ended.clone();
        ended.sort();
        let mut expected = vec![approved.clone(), scan.clone()];
        expected.sort();
        assert_eq!(ended, expected, "{report:?}");
        let state = |id: String| {
            let bob = bob.clone();
            async move { bob.state(&id).await.expect("state").expect("some").0 }
        };
        assert_eq!(state(approved.clone()).await.status, Status::Revoked);
        assert_eq!(state(scan.clone()).await.status, Status::Withdrawn);
        assert_eq!(state(by_cy.clone()).await.status, Status::Granted);
        assert!(approved_grants(&bob).await.expect("grants").0.is_empty());
    }
}
