//! An analyst's elevations on an AWS workspace (issue 14, the client side): a request checked
//! against the policy in force and written to the request bucket under the signed-in user's
//! own prefix, naming a fresh age X25519 key made for it; the private key only in the OS
//! keyring; the broker's verdict read back from `state/`; delivered credentials opened, kept in
//! the keyring (one entry per elevation), and their delivery objects deleted. In the Identity
//! Center mode the broker delivers nothing: the grant's credentials come from the AWS access
//! portal (`GetRoleCredentials` for the permission set the broker assigned), with the sign-in's
//! token, and are kept in the keyring the same way.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use warden_audit::{
    CredentialsIssued, CredentialsWiped, ElevationExtended, ElevationGranted, ElevationRequested,
    Payload,
};
use warden_broker::age::x25519::Identity;
use warden_broker::{open_delivery, Assigned, BrokerConfig, GrantState, S3Queue, Status};
use warden_elevation::{validate, Decision, ElevationError, Request};
use warden_guardrails::Policy;
use warden_identity::{ElevationSlot, Secret, Session, Vault};

use crate::audit::Audit;
use crate::error::CoreError;
use crate::home::Home;
use crate::workspace::Workspace;

/// How often `--wait` asks for the broker's verdict.
pub const WAIT_INTERVAL: Duration = Duration::from_secs(2);
/// The longest `--wait` may be told to wait (a manual approval can take a while).
pub const MAX_WAIT: Duration = Duration::from_secs(60 * 60);
/// How long after an Identity Center grant the access portal may still refuse its permission
/// set (the assignment is made, the portal has not caught up) before the refusal counts.
pub const PORTAL_CATCH_UP: Duration = Duration::from_secs(60);

/// A grant held on this machine: its end and the credentials the broker delivered for it.
/// Kept in the keyring as JSON; `Debug` shows no secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldGrant {
    pub request_id: String,
    pub name: String,
    pub approver: Option<String>,
    pub granted_at_ms: i64,
    pub expires_at_ms: i64,
    /// The credential set (`grants/<me>/<id>/<n>.age`) these are.
    pub set: u32,
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// When AWS lets them expire. In the STS mode the session policy ends them at the grant's
    /// end anyway; in the Identity Center mode they stay valid at AWS until then (the
    /// permission set's session, at least an hour), past the grant's end (AWS TEAM #195).
    pub credentials_expire_at_ms: i64,
    /// When the broker last extended the grant: its length under a new policy counts from
    /// then, as the broker counts it (`None`: never extended, or kept by an older Warden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_at_ms: Option<i64>,
}

impl std::fmt::Debug for HeldGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldGrant")
            .field("request_id", &self.request_id)
            .field("name", &self.name)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("set", &self.set)
            .finish_non_exhaustive()
    }
}

impl HeldGrant {
    /// Whether it can be used at `now`: the grant holds and its credentials have not expired.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        let ms = now.timestamp_millis();
        ms < self.expires_at_ms && ms < self.credentials_expire_at_ms
    }

    /// The credentials for an AWS SDK client, expiring at the earlier of their STS expiry and
    /// the grant's end.
    pub fn sdk_credentials(&self) -> aws_credential_types::Credentials {
        let until = self.expires_at_ms.min(self.credentials_expire_at_ms);
        let expiry = std::time::UNIX_EPOCH + Duration::from_millis(until.max(0) as u64);
        aws_credential_types::Credentials::new(
            self.access_key_id.expose(),
            self.secret_access_key.expose(),
            Some(self.session_token.expose().to_string()),
            Some(expiry),
            "warden-elevation",
        )
    }
}

/// Where a request stands, as this client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Waiting for the broker or an approver.
    Waiting,
    /// Granted, but no credentials have been delivered yet.
    Granted,
    /// Granted and its credentials are in the keyring, until `expires_at_ms`.
    Held { expires_at_ms: i64 },
    /// Denied, withdrawn, revoked or ended: why.
    Finished { status: Status, reason: String },
    /// Granted at the broker, but its credentials cannot be taken here (the access portal
    /// keeps refusing an Identity Center grant's role): why.
    Unusable { reason: String },
    /// An extension the broker applied: grant `grant_id` holds until `expires_at_ms` now
    /// (approved by `approver`; `None`: the policy). Its new credentials, when delivered, are
    /// in the keyring.
    Extended {
        grant_id: String,
        expires_at_ms: i64,
        approver: Option<String>,
    },
}

