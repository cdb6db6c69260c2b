//! The Identity Center mode from the analyst's side: the broker assigns a permission set in
//! moto's sso-admin, and the analyst's Warden takes the grant's credentials from the access
//! portal (the SSO fake, which answers only while moto holds the assignment) with a real
//! sign-in, keeps them in the keyring, renews them, and runs the pii query with them at the
//! stand-in, which lets only the permission set's role read pii (Lake Formation's part).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_identitystore::types::{Email, Name};
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use warden_broker::{AwsElevation, Broker, BrokerConfig, Bucket, IdentityCenter, S3Queue};
use warden_engine::CancellationToken;
use warden_guardrails::{AwsTarget, PermissionSetGrant, Policy};
use warden_identity::{ElevationSlot, Method, NoEvents, Session, SignInConfig, Vault};
use warden_test_support::portal_center::{provisioned_role_arn, Center};
use warden_test_support::sso_fake::FakeSso;
use warden_test_support::standin::{local_sdk_config, ColumnGrants};
use warden_test_support::ManualClock;

use super::window_requests::{local_broker_with, next_news, pii_read, window_gate};
use super::*;
use crate::aws_elevation::{AwsElevations, Progress};
use crate::aws_hold::{renew_once, Look};
use crate::gate::{Outcome, Renewed};

const ACCOUNT: &str = "123456789012";
const PERMISSION_SET: &str = "PiiRead";
const REQUESTS: &str = "warden-requests";
const USER: &str = "ana@example.com";
const ANALYST: &str = "AROAANALYST:ana@example.com";

/// moto's Identity Center with the `PiiRead` permission set and Ana in its identity store;
/// the ARN of the permission set.
async fn center(moto: &str) -> (aws_sdk_ssoadmin::Client, String, String) {
    let sdk = local_sdk_config(moto);
    let admin = aws_sdk_ssoadmin::Client::new(&sdk);
    let instances = admin.list_instances().send().await.expect("instances");
    let instance = &instances.instances()[0];
    let instance_arn = instance.instance_arn().expect("arn").to_string();
    let store = instance.identity_store_id().expect("store").to_string();
    let ps = admin
        .create_permission_set()
        .instance_arn(&instance_arn)
        .name(PERMISSION_SET)
        // moto answers an unset duration as a number, which the SDK refuses.
        .session_duration("PT1H")
        .send()
        .await
        .expect("permission set");
    let arn = ps
        .permission_set()
        .and_then(|p| p.permission_set_arn())
        .expect("arn")
        .to_string();
    aws_sdk_identitystore::Client::new(&sdk)
        .create_user()
        .identity_store_id(&store)
        .user_name(USER)
        .display_name(USER)
        .name(
            Name::builder()
                .given_name("Ana")
                .family_name("Example")
                .build(),
        )
        .emails(Email::builder().value(USER).build())
        .send()
        .await
        .expect("user");
    (admin, instance_arn, arn)
}

/// The broker with pii-read in the Identity Center mode, on `clock`.
async fn broker(
    lab: &Lab,
    permission_set_arn: &str,
    clock: Arc<ManualClock>,
) -> (Broker, tempfile::TempDir) {
    let policy = Policy::from_yaml(&lab.policy).expect("policy");
    let mut config = BrokerConfig::from_policy("aws", &policy);
    config.elevations.insert(
        "pii-read".into(),
        AwsElevation {
            target: AwsTarget::PermissionSet(PermissionSetGrant {
                permission_set_arn: permission_set_arn.into(),
                account_id: ACCOUNT.into(),
                instance_arn: None,
                role_name: None,
            }),
            workgroup: None,
            approver_group: None,
        },
    );
    let (broker, dir) = local_broker_with(lab, clock, config).await;
    let sdk = local_sdk_config(&lab.moto.endpoint);
    (
        broker.with_identity_center(IdentityCenter::new(&sdk, &sdk)),
        dir,
    )
}

/// pii-read asked for from the window's gate, as the app does, followed every 50 ms.
async fn ask_from_window(
    lab: &Lab,
    gate: &Arc<crate::Gate>,
    elevations: &Arc<AwsElevations>,
) -> crate::gate::ElevationDecision {
    crate::aws_hold::request_with(
        gate.clone(),
        Workspace::find(&Home::under(lab.home.path()), None).expect("ws"),
        elevations.clone(),
        None,
        pii_read(),
        Duration::from_secs(60),
        Duration::from_millis(50),
    )
    .await
    .expect("sent")
}

struct Quiet;
impl warden_identity::SignInPrompt for Quiet {
    fn open_browser(&self, _: &str) {}
    fn show_device_code(&self, _: &str, _: &str, _: Option<&str>) {}
}

