//! What moto cannot show (it answers every assignment SUCCEEDED at once): a creation that IAM
//! Identity Center reports FAILED, or that stays IN_PROGRESS past the broker's bound, denies the
//! grant with the reason and leaves no holder behind. A small fake of sso-admin's awsJson1.1
//! wire format answers `ListInstances`, `CreateAccountAssignment` (IN_PROGRESS) and the
//! creation status (FAILED or IN_PROGRESS); the identity store and S3 are moto's.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_identitystore::types::{Email, Name};
use common::*;
use warden_broker::*;
use warden_guardrails::{AwsTarget, PermissionSetGrant};

const MIN: Duration = Duration::from_secs(60);
const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
const PERMISSION_SET: &str =
    "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";

/// The fake: its endpoint and how many status calls it answered. Serves until the test ends.
struct FakeAdmin {
    endpoint: String,
    status_calls: Arc<AtomicU32>,
}

fn fake_admin(store: &str, final_status: &'static str) -> FakeAdmin {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let status_calls = Arc::new(AtomicU32::new(0));
    let (calls, store) = (status_calls.clone(), store.to_string());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (calls, store) = (calls.clone(), store.clone());
            std::thread::spawn(move || serve(stream, &calls, &store, final_status));
        }
    });
    FakeAdmin {
        endpoint,
        status_calls,
    }
}

/// Answers the requests of one keep-alive connection.
fn serve(stream: std::net::TcpStream, calls: &AtomicU32, store: &str, final_status: &str) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
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
        let operation = |status: &str| {
            serde_json::json!({
                "Status": status,
                "RequestId": "0b3e5e4c-0000-4000-8000-000000000001",
                "FailureReason": if status == "FAILED" { Some("the permission set is not provisioned in the account") } else { None },
                "TargetId": "123456789012", "TargetType": "AWS_ACCOUNT",
                "PermissionSetArn": PERMISSION_SET, "PrincipalType": "USER",
            })
        };
        let answer = match target.rsplit('.').next().unwrap_or_default() {
            "ListInstances" => serde_json::json!({"Instances": [
                {"InstanceArn": INSTANCE, "IdentityStoreId": store, "Status": "ACTIVE"}
            ]}),
            "CreateAccountAssignment" => {
                serde_json::json!({"AccountAssignmentCreationStatus": operation("IN_PROGRESS")})
            }
            "DescribeAccountAssignmentCreationStatus" => {
                calls.fetch_add(1, Ordering::SeqCst);
                serde_json::json!({"AccountAssignmentCreationStatus": operation(final_status)})
            }
            other => panic!("the fake sso-admin was asked {other}"),
        }
        .to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// Ana in moto's identity store `store`.
async fn ana_in(env: &Env, store: &str) {
    aws_sdk_identitystore::Client::new(&env.sdk)
        .create_user()
        .identity_store_id(store)
        .user_name("ana@example.com")
        .display_name("Ana")
        .name(
            Name::builder()
                .given_name("Ana")
                .family_name("Example")
                .build(),
        )
        .emails(Email::builder().value("ana@example.com").build())
        .send()
        .await
        .unwrap();
}

fn broker(env: &Env, admin: &FakeAdmin, wait: Duration) -> Broker {
    let mut config = BrokerConfig {
        workspace: "prod".into(),
        ..Default::default()
    };
    config.elevations.insert(
        "large-scan".into(),
        AwsElevation {
            target: AwsTarget::PermissionSet(PermissionSetGrant {
                permission_set_arn: PERMISSION_SET.into(),
                account_id: "123456789012".into(),
                instance_arn: None,
                role_name: Some("LargeScan".into()),
            }),
            workgroup: None,
            approver_group: None,
        },
    );
    let admin_sdk = env.sdk.to_builder().endpoint_url(&admin.endpoint).build();
    Broker::new(
        S3Queue::new(env.bucket(), "AROABROKER:warden-broker").unwrap(),
        policy(),
        config,
        Minter::new(&env.sdk),
        Approvers::none(),
        env.journal("broker.db"),
        env.clock.clone(),
    )
    .with_identity_center(IdentityCenter::new(&admin_sdk, &env.sdk).with_wait(wait))
}

async fn denied_reason(env: &Env, broker: &Broker) -> String {
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.denied, vec![request.id.clone()]);
    let (s, _) = ana.state(&request.id).await.unwrap().unwrap();
    assert_eq!(s.status, Status::Denied);
    assert_eq!((s.expires_at_ms, s.assignment.clone()), (None, None));
    // The record of the assignment keeps no holder and no claim.
    let keys = env.keys("assignments/").await;
    assert_eq!(keys.len(), 1);
    let record: Holders = serde_json::from_slice(&env.body(&keys[0]).await).unwrap();
    assert!(record.holders.is_empty() && !record.assigned && record.busy.is_none());
    s.reason.unwrap()
}

#[tokio::test]
async fn a_creation_identity_center_reports_failed_denies_the_grant_with_its_reason() {
    let env = env().await;
    ana_in(&env, "d-1234567890").await;
    let admin = fake_admin("d-1234567890", "FAILED");
    let broker = broker(&env, &admin, Duration::from_secs(30));
    assert_eq!(
        denied_reason(&env, &broker).await,
        "IAM Identity Center reported the creation of the assignment as FAILED: the permission set is not provisioned in the account"
    );
    assert_eq!(admin.status_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_creation_that_does_not_finish_in_time_denies_the_grant() {
    let env = env().await;
    ana_in(&env, "d-1234567890").await;
    let admin = fake_admin("d-1234567890", "IN_PROGRESS");
    let broker = broker(&env, &admin, Duration::from_secs(2));
    let started = std::time::Instant::now();
    let reason = denied_reason(&env, &broker).await;
    assert!(
        reason.starts_with(
            "IAM Identity Center did not finish the creation of the assignment within 2 s"
        ),
        "{reason}"
    );
    // Polled with backoff (0.25 s, 0.5 s, 1 s ...) and given up at the bound.
    let calls = admin.status_calls.load(Ordering::SeqCst);
    assert!((2..=4).contains(&calls), "{calls} status calls");
    assert!(started.elapsed() < Duration::from_secs(15));
}
