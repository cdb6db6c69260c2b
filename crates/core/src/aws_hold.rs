//! Requests from a long-lived gate (the app's window) on an AWS workspace: the request goes to
//! the broker's queue as from `warden elevation request`, and a background task waits for the
//! verdict (bounded), opens the delivered credentials into the keyring and holds the grant in
//! the gate with an engine signing with them. What comes of it is told by the gate's next
//! check (`Gate::check_elevations`: `granted` or `denied`), so the app notifies as for any
//! other decision.

use std::sync::Arc;
use std::time::Duration;

use warden_elevation::{format_duration, PendingRequest, Request};

use crate::aws_elevation::{AwsElevations, Progress, MAX_WAIT, WAIT_INTERVAL};
use crate::gate::{ElevationDecision, Outcome, Renewed};
use crate::{CoreError, Gate, Home, Workspace};

/// How early before a held grant's credentials run out its holder looks for the broker's next
/// set: the broker mints it five minutes before (`warden_broker`'s `REFRESH_BEFORE_MS`).
pub const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// How long the window's request waits for the broker before it is withdrawn: just under the
/// gate's own time-out for waiting requests, so the gate never drops one this still watches.
pub const WINDOW_WAIT: Duration = Duration::from_secs(59 * 60);

/// Asks for an elevation from `gate` (an `athena` workspace's, signed in), as the person
/// signed in: sent to the request bucket, then waited on in the background.
pub async fn request(
    home: &Home,
    gate: Arc<Gate>,
    request: Request,
) -> Result<ElevationDecision, CoreError> {
    let ws = Workspace::find(home, Some(gate.workspace()))?;
    let (elevations, region) = AwsElevations::open_signed_in(home, Some(ws.name())).await?;
    request_with(
        gate,
        ws,
        Arc::new(elevations),
        Some(region),
        request,
        WINDOW_WAIT,
        WAIT_INTERVAL,
    )
    .await
}

/// The same with its parts given: `elevations` of the signed-in user, the sign-in's `region`,
/// waiting at most `timeout`, looking every `interval`.
pub async fn request_with(
    gate: Arc<Gate>,
    ws: Workspace,
    elevations: Arc<AwsElevations>,
    region: Option<String>,
    request: Request,
    timeout: Duration,
    interval: Duration,
) -> Result<ElevationDecision, CoreError> {
    let extends = request
        .extends
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    match &extends {
        // An extension adds time to the grant this window holds, and to no other.
        Some(grant) => {
            let held = gate
                .elevation_status()
                .active
                .into_iter()
                .any(|a| &a.request_id == grant && a.name == request.name);
            if !held {
                return Err(warden_elevation::ElevationError::NotHeld {
                    name: request.name.clone(),
                    id: grant.clone(),
                }
                .into());
            }
            if let Some(id) = gate
                .elevation_status()
                .pending
                .into_iter()
                .find(|p| p.name == request.name)
                .map(|p| p.request_id)
            {
                return Err(warden_elevation::ElevationError::AlreadyPending {
                    name: request.name.clone(),
                    id,
                }
                .into());
            }
        }
        None if gate.elevations().contains(&request.name) => {
            return Err(CoreError::NoElevation(format!(
                "{} is already held in this window",
                request.name
            )));
        }
        None => {}
    }
    let (id, duration) = elevations.request(&request).await?;
    // Quitting, signing out or the sign-in's end withdraws it (and its grant) through these.
    gate.use_broker(elevations.clone());
    let status = gate.wait_elsewhere(PendingRequest {
        id: id.clone(),
        name: request.name.clone(),
        requester: elevations.me(),
        requested_at_ms: chrono::Utc::now().timestamp_millis(),
        duration_s: duration.as_secs(),
        reason: String::new(),
        extends: extends.clone(),
    });
    let message = if extends.is_some() {
        format!(
            "{} more on {} is waiting for the broker (request {id}); the grant runs on to its current end meanwhile",
            format_duration(duration),
            request.name
        )
    } else {
        format!(
            "{} for {} is waiting for the broker (request {id})",
            request.name,
            format_duration(duration)
        )
    };
    let name = request.name.clone();
    let task_id = id.clone();
    tokio::spawn(async move {
        match extends {
            Some(grant) => {
                wait_extension(
                    &gate,
                    &elevations,
                    &name_of(&gate, &task_id),
                    &grant,
                    &task_id,
                    timeout.min(MAX_WAIT),
                    interval,
                )
                .await
            }
            None => {
                wait(
                    &gate,
                    &ws,
                    &elevations,
                    region.as_deref(),
                    &task_id,
                    timeout.min(MAX_WAIT),
                    interval,
                )
                .await
            }
        }
    });
    Ok(ElevationDecision {
        outcome: Outcome::Pending,
        name,
        message,
        expires_at_ms: None,
        request_id: Some(id),
        status,
    })
}

