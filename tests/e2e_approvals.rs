//! The approver's side of elevation on AWS, in the real window: `make sandbox` (moto, the SSO
//! fake, the Athena stand-in, the broker with the sandbox's identity store), the app signed in
//! as sam@example.com, an approver of pii-read. Another analyst's requests reach the bucket as
//! their Warden writes them; the approver decides and revokes them in the Approvals panel, and
//! the broker judges every decision by the key it was written under. Needs the keyring session
//! of scripts/with-keyring.sh (`scripts/test.sh` provides it).

// Shared with tests/e2e.rs, which uses the parts this test does not.
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_smithy_types::Document;
use support::wait_for;
use support::webdriver::Session;
use support::window::text_of;
use warden_audit::{Actor, EventFilter, Journal, Payload};
use warden_broker::{Bucket, GrantState, S3Queue, Status};
use warden_test_support::sandbox::{output_text as text, Sandbox};

/// The broker passes every 2 s; a decision is judged at the next pass.
const PATIENCE: Duration = Duration::from_secs(60);
/// scripts/sandbox.sh: the request bucket, the identity store and its people.
const BUCKET: &str = "warden-requests";
const IDENTITY_STORE: &str = "d-5a4db0e2c1";
const APPROVER_GROUP: &str = "warden-approvers";
const ANALYST: &str = "sam@example.com";
const REQUESTER: &str = "ana@example.com";
/// Identity Center's permission set: every person's session is a session of this role.
const SIGN_IN_ROLE: &str = "arn:aws:iam::123456789012:role/WardenAnalyst";

async fn sdk(endpoint: &str, credentials: Credentials) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .load()
        .await
}

/// `person`'s own AWS session, as Identity Center gives it (a session of the sign-in role
/// named for them), and their `aws:userid` as STS says it: the prefix their Warden writes under.
async fn session_of(moto: &str, person: &str) -> (SdkConfig, String) {
    let admin = sdk(
        moto,
        Credentials::new("sandbox", "sandbox", None, None, "sandbox"),
    )
    .await;
    let assumed = aws_sdk_sts::Client::new(&admin)
        .assume_role()
        .role_arn(SIGN_IN_ROLE)
        .role_session_name(person)
        .send()
        .await
        .expect("moto's STS assumes the sign-in role");
    let c = assumed.credentials().expect("credentials");
    let own = sdk(
        moto,
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "session",
        ),
    )
    .await;
    let (user_id, _) = warden_broker::caller(&own)
        .await
        .expect("STS GetCallerIdentity");
    (own, user_id)
}

/// A pii-read request written by the requester's Warden: validated against the sandbox's
/// policy, then put under `requests/<their aws:userid>/` with their credentials.
async fn request_pii(queue: &S3Queue, justification: &str) -> String {
    let policy =
        warden_guardrails::Policy::from_yaml(include_str!("../scripts/sandbox-policy.yaml"))
            .expect("the sandbox policy");
    let validated = warden_elevation::validate(
        &policy,
        &warden_elevation::Request {
            name: "pii-read".into(),
            duration: Some(Duration::from_secs(15 * 60)),
            justification: justification.into(),
            ticket: None,
            extends: None,
        },
    )
    .expect("a valid request");
    queue
        .submit_request(&validated, chrono::Utc::now())
        .await
        .expect("the request is written")
        .0
        .id
}

/// The broker's own journal (`warden broker run` of the sandbox, beside the workspace's).
fn broker_journal(sandbox: &Sandbox) -> PathBuf {
    sandbox
        .home
        .path()
        .join("data/workspaces/sandbox/broker/journal.sqlite")
}

fn broker_events(path: &Path) -> Vec<Payload> {
    let journal = Journal::open(
        path,
        Actor {
            os_user: "e2e-approvals".into(),
            sso_identity: None,
        },
    )
    .expect("the broker's journal opens");
    journal
        .events(&EventFilter::default())
        .expect("the broker's journal reads")
        .into_iter()
        .map(|e| e.payload)
        .collect()
}

/// Takes `person` out of the approver group in the sandbox's identity store.
async fn leave_approver_group(moto: &str, person: &str) {
    let admin = sdk(
        moto,
        Credentials::new("sandbox", "sandbox", None, None, "sandbox"),
    )
    .await;
    let ids = aws_sdk_identitystore::Client::new(&admin);
    let by = |path: &str, value: &str| {
        AlternateIdentifier::UniqueAttribute(
            UniqueAttribute::builder()
                .attribute_path(path)
                .attribute_value(Document::String(value.into()))
                .build()
                .expect("an attribute"),
        )
    };
    let group = ids
        .get_group_id()
        .identity_store_id(IDENTITY_STORE)
        .alternate_identifier(by("displayName", APPROVER_GROUP))
        .send()
        .await
        .expect("the approver group")
        .group_id;
    let user = ids
        .get_user_id()
        .identity_store_id(IDENTITY_STORE)
        .alternate_identifier(by("userName", person))
        .send()
        .await
        .expect("the approver")
        .user_id;
    let memberships = ids
        .list_group_memberships()
        .identity_store_id(IDENTITY_STORE)
        .group_id(&group)
        .send()
        .await
        .expect("the group's members");
    let membership = memberships
        .group_memberships()
        .iter()
        .find(|m| m.member_id() == Some(&MemberId::UserId(user.clone())))
        .map(|m| m.membership_id())
        .expect("the sandbox's analyst is an approver")
        .to_string();
    ids.delete_group_membership()
        .identity_store_id(IDENTITY_STORE)
        .membership_id(membership)
        .send()
        .await
        .expect("the membership is deleted");
}

