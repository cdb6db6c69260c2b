//! Both sign-in flows, refresh, credentials and failures, against the SSO fake with the real
//! SDK clients (in-memory keyring; the real one is tested in `keyring.rs`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{session, ApprovingBrowser};
use warden_identity::vault::Slot;
use warden_identity::{IdentityError, IdentityEvent, Method, Vault, WardenCredentials};
use warden_test_support::sso_fake::{Failure, FakeSso, DEVICE_GRANT, ROLE_NAME};

#[tokio::test]
async fn browser_sign_in_with_pkce_and_a_real_loopback_redirect() {
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let (s, events) = session("pkce", &fake, vault.clone()).await;
    let browser = ApprovingBrowser::new(&fake);
    let expires = s.sign_in(Method::Browser, &browser).await.unwrap();
    assert!(expires > 0);
    let url = browser.opened.lock().unwrap()[0].clone();
    assert!(
        url.starts_with(&format!(
            "{}/authorize?response_type=code&client_id=",
            fake.endpoint
        )),
        "{url}"
    );
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("scopes=sso%3Aaccount%3Aaccess")
    );
    let c = fake.counters();
    assert_eq!(
        (c.register_client, c.create_token("authorization_code")),
        (1, 1)
    );
    assert!(vault.get("pkce", Slot::AccessToken).unwrap().is_some());
    assert!(vault.get("pkce", Slot::RefreshToken).unwrap().is_some());
    assert!(matches!(
        events.events()[0],
        IdentityEvent::SignedIn {
            method: Method::Browser,
            ..
        }
    ));
    // The registration is kept and reused while its secret is valid.
    s.sign_in(Method::Browser, &browser).await.unwrap();
    assert_eq!(fake.counters().register_client, 1);
}

#[tokio::test]
async fn a_redirect_with_another_state_is_refused() {
    let fake = FakeSso::start();
    let (s, events) = session("state", &fake, Vault::in_memory()).await;
    struct Forger;
    impl warden_identity::SignInPrompt for Forger {
        fn open_browser(&self, url: &str) {
            let port = url
                .split("127.0.0.1%3A")
                .nth(1)
                .unwrap()
                .split("%2F")
                .next()
                .unwrap()
                .to_owned();
            std::thread::spawn(move || {
                common::http_get_location(&format!(
                    "http://127.0.0.1:{port}/oauth/callback?code=x&state=forged"
                ));
            });
        }
        fn show_device_code(&self, _: &str, _: &str, _: Option<&str>) {}
    }
    let e = s.sign_in(Method::Browser, &Forger).await.unwrap_err();
    assert!(matches!(e, IdentityError::StateMismatch), "{e}");
    assert!(matches!(
        events.events()[0],
        IdentityEvent::SignInFailed { .. }
    ));
    assert_eq!(fake.counters().create_token("authorization_code"), 0);
}