/// Ana signed in to workspace `aws` through the fake, which looks at moto's assignments for
/// permission set roles and hands out credentials living `lifetime_s`.
async fn signed_in(fake: &FakeSso, moto: &str, vault: &Vault, lifetime_s: i64) -> Arc<Session> {
    fake.set(|k| {
        k.credentials_expire_in = lifetime_s;
        k.identity_center = Some(Center {
            moto_endpoint: moto.into(),
            user_name: USER.into(),
        });
    });
    let config = SignInConfig {
        workspace: "aws".into(),
        start_url: "https://sandbox.awsapps.com/start".into(),
        sso_region: "us-east-1".into(),
        account_id: ACCOUNT.into(),
        role_name: warden_test_support::sso_fake::ROLE_NAME.into(),
        region: "us-east-1".into(),
        endpoints: warden_identity::Endpoints {
            sso: Some(fake.endpoint.clone()),
            sso_oidc: Some(fake.endpoint.clone()),
            sts: None,
        },
    };
    let session = Session::new(config, vault.clone(), Arc::new(NoEvents)).await;
    session
        .sign_in(Method::DeviceCode, &Quiet)
        .await
        .expect("signed in");
    Arc::new(session)
}

fn elevations(lab: &Lab, vault: &Vault, audit: Arc<crate::audit::Audit>) -> AwsElevations {
    let sdk = local_sdk_config(&lab.moto.endpoint);
    AwsElevations::new(
        "aws",
        S3Queue::new(Bucket::new(&sdk, REQUESTS, true).expect("bucket"), ANALYST).expect("queue"),
        vault.clone(),
        audit,
        Policy::from_yaml(&lab.policy).expect("policy"),
    )
}

/// Every file under `dir`, as bytes.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

fn pii_grants() -> Option<ColumnGrants> {
    Some(ColumnGrants {
        class: "pii".into(),
        roles: vec![provisioned_role_arn(ACCOUNT, PERMISSION_SET)],
    })
}

#[tokio::test]
async fn a_window_grant_takes_the_permission_sets_credentials_from_the_portal() {
    let lab = lab_with(pii_grants()).await;
    let (_admin, _instance, ps) = center(&lab.moto.endpoint).await;
    let (broker, _broker_dir) = broker(&lab, &ps, Arc::new(ManualClock::new())).await;
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let session = signed_in(&fake, &lab.moto.endpoint, &vault, 3600).await;

    // No assignment yet: the portal refuses the permission set.
    let refused = session
        .role_credentials(ACCOUNT, PERMISSION_SET)
        .await
        .expect_err("not assigned");
    assert!(refused.is_forbidden(), "{refused}");

    let gate = window_gate(&lab, &vault).await;
    let elevations =
        Arc::new(elevations(&lab, &vault, gate.audit().clone()).with_portal(session.clone()));
    let decision = ask_from_window(&lab, &gate, &elevations).await;
    assert_eq!(decision.outcome, Outcome::Pending);

    // The broker assigns the permission set and grants; the window takes the role's
    // credentials from the portal and holds the grant.
    broker.run_once().await.expect("a broker pass");
    let news = next_news(&gate).await;
    assert!(news.denied.is_empty(), "{news:?}");
    assert_eq!(news.granted.len(), 1, "{news:?}");
    let held = elevations.held("pii-read").expect("keyring").expect("held");

    // Those credentials are the permission set's role at moto's STS...
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&local_sdk_config(&lab.moto.endpoint))
            .credentials_provider(held.sdk_credentials())
            .build(),
    );
    let me = sts.get_caller_identity().send().await.expect("caller");
    assert!(
        me.arn()
            .unwrap_or_default()
            .contains(&format!("assumed-role/AWSReservedSSO_{PERMISSION_SET}_")),
        "{:?}",
        me.arn()
    );
    // ...which the stand-in lets read pii: the query runs with them, not the baseline's.
    let run = gate
        .run(PII, None, CancellationToken::new())
        .await
        .expect("held");
    assert_eq!(run.result.len(), 3);
    assert_eq!(
        lab.standin
            .start_signers()
            .last()
            .cloned()
            .unwrap_or_default(),
        held.access_key_id.expose()
    );
    let issued = gate
        .audit()
        .events(&[warden_audit::Kind::CredentialsIssued], None, None, false)
        .expect("events");
    assert!(
        issued
            .iter()
            .any(|e| e.payload["role_name"] == PERMISSION_SET && e.payload["account_id"] == ACCOUNT),
        "{issued:?}"
    );

    // Ended from the window: wiped here, withdrawn at the broker, which deletes the
    // assignment; the portal refuses the role from then on.
    crate::aws_hold::end_with(&gate, &elevations, "pii-read")
        .await
        .expect("ended");
    assert!(vault
        .get_elevation("aws", ElevationSlot::Grant, "pii-read")
        .expect("keyring")
        .is_none());
    broker.run_once().await.expect("a broker pass");
    let after = session
        .role_credentials(ACCOUNT, PERMISSION_SET)
        .await
        .expect_err("assignment deleted");
    assert!(after.is_forbidden(), "{after}");

    // No secret the portal handed out is in any file of the home (journal, config, cache).
    let secrets = fake.issued_secrets();
    assert!(!secrets.is_empty());
    for (path, bytes) in files(lab.home.path()) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn signing_out_has_the_broker_release_the_assignment() {
    let lab = lab().await;
    let (_admin, _instance, ps) = center(&lab.moto.endpoint).await;
    let (broker, _broker_dir) = broker(&lab, &ps, Arc::new(ManualClock::new())).await;
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let session = signed_in(&fake, &lab.moto.endpoint, &vault, 3600).await;
    let gate = window_gate(&lab, &vault).await;
    let elevations =
        Arc::new(elevations(&lab, &vault, gate.audit().clone()).with_portal(session.clone()));
    ask_from_window(&lab, &gate, &elevations).await;
    broker.run_once().await.expect("a broker pass");
    assert_eq!(next_news(&gate).await.granted.len(), 1);
    session
        .role_credentials(ACCOUNT, PERMISSION_SET)
        .await
        .expect("assigned while the grant holds");

    // Signing out withdraws the grant at the broker while the sign-in can still write it.
    let stopped = gate.stop_aws_work("signed out", crate::STOP_WAIT).await;
    assert_eq!(stopped.ended, ["pii-read"]);
    assert_eq!(stopped.withdrawn.len(), 1, "{stopped:?}");
    assert_eq!(
        vault.elevation_entries("aws").expect("keyring"),
        Vec::<String>::new()
    );
    // At its next pass the broker deletes the assignment: the portal refuses the role, long
    // before the grant's own end.
    broker.run_once().await.expect("a broker pass");
    let after = session
        .role_credentials(ACCOUNT, PERMISSION_SET)
        .await
        .expect_err("assignment deleted");
    assert!(after.is_forbidden(), "{after}");
}