/// Follows request `id` until it is held, refused, withdrawn from the window, or `timeout`.
async fn wait(
    gate: &Gate,
    ws: &Workspace,
    elevations: &AwsElevations,
    region: Option<&str>,
    id: &str,
    timeout: Duration,
    interval: Duration,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if !gate.still_waiting(id) {
            // Withdrawn from the window (or timed out there): the broker must not grant it.
            if let Err(e) = elevations.withdraw(id, "withdrawn by the requester").await {
                tracing::warn!(request = %id, "the request could not be withdrawn: {e}");
            }
            return;
        }
        match elevations.check(id).await {
            Ok(Progress::Held { .. }) => {
                let held = match find_held(elevations, gate, id) {
                    Ok(h) => h,
                    Err(e) => return gate.refused_elsewhere(id, &e.to_string()),
                };
                if let Err(e) = ws.hold_grant(gate, &held, region).await {
                    return gate.refused_elsewhere(
                        id,
                        &format!("granted, but its credentials cannot be used here: {e}"),
                    );
                }
                gate.granted_elsewhere(id);
                return follow(gate, elevations, &held.name, id, interval).await;
            }
            Ok(Progress::Finished { reason, .. }) => {
                return gate.refused_elsewhere(id, &reason);
            }
            Ok(Progress::Unusable { reason }) => {
                // Granted, but never usable here: ended at the broker too, so the access it
                // gives at AWS (an Identity Center assignment) does not linger unused.
                if let Err(e) = elevations.withdraw(id, &reason).await {
                    tracing::warn!(request = %id, "the request could not be withdrawn: {e}");
                }
                return gate.refused_elsewhere(id, &reason);
            }
            Ok(Progress::Waiting | Progress::Granted) => {}
            // Not a request for a grant of its own (it was sent as one): nothing to hold.
            Ok(Progress::Extended { .. }) => {
                return gate.refused_elsewhere(id, "the broker took it as an extension")
            }
            // A passing failure (network, throttling): the next look may get through.
            Err(e) => tracing::warn!(request = %id, "looking at the request failed: {e}"),
        }
        if tokio::time::Instant::now() + interval > deadline {
            let why = format!("no decision within {}; ask again", format_duration(timeout));
            if let Err(e) = elevations.withdraw(id, &why).await {
                tracing::warn!(request = %id, "the request could not be withdrawn: {e}");
            }
            return gate.refused_elsewhere(id, &why);
        }
        tokio::time::sleep(interval).await;
    }
}

/// The elevation of waiting request `id`.
fn name_of(gate: &Gate, id: &str) -> String {
    gate.elevation_status()
        .pending
        .into_iter()
        .find(|p| p.request_id == id)
        .map(|p| p.name)
        .unwrap_or_default()
}