/// What `AwsElevations::end` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// A grant held here, ended early.
    Grant { request_id: String },
    /// A request still waiting, withdrawn.
    Request { request_id: String },
}

/// One of the signed-in user's requests, for `warden elevation status`.
#[derive(Debug, Clone)]
pub struct RequestLine {
    pub id: String,
    pub name: String,
    pub progress: Progress,
}

/// The signed-in user's elevations on one AWS workspace.
pub struct AwsElevations {
    workspace: String,
    queue: S3Queue,
    vault: Vault,
    audit: Arc<Audit>,
    policy: Policy,
    /// The sign-in whose token asks the access portal for an Identity Center grant's
    /// credentials.
    portal: Option<Arc<Session>>,
}

impl AwsElevations {
    /// The elevations of workspace `name` (kind `athena`, with a request bucket), as the person
    /// signed in to it, under the policy of its verified bundle.
    pub async fn open(home: &Home, name: Option<&str>) -> Result<AwsElevations, CoreError> {
        Ok(Self::open_signed_in(home, name).await?.0)
    }

    /// The same, with the region of the sign-in (where the grant's Athena engine runs).
    pub async fn open_signed_in(
        home: &Home,
        name: Option<&str>,
    ) -> Result<(AwsElevations, String), CoreError> {
        let (queue, identity) = crate::aws_queue::open_as(home, name).await?;
        let region = identity.session.config().region.clone();
        let ws = Workspace::find(home, name)?;
        let audit = identity.audit().clone();
        let mut client = ws.open_policy_client_as(audit.clone(), &identity)?;
        let now = Utc::now();
        if client.in_force(now).at(now).is_err() {
            // The outcome is in the client's status; without a policy nothing is requested.
            let _ = client.fetch(None, now).await;
        }
        let policy = client
            .in_force(now)
            .at(now)
            .map_err(|e| CoreError::NoElevation(e.reason))?
            .policy()
            .clone();
        Ok((
            AwsElevations::new(
                ws.name(),
                queue,
                identity.session.vault().clone(),
                audit,
                policy,
            )
            .with_portal(identity.session.clone()),
            region,
        ))
    }