#[tokio::test]
async fn portal_credentials_are_renewed_before_they_run_out_and_stop_at_the_grants_end() {
    let lab = lab().await;
    let (admin, instance, ps) = center(&lab.moto.endpoint).await;
    let clock = Arc::new(ManualClock::new());
    let (broker, _broker_dir) = broker(&lab, &ps, clock.clone()).await;
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    // Each set lives 200 s, inside the five minutes before the end in which it is renewed.
    let session = signed_in(&fake, &lab.moto.endpoint, &vault, 200).await;
    let gate = window_gate(&lab, &vault).await;
    let elevations = elevations(&lab, &vault, gate.audit().clone());

    let (id, _) = elevations.request(&pii_read()).await.expect("sent");
    broker.run_once().await.expect("a broker pass");

    // Without a sign-in for the portal, the grant cannot be taken: said plainly.
    let no_portal = elevations.check(&id).await.expect_err("no portal");
    assert!(
        no_portal
            .to_string()
            .contains("warden login --workspace aws"),
        "{no_portal}"
    );
    let elevations = elevations.with_portal(session.clone());

    // The portal has not caught up with the assignment yet (taken away at moto here): the
    // grant waits rather than fails.
    // (The broker only acts at AWS once its journal records it, so this is done with
    // sso-admin itself, as someone at AWS would.)
    let principal = assigned_principal(&admin, &instance, &ps).await;
    admin
        .delete_account_assignment()
        .instance_arn(&instance)
        .permission_set_arn(&ps)
        .target_type(TargetType::AwsAccount)
        .target_id(ACCOUNT)
        .principal_type(PrincipalType::User)
        .principal_id(&principal)
        .send()
        .await
        .expect("unassigned");
    assert!(assigned_principals(&admin, &instance, &ps).await.is_empty());
    assert_eq!(
        elevations.check(&id).await.expect("checked"),
        Progress::Granted
    );
    admin
        .create_account_assignment()
        .instance_arn(&instance)
        .permission_set_arn(&ps)
        .target_type(TargetType::AwsAccount)
        .target_id(ACCOUNT)
        .principal_type(PrincipalType::User)
        .principal_id(&principal)
        .send()
        .await
        .expect("assigned again");
    assert_eq!(assigned_principal(&admin, &instance, &ps).await, principal);

    assert!(matches!(
        elevations.check(&id).await.expect("checked"),
        Progress::Held { .. }
    ));
    let first = elevations.held("pii-read").expect("keyring").expect("held");
    assert_eq!(first.set, 1);
    let ws = Workspace::find(&Home::under(lab.home.path()), None).expect("ws");
    ws.hold_grant(&gate, &first, None)
        .await
        .expect("held in the gate");

    // Renewed: a new set from the portal, swapped into the grant's engine, the old one gone
    // from the keyring.
    let look = renew_once(&gate, &elevations, "pii-read", &id)
        .await
        .expect("looked");
    assert!(
        matches!(look, Look::Renewed(Renewed::Swapped { set: 2, .. })),
        "{look:?}"
    );
    let second = elevations.held("pii-read").expect("keyring").expect("held");
    assert_eq!(second.set, 2);
    assert_ne!(second.access_key_id.expose(), first.access_key_id.expose());
    let issued = gate
        .audit()
        .events(&[warden_audit::Kind::CredentialsIssued], None, None, false)
        .expect("events");
    assert_eq!(issued.len(), 2, "{issued:?}");
    let granted = gate
        .audit()
        .events(&[warden_audit::Kind::ElevationGranted], None, None, false)
        .expect("events");
    assert_eq!(granted.len(), 1, "one grant, two sets: {granted:?}");

    // The grant's end at the broker: the assignment is deleted, the client sees it ended and
    // wipes what it held, and the portal gives nothing more.
    let end = second.expires_at_ms;
    {
        use warden_elevation::Clock;
        let now = clock.now().wall.timestamp_millis();
        clock.advance(Duration::from_millis((end - now + 1000).max(0) as u64));
    }
    broker.run_once().await.expect("a broker pass");
    assert!(matches!(
        elevations.check(&id).await.expect("checked"),
        Progress::Finished { .. }
    ));
    assert!(elevations.held("pii-read").expect("keyring").is_none());
    assert!(assigned_principals(&admin, &instance, &ps).await.is_empty());
    let refused = session
        .role_credentials(ACCOUNT, PERMISSION_SET)
        .await
        .expect_err("no assignment");
    assert!(refused.is_forbidden(), "{refused}");
}