/// Follows extension `id` of grant `grant` (of elevation `name`, held in `gate`) until the
/// broker applies it, refuses it, it is withdrawn from the window, its grant ends here first
/// (void: withdrawn at the broker), or `timeout`. Applied, the gate's grant gets the new end
/// (same grant: running queries carry on) and the broker's new credentials. Meanwhile the grant
/// runs on to its current end, followed as ever by [`follow`].
async fn wait_extension(
    gate: &Gate,
    elevations: &AwsElevations,
    name: &str,
    grant: &str,
    id: &str,
    timeout: Duration,
    interval: Duration,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    let runs_on = || {
        gate.elevation_status()
            .active
            .into_iter()
            .find(|a| a.request_id == grant)
            .map(|a| {
                format!(
                    "; the grant runs on to {}",
                    crate::aws_elevation::until_text(a.expires_at_ms)
                )
            })
            .unwrap_or_default()
    };
    loop {
        if gate.held_credentials(name, grant).is_none() {
            // The grant ended here first: the extension is void, at the broker too.
            if let Err(e) = elevations.withdraw(id, VOID).await {
                tracing::warn!(request = %id, "the extension could not be withdrawn: {e}");
            }
            return gate.refused_elsewhere(id, VOID);
        }
        if !gate.still_waiting(id) {
            if let Err(e) = elevations.withdraw(id, "withdrawn by the requester").await {
                tracing::warn!(request = %id, "the extension could not be withdrawn: {e}");
            }
            return;
        }
        match elevations.check(id).await {
            Ok(Progress::Extended { approver, .. }) => {
                let applied = match elevations.held(name) {
                    Ok(Some(h)) if h.request_id == grant => gate
                        .extended_elsewhere(id, &h, approver)
                        .and_then(|()| gate.renew_elevated(&h).map(|_| ())),
                    Ok(_) => Err(CoreError::NoElevation(format!(
                        "the keyring no longer holds the credentials of {name} (request {grant})"
                    ))),
                    Err(e) => Err(e),
                };
                if let Err(e) = applied {
                    return gate.refused_elsewhere(
                        id,
                        &format!("extended at the broker, but not here: {e}"),
                    );
                }
                return;
            }
            Ok(Progress::Finished { reason, .. }) => {
                return gate
                    .refused_elsewhere(id, &format!("no more time ({reason}){}", runs_on()));
            }
            Ok(Progress::Waiting | Progress::Granted) => {}
            Ok(Progress::Held { .. } | Progress::Unusable { .. }) => {
                return gate.refused_elsewhere(id, "the broker took it as a request of its own");
            }
            Err(e) => tracing::warn!(request = %id, "looking at the extension failed: {e}"),
        }
        if tokio::time::Instant::now() + interval > deadline {
            let why = format!("no decision within {}", format_duration(timeout));
            if let Err(e) = elevations.withdraw(id, &why).await {
                tracing::warn!(request = %id, "the extension could not be withdrawn: {e}");
            }
            return gate.refused_elsewhere(id, &format!("no more time ({why}){}", runs_on()));
        }
        tokio::time::sleep(interval).await;
    }
}

/// Why an extension comes to nothing when its grant ends first.
const VOID: &str = "the grant it extends ended before an approver decided; the extension is void";

/// Keeps grant `id` of elevation `name`, held in `gate`, supplied with the broker's credential
/// sets and in step with the broker's verdict: every `interval` it looks at the grant once
/// ([`renew_once`]). A newer set is swapped into the grant's engine; a grant the broker has
/// ended (revoked, ended from another machine) is marked for the gate's next check, which
/// locks it out at once. From [`RENEW_BEFORE`] before the set in use runs out, a look that
/// finds no newer set (or fails) is noted: the old set stays in use until it runs out, and the
/// lockout then records why ([`Gate::renewal_failed`]). Returns when the gate no longer holds
/// the grant.
pub async fn follow(
    gate: &Gate,
    elevations: &AwsElevations,
    name: &str,
    id: &str,
    interval: Duration,
) {
    let before = RENEW_BEFORE.as_millis() as i64;
    loop {
        let Some(held) = gate.held_credentials(name, id) else {
            return;
        };
        let due = held.until_ms < held.grant_end_ms
            && gate.now().wall.timestamp_millis() >= held.until_ms - before;
        match renew_once(gate, elevations, name, id).await {
            Ok(Look::Renewed(Renewed::Swapped { set, .. })) => {
                tracing::debug!(request = %id, set, "renewed");
            }
            Ok(Look::Renewed(Renewed::AlreadyCurrent)) if due => gate.renewal_failed(
                name,
                id,
                "the broker delivered no newer credential set in time",
            ),
            Ok(Look::Renewed(Renewed::AlreadyCurrent)) => {}
            Ok(Look::Ended(reason)) => {
                gate.ended_at_broker(name, id, &reason);
                return;
            }
            Err(e) if due => {
                // The error may name the bucket: it goes to the lockout's record, not the log.
                tracing::warn!(request = %id, "the grant's next credentials could not be taken");
                gate.renewal_failed(name, id, &e.to_string());
            }
            // A passing failure long before the set runs out: the next look may get through.
            Err(_) => {}
        }
        tokio::time::sleep(interval).await;
    }
}