#[tokio::test]
async fn device_flow_honours_pending_and_slow_down() {
    let fake = FakeSso::start();
    fake.set(|k| {
        k.slow_down_polls = 1;
        k.pending_polls = 1;
    });
    let (s, _) = session("device", &fake, Vault::in_memory()).await;
    let browser = ApprovingBrowser::new(&fake);
    let started = Instant::now();
    s.sign_in(Method::DeviceCode, &browser).await.unwrap();
    let took = started.elapsed();
    // Polls at 1 s (slow_down: interval 1 + 5), 7 s (pending), 13 s (approved).
    assert_eq!(fake.counters().create_token(DEVICE_GRANT), 3);
    assert!(
        took >= Duration::from_secs(12),
        "slow_down did not lengthen the interval: {took:?}"
    );
    assert_eq!(browser.device_codes.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_expired_device_code_ends_the_attempt() {
    let fake = FakeSso::start();
    fake.set(|k| k.device_expired = true);
    let (s, events) = session("expired", &fake, Vault::in_memory()).await;
    let e = s
        .sign_in(Method::DeviceCode, &ApprovingBrowser::new(&fake))
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::DeviceCodeExpired), "{e}");
    assert!(
        matches!(&events.events()[0], IdentityEvent::SignInFailed { reason, .. } if reason.contains("expired"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_callers_share_one_refresh() {
    let fake = FakeSso::start();
    fake.set(|k| k.token_expires_in = 300); // inside the mandatory window at once
    let (s, events) = session("single", &fake, Vault::in_memory()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    fake.set(|k| {
        k.token_expires_in = 3600;
        k.create_token_delay_ms = 300;
    });
    let mut calls = Vec::new();
    for _ in 0..50 {
        let s = s.clone();
        calls.push(tokio::spawn(async move { s.access_token().await }));
    }
    let mut tokens = std::collections::HashSet::new();
    for c in calls {
        tokens.insert(c.await.unwrap().unwrap().expose().to_owned());
    }
    assert_eq!(fake.counters().create_token("refresh_token"), 1);
    assert_eq!(tokens.len(), 1, "every caller got the refreshed token");
    let refreshed = events
        .events()
        .iter()
        .filter(|e| matches!(e, IdentityEvent::TokenRefreshed { .. }))
        .count();
    assert_eq!(refreshed, 1);
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session() {
    let fake = FakeSso::start();
    fake.set(|k| k.token_expires_in = 300);
    let vault = Vault::in_memory();
    let (s, events) = session("ended", &fake, vault.clone()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    fake.set(|k| k.refresh_failure = Some(Failure::Unauthorized));
    let e = s.access_token().await.unwrap_err();
    assert!(matches!(e, IdentityError::SessionEnded { .. }), "{e}");
    assert!(
        e.to_string().contains("warden login --workspace ended"),
        "{e}"
    );
    assert!(vault.get("ended", Slot::AccessToken).unwrap().is_none());
    assert!(vault.get("ended", Slot::RefreshToken).unwrap().is_none());
    assert!(events
        .events()
        .iter()
        .any(|e| matches!(e, IdentityEvent::SessionEnded { .. })));
    let e = s.access_token().await.unwrap_err();
    assert!(matches!(e, IdentityError::SignedOut { .. }), "{e}");
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_token_only_in_the_optional_window() {
    let fake = FakeSso::start();
    fake.set(|k| {
        k.token_expires_in = 12 * 60;
        k.refresh_failure = Some(Failure::Server);
    });
    let (s, _) = session("optional", &fake, Vault::in_memory()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    assert!(
        s.access_token().await.is_ok(),
        "12 minutes left: the old token still serves"
    );
    fake.set(|k| k.token_expires_in = 9 * 60);
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    let e = s.access_token().await.unwrap_err();
    assert!(
        matches!(e, IdentityError::Refused { .. }),
        "9 minutes left: the refresh must work: {e}"
    );
}

#[tokio::test]
async fn a_registration_the_portal_no_longer_knows_is_replaced_once() {
    // The same start URL now served by another Identity Center (or a restarted sandbox): the
    // keyring's client id means nothing to it.
    let vault = Vault::in_memory();
    let before = FakeSso::start();
    let (s, _) = session("moved", &before, vault.clone()).await;
    s.sign_in(Method::DeviceCode, &ApprovingBrowser::new(&before))
        .await
        .unwrap();
    let after = FakeSso::start();
    let (s, _) = session("moved", &after, vault).await;
    s.sign_in(Method::DeviceCode, &ApprovingBrowser::new(&after))
        .await
        .expect("signed in with a new registration");
    assert_eq!(after.counters().register_client, 1);
    assert_eq!(after.counters().create_token(DEVICE_GRANT), 1);
}

#[tokio::test]
async fn an_expiring_registration_is_renewed() {
    let fake = FakeSso::start();
    fake.set(|k| k.client_secret_expires_in = 120);
    let (s, _) = session("renew", &fake, Vault::in_memory()).await;
    let browser = ApprovingBrowser::new(&fake);
    s.sign_in(Method::Browser, &browser).await.unwrap();
    s.sign_in(Method::Browser, &browser).await.unwrap();
    assert_eq!(fake.counters().register_client, 2);
    // A change of flow needs its own registration too.
    fake.set(|k| k.client_secret_expires_in = 3600);
    s.sign_in(Method::DeviceCode, &browser).await.unwrap();
    assert_eq!(fake.counters().register_client, 3);
}

#[tokio::test]
async fn credentials_come_from_the_portal_and_are_renewed_before_expiry() {
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let (s, events) = session("creds", &fake, vault.clone()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    let provider = WardenCredentials::new(s.clone());
    let a = provider.credentials().await.unwrap();
    let b = provider.credentials().await.unwrap();
    assert_eq!(a.access_key_id, b.access_key_id);
    assert_eq!(fake.counters().get_role_credentials, 1);
    assert_eq!(a.role_name, ROLE_NAME);
    assert!(vault.get("creds", Slot::Credentials).unwrap().is_some());
    // Credentials with less than five minutes left are replaced before they run out.
    fake.set(|k| k.credentials_expire_in = 240);
    let fresh_provider = WardenCredentials::new(s.clone());
    vault.delete("creds", Slot::Credentials).unwrap();
    let c = fresh_provider.credentials().await.unwrap();
    let d = fresh_provider.credentials().await.unwrap();
    assert_ne!(c.access_key_id, d.access_key_id);
    assert_eq!(fake.counters().get_role_credentials, 3);
    let issued = events
        .events()
        .iter()
        .filter(|e| matches!(e, IdentityEvent::CredentialsIssued { .. }))
        .count();
    assert_eq!(issued, 3);
    // Through the SDK's trait, as the Athena engine will use it.
    use aws_credential_types::provider::ProvideCredentials;
    let sdk = provider.provide_credentials().await.unwrap();
    assert_eq!(sdk.access_key_id(), a.access_key_id);
    assert!(sdk.expiry().is_some());
}

#[tokio::test]
async fn a_401_from_the_portal_ends_the_session() {
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let (s, events) = session("p401", &fake, vault.clone()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    fake.revoke_all(); // signed out elsewhere
    let e = WardenCredentials::new(s.clone())
        .credentials()
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::SessionEnded { .. }), "{e}");
    assert!(vault.get("p401", Slot::AccessToken).unwrap().is_none());
    assert!(events
        .events()
        .iter()
        .any(|e| matches!(e, IdentityEvent::SessionEnded { .. })));
    assert!(matches!(
        s.access_token().await.unwrap_err(),
        IdentityError::SignedOut { .. }
    ));
    // A 500 is an error, not the end of the session.
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    fake.set(|k| k.portal_failure = Some(Failure::Server));
    let e = WardenCredentials::new(s.clone())
        .credentials()
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Refused { .. }), "{e}");
    assert!(vault.get("p401", Slot::AccessToken).unwrap().is_some());
}

#[tokio::test]
async fn accounts_and_roles_are_read_across_pages() {
    let fake = FakeSso::start();
    let (s, _) = session("lists", &fake, Vault::in_memory()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    let accounts = s.list_accounts().await.unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(fake.counters().list_accounts, 2, "one page each");
    let roles = s.list_roles(&accounts[0].account_id).await.unwrap();
    assert_eq!(
        roles,
        vec![ROLE_NAME.to_owned(), "WardenReadOnly".to_owned()]
    );
}

#[tokio::test]
async fn sign_out_tells_the_portal_and_empties_the_keyring() {
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let (s, events) = session("out", &fake, vault.clone()).await;
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    WardenCredentials::new(s.clone())
        .credentials()
        .await
        .unwrap();
    s.sign_out().await.unwrap();
    assert_eq!(fake.counters().logout, 1);
    for slot in Slot::ALL {
        assert!(
            vault.get("out", slot).unwrap().is_none(),
            "{slot:?} left behind"
        );
    }
    assert!(matches!(
        events.events().last(),
        Some(IdentityEvent::SignedOut { .. })
    ));
    assert!(matches!(
        s.access_token().await.unwrap_err(),
        IdentityError::SignedOut { .. }
    ));
}

#[tokio::test]
async fn unreachable_endpoints_fail_fast_with_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fake = FakeSso::start();
    let mut config = common::config("gone", &fake, None);
    let closed = format!("http://127.0.0.1:{port}");
    config.endpoints.sso_oidc = Some(closed.clone());
    config.endpoints.sso = Some(closed);
    let s = warden_identity::Session::new(
        config,
        Vault::in_memory(),
        Arc::new(warden_identity::NoEvents),
    )
    .await;
    let started = Instant::now();
    let e = s
        .sign_in(Method::DeviceCode, &ApprovingBrowser::new(&fake))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(e, IdentityError::Unreachable { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("cannot reach IAM Identity Center (SSO-OIDC) (RegisterClient)"),
        "{e}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let fake = FakeSso::start();
    let mut config = common::config("silent", &fake, None);
    config.endpoints.sso_oidc = Some(url);
    let s = warden_identity::Session::new(
        config,
        Vault::in_memory(),
        Arc::new(warden_identity::NoEvents),
    )
    .await;
    let started = Instant::now();
    let e = s
        .sign_in(Method::DeviceCode, &ApprovingBrowser::new(&fake))
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Timeout { .. }), "{e}");
    assert!(started.elapsed() <= warden_identity::clients::CALL_TIMEOUT + Duration::from_secs(5));
    drop(hold);
}

/// A journal that records nothing but the kinds it is told to refuse.
struct RefusingJournal {
    refuse_sign_in: bool,
    refuse_credentials: bool,
}

impl warden_identity::EventSink for RefusingJournal {
    fn record(&self, event: IdentityEvent) -> Result<(), String> {
        match event {
            IdentityEvent::SignedIn { .. } if self.refuse_sign_in => Err("disk full".into()),
            IdentityEvent::CredentialsIssued { .. } if self.refuse_credentials => {
                Err("disk full".into())
            }
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_sign_in_the_journal_cannot_record_is_undone() {
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let journal = Arc::new(RefusingJournal {
        refuse_sign_in: true,
        refuse_credentials: false,
    });
    let s = warden_identity::Session::new(
        common::config("unrecorded", &fake, None),
        vault.clone(),
        journal,
    )
    .await;
    let err = s
        .sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .expect_err("an unrecorded sign-in is refused");
    assert!(matches!(err, IdentityError::NotRecorded { .. }), "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
    for slot in [Slot::AccessToken, Slot::RefreshToken, Slot::Credentials] {
        assert!(vault.get("unrecorded", slot).unwrap().is_none(), "{slot:?}");
    }
    assert_eq!(
        s.status().await.unwrap(),
        None,
        "no session in memory either"
    );
}

#[tokio::test]
async fn credentials_the_journal_cannot_record_are_withheld() {
    let fake = FakeSso::start();
    let vault = Vault::in_memory();
    let journal = Arc::new(RefusingJournal {
        refuse_sign_in: false,
        refuse_credentials: true,
    });
    let s = Arc::new(
        warden_identity::Session::new(
            common::config("unrecorded-creds", &fake, None),
            vault.clone(),
            journal,
        )
        .await,
    );
    s.sign_in(Method::Browser, &ApprovingBrowser::new(&fake))
        .await
        .unwrap();
    let err = WardenCredentials::new(s)
        .credentials()
        .await
        .expect_err("unrecorded credentials are withheld");
    assert!(matches!(err, IdentityError::NotRecorded { .. }), "{err}");
    assert!(vault
        .get("unrecorded-creds", Slot::Credentials)
        .unwrap()
        .is_none());
}