/// A control found by its role and accessible name, waited for.
fn control(
    s: &Session<'_>,
    role: &str,
    name: &str,
    within: Option<&str>,
) -> Result<String, String> {
    wait_for(&format!("{role} \"{name}\""), PATIENCE, || {
        s.find_by_role(role, Some(name), None, within)
            .ok()
            .flatten()
    })
}

/// The row of the Approvals panel's list `list` (its accessible name) that holds `text`.
fn row(s: &Session<'_>, list: &str, text: &str) -> Option<String> {
    let list = s.find_by_role("list", Some(list), None, None).ok()??;
    s.find_by_role("listitem", None, Some(text), Some(&list))
        .ok()?
}

/// Opens the reason dialog with `button` in the row of `list` holding `text`, writes `reason`
/// when given, and submits with the dialog's `submit` button; returns the panel's note.
fn act_in_row(
    s: &Session<'_>,
    list: &str,
    text: &str,
    button: &str,
    reason: Option<&str>,
    submit: &str,
) -> Result<String, String> {
    let found = wait_for(
        &format!("a row holding {text:?} in {list}"),
        PATIENCE,
        || row(s, list, text),
    )?;
    let open = control(s, "button", button, Some(&found))?;
    s.click(&open)?;
    // The dialog is named for what it does, like the button that opened it.
    let dialog = control(s, "dialog", button, None)?;
    if let Some(reason) = reason {
        let field = s
            .find_by_role("textbox", Some("Reason required"), None, Some(&dialog))?
            .ok_or("no Reason field in the dialog")?;
        s.send_keys(&field, reason)?;
    }
    let go = control(s, "button", submit, Some(&dialog))?;
    s.click(&go)?;
    wait_for("the dialog to close", PATIENCE, || {
        s.find_by_role("dialog", None, None, None)
            .ok()
            .flatten()
            .is_none()
            .then_some(())
    })
    .map_err(|e| {
        format!(
            "{e}; the dialog says {:?}",
            text_of(s, "#approval-error").unwrap_or_default()
        )
    })?;
    let panel = control(s, "complementary", "Approvals", None)?;
    let note = s
        .find_by_role("status", None, None, Some(&panel))?
        .ok_or("no status note in the panel")?;
    s.text(&note)
}