/// What one look at a held grant found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    /// The grant holds at the broker; a newer set was swapped in, or there was none.
    Renewed(Renewed),
    /// The broker has ended the grant (its reason).
    Ended(String),
}

/// Looks once at grant `id` (of elevation `name`) held in `gate`: the broker's verdict, and a
/// newer credential set than the one `gate` signs with, opened into the keyring
/// (`credentials_issued` recorded, the delivery deleted from the bucket, as `warden elevation
/// status` does) and swapped into the grant's engine.
pub async fn renew_once(
    gate: &Gate,
    elevations: &AwsElevations,
    name: &str,
    id: &str,
) -> Result<Look, CoreError> {
    match elevations.check(id).await? {
        Progress::Held { expires_at_ms } => {
            let held = elevations
                .held(name)?
                .filter(|h| h.request_id == id)
                .ok_or_else(|| {
                    CoreError::NoElevation(format!(
                        "the keyring no longer holds the credentials of {name} (request {id})"
                    ))
                })?;
            let later = gate
                .held_credentials(name, id)
                .is_some_and(|c| expires_at_ms > c.grant_end_ms);
            if later && held.expires_at_ms == expires_at_ms {
                follow_extension(gate, elevations, &held).await?;
            }
            gate.renew_elevated(&held).map(Look::Renewed)
        }
        Progress::Finished { reason, .. } => Ok(Look::Ended(reason)),
        Progress::Unusable { reason } => Err(CoreError::NoElevation(reason)),
        Progress::Waiting | Progress::Granted | Progress::Extended { .. } => {
            Ok(Look::Renewed(Renewed::AlreadyCurrent))
        }
    }
}

/// The broker moved the end of grant `held` (the keyring's entry, with the broker's new end)
/// by an extension this window did not ask for or is not waiting on (`warden elevation extend`
/// in a terminal): the gate's grant takes the new end too, so it is not locked out and wiped at
/// the old one. An extension the window waits on is left to [`request_with`]'s wait.
async fn follow_extension(
    gate: &Gate,
    elevations: &AwsElevations,
    held: &crate::aws_elevation::HeldGrant,
) -> Result<(), CoreError> {
    let Some(x) = elevations.last_extension(&held.request_id).await? else {
        return Ok(());
    };
    if gate.still_waiting(&x.id) || x.expires_at_ms != held.expires_at_ms {
        return Ok(());
    }
    gate.extended_elsewhere(&x.id, held, x.approver)
}

/// The grant of request `id` as the keyring holds it.
fn find_held(
    elevations: &AwsElevations,
    gate: &Gate,
    id: &str,
) -> Result<crate::aws_elevation::HeldGrant, CoreError> {
    let name = gate
        .elevation_status()
        .pending
        .into_iter()
        .find(|p| p.request_id == id)
        .map(|p| p.name)
        .ok_or_else(|| CoreError::NoElevation(format!("request {id} is no longer waiting")))?;
    elevations
        .held(&name)?
        .filter(|h| h.request_id == id)
        .ok_or_else(|| {
            CoreError::NoElevation(format!(
                "request {id} was granted, but its credentials are not in the keyring"
            ))
        })
}

/// Ends elevation `name` in `gate` from the window on an AWS workspace: as on the demo (queries
/// cancelled, engine dropped, keyring entry deleted), and a grant is also ended at the broker
/// (the requester's withdrawal), so it mints no more credentials for it.
pub async fn end(
    home: &Home,
    gate: Arc<Gate>,
    name: &str,
) -> Result<warden_elevation::ElevationStatus, CoreError> {
    let held = held_id(&gate, name);
    let status = end_in_gate(&gate, name)?;
    if let Some(id) = held {
        let told = match AwsElevations::open(home, Some(gate.workspace())).await {
            Ok(elevations) => elevations.withdraw(&id, "ended by its holder").await,
            Err(e) => Err(e),
        };
        told.map_err(|e| not_told(name, e))?;
    }
    Ok(status)
}