    /// Withdraws request `id` (waiting, or a grant ended early) in the queue, and deletes its
    /// key: nothing delivered for it can be opened any more.
    pub async fn withdraw(&self, id: &str, why: &str) -> Result<(), CoreError> {
        let withdrawn = self
            .queue
            .decide_request(id, Decision::Withdraw, Some(why), Utc::now())
            .await;
        self.vault
            .delete_elevation(&self.workspace, ElevationSlot::RequestKey, id)?;
        match withdrawn {
            Ok(_) | Err(ElevationError::AlreadyDecided { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends elevation `name` from this machine: a grant held here is ended early at the broker
    /// (the withdrawal under the user's prefix: it mints no more credentials for it), its
    /// credentials are deleted from the keyring and `elevation_expired` and
    /// `credentials_wiped` are recorded; a request still waiting is withdrawn. The local wipe
    /// happens even when the bucket cannot be written (then the error says so). `None` when
    /// nothing of that name is held or waiting here.
    pub async fn end(&self, name: &str) -> Result<Option<Ended>, CoreError> {
        if let Some(grant) = self.held(name)? {
            let told = self
                .queue
                .decide_request(
                    &grant.request_id,
                    Decision::Withdraw,
                    Some("ended by its holder"),
                    Utc::now(),
                )
                .await;
            self.wipe(name, &format!("{name} ended by its holder"))?;
            self.vault.delete_elevation(
                &self.workspace,
                ElevationSlot::RequestKey,
                &grant.request_id,
            )?;
            // The credentials are gone whether or not the journal takes note (fail closed).
            let _ = self
                .audit
                .record(Payload::ElevationExpired(warden_audit::ElevationExpired {
                    elevation_id: grant.request_id.clone(),
                }));
            return match told {
                Ok(_) | Err(ElevationError::AlreadyDecided { .. }) => Ok(Some(Ended::Grant {
                    request_id: grant.request_id,
                })),
                Err(e) => Err(CoreError::NoElevation(format!(
                    "{name} is ended here and its credentials are deleted from the keyring, but the broker could not be told ({e}); they stop working at AWS at the grant's end"
                ))),
            };
        }
        for line in self.requests().await? {
            if line.name == name && line.progress == Progress::Waiting {
                self.withdraw(&line.id, "withdrawn by the requester")
                    .await?;
                let _ =
                    self.audit
                        .record(Payload::ElevationDenied(warden_audit::ElevationDenied {
                            elevation_id: line.id.clone(),
                            approver: None,
                            reason: "withdrawn by the requester".into(),
                        }));
                return Ok(Some(Ended::Request {
                    request_id: line.id,
                }));
            }
        }
        Ok(None)
    }

    /// The keyring of these elevations, as the gate deletes a locked-out grant's entry there.
    pub fn keys(&self) -> VaultKeys {
        VaultKeys::new(self.vault.clone(), &self.workspace)
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    pub fn new(
        workspace: &str,
        queue: S3Queue,
        vault: Vault,
        audit: Arc<Audit>,
        policy: Policy,
    ) -> AwsElevations {
        AwsElevations {
            workspace: workspace.to_string(),
            queue,
            vault,
            audit,
            policy,
            portal: None,
        }
    }

    /// Takes an Identity Center grant's credentials from the access portal with `session`'s
    /// sign-in (without it such a grant cannot be used here).
    pub fn with_portal(mut self, session: Arc<Session>) -> AwsElevations {
        self.portal = Some(session);
        self
    }

    fn remote(e: warden_broker::BrokerError) -> CoreError {
        CoreError::NoElevation(e.to_string())
    }

    /// Asks for an elevation: validated against the policy in force, written create-only under
    /// the user's prefix with a key pair made for it (the private half only in the keyring),
    /// and recorded. A request the keyring or the journal cannot take is withdrawn again.
    pub async fn request(&self, request: &Request) -> Result<(String, Duration), CoreError> {
        let valid = validate(&self.policy, request)?;
        if !BrokerConfig::from_policy(&self.workspace, &self.policy)
            .elevations
            .contains_key(&valid.name)
        {
            return Err(CoreError::NoElevation(format!(
                "elevation {} has no AWS mapping (elevations.{}.aws: role_arn or permission_set_arn) in the policy in force, so the broker cannot grant it on the {} workspace",
                valid.name, valid.name, self.workspace
            )));
        }
        let now = Utc::now();
        let held = self.held(&valid.name)?.filter(|g| g.usable_at(now));
        match (&valid.extends, held) {
            (Some(id), held) => self.extensible(held.as_ref(), id, &valid.name, valid.duration)?,
            (None, Some(held)) => {
                return Err(ElevationError::AlreadyActive {
                    name: valid.name.clone(),
                    until: until_text(held.expires_at_ms),
                }
                .into())
            }
            (None, None) => {}
        }
        for line in self.requests().await? {
            if line.name == valid.name && line.progress == Progress::Waiting {
                return Err(ElevationError::AlreadyPending {
                    name: valid.name.clone(),
                    id: line.id,
                }
                .into());
            }
        }
        let identity = Identity::generate();
        let queue = self
            .queue
            .clone()
            .with_recipient(&identity.to_public().to_string())
            .map_err(Self::remote)?;
        let (pending, _) = queue
            .submit_request(&valid, now)
            .await
            .map_err(Self::remote)?;
        let id = pending.id.clone();
        let key = {
            use warden_broker::age::secrecy::ExposeSecret;
            Secret::new(identity.to_string().expose_secret())
        };
        drop(identity);
        let kept = self
            .vault
            .put_elevation(&self.workspace, ElevationSlot::RequestKey, &id, &key)
            .map_err(CoreError::from)
            .and_then(|()| {
                self.audit
                    .record(Payload::ElevationRequested(ElevationRequested {
                        elevation_id: id.clone(),
                        scope: valid.name.clone(),
                        reason: valid.reason(),
                        requested_duration_s: valid.duration.as_secs(),
                        extends: valid.extends.clone(),
                    }))
                    .map(|_| ())
            });
        if let Err(e) = kept {
            // A request whose key or record is missing must not be granted: take it back.
            let _ = self
                .vault
                .delete_elevation(&self.workspace, ElevationSlot::RequestKey, &id);
            if let Err(w) = self
                .queue
                .decide_request(
                    &id,
                    Decision::Withdraw,
                    Some("the requester could not keep the request's key or record it"),
                    Utc::now(),
                )
                .await
            {
                tracing::warn!(request = %id, "the request could not be withdrawn ({w}); its credentials can be opened by nobody");
            }
            return Err(e);
        }
        Ok((id, valid.duration))
    }

    /// Whether an extension of grant `id` (of elevation `name`) by `more` may be asked for from
    /// here: the grant is held in this keyring and usable, and its new end is at most the
    /// elevation's `max_duration` from now (the broker checks all of this again).
    fn extensible(
        &self,
        held: Option<&HeldGrant>,
        id: &str,
        name: &str,
        more: Duration,
    ) -> Result<(), CoreError> {
        let now = warden_elevation::Moment {
            wall: Utc::now(),
            mono: std::time::Instant::now(),
        };
        let grant = held.filter(|h| h.request_id == id).and_then(|h| {
            let left = h.expires_at_ms - now.wall.timestamp_millis();
            Some(warden_elevation::Grant {
                request_id: h.request_id.clone(),
                name: h.name.clone(),
                granted_at: Utc.timestamp_millis_opt(h.granted_at_ms).single()?,
                expires_at: Utc.timestamp_millis_opt(h.expires_at_ms).single()?,
                expires_mono: now
                    .mono
                    .checked_add(Duration::from_millis(left.max(0) as u64))?,
                approver: h.approver.clone(),
                extended_at: h
                    .extended_at_ms
                    .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            })
        });
        let max = self
            .policy
            .elevation(name)
            .map(|d| d.max_duration)
            .unwrap_or_default();
        warden_elevation::extend(grant.as_ref(), id, name, more, max, now, None)?;
        Ok(())
    }

    /// Looks at request `id` once: the broker's verdict, and for a grant the newest delivered
    /// credentials, opened, kept in the keyring and deleted from the bucket. An extension the
    /// broker applied is recorded (`elevation_extended`) and its grant's newest credentials
    /// taken.
    pub async fn check(&self, id: &str) -> Result<Progress, CoreError> {
        let Some((state, _)) = self.queue.state(id).await.map_err(Self::remote)? else {
            return Ok(Progress::Waiting);
        };
        match state.status {
            Status::Pending => Ok(Progress::Waiting),
            Status::Granted => self.collect(&state).await,
            Status::Extended => self.extended(&state).await,
            status => {
                // Nothing more will be delivered: the request's key has no use left, and the
                // grant's credentials (if kept) are wiped.
                self.vault
                    .delete_elevation(&self.workspace, ElevationSlot::RequestKey, id)?;
                if self.held(&state.name)?.is_some_and(|h| h.request_id == id) {
                    self.wipe(
                        &state.name,
                        &format!("{} {}", state.name, status_word(status)),
                    )?;
                }
                Ok(Progress::Finished {
                    status,
                    reason: state.reason.clone().unwrap_or_else(|| status_word(status)),
                })
            }
        }
    }

    /// Checks request `id` every `interval` until it is no longer waiting for a decision or
    /// credentials, or `timeout` has passed (then the last progress, `Waiting` or `Granted`).
    pub async fn wait(
        &self,
        id: &str,
        timeout: Duration,
        interval: Duration,
    ) -> Result<Progress, CoreError> {
        let deadline = tokio::time::Instant::now() + timeout.min(MAX_WAIT);
        loop {
            let progress = self.check(id).await?;
            if !matches!(progress, Progress::Waiting | Progress::Granted)
                || tokio::time::Instant::now() + interval > deadline
            {
                return Ok(progress);
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Every request of the signed-in user this machine holds a key for, checked (deliveries
    /// collected on the way), and the grants held in the keyring.
    pub async fn requests(&self) -> Result<Vec<RequestLine>, CoreError> {
        let mut lines = Vec::new();
        for (id, request) in self.requests_with_keys().await? {
            let request = request?;
            let progress = self.check(&id).await?;
            lines.push(RequestLine {
                id,
                name: request.name,
                progress,
            });
        }
        Ok(lines)
    }

    /// The same for the elevations in `names` only: a request of another elevation that cannot
    /// be read or checked is no reason to refuse these (it is said in the notes); one of
    /// these that cannot be is.
    pub async fn requests_for(
        &self,
        names: &[String],
    ) -> Result<(Vec<RequestLine>, Vec<String>), CoreError> {
        let (mut lines, mut notes) = (Vec::new(), Vec::new());
        for (id, request) in self.requests_with_keys().await? {
            let request = match request {
                Ok(r) => r,
                Err(e) => {
                    notes.push(format!("request {id} could not be read ({e})"));
                    continue;
                }
            };
            if !names.contains(&request.name) {
                continue;
            }
            let progress = self.check(&id).await?;
            lines.push(RequestLine {
                id,
                name: request.name,
                progress,
            });
        }
        Ok((lines, notes))
    }

    /// Every request of the signed-in user this machine holds a key for, with its object as
    /// read from the bucket.
    async fn requests_with_keys(
        &self,
    ) -> Result<Vec<(String, Result<warden_broker::RequestObject, CoreError>)>, CoreError> {
        let me = self.me();
        let prefix = format!("requests/{me}/");
        let keys = self
            .queue
            .bucket()
            .list(&prefix)
            .await
            .map_err(Self::remote)?;
        let mut found = Vec::new();
        for key in keys {
            let Some(warden_broker::Key::Request { id, .. }) = warden_broker::Key::parse(&key)
            else {
                continue;
            };
            if self
                .vault
                .get_elevation(&self.workspace, ElevationSlot::RequestKey, &id)?
                .is_none()
            {
                continue;
            }
            let request = self
                .queue
                .read_request(&me, &id)
                .await
                .map_err(Self::remote);
            found.push((id, request));
        }
        Ok(found)
    }

    /// The grant of elevation `name` held in the keyring, if any (whether or not it still holds).
    pub fn held(&self, name: &str) -> Result<Option<HeldGrant>, CoreError> {
        held(&self.vault, &self.workspace, name)
    }

    /// Every grant held in the keyring that can be used now, for the policy's elevations; the
    /// grants past their end are wiped on the way.
    pub fn held_now(&self) -> Result<Vec<HeldGrant>, CoreError> {
        let now = Utc::now();
        let mut out = Vec::new();
        for name in self.policy.elevations().keys() {
            match self.held(name)? {
                Some(g) if g.usable_at(now) => out.push(g),
                Some(g) if now.timestamp_millis() >= g.expires_at_ms => {
                    self.wipe(name, &format!("{name} ended at its time"))?
                }
                _ => {}
            }
        }
        Ok(out)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The signed-in user's `aws:userid`, the prefix their requests are written under.
    pub fn me(&self) -> String {
        self.queue.me().to_string()
    }

    /// Extension `state` was applied by the broker: its grant's newest credentials (the broker
    /// mints a set ending at the new end at once) and new end are taken into the keyring first,
    /// then it is recorded (`elevation_extended`) and its key deleted, so it is recorded once and
    /// a look that fails half-way is simply made again.
    async fn extended(&self, state: &GrantState) -> Result<Progress, CoreError> {
        let grant_id = state.extends.clone().unwrap_or_default();
        let expires_at_ms = state.expires_at_ms.unwrap_or_default();
        let held_here = self
            .held(&state.name)?
            .is_some_and(|h| h.request_id == grant_id);
        if held_here {
            // The extension is read whether or not the new set can be taken now (the window's
            // follower may have taken it first); the holder's next look does.
            match self.queue.state(&grant_id).await.map_err(Self::remote)? {
                Some((grant, _))
                    if grant.status == Status::Granted && self.collect(&grant).await.is_err() =>
                {
                    tracing::warn!(request = %grant_id, "the extended grant's new set was not taken yet");
                }
                _ => {}
            }
        }
        // Recorded once on this machine, whoever reads it first (the window, its follower, or
        // the terminal that asked for it): the record comes first, then the key goes, and a
        // reader that finds the record already in the journal only deletes the key. A reader
        // that stopped between the two leaves the key, and the next one finds the record.
        let unread = self
            .vault
            .get_elevation(&self.workspace, ElevationSlot::RequestKey, &state.id)?
            .is_some();
        if unread {
            let recorded = self
                .audit
                .events(&[warden_audit::Kind::ElevationExtended], None, None, false)?
                .iter()
                .any(|e| e.payload["request_id"] == serde_json::json!(state.id));
            if !recorded {
                self.audit
                    .record(Payload::ElevationExtended(ElevationExtended {
                        elevation_id: grant_id.clone(),
                        request_id: state.id.clone(),
                        approver: state.approver.clone(),
                        expires_at_ms,
                    }))?;
            }
            self.vault
                .delete_elevation(&self.workspace, ElevationSlot::RequestKey, &state.id)?;
        }
        Ok(Progress::Extended {
            grant_id,
            expires_at_ms,
            approver: state.approver.clone(),
        })
    }

    /// The last extension the broker applied to grant `grant_id`, from the broker's state (which
    /// only the broker writes), once it is settled. One asked for on this machine and not read
    /// yet (a terminal's `warden elevation extend` without `--wait`) is read now, so it is
    /// recorded here once; `None` while the broker is still between the grant's new end and the
    /// extension's own state (the next look finds it).
    pub async fn last_extension(
        &self,
        grant_id: &str,
    ) -> Result<Option<warden_broker::Extension>, CoreError> {
        let Some((state, _)) = self.queue.state(grant_id).await.map_err(Self::remote)? else {
            return Ok(None);
        };
        let Some(x) = state.extensions.last().cloned() else {
            return Ok(None);
        };
        let unread = self
            .vault
            .get_elevation(&self.workspace, ElevationSlot::RequestKey, &x.id)?
            .is_some();
        if unread && !matches!(self.check(&x.id).await?, Progress::Extended { .. }) {
            return Ok(None);
        }
        Ok(Some(x))
    }

    /// The grant `h` held in the keyring, with the end the broker's `state` gives it now (an
    /// extension moved it). Credentials minted before the extension still end at the old end
    /// (their session policy says so), so their use is capped there until the next set.
    fn moved_end(&self, h: &HeldGrant, state: &GrantState) -> Result<HeldGrant, CoreError> {
        let end = state.expires_at_ms.unwrap_or(h.expires_at_ms);
        if end == h.expires_at_ms {
            return Ok(h.clone());
        }
        let mut moved = h.clone();
        if state.assignment.is_none() {
            moved.credentials_expire_at_ms = h.credentials_expire_at_ms.min(h.expires_at_ms);
        }
        moved.expires_at_ms = end;
        moved.extended_at_ms = last_extension(state).or(h.extended_at_ms);
        let json = Secret::new(serde_json::to_string(&moved).unwrap_or_default());
        self.vault
            .put_elevation(&self.workspace, ElevationSlot::Grant, &moved.name, &json)?;
        Ok(moved)
    }

    /// Opens the newest credential set delivered for `state`'s grant, keeps it in the keyring
    /// and deletes what was read from the bucket.
    async fn collect(&self, state: &GrantState) -> Result<Progress, CoreError> {
        if let Some(assigned) = &state.assignment {
            return self.collect_from_portal(state, assigned).await;
        }
        let held = self.held(&state.name)?;
        let current = held.as_ref().filter(|h| h.request_id == state.id);
        if state.delivered == 0 || current.is_some_and(|h| h.set >= state.delivered) {
            return Ok(match current {
                Some(h) => Progress::Held {
                    expires_at_ms: self.moved_end(h, state)?.expires_at_ms,
                },
                None => Progress::Granted,
            });
        }
        let Some(key) =
            self.vault
                .get_elevation(&self.workspace, ElevationSlot::RequestKey, &state.id)?
        else {
            return Err(CoreError::NoElevation(format!(
                "request {} was granted, but this machine does not hold its key, so its credentials cannot be opened; ask again from here",
                state.id
            )));
        };
        let identity: Identity = key.expose().parse().map_err(|_| {
            CoreError::NoElevation(format!(
                "the keyring's key for request {} is damaged; ask again",
                state.id
            ))
        })?;
        drop(key);
        let prefix = format!("grants/{}/{}/", self.me(), state.id);
        let bucket = self.queue.bucket();
        let mut sets: Vec<(u32, String)> = bucket
            .list(&prefix)
            .await
            .map_err(Self::remote)?
            .into_iter()
            .filter_map(|k| {
                let n = k
                    .strip_prefix(&prefix)?
                    .strip_suffix(".age")?
                    .parse()
                    .ok()?;
                Some((n, k))
            })
            .collect();
        sets.sort();
        let Some((_, newest)) = sets.last().cloned() else {
            return Ok(Progress::Granted);
        };
        let object = bucket
            .get(&newest)
            .await
            .map_err(Self::remote)?
            .ok_or_else(|| CoreError::NoElevation(format!("{newest} disappeared; try again")))?;
        let (n, creds) = open_delivery(&identity, &state.id, &object.body).map_err(Self::remote)?;
        let first = held.as_ref().is_none_or(|h| h.request_id != state.id);
        let grant = HeldGrant {
            request_id: state.id.clone(),
            name: state.name.clone(),
            approver: state.approver.clone(),
            granted_at_ms: state.granted_at_ms.unwrap_or(state.updated_at_ms),
            expires_at_ms: state.expires_at_ms.unwrap_or(0),
            set: n,
            access_key_id: Secret::new(creds.access_key_id.clone()),
            secret_access_key: Secret::new(creds.secret_access_key.clone()),
            session_token: Secret::new(creds.session_token.clone()),
            credentials_expire_at_ms: creds.expires_at_ms,
            extended_at_ms: last_extension(state),
        };
        drop(creds);
        let (account_id, role_name) = self.role_of(&grant.name);
        self.keep(&grant, first, account_id, role_name)?;
        // Read and kept: nothing of them stays in the bucket.
        for (_, key) in sets {
            if let Err(e) = bucket.delete(&key).await {
                tracing::warn!(
                    "a delivered credential set could not be deleted from the bucket: {e}"
                );
            }
        }
        Ok(Progress::Held {
            expires_at_ms: grant.expires_at_ms,
        })
    }

    /// Identity Center mode: the broker assigned `assigned`'s permission set to the user, and
    /// the access portal gives its role's credentials to the user's sign-in. Taken when none
    /// are held for this grant, or when those held run out within [`crate::aws_hold::RENEW_BEFORE`]
    /// before the grant's end; kept in the keyring like a delivered set.
    async fn collect_from_portal(
        &self,
        state: &GrantState,
        assigned: &Assigned,
    ) -> Result<Progress, CoreError> {
        let grant_end = state.expires_at_ms.unwrap_or(0);
        let now = Utc::now().timestamp_millis();
        if now >= grant_end {
            // The broker has not yet marked it ended; nothing is taken for a grant past its end,
            // and what is held of it goes.
            if self
                .held(&state.name)?
                .is_some_and(|h| h.request_id == state.id)
            {
                self.wipe(&state.name, &format!("{} ended at its time", state.name))?;
            }
            return Ok(Progress::Finished {
                status: Status::Ended,
                reason: format!("{} ended at its time", state.name),
            });
        }
        let held = self.held(&state.name)?;
        let moved = match held.as_ref().filter(|h| h.request_id == state.id) {
            Some(h) => Some(self.moved_end(h, state)?),
            None => None,
        };
        let current = moved.as_ref();
        let renew_before = crate::aws_hold::RENEW_BEFORE.as_millis() as i64;
        if let Some(h) = current {
            if h.credentials_expire_at_ms >= grant_end
                || h.credentials_expire_at_ms - now > renew_before
            {
                return Ok(Progress::Held {
                    expires_at_ms: h.expires_at_ms,
                });
            }
        }
        let (account, role) = (&assigned.assignment.account_id, &assigned.role_name);
        let Some(session) = &self.portal else {
            return Err(CoreError::NoElevation(format!(
                "request {} was granted in the Identity Center mode: its credentials come from the AWS access portal with your sign-in; run `warden login --workspace {}` and look again",
                state.id, self.workspace
            )));
        };
        let creds = match session.role_credentials(account, role).await {
            Ok(c) => c,
            Err(e) if e.is_forbidden() => {
                if let Some(h) = current {
                    // The set held still works until it runs out; the holder's follower notes
                    // the missing renewal and locks the grant out then.
                    return Ok(Progress::Held {
                        expires_at_ms: h.expires_at_ms,
                    });
                }
                let granted_at = state.granted_at_ms.unwrap_or(state.updated_at_ms);
                if now - granted_at < PORTAL_CATCH_UP.as_millis() as i64 {
                    return Ok(Progress::Granted);
                }
                return Ok(Progress::Unusable {
                    reason: format!(
                        "granted (permission set {role} in account {account}), but the AWS access portal does not give your sign-in that role ({e}); ask an administrator to check the account assignment"
                    ),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let grant = HeldGrant {
            request_id: state.id.clone(),
            name: state.name.clone(),
            approver: state.approver.clone(),
            granted_at_ms: state.granted_at_ms.unwrap_or(state.updated_at_ms),
            expires_at_ms: grant_end,
            set: current.map_or(1, |h| h.set + 1),
            access_key_id: Secret::new(creds.access_key_id.clone()),
            secret_access_key: creds.secret_access_key.clone(),
            session_token: creds.session_token.clone(),
            credentials_expire_at_ms: creds.expires_at.saturating_mul(1000),
            extended_at_ms: last_extension(state),
        };
        drop(creds);
        let first = held.as_ref().is_none_or(|h| h.request_id != state.id);
        self.keep(&grant, first, account.clone(), role.clone())?;
        Ok(Progress::Held {
            expires_at_ms: grant.expires_at_ms,
        })
    }

    /// Keeps `grant`'s credentials in the keyring and records them (`elevation_granted` for
    /// the `first` set of a grant, `credentials_issued` for each); undone when the journal
    /// cannot take it.
    fn keep(
        &self,
        grant: &HeldGrant,
        first: bool,
        account_id: String,
        role_name: String,
    ) -> Result<(), CoreError> {
        let json = Secret::new(serde_json::to_string(grant).unwrap_or_default());
        self.vault
            .put_elevation(&self.workspace, ElevationSlot::Grant, &grant.name, &json)?;
        let recorded = (if first {
            self.audit
                .record(Payload::ElevationGranted(ElevationGranted {
                    elevation_id: grant.request_id.clone(),
                    approver: grant.approver.clone(),
                    expires_at_ms: grant.expires_at_ms,
                }))
                .map(|_| ())
        } else {
            Ok(())
        })
        .and_then(|()| {
            self.audit
                .record(Payload::CredentialsIssued(CredentialsIssued {
                    account_id,
                    role_name,
                    expires_at_ms: grant.credentials_expire_at_ms.min(grant.expires_at_ms),
                }))
                .map(|_| ())
        });
        if let Err(e) = recorded {
            // Credentials the journal cannot account for are not kept (fail closed).
            self.vault
                .delete_elevation(&self.workspace, ElevationSlot::Grant, &grant.name)?;
            return Err(e);
        }
        Ok(())
    }

    /// Deletes the grant of `name` from the keyring and records `credentials_wiped`.
    fn wipe(&self, name: &str, reason: &str) -> Result<(), CoreError> {
        self.vault
            .delete_elevation(&self.workspace, ElevationSlot::Grant, name)?;
        // Wiping removes access: never held back by the journal.
        let _ = self
            .audit
            .record(Payload::CredentialsWiped(CredentialsWiped {
                reason: reason.to_string(),
                cleared: vec![format!("keyring:{}/elevation-grant/{name}", self.workspace)],
            }));
        Ok(())
    }

    /// The account and role name of elevation `name`'s role (STS mode), for the journal.
    fn role_of(&self, name: &str) -> (String, String) {
        let aws = self.policy.elevation(name).and_then(|e| e.aws.as_ref());
        let arn = aws
            .and_then(|a| a.role_arn())
            .unwrap_or_default()
            .to_string();
        let mut parts = arn.splitn(6, ':');
        let account = parts.nth(4).unwrap_or_default().to_string();
        let role = parts
            .next()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        (account, role)
    }
}

/// The grant of elevation `name` held in `vault` for `workspace`, if any.
/// When the broker last extended grant `state`, if it did.
fn last_extension(state: &GrantState) -> Option<i64> {
    state.extensions.last().map(|x| x.at_ms)
}

pub fn held(vault: &Vault, workspace: &str, name: &str) -> Result<Option<HeldGrant>, CoreError> {
    let Some(json) = vault.get_elevation(workspace, ElevationSlot::Grant, name)? else {
        return Ok(None);
    };
    serde_json::from_str(json.expose()).map(Some).map_err(|_| {
        CoreError::NoElevation(format!(
            "the keyring's entry for elevation {name} is damaged; ask for the elevation again"
        ))
    })
}

/// `HH:MM:SS UTC` of a time in ms since the epoch.
pub fn until_text(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn status_word(status: Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The keyring entries of a workspace's grants, as the gate deletes them at a lockout.
pub struct VaultKeys {
    vault: Vault,
    workspace: String,
}

impl VaultKeys {
    pub fn new(vault: Vault, workspace: &str) -> VaultKeys {
        VaultKeys {
            vault,
            workspace: workspace.to_string(),
        }
    }
}

impl crate::gate::GrantKeys for VaultKeys {
    fn wipe(&self, name: &str, request_id: &str) -> Result<Vec<String>, String> {
        let entry = format!("keyring:{}/elevation-grant/{name}", self.workspace);
        match held(&self.vault, &self.workspace, name) {
            // A later grant of the same name (asked for from the command line) is not this
            // one's to delete.
            Ok(Some(h)) if h.request_id != request_id => return Ok(vec![]),
            Ok(None) => return Ok(vec![]),
            // Ours, or damaged: either way it goes.
            Ok(Some(_)) | Err(_) => {}
        }
        self.vault
            .delete_elevation(&self.workspace, ElevationSlot::Grant, name)
            .map_err(|e| e.to_string())?;
        Ok(vec![entry])
    }

    fn forget_request(&self, request_id: &str) -> Result<(), String> {
        self.vault
            .delete_elevation(&self.workspace, ElevationSlot::RequestKey, request_id)
            .map_err(|e| e.to_string())
    }
}