async fn assigned_principals(
    admin: &aws_sdk_ssoadmin::Client,
    instance: &str,
    ps: &str,
) -> Vec<String> {
    admin
        .list_account_assignments()
        .instance_arn(instance)
        .account_id(ACCOUNT)
        .permission_set_arn(ps)
        .send()
        .await
        .expect("assignments")
        .account_assignments()
        .iter()
        .filter_map(|a| a.principal_id().map(str::to_string))
        .collect()
}

async fn assigned_principal(admin: &aws_sdk_ssoadmin::Client, instance: &str, ps: &str) -> String {
    let all = assigned_principals(admin, instance, ps).await;
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].clone()
}

#[tokio::test]
async fn a_grant_the_portal_keeps_refusing_is_refused_in_the_window_and_ended_at_the_broker() {
    let lab = lab().await;
    let (admin, instance, ps) = center(&lab.moto.endpoint).await;
    // The broker's clock runs two minutes behind: the grant is older than the portal's
    // catch-up time as soon as it is made.
    let clock = Arc::new(ManualClock::new());
    clock.set_wall_back(Duration::from_secs(120));
    let (broker, _broker_dir) = broker(&lab, &ps, clock).await;
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let session = signed_in(&fake, &lab.moto.endpoint, &vault, 3600).await;
    // The portal asks about someone without the assignment: it refuses the role for good.
    fake.set(|k| {
        if let Some(center) = k.identity_center.as_mut() {
            center.user_name = "someone-else@example.com".into();
        }
    });
    let gate = window_gate(&lab, &vault).await;
    let elevations =
        Arc::new(elevations(&lab, &vault, gate.audit().clone()).with_portal(session.clone()));
    ask_from_window(&lab, &gate, &elevations).await;
    broker.run_once().await.expect("a broker pass");
    assert_eq!(assigned_principals(&admin, &instance, &ps).await.len(), 1);

    let news = next_news(&gate).await;
    assert!(news.granted.is_empty(), "{news:?}");
    let denied = news.denied;
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert!(
        denied[0].1.contains(PERMISSION_SET) && denied[0].1.contains("account assignment"),
        "{denied:?}"
    );
    assert!(gate.elevation_status().active.is_empty());
    assert!(elevations.held("pii-read").expect("keyring").is_none());
    // Ended at the broker too: its next pass deletes the assignment nobody can use.
    broker.run_once().await.expect("a broker pass");
    assert!(assigned_principals(&admin, &instance, &ps).await.is_empty());
}