/// The grant ended here, but the broker did not hear of it.
fn not_told(name: &str, e: CoreError) -> CoreError {
    CoreError::NoElevation(format!(
        "{name} has ended here and its credentials are deleted from the keyring, but the broker could not be told ({e}); they stop working at AWS at the grant's end"
    ))
}

/// The same with the signed-in user's `elevations` given.
pub async fn end_with(
    gate: &Gate,
    elevations: &AwsElevations,
    name: &str,
) -> Result<warden_elevation::ElevationStatus, CoreError> {
    let held = held_id(gate, name);
    let status = end_in_gate(gate, name)?;
    if let Some(id) = held {
        elevations
            .withdraw(&id, "ended by its holder")
            .await
            .map_err(|e| not_told(name, e))?;
    }
    Ok(status)
}

/// The request id of the grant of `name` the gate holds, if any.
fn held_id(gate: &Gate, name: &str) -> Option<String> {
    gate.elevation_status()
        .active
        .into_iter()
        .find(|a| a.name == name)
        .map(|a| a.request_id)
}

fn end_in_gate(gate: &Gate, name: &str) -> Result<warden_elevation::ElevationStatus, CoreError> {
    Ok(gate.end_elevation(name)?.0)
}

/// What a one-shot command (`warden query --elevation`, `warden credentials --elevation`)
/// learned from the broker before it used the grants in the keyring.
pub struct BeforeUse {
    /// The signed-in user's elevations, to follow the grants while a run lasts.
    pub elevations: Arc<AwsElevations>,
    /// What the user should hear: a grant of one of the names asked for that the broker has
    /// ended (revoked, ended elsewhere), with the broker's reason.
    pub notes: Vec<String>,
}

/// Before a one-shot command uses the grants of `names` from the keyring: looks once at every
/// request this machine holds a key for, as `warden elevation status` does, so the newest
/// credential set the broker delivered is in the keyring (a grant that outlives one set goes
/// on), and a grant the broker has ended is wiped (`credentials_wiped`) and cannot be used.
pub async fn before_use(
    home: &Home,
    workspace: &str,
    names: &[String],
) -> Result<BeforeUse, CoreError> {
    let elevations = AwsElevations::open(home, Some(workspace)).await?;
    let mut looked = Vec::new();
    let (lines, mut notes) = elevations.requests_for(names).await?;
    for line in lines {
        looked.push(line.id.clone());
        if let Progress::Finished { status, reason } = &line.progress {
            notes.push(finished_note(&line.name, &line.id, *status, reason));
        }
    }
    // A grant in the keyring whose request this machine holds no key for (so `requests` skips
    // it) is asked about by its own id: no grant is used without the broker's verdict.
    for name in names {
        let Some(held) = elevations.held(name)? else {
            continue;
        };
        if looked.contains(&held.request_id) {
            continue;
        }
        if let Progress::Finished { status, reason } = elevations.check(&held.request_id).await? {
            notes.push(finished_note(name, &held.request_id, status, &reason));
        }
    }
    Ok(BeforeUse {
        elevations: Arc::new(elevations),
        notes,
    })
}

fn finished_note(name: &str, id: &str, status: warden_broker::Status, reason: &str) -> String {
    let word = serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("{name} was {word} at the broker (request {id}): {reason}")
}

/// Keeps the grants `gate` holds in step with the broker while a one-shot run lasts, as the
/// window does: each is followed ([`follow`]: newer sets swapped in, a grant the broker ended
/// marked, which wakes the check at once), and the gate is checked every second, which locks
/// out (and stops the runs leaning on) a grant that has ended or whose credentials ran out.
/// Abort the task when the run is over.
pub fn follow_while_running(
    gate: Arc<Gate>,
    elevations: Arc<AwsElevations>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for grant in gate.elevation_status().active {
            let (gate, elevations) = (gate.clone(), elevations.clone());
            tokio::spawn(async move {
                follow(&gate, &elevations, &grant.name, &grant.request_id, interval).await
            });
        }
        loop {
            let g = gate.clone();
            let changes = tokio::task::spawn_blocking(move || g.check_elevations()).await;
            if let Ok(changes) = changes {
                for ended in &changes.ended {
                    tracing::warn!(elevation = %ended.name, "the grant ended during the run");
                }
            }
            if gate.elevation_status().active.is_empty() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = gate.elevation_news() => {}
            }
        }
    })
}
