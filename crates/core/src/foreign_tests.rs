//! A workspace takes only its own team's bundle: the name it pins and the audience it is, at
//! fetch and at open, and every refusal is in the audit journal.

use chrono::Duration;
use warden_audit::Kind;
use warden_elevation::Clock;

use crate::audit::Audit;
use crate::bundles::Bundles;
use crate::gate::Enforced;
use crate::policy_client::PolicyClient;
use crate::testing::{Fixture, POLICY};

fn publish_for(fixture: &Fixture, policy: &str, revision: u64, audience: Option<&str>) {
    let key = warden_bundle::SigningKey::from_file(&fixture.key).expect("key");
    let bytes = warden_bundle::build_for(
        policy.as_bytes(),
        None,
        revision,
        Duration::days(30),
        &key,
        fixture.clock.now().wall,
        audience,
    )
    .expect("build");
    std::fs::write(fixture.store.join("latest"), bytes).expect("publish");
}

fn rejections(audit: &Audit) -> Vec<String> {
    audit
        .events(&[Kind::BundleRejected], None, None, false)
        .expect("events")
        .iter()
        .map(|e| e.payload["reason"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn revision_in_force(client: &PolicyClient, fixture: &Fixture) -> Option<u64> {
    match client.in_force(fixture.clock.now().wall) {
        Enforced::Policy(p) => Some(p.revision()),
        Enforced::Blocked(_) => None,
    }
}

#[tokio::test]
async fn a_bundle_for_another_name_or_audience_is_refused_and_recorded() {
    let fixture = Fixture::new();
    let mut setup = fixture.setup(Duration::days(3));
    setup.expected.name = Some("gate-test".into());
    let audit = fixture.audit();
    let mut client = PolicyClient::new(Bundles::open(setup).expect("bundles"), audit.clone());
    let now = fixture.clock.now().wall;

    // Another team's policy, signed by the same trusted key, served from our source.
    let marketing = POLICY.replace("name: gate-test", "name: marketing");
    publish_for(&fixture, &marketing, 1, None);
    let err = client.fetch(None, now).await.expect_err("another name");
    assert!(err.to_string().contains("made for another team"), "{err}");
    assert_eq!(revision_in_force(&client, &fixture), None);

    // Our name, signed for another audience.
    publish_for(&fixture, POLICY, 2, Some("finance-us"));
    let err = client.fetch(None, now).await.expect_err("another audience");
    assert!(err.to_string().contains("finance-us"), "{err}");
    assert_eq!(revision_in_force(&client, &fixture), None);

    let recorded = rejections(&audit);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(recorded[0].contains("\"marketing\""), "{recorded:?}");
    assert!(recorded[1].contains("finance-us"), "{recorded:?}");

    // Signed for this workspace's audience: in force.
    publish_for(&fixture, POLICY, 3, Some("test"));
    client.fetch(None, now).await.expect("our own bundle");
    assert_eq!(revision_in_force(&client, &fixture), Some(3));
}

#[tokio::test]
async fn a_cached_bundle_of_another_name_is_refused_at_open_and_recorded() {
    let fixture = Fixture::new();
    let marketing = POLICY.replace("name: gate-test", "name: marketing");
    publish_for(&fixture, &marketing, 1, None);
    // Accepted while nothing pinned a name (before the administrator's file named one).
    let mut client = PolicyClient::new(
        Bundles::open(fixture.setup(Duration::days(3))).expect("bundles"),
        fixture.audit(),
    );
    client
        .fetch(None, fixture.clock.now().wall)
        .await
        .expect("first name accepted");
    assert_eq!(revision_in_force(&client, &fixture), Some(1));
    drop(client);

    let mut setup = fixture.setup(Duration::days(3));
    setup.expected.name = Some("gate-test".into());
    let audit = fixture.audit();
    let client = PolicyClient::new(Bundles::open(setup).expect("bundles"), audit.clone());
    assert_eq!(revision_in_force(&client, &fixture), None);
    let recorded = rejections(&audit);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(
        recorded[0].contains("cached bundle refused") && recorded[0].contains("\"gate-test\""),
        "{recorded:?}"
    );
}