#[test]
fn an_approver_decides_and_revokes_in_the_approvals_panel_and_the_broker_judges_by_key(
) -> Result<(), String> {
    let window = support::sandbox_window::start(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        Path::new(env!("CARGO_BIN_EXE_warden-desktop")),
    )?;
    let (sandbox, driver) = (&window.sandbox, &window.driver);
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let moto = sandbox.endpoint("moto")?;

    // Ana, another analyst, asks for pii-read through the bucket as her Warden does: under her
    // own aws:userid, with her own session.
    let (ana_sdk, ana) = rt.block_on(session_of(&moto, REQUESTER));
    let role_id = ana.split(':').next().unwrap_or_default().to_string();
    assert!(ana.ends_with(&format!(":{REQUESTER}")), "{ana}");
    // The signed-in approver is the same role's session named for Sam.
    let sam = format!("{role_id}:{ANALYST}");
    let ana_queue = S3Queue::new(
        Bucket::new(&ana_sdk, BUCKET, true).map_err(|e| e.to_string())?,
        &ana,
    )
    .and_then(|q| {
        q.with_recipient(
            &warden_broker::age::x25519::Identity::generate()
                .to_public()
                .to_string(),
        )
    })
    .map_err(|e| e.to_string())?;
    let first = rt.block_on(request_pii(
        &ana_queue,
        "fraud case 7: the customer's emails",
    ));
    let state = |id: &str| -> Option<GrantState> {
        rt.block_on(ana_queue.state(id))
            .ok()
            .flatten()
            .map(|(s, _)| s)
    };
    let journal = broker_journal(sandbox);

    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the signed-in identity in the status bar", PATIENCE, || {
        text_of(&s, "#sign-in-identity").filter(|t| !t.contains("signed out") && !t.is_empty())
    })?;
    let out = sandbox.warden(&["whoami", "--workspace", "sandbox"]);
    assert!(
        text(&out).contains(&format!("assumed-role/WardenAnalyst/{ANALYST}")),
        "the sandbox signs in as its analyst: {}",
        text(&out)
    );
    let toggle = control(&s, "button", "Approvals", None)?;
    s.click(&toggle)?;
    control(&s, "heading", "Approvals", None)?;

    // The request as Ana wrote it: her name from the key, her justification as text.
    let waiting = wait_for("Ana's request in the panel", PATIENCE, || {
        row(&s, "Waiting for a decision", "fraud case 7")
    })?;
    let shown = s.text(&waiting)?;
    assert!(
        shown.contains(&format!("pii-read for {REQUESTER}")),
        "{shown}"
    );
    let note = act_in_row(
        &s,
        "Waiting for a decision",
        "fraud case 7",
        &format!("Approve pii-read for {REQUESTER}"),
        None,
        "Approve",
    )?;
    assert!(
        note.contains(&format!("Approved pii-read for {ana}")),
        "{note}"
    );

    // The broker grants it on Sam's decision: the state in S3 and its journal name him.
    let granted = wait_for("the broker's grant", PATIENCE, || {
        state(&first).filter(|s| s.status == Status::Granted)
    })?;
    assert_eq!(granted.approver.as_deref(), Some(sam.as_str()));
    assert_eq!(granted.requester, ana);
    let events = broker_events(&journal);
    assert!(
        events.iter().any(|p| matches!(p,
            Payload::ElevationGranted(g)
                if g.elevation_id == first && g.approver.as_deref() == Some(sam.as_str()))),
        "no grant naming {sam} in the broker's journal: {events:?}"
    );

    // Sam takes it back from the panel; the broker ends the grant.
    let refresh = control(&s, "button", "Refresh", None)?;
    let revoke = format!("Revoke pii-read of {REQUESTER}");
    wait_for("the grant in the panel", PATIENCE, || {
        s.click(&refresh).ok()?;
        row(
            &s,
            "Grants you approved",
            &format!("pii-read of {REQUESTER}"),
        )
    })?;
    let note = act_in_row(
        &s,
        "Grants you approved",
        &format!("pii-read of {REQUESTER}"),
        &revoke,
        Some("case closed"),
        "Revoke",
    )?;
    assert!(note.contains("Revoked pii-read"), "{note}");
    let revoked = wait_for("the broker to end the grant", PATIENCE, || {
        state(&first).filter(|s| s.status == Status::Revoked)
    })?;
    assert_eq!(
        revoked.reason,
        Some(format!("revoked by {sam}: case closed")),
        "{revoked:?}"
    );
    let events = broker_events(&journal);
    assert!(
        events.iter().any(|p| matches!(p,
            Payload::ElevationRevoked(r)
                if r.elevation_id == first && r.revoked_by == sam && r.reason == "case closed")),
        "no elevation_revoked by {sam} in the broker's journal: {events:?}"
    );

    // Out of the approver group, Sam's approval of Ana's next request is refused by the
    // broker, recorded with its reason, and the request waits on.
    rt.block_on(leave_approver_group(&moto, ANALYST));
    let second = rt.block_on(request_pii(&ana_queue, "fraud case 8: the refunds"));
    wait_for("Ana's second request in the panel", PATIENCE, || {
        s.click(&refresh).ok()?;
        row(&s, "Waiting for a decision", "fraud case 8")
    })?;
    act_in_row(
        &s,
        "Waiting for a decision",
        "fraud case 8",
        &format!("Approve pii-read for {REQUESTER}"),
        None,
        "Approve",
    )?;
    let key = format!("approvals/{sam}/{second}.json");
    let refused = wait_for("the broker's refusal", PATIENCE, || {
        state(&second).filter(|s| s.refused.contains(&key))
    })?;
    assert_eq!(refused.status, Status::Pending, "{refused:?}");
    assert_eq!(refused.approver, None, "{refused:?}");
    let events = broker_events(&journal);
    let why = events
        .iter()
        .find_map(|p| match p {
            Payload::ElevationDenied(d)
                if d.elevation_id == second && d.approver.as_deref() == Some(sam.as_str()) =>
            {
                Some(d.reason.clone())
            }
            _ => None,
        })
        .ok_or_else(|| format!("no refusal recorded by the broker: {events:?}"))?;
    assert!(
        why.contains(&format!(
            "{ANALYST} is not in the approver group {APPROVER_GROUP}"
        )),
        "{why}"
    );
    // The panel shows the request waiting for another approver, and that the broker refused
    // Sam's decision, with no second one to make.
    let again = wait_for("the refused request back in the panel", PATIENCE, || {
        s.click(&refresh).ok()?;
        row(&s, "Waiting for a decision", "fraud case 8").filter(|r| {
            s.text(r)
                .is_ok_and(|t| t.contains("The broker refused your decision"))
        })
    })?;
    let shown = s.text(&again)?;
    assert!(
        shown.contains("The broker refused your decision: ")
            && shown.contains(&format!(
                "{ANALYST} is not in the approver group {APPROVER_GROUP}"
            )),
        "the panel gives the broker's reason: {shown}"
    );
    assert!(
        s.find_by_role("button", None, Some("Approve"), Some(&again))?
            .is_none(),
        "no second decision on a refused one: {shown}"
    );

    // The keyring is shared with the other tests of the session: leave it as it was.
    drop(s);
    let out = sandbox.warden(&["logout", "--workspace", "sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    Ok(())
}
