//! An `athena` workspace end to end inside the core: its config.toml, a signed bundle fetched
//! from its source, the gate, and the Athena engine against the stand-in over moto's S3 and
//! Glue holding the demo lake. Static credentials stand in for a sign-in.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use warden_engine::CancellationToken;
use warden_guardrails::{lint, LintContext, Policy};
use warden_test_support::standin::{
    ensure_bucket, glue_client, load_demo_lake, s3_client, AthenaStandIn, QueryState, StandInConfig,
};
use warden_test_support::Moto;

use crate::testing::Fixture;
use crate::{Gate, Home, RunError, Workspace};

const SECRET: &str = "FAKE-secret-of-the-athena-gate-test-7c1e";
pub(crate) const RESULTS_BUCKET: &str = "athena-results";
const COUNTRIES: &str = "SELECT country, count(*) AS n FROM customers GROUP BY 1 ORDER BY 1";

pub(crate) struct Lab {
    pub(crate) moto: Moto,
    pub(crate) standin: AthenaStandIn,
    pub(crate) _fixture: Fixture,
    pub(crate) home: tempfile::TempDir,
    demo: tempfile::TempDir,
    pub(crate) policy: String,
}

/// moto with the demo lake in S3 and Glue, the stand-in over it, the demo policy signed and
/// published, and a home whose config.toml has an `athena` workspace `aws` pointed at them.
pub(crate) async fn lab() -> Lab {
    lab_with(None).await
}

/// The same, the stand-in enforcing `column_grants` (Lake Formation's part) when given.
async fn lab_with(column_grants: Option<warden_test_support::standin::ColumnGrants>) -> Lab {
    lab_where(column_grants, |_| {}).await
}

/// The same, the stand-in's configuration changed by `tweak` (its workgroups, say).
pub(crate) async fn lab_where(
    column_grants: Option<warden_test_support::standin::ColumnGrants>,
    tweak: impl FnOnce(&mut StandInConfig),
) -> Lab {
    let moto = Moto::start();
    let s3 = s3_client(&moto.endpoint);
    let glue = glue_client(&moto.endpoint);
    ensure_bucket(&s3, RESULTS_BUCKET).await.expect("bucket");
    let demo = tempfile::tempdir().expect("tempdir");
    // A lake already in place: the demo workspace keeps it instead of generating one, which
    // took the engine's process about a second of every lab's set-up.
    let lake = warden_test_support::cached_demo_lake(warden_demo_lake::DEFAULT_SEED)
        .expect("the demo lake");
    warden_test_support::copy_lake(&lake, &crate::demo::lake_dir(demo.path()))
        .expect("the demo lake copied");
    crate::demo::init(demo.path())
        .await
        .expect("demo workspace");
    load_demo_lake(
        &s3,
        &glue,
        "demo-lake",
        &crate::demo::lake_dir(demo.path()),
        warden_demo_lake::DEFAULT_SEED,
    )
    .await
    .expect("lake loaded");
    let mut config = StandInConfig {
        column_grants,
        ..StandInConfig::new(&moto.endpoint, RESULTS_BUCKET)
    };
    tweak(&mut config);
    let standin = AthenaStandIn::start(config).expect("stand-in");
    standin.reload_lake();
    let policy = std::fs::read_to_string(demo.path().join("policy.yaml")).expect("policy");
    // pii-read maps onto an AWS role, so the broker can grant it (elevations.<n>.aws).
    let policy = policy.replacen(
        "\n  large-scan:",
        "\n    aws:\n      role_arn: arn:aws:iam::123456789012:role/warden-pii-read\n  large-scan:",
        1,
    );
    assert!(
        policy.contains("warden-pii-read"),
        "the demo policy changed shape"
    );
    let fixture = Fixture::new();
    fixture
        .publish(&policy, 1, chrono::Duration::days(30))
        .await;
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Home::under(home.path());
    std::fs::create_dir_all(&paths.config).expect("config dir");
    let config = format!(
        r#"default_workspace = "aws"
[workspaces.aws]
kind = "athena"
default_database = "sales"
[workspaces.aws.bundle]
source = "{source}"
trust = ["{key}"]
[workspaces.aws.athena]
region = "us-east-1"
workgroup = "primary"
price_per_tb = 5.0
[workspaces.aws.athena.endpoints]
athena = "{athena}"
glue = "{glue}"
s3 = "{s3}"
"#,
        source = fixture.source(),
        key = warden_bundle::public_path(&fixture.key).display(),
        athena = standin.endpoint,
        glue = moto.endpoint,
        s3 = standin.s3_endpoint,
    );
    std::fs::write(paths.config_file(), config).expect("config.toml");
    Lab {
        moto,
        standin,
        _fixture: fixture,
        home,
        demo,
        policy,
    }
}

impl Lab {
    pub(crate) async fn gate(&self) -> Gate {
        let ws = Workspace::find(&Home::under(self.home.path()), None).expect("aws workspace");
        ws.init().await.expect("init");
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            "FAKEACCESSKEY",
            SECRET,
            None,
            None,
            "test",
        ));
        ws.open_athena_gate_with(credentials).await.expect("gate")
    }

    /// Rows of `sql` from the demo's embedded engine over the same lake, as text.
    async fn embedded_rows(&self, sql: &str) -> Vec<Vec<String>> {
        let policy = Policy::from_yaml(&self.policy).expect("policy");
        let context = LintContext {
            default_database: Some("sales".into()),
            ..Default::default()
        };
        let approved = lint(&policy, sql, &context).approve().expect("allowed");
        let engine = crate::demo::open_engine(self.demo.path(), &crate::testing::results_dir())
            .expect("engine");
        let outcome = engine
            .execute(approved, CancellationToken::new())
            .await
            .expect("embedded run");
        text(&outcome.result.all_rows().expect("rows"))
    }

    /// Every file under the home, for the secret search.
    fn files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home.path(), &mut out);
        out
    }
}

fn text(rows: &[Vec<warden_engine::Value>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|v| v.display()).collect())
        .collect()
}

#[tokio::test]
async fn an_athena_workspace_runs_allowed_queries_on_athena_through_the_gate() {
    let lab = lab().await;
    let gate = lab.gate().await;
    assert_eq!(gate.engine_name(), "athena");
    assert_eq!(gate.default_database(), Some("sales"));

    let run = gate
        .run(COUNTRIES, None, CancellationToken::new())
        .await
        .expect("allowed and run");
    assert_eq!(run.engine, "athena");
    // The id is Athena's own: the stand-in ran it to the end.
    assert_eq!(
        lab.standin.state_of(&run.query_id),
        Some(QueryState::Succeeded)
    );
    assert!(
        run.result.len() > 1,
        "{:?}",
        run.result.all_rows().expect("rows")
    );
    assert_eq!(
        text(&run.result.all_rows().expect("rows")),
        lab.embedded_rows(COUNTRIES).await
    );
    let cost = run.cost_usd.expect("Athena bills by the byte");
    assert_eq!(
        cost,
        warden_engine_athena::cost_usd(run.bytes_scanned, 5.0),
        "the workspace's price per TB"
    );

    // Refused by the policy: Athena never sees it.
    let started = lab.standin.executions_started();
    let refused = gate
        .run(
            "SELECT ssn FROM sales.customers",
            None,
            CancellationToken::new(),
        )
        .await
        .expect_err("ssn is personal data");
    assert!(matches!(refused, RunError::Blocked(_)), "{refused}");
    assert_eq!(lab.standin.executions_started(), started);

    // The journal has Athena's id, the workgroup, the bytes and the cost.
    let audit = gate.audit();
    let kinds: Vec<String> = audit
        .events(&[], None, None, false)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("query_"))
        .collect();
    assert_eq!(kinds, ["query_started", "query_finished", "query_blocked"]);
    let started = &audit
        .events(&[warden_audit::Kind::QueryStarted], None, None, false)
        .expect("events")[0];
    assert_eq!(started.payload["engine"]["engine"], "athena");
    assert_eq!(started.payload["engine"]["workgroup"], "primary");
    let finished = &audit
        .events(&[warden_audit::Kind::QueryFinished], None, None, false)
        .expect("events")[0];
    assert_eq!(
        finished.payload["engine"]["query_id"],
        run.query_id.as_str()
    );
    assert_eq!(finished.payload["engine"]["workgroup"], "primary");
    assert_eq!(finished.payload["bytes_scanned"], run.bytes_scanned);
    assert_eq!(
        finished.payload["cost_micro_usd"],
        (cost * 1e6).round() as u64
    );
    assert_eq!(finished.payload["rows"], run.result.len() as u64);
    audit.verify().expect("the chain holds");

    // The credentials' secret is nowhere on disk.
    for file in lab.files() {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the secret is in {}",
            file.display()
        );
    }
}

/// The gate hands Athena a text with ? parameters and the values checked with it; the rows are
/// those of the text with the values written in, and the journal records the values.
#[tokio::test]
async fn an_athena_workspace_runs_parameters_through_the_gate() {
    let lab = lab().await;
    let gate = lab.gate().await;
    let sql = "SELECT country, count(*) AS n FROM customers WHERE country IN (?, ?) GROUP BY 1 ORDER BY 1";
    let values = vec!["'DE'".to_string(), "'FR'".to_string()];
    let (outcome, _) = gate
        .run_with_parameters(sql, &values, None, CancellationToken::new())
        .await;
    let run = outcome.expect("allowed and run");
    assert_eq!(run.engine, "athena");
    let written = "SELECT country, count(*) AS n FROM customers WHERE country IN ('DE', 'FR') GROUP BY 1 ORDER BY 1";
    let want = lab.embedded_rows(written).await;
    assert_eq!(want.len(), 2, "{want:?}");
    assert_eq!(text(&run.result.all_rows().expect("rows")), want);
    let finished = &gate
        .audit()
        .events(&[warden_audit::Kind::QueryFinished], None, None, false)
        .expect("events")[0];
    assert_eq!(finished.payload["query"]["sql"]["text"], sql);
    assert_eq!(
        finished.payload["query"]["parameters"]["values"],
        serde_json::json!(["'DE'", "'FR'"])
    );
    // A value that is not one literal never reaches Athena.
    let started = lab.standin.executions_started();
    let (refused, _) = gate
        .run_with_parameters(
            sql,
            &["'DE'".to_string(), "'FR') OR (1 = 1".to_string()],
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(matches!(refused, Err(RunError::Blocked(_))));
    assert_eq!(lab.standin.executions_started(), started);
}

#[tokio::test]
async fn a_failed_athena_query_is_recorded_with_its_workgroup() {
    let lab = lab().await;
    let gate = lab.gate().await;
    lab.standin.knobs.set(|k| k.fail_queries_next = 1);
    let (outcome, details) = gate
        .run_with_details(COUNTRIES, None, CancellationToken::new())
        .await;
    let error = outcome.expect_err("the stand-in fails it");
    assert!(matches!(error, RunError::Engine(_)), "{error}");
    let failed = &gate
        .audit()
        .events(&[warden_audit::Kind::QueryFailed], None, None, false)
        .expect("events")[0];
    assert_eq!(failed.payload["engine"]["engine"], "athena");
    assert_eq!(failed.payload["engine"]["workgroup"], "primary");
    // Athena's own id of the failed execution, as for a finished one.
    let id = failed.payload["engine"]["query_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no query id in {}", failed.payload));
    assert_eq!(lab.standin.state_of(id), Some(QueryState::Failed));
    // The statistics Athena gave for the failed execution (the stand-in fails before scanning).
    assert_eq!(failed.payload["bytes_scanned"], 0, "{}", failed.payload);
    assert_eq!(failed.payload["cost_micro_usd"], 0, "{}", failed.payload);
    let details = details.expect("the engine was handed the run");
    assert_eq!(details.state, crate::RunEnd::Failed);
    assert_eq!(details.query_id.as_deref(), Some(id));
    assert_eq!(details.workgroup.as_deref(), Some("primary"));
    assert_eq!((details.rows, details.bytes_scanned), (None, Some(0)));
}

#[tokio::test]
async fn a_cancelled_athena_query_is_recorded_with_its_execution_id() {
    let lab = lab().await;
    let gate = lab.gate().await;
    lab.standin
        .knobs
        .set(|k| k.queued = std::time::Duration::from_secs(30));
    let cancel = CancellationToken::new();
    let before = lab.standin.executions_started();
    let ((outcome, details), ()) = tokio::join!(
        gate.run_with_details(COUNTRIES, None, cancel.clone()),
        async {
            // Cancel once Athena has the query (it waits QUEUED).
            while lab.standin.executions_started() == before {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            cancel.cancel();
        }
    );
    let error = outcome.expect_err("cancelled");
    assert!(
        matches!(
            error,
            RunError::Engine(warden_engine::EngineError::Cancelled)
        ),
        "{error}"
    );
    let cancelled = &gate
        .audit()
        .events(&[warden_audit::Kind::QueryCancelled], None, None, false)
        .expect("events")[0];
    assert_eq!(cancelled.payload["engine"]["workgroup"], "primary");
    let id = cancelled.payload["engine"]["query_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no query id in {}", cancelled.payload));
    assert_eq!(lab.standin.state_of(id), Some(QueryState::Cancelled));
    assert_eq!(
        cancelled.payload["bytes_scanned"], 0,
        "{}",
        cancelled.payload
    );
    let details = details.expect("the engine was handed the run");
    assert_eq!(details.state, crate::RunEnd::Cancelled);
    assert_eq!(details.query_id.as_deref(), Some(id));
    assert_eq!(details.bytes_scanned, Some(0));
    assert!(
        lab.standin
            .stops_seen()
            .iter()
            .any(|s| s.query_execution_id == id),
        "the stand-in saw no stop of {id}"
    );
}

const ELEVATED_KEY: &str = "ASIAFAKEELEVATEDPII1";
const ELEVATED_SECRET: &str = "FAKE-secret-of-the-elevated-grant-3b9d";
const PII: &str = "SELECT email FROM customers ORDER BY email LIMIT 3";

/// A grant of `pii-read` as `warden elevation request` keeps it, ending in `grant_left` and
/// its credentials in `credentials_left` (negative: already past).
fn held_pii(grant_left: i64, credentials_left: i64) -> crate::aws_elevation::HeldGrant {
    let now = chrono::Utc::now().timestamp_millis();
    crate::aws_elevation::HeldGrant {
        request_id: uuid::Uuid::now_v7().to_string(),
        name: "pii-read".into(),
        approver: None,
        granted_at_ms: now - 1000,
        expires_at_ms: now + grant_left,
        set: 1,
        access_key_id: crate::identity::Secret::new(ELEVATED_KEY),
        secret_access_key: crate::identity::Secret::new(ELEVATED_SECRET),
        session_token: crate::identity::Secret::new("FAKE-session-token"),
        credentials_expire_at_ms: now + credentials_left,
        extended_at_ms: None,
    }
}

impl Lab {
    async fn gate_holding(&self, held: Vec<crate::aws_elevation::HeldGrant>) -> Gate {
        let ws = Workspace::find(&Home::under(self.home.path()), None).expect("aws workspace");
        ws.init().await.expect("init");
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            "FAKEACCESSKEY",
            SECRET,
            None,
            None,
            "test",
        ));
        ws.open_athena_gate_holding(credentials, held)
            .await
            .expect("gate")
    }
}

#[tokio::test]
async fn a_query_that_leans_on_a_grant_runs_with_its_credentials_and_no_other_does() {
    let lab = lab().await;
    let held = held_pii(15 * 60 * 1000, 15 * 60 * 1000);
    let request_id = held.request_id.clone();
    let gate = lab.gate_holding(vec![held]).await;
    assert!(gate.elevations().contains("pii-read"));

    let baseline = gate
        .run(COUNTRIES, None, CancellationToken::new())
        .await
        .expect("needs no elevation");
    assert!(baseline.grants.is_empty());
    let elevated = gate
        .run(PII, None, CancellationToken::new())
        .await
        .expect("pii-read is held");
    assert_eq!(elevated.grants, vec![request_id]);
    assert_eq!(elevated.result.len(), 3);
    assert_eq!(
        lab.standin.start_signers(),
        ["FAKEACCESSKEY", ELEVATED_KEY],
        "the baseline query signed with the sign-in's keys, the pii query with the grant's"
    );
    let again = gate
        .run(COUNTRIES, None, CancellationToken::new())
        .await
        .expect("baseline again");
    assert!(again.grants.is_empty());
    assert_eq!(lab.standin.start_signers()[2], "FAKEACCESSKEY");

    for file in lab.files() {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes
                .windows(ELEVATED_SECRET.len())
                .any(|w| w == ELEVATED_SECRET.as_bytes()),
            "the grant's secret is in {}",
            file.display()
        );
    }
}

/// A grant the broker extended runs longer in all than the policy's maximum (1 h), counted
/// from its start; counted from its extension, as the broker counts it, it is allowed. The
/// command line's gate, which takes the grant from the keyring, must not end it.
#[tokio::test]
async fn a_grant_extended_past_the_maximum_from_its_start_is_held_from_the_keyring() {
    let lab = lab().await;
    let now = chrono::Utc::now().timestamp_millis();
    let minute = 60 * 1000;
    let mut extended = held_pii(45 * minute, 15 * minute);
    extended.granted_at_ms = now - 50 * minute;
    extended.extended_at_ms = Some(now - 5 * minute);
    let gate = lab.gate_holding(vec![extended.clone()]).await;
    let changes = gate.check_elevations();
    assert!(changes.ended.is_empty(), "{:?}", changes.ended);
    assert!(gate.elevations().contains("pii-read"));

    // Without the extension's time the same grant is too long for the policy: ended.
    extended.extended_at_ms = None;
    let gate = lab.gate_holding(vec![extended]).await;
    let changes = gate.check_elevations();
    assert_eq!(changes.ended.len(), 1, "{changes:?}");
}

#[tokio::test]
async fn a_grant_without_usable_credentials_is_not_held_and_nothing_runs() {
    let lab = lab().await;
    // The grant holds, but its credentials ran out: fail closed, never the baseline instead.
    let gate = lab
        .gate_holding(vec![held_pii(15 * 60 * 1000, -1000)])
        .await;
    let refused = gate
        .run(PII, None, CancellationToken::new())
        .await
        .expect_err("credentials expired");
    assert!(matches!(refused, RunError::NotHeld(_)), "{refused}");
    assert!(
        refused.to_string().starts_with(
            "not allowed: elevation pii-read is not held (its credentials have run out)"
        ),
        "{refused}"
    );
    assert_eq!(lab.standin.executions_started(), 0);
    let blocked = &gate
        .audit()
        .events(&[warden_audit::Kind::QueryBlocked], None, None, false)
        .expect("events")[0];
    assert_eq!(
        blocked.payload["query"]["rule_ids"][0],
        "elevation-not-held"
    );

    // A grant past its end counts for nothing: the verdict is `elevate` again.
    let ended = lab
        .gate_holding(vec![held_pii(-1000, 15 * 60 * 1000)])
        .await;
    assert!(!ended.elevations().contains("pii-read"));
    let refused = ended
        .run(PII, None, CancellationToken::new())
        .await
        .expect_err("ended");
    assert!(matches!(refused, RunError::Blocked(_)), "{refused}");

    // A gate holding no grant at all: the baseline never reads pii.
    let none = lab.gate_holding(vec![]).await;
    let refused = none
        .run(PII, None, CancellationToken::new())
        .await
        .expect_err("not held");
    assert!(matches!(refused, RunError::Blocked(_)), "{refused}");
    assert_eq!(lab.standin.executions_started(), 0);
}

/// The in-process lockout of an AWS grant (issue 14): the gate's clock moved, never slept on.
/// A bundle that lags Glue: the table has columns the security team has not classified (here
/// its personal data). The guardrails expand `*` over the columns the policy lists, Athena over
/// Glue's, so a star over that table is refused, naming the columns; naming columns still runs.
#[tokio::test]
async fn a_star_over_columns_the_policy_does_not_list_is_refused() {
    let lab = lab().await;
    let mut lagging = lab.policy.clone();
    for line in [
        "            full_name: { type: varchar, tags: [pii] }\n",
        "            email: { type: varchar, tags: [pii] }\n",
        "            phone: { type: varchar, tags: [pii] }\n",
        "            ssn: { type: varchar, tags: [restricted] }\n",
        "            segment: varchar\n",
    ] {
        assert!(lagging.contains(line), "the demo policy lists {line}");
        lagging = lagging.replacen(line, "", 1);
    }
    lab._fixture
        .publish(&lagging, 2, chrono::Duration::days(30))
        .await;
    let gate = lab.gate().await;
    let err = gate
        .run(
            "SELECT * FROM customers",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect_err("the star is refused");
    assert!(matches!(err, RunError::UnlistedColumns(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "not allowed: * on sales.customers would also read full_name, email, phone, ssn, segment, which the policy does not list (the table has changed since it was classified); name the columns you need, or ask the security team to add these to the policy"
    );
    assert_eq!(
        lab.standin.executions_started(),
        0,
        "nothing reached Athena"
    );
    let events = gate
        .audit()
        .events(&[], None, None, false)
        .expect("journal");
    let blocked = events
        .iter()
        .rev()
        .find(|e| e.kind == "query_blocked")
        .expect("the refusal is journaled");
    assert!(
        blocked
            .payload
            .to_string()
            .contains("star-unlisted-columns"),
        "{}",
        blocked.payload
    );
    let named = gate
        .run(
            "SELECT customer_id, country FROM customers ORDER BY customer_id LIMIT 2",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect("named columns run");
    assert_eq!(named.result.len(), 2);
}

mod lockout {
    use std::sync::Arc;
    use std::time::Duration;

    use warden_test_support::ManualClock;

    use super::*;
    use crate::aws_elevation::{HeldGrant, VaultKeys};
    use crate::GrantKeys;
    use warden_identity::{ElevationSlot, Vault};

    const MINUTE: i64 = 60 * 1000;

    /// Keys that cannot be deleted (a locked or vanished keyring).
    struct StuckKeys;
    impl GrantKeys for StuckKeys {
        fn wipe(&self, _: &str, _: &str) -> Result<Vec<String>, String> {
            Err("the keyring is locked".into())
        }
    }

    /// A keyring (in memory) holding `held` as `warden elevation request` keeps it.
    fn keyring(held: &HeldGrant) -> Vault {
        let vault = Vault::in_memory();
        let json = crate::identity::Secret::new(serde_json::to_string(held).expect("json"));
        vault
            .put_elevation("aws", ElevationSlot::Grant, &held.name, &json)
            .expect("kept");
        vault
    }

    impl Lab {
        async fn gate_at(
            &self,
            held: Vec<HeldGrant>,
            clock: Arc<ManualClock>,
            keys: Arc<dyn GrantKeys>,
        ) -> Gate {
            let ws = Workspace::find(&Home::under(self.home.path()), None).expect("aws workspace");
            ws.init().await.expect("init");
            let credentials = SharedCredentialsProvider::new(Credentials::new(
                "FAKEACCESSKEY",
                SECRET,
                None,
                None,
                "test",
            ));
            ws.open_athena_gate_at(credentials, held, clock, Some(keys))
                .await
                .expect("gate")
        }
    }

    fn events(gate: &Gate, kind: warden_audit::Kind) -> Vec<serde_json::Value> {
        gate.audit()
            .events(&[kind], None, None, false)
            .expect("events")
            .into_iter()
            .map(|e| e.payload)
            .collect()
    }

    #[tokio::test]
    async fn a_grant_ending_mid_run_stops_it_at_athena_wipes_its_keys_and_locks_out() {
        let lab = lab().await;
        let held = held_pii(15 * MINUTE, 15 * MINUTE);
        let vault = keyring(&held);
        let clock = Arc::new(ManualClock::new());
        let gate = lab
            .gate_at(
                vec![held],
                clock.clone(),
                Arc::new(VaultKeys::new(vault.clone(), "aws")),
            )
            .await;

        // Long before the end, a check changes nothing and the grant's engine runs pii.
        clock.advance(Duration::from_secs(60));
        assert!(gate.check_elevations().ended.is_empty());
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("pii-read holds");

        // A run started just before the end (Athena keeps it QUEUED) does not outlive it.
        lab.standin
            .knobs
            .set(|k| k.queued = Duration::from_secs(30));
        let before = lab.standin.executions_started();
        let (outcome, changes) =
            tokio::join!(gate.run(PII, None, CancellationToken::new()), async {
                while lab.standin.executions_started() == before {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                clock.advance(Duration::from_secs(14 * 60));
                gate.check_elevations()
            });
        let error = outcome.expect_err("stopped at the grant's end");
        assert!(
            matches!(
                error,
                RunError::Engine(warden_engine::EngineError::Cancelled)
            ),
            "{error}"
        );
        assert_eq!(
            changes.ended,
            [crate::EndedElevation {
                name: "pii-read".into(),
                cancelled: 1
            }]
        );
        assert!(changes.errors.is_empty(), "{:?}", changes.errors);
        let notices = changes.notices();
        assert_eq!(notices[0].title, "pii-read has ended");
        assert!(notices[0]
            .body
            .ends_with("One running query that needed it was cancelled."));

        // Athena was told to stop it, with the grant's own credentials, and it ended CANCELLED.
        let cancelled = events(&gate, warden_audit::Kind::QueryCancelled);
        let id = cancelled[0]["engine"]["query_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no query id in {}", cancelled[0]))
            .to_string();
        assert_eq!(lab.standin.state_of(&id), Some(QueryState::Cancelled));
        assert!(lab
            .standin
            .stops_seen()
            .iter()
            .any(|s| s.query_execution_id == id));
        assert_eq!(
            lab.standin.start_signers().last().map(String::as_str),
            Some(ELEVATED_KEY)
        );

        // The keyring entry is gone, the journal tells the story, and the editor is baseline.
        assert!(vault
            .get_elevation("aws", ElevationSlot::Grant, "pii-read")
            .expect("keyring")
            .is_none());
        let kinds: Vec<String> = gate
            .audit()
            .events(&[], None, None, false)
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| !k.starts_with("bundle") && !k.starts_with("policy"))
            .collect();
        let tail = &kinds[kinds.len() - 4..];
        assert_eq!(
            tail,
            [
                "elevation_expired",
                "lockout",
                "credentials_wiped",
                "query_cancelled"
            ],
            "{kinds:?}"
        );
        let wiped = events(&gate, warden_audit::Kind::CredentialsWiped);
        assert_eq!(
            wiped[0]["cleared"],
            serde_json::json!(["keyring:aws/elevation-grant/pii-read"])
        );
        assert_eq!(wiped[0]["reason"], "pii-read locked out (its time ran out)");
        let lockout = events(&gate, warden_audit::Kind::Lockout);
        assert!(
            lockout[0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("1 running query that needed it cancelled")),
            "{}",
            lockout[0]
        );
        assert!(gate.elevations().is_empty());
        assert_eq!(gate.elevation_status().active.len(), 0);
        let started = lab.standin.executions_started();
        let refused = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect_err("back to baseline");
        assert!(matches!(refused, RunError::Blocked(_)), "{refused}");
        assert_eq!(lab.standin.executions_started(), started);
        // Once is enough: the next check has nothing left to do.
        assert!(gate.check_elevations().is_empty());
    }

    #[tokio::test]
    async fn credentials_that_run_out_before_the_grant_lock_it_out_then() {
        let lab = lab().await;
        let held = held_pii(25 * MINUTE, 10 * MINUTE);
        let vault = keyring(&held);
        let clock = Arc::new(ManualClock::new());
        let gate = lab
            .gate_at(
                vec![held],
                clock.clone(),
                Arc::new(VaultKeys::new(vault.clone(), "aws")),
            )
            .await;
        // Up to a few seconds before they run out, the grant is used as usual.
        clock.advance(Duration::from_secs(10 * 60) - crate::LOCKOUT_LEAD - Duration::from_secs(1));
        let changes = gate.check_elevations();
        assert!(changes.ended.is_empty(), "{changes:?}");
        assert!(gate.elevations().contains("pii-read"));
        // Then the stop would no longer be signed: locked out before.
        clock.advance(Duration::from_secs(1));
        let changes = gate.check_elevations();
        assert_eq!(changes.ended.len(), 1, "{changes:?}");
        assert!(gate.elevations().is_empty());
        assert!(vault
            .get_elevation("aws", ElevationSlot::Grant, "pii-read")
            .expect("keyring")
            .is_none());
        let lockout = events(&gate, warden_audit::Kind::Lockout);
        assert!(
            lockout[0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("pii-read ended (its credentials ran out)")),
            "{}",
            lockout[0]
        );
        let wiped = events(&gate, warden_audit::Kind::CredentialsWiped);
        assert_eq!(
            wiped[0]["reason"],
            "pii-read locked out (its credentials ran out)"
        );
    }

    /// The broker's next set for `held`: set 2, its own key, valid `left` past `held`'s grant end.
    fn next_set(held: &HeldGrant, key: &str, past_the_end: i64) -> HeldGrant {
        HeldGrant {
            set: held.set + 1,
            access_key_id: crate::identity::Secret::new(key),
            secret_access_key: crate::identity::Secret::new("FAKE-secret-of-the-renewed-set"),
            session_token: crate::identity::Secret::new("FAKE-renewed-session-token"),
            credentials_expire_at_ms: held.expires_at_ms + past_the_end,
            ..held.clone()
        }
    }

    #[tokio::test]
    async fn renewed_credentials_sign_at_once_without_stopping_a_run_and_the_grant_ends_at_its_end()
    {
        const RENEWED_KEY: &str = "ASIAFAKERENEWEDSET02";
        let lab = lab().await;
        let held = held_pii(25 * MINUTE, 10 * MINUTE);
        let vault = keyring(&held);
        let clock = Arc::new(ManualClock::new());
        let gate = lab
            .gate_at(
                vec![held.clone()],
                clock.clone(),
                Arc::new(VaultKeys::new(vault.clone(), "aws")),
            )
            .await;
        let next = next_set(&held, RENEWED_KEY, 15 * MINUTE);

        // A run under way (Athena keeps it QUEUED a moment) when the new set arrives runs on.
        lab.standin
            .knobs
            .set(|k| k.queued = Duration::from_millis(1500));
        let before = lab.standin.executions_started();
        let (outcome, renewed) =
            tokio::join!(gate.run(PII, None, CancellationToken::new()), async {
                while lab.standin.executions_started() == before {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                gate.renew_elevated(&next)
            });
        assert_eq!(
            outcome
                .expect("the run outlives the swap")
                .result
                .all_rows()
                .expect("rows")
                .len(),
            3
        );
        // A set that outlives the grant is used until the grant's end, not a moment longer.
        assert_eq!(
            renewed.expect("taken"),
            crate::Renewed::Swapped {
                set: 2,
                until_ms: held.expires_at_ms
            }
        );
        assert_eq!(
            lab.standin.start_signers().last().map(String::as_str),
            Some(ELEVATED_KEY),
            "the run under way was started with the first set"
        );
        lab.standin.knobs.set(|k| k.queued = Duration::ZERO);
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held");
        assert_eq!(
            lab.standin.start_signers().last().map(String::as_str),
            Some(RENEWED_KEY),
            "the next run signs with the new set"
        );
        // An older or the same set changes nothing.
        assert_eq!(
            gate.renew_elevated(&held).expect("checked"),
            crate::Renewed::AlreadyCurrent
        );
        assert!(gate.check_elevations().ended.is_empty());

        // Past the first set's expiry the grant holds on.
        clock.advance(Duration::from_secs(12 * 60));
        let changes = gate.check_elevations();
        assert!(changes.ended.is_empty(), "{changes:?}");
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("still held on the new set");

        // At its end (less the lead for the stop) it is locked out for its time, as always.
        clock.advance(Duration::from_secs(13 * 60) - crate::LOCKOUT_LEAD - Duration::from_secs(1));
        assert!(gate.check_elevations().ended.is_empty());
        clock.advance(Duration::from_secs(1));
        assert_eq!(gate.check_elevations().ended.len(), 1);
        let lockout = events(&gate, warden_audit::Kind::Lockout);
        assert!(
            lockout[0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("pii-read ended (its time ran out)")),
            "{}",
            lockout[0]
        );
        assert!(vault
            .get_elevation("aws", ElevationSlot::Grant, "pii-read")
            .expect("keyring")
            .is_none());
        // A set that arrives after the lockout revives nothing.
        let late = next_set(&next, "ASIAFAKERENEWEDSET03", 30 * MINUTE);
        let refused = gate.renew_elevated(&late).expect_err("too late");
        assert!(
            refused.to_string().contains("no longer held here"),
            "{refused}"
        );
        assert!(gate.elevations().is_empty());
    }

    #[tokio::test]
    async fn a_keyring_that_refuses_the_wipe_is_reported_and_the_grant_is_dropped_anyway() {
        let lab = lab().await;
        let clock = Arc::new(ManualClock::new());
        let gate = lab
            .gate_at(
                vec![held_pii(15 * MINUTE, 15 * MINUTE)],
                clock.clone(),
                Arc::new(StuckKeys),
            )
            .await;
        clock.advance(Duration::from_secs(15 * 60));
        let changes = gate.check_elevations();
        assert_eq!(changes.ended.len(), 1);
        assert_eq!(changes.not_wiped.len(), 1, "{changes:?}");
        assert!(
            changes.errors[0].starts_with(
                "the credentials of pii-read could not be deleted from the keyring (the keyring is locked)"
            ),
            "{:?}",
            changes.errors
        );
        let notices = changes.notices();
        assert!(
            notices
                .iter()
                .any(|n| n.title == "pii-read: credentials still in the keyring"
                    && n.body.contains("sign out to clear them")),
            "{notices:?}"
        );
        assert!(events(&gate, warden_audit::Kind::CredentialsWiped).is_empty());
        // The engine went with the grant: nothing runs pii.
        assert!(gate.elevations().is_empty());
        let refused = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect_err("locked out");
        assert!(matches!(refused, RunError::Blocked(_)), "{refused}");
        assert_eq!(lab.standin.executions_started(), 0);
    }
}

/// The stand-in enforcing column permissions per role, as Lake Formation does: AWS refuses
/// what the guardrails promise even when the client's guardrails are bypassed.
mod column_permissions {
    use std::sync::Arc;
    use std::time::Duration;

    use warden_broker::{AwsElevation, Minter};
    use warden_engine::Engine;
    use warden_test_support::standin::{local_sdk_config, ColumnGrants};

    use super::*;

    const PII_ROLE: &str = "arn:aws:iam::123456789012:role/warden-pii-read";
    const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/warden-large-scan";

    /// What a patched client would do: the guardrails told the grant holds, whoever signs.
    fn bypassed(lab: &Lab, sql: &str) -> warden_guardrails::Approved {
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let context = LintContext {
            default_database: Some("sales".into()),
            elevations: ["pii-read".to_string()].into(),
        };
        lint(&policy, sql, &context).approve().expect("approved")
    }

    impl Lab {
        async fn engine(&self, credentials: Credentials) -> Arc<dyn Engine> {
            let ws = Workspace::find(&Home::under(self.home.path()), None).expect("aws workspace");
            ws.init().await.expect("init");
            let engine = ws
                .athena_engine(SharedCredentialsProvider::new(credentials), None, None)
                .await
                .expect("engine");
            Arc::new(engine)
        }

        /// Credentials of `role_arn` as the broker mints them in moto (AssumeRole, with the
        /// session policy ending at the grant's end, `grant_left` from now).
        async fn minted(&self, role_arn: &str, grant_left: chrono::Duration) -> Credentials {
            let minter = Minter::new(&local_sdk_config(&self.moto.endpoint));
            let target = AwsElevation::role(role_arn);
            let c = minter
                .mint(
                    "pii-read",
                    &target,
                    &uuid::Uuid::now_v7().to_string(),
                    "AROAEXAMPLE:ana@example.com",
                    chrono::Utc::now() + grant_left,
                )
                .await
                .expect("minted");
            Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
                Some(c.session_token.clone()),
                None,
                "minted",
            )
        }
    }

    fn message(e: warden_engine::EngineError) -> String {
        e.to_string()
    }

    #[tokio::test]
    async fn only_the_elevated_role_reads_pii_at_the_standin_and_only_until_its_end() {
        let lab = lab_with(Some(ColumnGrants {
            class: "pii".into(),
            roles: vec![PII_ROLE.into()],
        }))
        .await;
        let baseline = lab
            .engine(Credentials::new(
                "FAKEACCESSKEY",
                SECRET,
                None,
                None,
                "test",
            ))
            .await;

        // The baseline role reads what is not tagged...
        baseline
            .execute(bypassed(&lab, COUNTRIES), CancellationToken::new())
            .await
            .expect("public columns");
        // ...and is refused the pii column, though the client's guardrails were bypassed.
        let refused = baseline
            .execute(bypassed(&lab, PII), CancellationToken::new())
            .await
            .expect_err("baseline credentials cannot read pii");
        let text = message(refused);
        assert!(
            text.contains("COLUMN_NOT_FOUND: Column 'email' cannot be resolved or requester is not authorized to access requested resources"),
            "{text}"
        );
        // So is a filter on it, and another elevated role.
        let filtered = baseline
            .execute(
                bypassed(
                    &lab,
                    "SELECT count(*) AS n FROM customers WHERE email LIKE 'a%'",
                ),
                CancellationToken::new(),
            )
            .await
            .expect_err("a filter reads the column too");
        assert!(message(filtered).contains("Column 'email'"));
        let other = lab
            .engine(lab.minted(OTHER_ROLE, chrono::Duration::minutes(15)).await)
            .await;
        let text = message(
            other
                .execute(bypassed(&lab, PII), CancellationToken::new())
                .await
                .expect_err("large-scan is not granted pii"),
        );
        assert!(text.contains("COLUMN_NOT_FOUND"), "{text}");

        // The pii-read role's credentials, minted by the broker's code in moto, read it.
        let elevated = lab
            .engine(lab.minted(PII_ROLE, chrono::Duration::minutes(15)).await)
            .await;
        let rows = elevated
            .execute(bypassed(&lab, PII), CancellationToken::new())
            .await
            .expect("pii-read reads pii");
        assert_eq!(rows.result.len(), 3);
        let failed = lab
            .standin
            .start_signers()
            .iter()
            .filter(|k| k.as_str() == "FAKEACCESSKEY")
            .count();
        assert_eq!(failed, 3, "{:?}", lab.standin.start_signers());

        // Past the grant's end (the stand-in's clock moved on), the session policy refuses them.
        let started = lab.standin.executions_started();
        lab.standin
            .knobs
            .set(|k| k.time_ahead = Duration::from_secs(16 * 60));
        let text = message(
            elevated
                .execute(bypassed(&lab, PII), CancellationToken::new())
                .await
                .expect_err("the grant has ended"),
        );
        assert!(
            text.contains("is not authorized to perform: athena:StartQueryExecution because no session policy allows"),
            "{text}"
        );
        assert_eq!(lab.standin.executions_started(), started, "nothing started");
        // The baseline, whose session has no end condition, carries on.
        baseline
            .execute(bypassed(&lab, COUNTRIES), CancellationToken::new())
            .await
            .expect("baseline still works");
    }
}

/// Requests from the window on an AWS workspace: the broker's queue in moto, the broker's pass,
/// the grant held in the long-lived gate with its own engine.
mod window_requests {
    use std::sync::Arc;
    use std::time::Duration;

    use warden_broker::{Approvers, Broker, BrokerConfig, Bucket, Minter, S3Queue};
    use warden_elevation::Request;
    use warden_test_support::standin::{local_sdk_config, ColumnGrants};
    use warden_test_support::ManualClock;

    use super::*;
    use crate::aws_elevation::{AwsElevations, VaultKeys};
    use crate::gate::Outcome;
    use warden_identity::Vault;

    /// The app's gate on the lab's `aws` workspace, its grants' keys in `vault`.
    pub(super) async fn window_gate(lab: &Lab, vault: &warden_identity::Vault) -> Arc<Gate> {
        window_gate_at(lab, vault, Arc::new(warden_elevation::SystemClock)).await
    }

    /// The same on `clock`.
    async fn window_gate_at(
        lab: &Lab,
        vault: &warden_identity::Vault,
        clock: Arc<dyn warden_elevation::Clock>,
    ) -> Arc<Gate> {
        let ws = Workspace::find(&Home::under(lab.home.path()), None).expect("aws workspace");
        ws.init().await.expect("init");
        Arc::new(
            ws.open_athena_gate_at(
                SharedCredentialsProvider::new(Credentials::new(
                    "FAKEACCESSKEY",
                    SECRET,
                    None,
                    None,
                    "test",
                )),
                vec![],
                clock,
                Some(Arc::new(VaultKeys::new(vault.clone(), "aws"))),
            )
            .await
            .expect("gate"),
        )
    }

    /// The request bucket in moto and the broker over it, as `warden broker run` would make
    /// it: its own journal (in the folder returned with it), no approvers, a hand-moved clock.
    pub(super) async fn local_broker(lab: &Lab) -> (Broker, tempfile::TempDir) {
        local_broker_at(lab, Arc::new(ManualClock::new())).await
    }

    /// The same on `clock`.
    async fn local_broker_at(
        lab: &Lab,
        clock: Arc<dyn warden_elevation::Clock>,
    ) -> (Broker, tempfile::TempDir) {
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        local_broker_with(lab, clock, BrokerConfig::from_policy("aws", &policy)).await
    }

    /// The same with the elevations' AWS mapping `config` instead of the policy's.
    pub(super) async fn local_broker_with(
        lab: &Lab,
        clock: Arc<dyn warden_elevation::Clock>,
        config: BrokerConfig,
    ) -> (Broker, tempfile::TempDir) {
        let sdk = local_sdk_config(&lab.moto.endpoint);
        ensure_bucket(&s3_client(&lab.moto.endpoint), REQUESTS)
            .await
            .expect("request bucket");
        let bucket = Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Arc::new(
            warden_audit::Journal::open(
                dir.path().join("broker.sqlite"),
                warden_audit::Actor {
                    os_user: "warden-broker".into(),
                    sso_identity: None,
                },
            )
            .expect("broker journal"),
        );
        let broker = Broker::new(
            S3Queue::new(bucket, "AROABROKER:warden-broker").expect("queue"),
            policy,
            config,
            Minter::new(&sdk),
            Approvers::none(),
            journal,
            clock,
        );
        (broker, dir)
    }

    const REQUESTS: &str = "warden-requests";
    const ANALYST: &str = "AROAANALYST:ana@example.com";

    pub(super) fn pii_read() -> Request {
        Request {
            name: "pii-read".into(),
            duration: Some(Duration::from_secs(15 * 60)),
            justification: "churn study".into(),
            ticket: None,
            extends: None,
        }
    }

    /// Checks the gate (as the app does every second) until something comes of the request.
    pub(super) async fn next_news(gate: &Gate) -> crate::ElevationChanges {
        for _ in 0..500 {
            let changes = gate.check_elevations();
            if !changes.granted.is_empty() || !changes.denied.is_empty() {
                return changes;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("nothing came of the request within 10 s");
    }

    #[tokio::test]
    async fn a_request_from_the_window_is_granted_by_the_broker_and_held_in_the_gate() {
        let lab = lab_with(Some(ColumnGrants {
            class: "pii".into(),
            roles: vec!["arn:aws:iam::123456789012:role/warden-pii-read".into()],
        }))
        .await;
        let (broker, _broker_dir) = local_broker(&lab).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");

        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate(&lab, &vault).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), ANALYST).expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));

        let decision = crate::aws_hold::request_with(
            gate.clone(),
            Workspace::find(&Home::under(lab.home.path()), None).expect("ws"),
            elevations.clone(),
            None,
            pii_read(),
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect("sent");
        assert_eq!(decision.outcome, Outcome::Pending);
        assert!(
            decision
                .message
                .starts_with("pii-read for 15 min is waiting for the broker"),
            "{}",
            decision.message
        );
        assert_eq!(decision.status.pending.len(), 1);
        // Not held before the broker decides: the pii query still needs the elevation.
        assert!(gate.check_elevations().is_empty());
        assert!(matches!(
            gate.run(PII, None, CancellationToken::new()).await,
            Err(RunError::Blocked(_))
        ));

        // The broker grants it by policy and delivers credentials; the window's gate holds it.
        broker.run_once().await.expect("a broker pass");
        let news = next_news(&gate).await;
        assert_eq!(news.granted.len(), 1, "{news:?}");
        assert_eq!(news.granted[0].name, "pii-read");
        assert_eq!(news.notices()[0].title, "pii-read granted");
        let status = gate.elevation_status();
        assert!(status.pending.is_empty());
        assert_eq!(status.active.len(), 1);
        assert!(vault
            .get_elevation("aws", warden_identity::ElevationSlot::Grant, "pii-read")
            .expect("keyring")
            .is_some());

        // The pii query runs on the grant's own credentials, which the stand-in lets read pii.
        let run = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect("held");
        assert_eq!(run.result.len(), 3);
        let signer = lab
            .standin
            .start_signers()
            .last()
            .cloned()
            .unwrap_or_default();
        assert_ne!(signer, "FAKEACCESSKEY");
        let kinds: Vec<String> = gate
            .audit()
            .events(&[], None, None, false)
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for kind in [
            "elevation_requested",
            "elevation_granted",
            "credentials_issued",
        ] {
            assert!(
                kinds.contains(&kind.to_string()),
                "{kind} missing: {kinds:?}"
            );
        }

        // Asked again while held: refused, nothing sent.
        let again = crate::aws_hold::request_with(
            gate.clone(),
            Workspace::find(&Home::under(lab.home.path()), None).expect("ws"),
            elevations.clone(),
            None,
            pii_read(),
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect_err("already held");
        assert!(again.to_string().contains("already"), "{again}");

        // End in the window: the gate lets go, the keyring entry goes, and the broker is told.
        let id = news.granted[0].request_id.clone();
        let status = crate::aws_hold::end_with(&gate, &elevations, "pii-read")
            .await
            .expect("ended");
        assert!(status.active.is_empty());
        assert!(vault
            .get_elevation("aws", warden_identity::ElevationSlot::Grant, "pii-read")
            .expect("keyring")
            .is_none());
        broker.run_once().await.expect("a broker pass");
        let (state, _) = S3Queue::new(bucket(), ANALYST)
            .expect("queue")
            .state(&id)
            .await
            .expect("state")
            .expect("a state");
        assert_eq!(state.status, warden_broker::Status::Withdrawn);
    }

    #[tokio::test]
    async fn a_request_withdrawn_from_the_window_is_withdrawn_at_the_broker() {
        let lab = lab().await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        ensure_bucket(&s3_client(&lab.moto.endpoint), REQUESTS)
            .await
            .expect("request bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate(&lab, &vault).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(Bucket::new(&sdk, REQUESTS, true).expect("bucket"), ANALYST)
                .expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));
        let decision = crate::aws_hold::request_with(
            gate.clone(),
            Workspace::find(&Home::under(lab.home.path()), None).expect("ws"),
            elevations.clone(),
            None,
            pii_read(),
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect("sent");
        let id = decision.request_id.expect("an id");
        // "End" on the waiting request in the window.
        gate.end_elevation("pii-read").expect("withdrawn");
        let key = format!("requests/{ANALYST}/{id}.withdrawn.json");
        let s3 = s3_client(&lab.moto.endpoint);
        let mut seen = false;
        for _ in 0..200 {
            if s3
                .head_object()
                .bucket(REQUESTS)
                .key(&key)
                .send()
                .await
                .is_ok()
            {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(seen, "{key} was not written");
        assert!(vault
            .get_elevation("aws", warden_identity::ElevationSlot::RequestKey, &id)
            .expect("keyring")
            .is_none());
        assert!(gate.elevation_status().pending.is_empty());
    }

    #[tokio::test]
    async fn an_elevation_ended_from_this_machine_is_ended_at_the_broker_and_wiped() {
        let lab = lab().await;
        let (broker, _broker_dir) = local_broker(&lab).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let audit = {
            let ws = Workspace::find(&Home::under(lab.home.path()), None).expect("ws");
            ws.init().await.expect("init");
            ws.open_audit().expect("journal")
        };
        let elevations = AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), ANALYST).expect("queue"),
            vault.clone(),
            audit.clone(),
            policy,
        );
        assert_eq!(elevations.end("pii-read").await.expect("nothing"), None);

        // Held from this machine, as `warden elevation request --wait` leaves it.
        let (id, _) = elevations.request(&pii_read()).await.expect("sent");
        broker.run_once().await.expect("pass");
        assert!(matches!(
            elevations.check(&id).await.expect("checked"),
            crate::aws_elevation::Progress::Held { .. }
        ));

        let ended = elevations.end("pii-read").await.expect("ended");
        assert_eq!(
            ended,
            Some(crate::aws_elevation::Ended::Grant {
                request_id: id.clone()
            })
        );
        assert!(elevations.held("pii-read").expect("keyring").is_none());
        assert!(vault
            .get_elevation("aws", warden_identity::ElevationSlot::RequestKey, &id)
            .expect("keyring")
            .is_none());
        let wiped = audit
            .events(&[warden_audit::Kind::CredentialsWiped], None, None, false)
            .expect("events");
        assert_eq!(wiped[0].payload["reason"], "pii-read ended by its holder");
        let expired = audit
            .events(&[warden_audit::Kind::ElevationExpired], None, None, false)
            .expect("events");
        assert_eq!(expired[0].payload["elevation_id"], id.as_str());

        // The broker reads the early end at its next pass and mints nothing more.
        broker.run_once().await.expect("pass");
        let (state, _) = S3Queue::new(bucket(), ANALYST)
            .expect("queue")
            .state(&id)
            .await
            .expect("state")
            .expect("a state");
        assert_eq!(state.status, warden_broker::Status::Withdrawn);
        assert_eq!(
            elevations.end("pii-read").await.expect("nothing left"),
            None
        );
    }

    /// Moves `clock` so that it reads `target_ms` (never backwards).
    fn move_to(clock: &ManualClock, target_ms: i64) {
        use warden_elevation::Clock;
        let now = clock.now().wall.timestamp_millis();
        assert!(target_ms >= now, "the clock only moves forward");
        clock.advance(Duration::from_millis((target_ms - now) as u64));
    }

    /// Checks `gate` (as the app's background task does) until `done` says so, or fails.
    async fn until(gate: &Gate, what: &str, done: impl Fn(&crate::HeldCredentials) -> bool) {
        for _ in 0..500 {
            let held = gate
                .elevation_status()
                .active
                .first()
                .and_then(|a| gate.held_credentials(&a.name, &a.request_id));
            if held.as_ref().is_some_and(&done) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("not within 10 s: {what}");
    }

    #[tokio::test]
    async fn a_held_grant_takes_the_brokers_next_credentials_and_a_missing_set_locks_it_out() {
        let lab = lab().await;
        // The broker and the window share one clock, moved by hand; moto's STS uses the real one.
        let clock = Arc::new(ManualClock::new());
        let (broker, _broker_dir) = local_broker_at(&lab, clock.clone()).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate_at(&lab, &vault, clock.clone()).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), ANALYST).expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));
        let half_an_hour = Request {
            duration: Some(Duration::from_secs(30 * 60)),
            ..pii_read()
        };
        crate::aws_hold::request_with(
            gate.clone(),
            Workspace::find(&Home::under(lab.home.path()), None).expect("ws"),
            elevations.clone(),
            None,
            half_an_hour,
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect("sent");
        broker.run_once().await.expect("a broker pass");
        let news = next_news(&gate).await;
        assert_eq!(news.granted.len(), 1, "{news:?}");
        let id = news.granted[0].request_id.clone();
        let first = gate.held_credentials("pii-read", &id).expect("held");
        assert_eq!(first.set, 1);
        assert!(
            first.until_ms < first.grant_end_ms,
            "a set lives 15 minutes, the grant 30"
        );
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held");
        let first_key = lab.standin.start_signers().last().cloned().expect("signed");

        // Let moto's STS (real time) issue the next set a few seconds later than the first.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        // Five minutes before the first set runs out the broker mints the next; the window
        // takes it into the keyring and into the grant's engine.
        move_to(&clock, first.until_ms - 5 * 60 * 1000 + 1000);
        let pass = broker.run_once().await.expect("a broker pass");
        assert_eq!(pass.minted, vec![(id.clone(), 2)]);
        until(&gate, "the second set is taken", |h| h.set == 2).await;
        let second = gate.held_credentials("pii-read", &id).expect("held");
        assert!(
            second.until_ms >= first.until_ms + 2000,
            "{second:?} {first:?}"
        );
        assert_eq!(second.problem, None);
        let kept = elevations.held("pii-read").expect("keyring").expect("kept");
        assert_eq!((kept.request_id.as_str(), kept.set), (id.as_str(), 2));
        assert!(
            bucket().list("grants/").await.expect("listed").is_empty(),
            "the delivery is deleted once read"
        );
        let issued = gate
            .audit()
            .events(&[warden_audit::Kind::CredentialsIssued], None, None, false)
            .expect("events");
        assert_eq!(issued.len(), 2);
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held");
        let second_key = lab.standin.start_signers().last().cloned().expect("signed");
        assert_ne!(second_key, first_key, "signed with the new set");

        // Past the moment the first set would have been locked out: held on the second.
        move_to(
            &clock,
            first.until_ms - crate::LOCKOUT_LEAD.as_millis() as i64 + 1000,
        );
        let changes = gate.check_elevations();
        assert!(changes.ended.is_empty(), "{changes:?}");
        assert!(gate.elevations().contains("pii-read"));

        // The broker makes no more passes: the window looks for the next set in vain, keeps the
        // second until it runs out, and then locks the grant out, saying why.
        until(&gate, "the missing set is noted", |h| h.problem.is_some()).await;
        move_to(
            &clock,
            second.until_ms - crate::LOCKOUT_LEAD.as_millis() as i64 - 1000,
        );
        assert!(gate.check_elevations().ended.is_empty());
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("the second set is used until it runs out");
        assert_eq!(lab.standin.start_signers().last(), Some(&second_key));
        clock.advance(Duration::from_secs(1));
        let changes = gate.check_elevations();
        assert_eq!(changes.ended.len(), 1, "{changes:?}");
        let lockout = gate
            .audit()
            .events(&[warden_audit::Kind::Lockout], None, None, false)
            .expect("events");
        assert!(
            lockout[0].payload["reason"].as_str().is_some_and(|r| r.starts_with(
                "pii-read ended (its credentials ran out: the broker's next set could not be taken (the broker delivered no newer credential set in time))"
            )),
            "{}",
            lockout[0].payload
        );
        assert!(elevations.held("pii-read").expect("keyring").is_none());
        assert!(matches!(
            gate.run(PII, None, CancellationToken::new()).await,
            Err(RunError::Blocked(_))
        ));
    }

    /// Checks the gate (as the app does every second) until the extension is told.
    async fn next_extension(gate: &Gate) -> crate::ElevationChanges {
        for _ in 0..500 {
            let changes = gate.check_elevations();
            if !changes.extended.is_empty() || !changes.denied.is_empty() {
                return changes;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("nothing came of the extension within 10 s");
    }

    #[tokio::test]
    async fn an_extension_from_the_window_moves_the_grants_end_and_takes_the_new_credentials() {
        let lab = lab().await;
        // The broker and the window share one clock, moved by hand; moto's STS dates its sets
        // by the real one (15 minutes), so the grant and its extension stay within that.
        let clock = Arc::new(ManualClock::new());
        let (broker, broker_dir) = local_broker_at(&lab, clock.clone()).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate_at(&lab, &vault, clock.clone()).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), ANALYST).expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));
        let ws = || Workspace::find(&Home::under(lab.home.path()), None).expect("ws");
        let four_minutes = Request {
            duration: Some(Duration::from_secs(4 * 60)),
            ..pii_read()
        };
        crate::aws_hold::request_with(
            gate.clone(),
            ws(),
            elevations.clone(),
            None,
            four_minutes,
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect("sent");
        broker.run_once().await.expect("a broker pass");
        let id = next_news(&gate).await.granted[0].request_id.clone();
        let first = gate.held_credentials("pii-read", &id).expect("held");
        let old_end = first.grant_end_ms;
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held");
        let first_key = lab.standin.start_signers().last().cloned().expect("signed");

        // A minute in, six minutes more: a request linked to the grant, sent to the broker.
        clock.advance(Duration::from_secs(60));
        let more = Request {
            duration: Some(Duration::from_secs(6 * 60)),
            extends: Some(id.clone()),
            ..pii_read()
        };
        let asked = crate::aws_hold::request_with(
            gate.clone(),
            ws(),
            elevations.clone(),
            None,
            more.clone(),
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect("sent");
        assert_eq!(asked.outcome, Outcome::Pending);
        assert!(
            asked
                .message
                .starts_with("6 min more on pii-read is waiting for the broker"),
            "{}",
            asked.message
        );
        let ext = asked.request_id.expect("an id");
        assert_ne!(ext, id);
        // Asking again while it waits is refused; the grant runs on meanwhile.
        let again = crate::aws_hold::request_with(
            gate.clone(),
            ws(),
            elevations.clone(),
            None,
            more,
            Duration::from_secs(60),
            Duration::from_millis(50),
        )
        .await
        .expect_err("one at a time");
        assert!(again.to_string().contains("already waiting"), "{again}");
        assert_eq!(gate.elevation_status().active[0].expires_at_ms, old_end);

        let pass = broker.run_once().await.expect("a broker pass");
        assert_eq!(pass.extended, vec![ext.clone()]);
        assert_eq!(
            pass.minted,
            vec![(id.clone(), 2)],
            "a set for the new end at once"
        );
        let changes = next_extension(&gate).await;
        let new_end = old_end + 6 * 60 * 1000;
        assert_eq!(changes.extended.len(), 1, "{changes:?}");
        let told = &changes.extended[0];
        assert_eq!(
            (
                told.name.as_str(),
                told.request_id.as_str(),
                told.expires_at_ms
            ),
            ("pii-read", id.as_str(), new_end),
            "the same grant, with the new end"
        );
        assert!(
            changes.notices()[0]
                .title
                .starts_with("pii-read extended until "),
            "{:?}",
            changes.notices()
        );
        let status = gate.elevation_status();
        assert!(status.pending.is_empty());
        assert_eq!(status.active.len(), 1);
        assert_eq!(status.active[0].request_id, id);
        assert_eq!(status.active[0].expires_at_ms, new_end);
        until(&gate, "the new set is taken", |h| h.set == 2).await;
        let held = gate.held_credentials("pii-read", &id).expect("held");
        assert_eq!(held.grant_end_ms, new_end);
        assert_eq!(held.until_ms, new_end, "the new set reaches the new end");
        let kept = elevations.held("pii-read").expect("keyring").expect("kept");
        assert_eq!(
            (kept.request_id.as_str(), kept.set, kept.expires_at_ms),
            (id.as_str(), 2, new_end)
        );
        let extended = gate
            .audit()
            .events(&[warden_audit::Kind::ElevationExtended], None, None, false)
            .expect("events");
        assert_eq!(extended.len(), 1);
        assert_eq!(
            extended[0].payload,
            serde_json::json!({
                "elevation_id": id, "request_id": ext, "approver": null, "expires_at_ms": new_end
            })
        );
        let requested = gate
            .audit()
            .events(&[warden_audit::Kind::ElevationRequested], None, None, false)
            .expect("events");
        assert!(requested
            .iter()
            .any(|e| e.payload["elevation_id"] == serde_json::json!(ext)
                && e.payload["extends"] == serde_json::json!(id)));
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held");
        let second_key = lab.standin.start_signers().last().cloned().expect("signed");
        assert_ne!(second_key, first_key, "signed with the new set");

        // A run under way at the old end carries on past it.
        lab.standin
            .knobs
            .set(|k| k.queued = Duration::from_millis(1500));
        let before = lab.standin.executions_started();
        let (outcome, changes) =
            tokio::join!(gate.run(PII, None, CancellationToken::new()), async {
                while lab.standin.executions_started() == before {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                move_to(&clock, old_end + 30_000);
                gate.check_elevations()
            });
        assert!(changes.ended.is_empty(), "{changes:?}");
        assert_eq!(
            outcome
                .expect("the run outlives the old end")
                .result
                .all_rows()
                .expect("rows")
                .len(),
            3
        );
        lab.standin.knobs.set(|k| k.queued = Duration::ZERO);

        // The lockout comes at the new end.
        move_to(
            &clock,
            new_end - crate::LOCKOUT_LEAD.as_millis() as i64 - 1000,
        );
        assert!(gate.check_elevations().ended.is_empty());
        clock.advance(Duration::from_secs(1));
        assert_eq!(gate.check_elevations().ended.len(), 1);
        let lockout = gate
            .audit()
            .events(&[warden_audit::Kind::Lockout], None, None, false)
            .expect("events");
        assert!(
            lockout[0].payload["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("pii-read ended (its time ran out)")),
            "{}",
            lockout[0].payload
        );
        assert!(elevations.held("pii-read").expect("keyring").is_none());
        // No secret of either set in any file, the broker's included.
        let secret = kept.secret_access_key.expose().to_string();
        let mut files = lab.files();
        files.extend(
            std::fs::read_dir(broker_dir.path())
                .expect("broker dir")
                .filter_map(|e| e.ok().map(|e| e.path())),
        );
        for file in files {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the new set's secret is in {}",
                file.display()
            );
        }
    }

    struct Window {
        gate: Arc<Gate>,
        elevations: Arc<AwsElevations>,
        vault: Vault,
        home: Home,
    }

    /// The window's gate and its AWS elevations on `lab`, on the system clock.
    async fn window(lab: &Lab) -> Window {
        window_at(lab, Arc::new(warden_elevation::SystemClock)).await
    }

    /// The same on `clock`, which the broker may share.
    async fn window_at(lab: &Lab, clock: Arc<dyn warden_elevation::Clock>) -> Window {
        let vault = Vault::in_memory();
        let gate = window_gate_at(lab, &vault, clock).await;
        let elevations = client_of(lab, &vault, &gate);
        Window {
            gate,
            elevations,
            vault,
            home: Home::under(lab.home.path()),
        }
    }

    /// The analyst's AWS elevations over `vault` (the same keyring) and `gate`'s journal: the
    /// window's, or a second client on the same machine (a terminal).
    fn client_of(lab: &Lab, vault: &Vault, gate: &Gate) -> Arc<AwsElevations> {
        let sdk = local_sdk_config(&lab.moto.endpoint);
        Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(Bucket::new(&sdk, REQUESTS, true).expect("bucket"), ANALYST)
                .expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            Policy::from_yaml(&lab.policy).expect("policy"),
        ))
    }

    impl Window {
        /// Sent from the window, as Request does; its id.
        async fn ask(&self, request: Request) -> String {
            crate::aws_hold::request_with(
                self.gate.clone(),
                Workspace::find(&self.home, None).expect("ws"),
                self.elevations.clone(),
                None,
                request,
                Duration::from_secs(60),
                Duration::from_millis(50),
            )
            .await
            .expect("sent")
            .request_id
            .expect("an id")
        }

        fn keyring(&self) -> Vec<String> {
            self.vault.elevation_entries("aws").expect("keyring")
        }

        fn reasons(&self, kind: warden_audit::Kind) -> Vec<String> {
            self.gate
                .audit()
                .events(&[kind], None, None, false)
                .expect("events")
                .into_iter()
                .map(|e| e.payload["reason"].as_str().unwrap_or_default().to_string())
                .collect()
        }
    }

    /// `warden elevation extend` in a terminal, on the grant a window holds: the window's
    /// follower finds the broker's new end and keeps the grant to it, instead of locking it out
    /// and wiping it at the old end. The extension is recorded once on the machine, by whoever
    /// reads it first.
    #[tokio::test]
    async fn an_extension_from_a_terminal_moves_the_windows_grant_too() {
        let lab = lab().await;
        let clock = Arc::new(ManualClock::new());
        let (broker, _broker_dir) = local_broker_at(&lab, clock.clone()).await;
        let w = window_at(&lab, clock.clone()).await;
        let (gate, vault) = (w.gate.clone(), w.vault.clone());
        let terminal = client_of(&lab, &vault, &gate);
        w.ask(Request {
            duration: Some(Duration::from_secs(4 * 60)),
            ..pii_read()
        })
        .await;
        broker.run_once().await.expect("a broker pass");
        let id = next_news(&gate).await.granted[0].request_id.clone();
        let old_end = gate
            .held_credentials("pii-read", &id)
            .expect("held")
            .grant_end_ms;
        let extended = || {
            gate.audit()
                .events(&[warden_audit::Kind::ElevationExtended], None, None, false)
                .expect("events")
        };

        // A minute in, six minutes more from a terminal that does not wait for the answer.
        clock.advance(Duration::from_secs(60));
        let more = |minutes: u64| Request {
            duration: Some(Duration::from_secs(minutes * 60)),
            extends: Some(id.clone()),
            ..pii_read()
        };
        let (first, _) = terminal.request(&more(6)).await.expect("sent");
        let pass = broker.run_once().await.expect("a broker pass");
        assert_eq!(pass.extended, vec![first.clone()]);
        let changes = next_extension(&gate).await;
        let new_end = old_end + 6 * 60 * 1000;
        assert_eq!(changes.extended.len(), 1, "{changes:?}");
        assert_eq!(
            (
                changes.extended[0].request_id.as_str(),
                changes.extended[0].expires_at_ms
            ),
            (id.as_str(), new_end),
            "the same grant, with the broker's new end"
        );
        assert!(
            changes.notices()[0]
                .title
                .starts_with("pii-read extended until "),
            "{:?}",
            changes.notices()
        );
        assert_eq!(gate.elevation_status().active[0].expires_at_ms, new_end);
        until(&gate, "the new set is taken", |h| h.set == 2).await;
        assert_eq!(
            gate.held_credentials("pii-read", &id)
                .expect("held")
                .grant_end_ms,
            new_end
        );
        let recorded = extended();
        assert_eq!(recorded.len(), 1, "read by the window, recorded there");
        assert_eq!(recorded[0].payload["request_id"], serde_json::json!(first));
        assert_eq!(
            recorded[0].payload["expires_at_ms"],
            serde_json::json!(new_end)
        );
        // A reader that stopped after the record but before the key went: the next reader
        // finds the record and only deletes the key.
        vault
            .put_elevation(
                "aws",
                warden_identity::ElevationSlot::RequestKey,
                &first,
                &warden_identity::Secret::new("a key left behind"),
            )
            .expect("keyring");
        assert!(matches!(
            terminal.check(&first).await.expect("read"),
            crate::aws_elevation::Progress::Extended { .. }
        ));
        assert_eq!(extended().len(), 1, "not recorded twice");
        assert!(vault
            .get_elevation("aws", warden_identity::ElevationSlot::RequestKey, &first)
            .expect("keyring")
            .is_none());

        // Five more, and the terminal waits for the answer: it reads it first, and the window
        // follows without recording it again.
        let (second, _) = terminal.request(&more(5)).await.expect("sent");
        broker.run_once().await.expect("a broker pass");
        assert!(matches!(
            terminal.check(&second).await.expect("read"),
            crate::aws_elevation::Progress::Extended { .. }
        ));
        let changes = next_extension(&gate).await;
        let last_end = new_end + 5 * 60 * 1000;
        assert_eq!(changes.extended[0].expires_at_ms, last_end, "{changes:?}");
        let recorded = extended();
        assert_eq!(recorded.len(), 2, "once each: {recorded:?}");
        assert_eq!(recorded[1].payload["request_id"], serde_json::json!(second));

        // Past the old end the grant holds and its runs go on.
        move_to(&clock, old_end + 30_000);
        assert!(gate.check_elevations().ended.is_empty());
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held past the old end");
        assert!(terminal.held("pii-read").expect("keyring").is_some());
        // And it ends at the last end.
        move_to(
            &clock,
            last_end - crate::LOCKOUT_LEAD.as_millis() as i64 + 1000,
        );
        assert_eq!(gate.check_elevations().ended.len(), 1);
        assert!(terminal.held("pii-read").expect("keyring").is_none());
    }

    /// Before a one-shot use of some elevations, a request of another elevation that cannot be
    /// checked (here: its key in the keyring is damaged, so its delivery cannot be opened) is
    /// a note, not a refusal; the same trouble with an elevation asked for refuses.
    #[tokio::test]
    async fn only_the_elevations_asked_for_can_refuse_a_use() {
        let lab = lab().await;
        let clock = Arc::new(ManualClock::new());
        let (broker, _broker_dir) = local_broker_at(&lab, clock.clone()).await;
        let w = window_at(&lab, clock).await;
        let (elevations, vault) = (&w.elevations, &w.vault);
        let (id, _) = elevations.request(&pii_read()).await.expect("sent");
        broker.run_once().await.expect("a broker pass");
        vault
            .put_elevation(
                "aws",
                warden_identity::ElevationSlot::RequestKey,
                &id,
                &warden_identity::Secret::new("not an age key"),
            )
            .expect("keyring");

        let (lines, notes) = elevations
            .requests_for(&["large-scan".to_string()])
            .await
            .expect("another elevation's trouble does not refuse this one");
        assert!(lines.is_empty() && notes.is_empty(), "{notes:?}");
        let refused = elevations
            .requests_for(&["pii-read".to_string()])
            .await
            .expect_err("its own trouble refuses");
        assert!(refused.to_string().contains("damaged"), "{refused}");
    }

    #[tokio::test]
    async fn a_denied_or_void_extension_leaves_the_grant_as_it_was() {
        let lab = lab().await;
        let clock = Arc::new(ManualClock::new());
        let (broker, _broker_dir) = local_broker_at(&lab, clock.clone()).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate_at(&lab, &vault, clock.clone()).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), ANALYST).expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));
        let ws = || Workspace::find(&Home::under(lab.home.path()), None).expect("ws");
        let ask = |request: Request| {
            crate::aws_hold::request_with(
                gate.clone(),
                ws(),
                elevations.clone(),
                None,
                request,
                Duration::from_secs(60),
                Duration::from_millis(50),
            )
        };
        ask(Request {
            duration: Some(Duration::from_secs(30 * 60)),
            ..pii_read()
        })
        .await
        .expect("sent");
        broker.run_once().await.expect("a broker pass");
        let id = next_news(&gate).await.granted[0].request_id.clone();
        let end = gate.elevation_status().active[0].expires_at_ms;

        // More than the maximum allows (1 h from now) is refused here, before anything is sent.
        let refused = ask(Request {
            duration: Some(Duration::from_secs(45 * 60)),
            extends: Some(id.clone()),
            ..pii_read()
        })
        .await
        .expect_err("past the maximum");
        assert!(
            refused.to_string().contains("more than 1 h from now"),
            "{refused}"
        );
        // Not a grant this window holds.
        let refused = ask(Request {
            extends: Some("01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00".into()),
            ..pii_read()
        })
        .await
        .expect_err("not held");
        assert!(refused.to_string().contains("no held grant"), "{refused}");

        // The broker denies one: here a broker whose configuration maps pii-read onto no role
        // (as after a change of the policy's AWS side) refuses it, with the reason.
        let asked = ask(Request {
            duration: Some(Duration::from_secs(10 * 60)),
            extends: Some(id.clone()),
            ..pii_read()
        })
        .await
        .expect("sent");
        assert!(asked.request_id.is_some());
        let (denier, _denier_dir) = local_broker_with(
            &lab,
            clock.clone(),
            BrokerConfig {
                workspace: "aws".into(),
                ..Default::default()
            },
        )
        .await;
        let pass = denier.run_once().await.expect("a broker pass");
        assert_eq!(pass.denied.len(), 1, "{pass:?}");
        let changes = next_extension(&gate).await;
        assert_eq!(changes.denied.len(), 1, "{changes:?}");
        assert!(
            changes.denied[0].1.starts_with("no more time (")
                && changes.denied[0].1.contains("has no AWS mapping"),
            "{changes:?}"
        );
        assert!(
            changes.denied[0].1.contains("the grant runs on to "),
            "{changes:?}"
        );
        let status = gate.elevation_status();
        assert_eq!(status.active[0].expires_at_ms, end, "unchanged");
        assert_eq!(status.active[0].request_id, id);
        assert!(status.pending.is_empty());

        // An extension still waiting when the grant ends here is void, at the broker too.
        let asked = ask(Request {
            duration: Some(Duration::from_secs(10 * 60)),
            extends: Some(id.clone()),
            ..pii_read()
        })
        .await
        .expect("sent");
        let ext = asked.request_id.expect("id");
        crate::aws_hold::end_with(&gate, &elevations, "pii-read")
            .await
            .expect("ended");
        let mut state = None;
        for _ in 0..500 {
            broker.run_once().await.expect("a broker pass");
            let s = S3Queue::new(bucket(), ANALYST)
                .expect("queue")
                .state(&ext)
                .await
                .expect("read");
            if s.as_ref().is_some_and(|(s, _)| s.status.is_final()) {
                state = s;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (state, _) = state.expect("decided within 10 s");
        assert_ne!(state.status, warden_broker::Status::Extended);
        assert!(gate.elevations().is_empty());
        let denied = gate
            .audit()
            .events(&[warden_audit::Kind::ElevationDenied], None, None, false)
            .expect("events");
        assert!(
            denied
                .iter()
                .any(|e| e.payload["elevation_id"] == serde_json::json!(ext)
                    && e.payload["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("the extension is void"))),
            "{denied:?}"
        );
        assert!(gate
            .audit()
            .events(&[warden_audit::Kind::ElevationExtended], None, None, false)
            .expect("events")
            .is_empty());
    }

    #[tokio::test]
    async fn a_grant_revoked_at_the_broker_is_locked_out_at_the_next_check() {
        let lab = lab().await;
        let (broker, _broker_dir) = local_broker(&lab).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, REQUESTS, true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate(&lab, &vault).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), ANALYST).expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));
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
        .expect("sent");
        broker.run_once().await.expect("a broker pass");
        let id = next_news(&gate).await.granted[0].request_id.clone();
        assert!(gate.check_elevations().ended.is_empty());

        // An approver revokes it; the broker ends it at its next pass.
        S3Queue::new(bucket(), "AROAAPPROVER:bob@example.com")
            .expect("queue")
            .decide_request(
                &id,
                warden_elevation::Decision::Deny,
                Some("case closed"),
                chrono::Utc::now(),
            )
            .await
            .expect("revoked");
        broker.run_once().await.expect("a broker pass");

        // The window hears of it at its next look and locks the grant out long before its
        // credentials run out.
        let mut ended = None;
        for _ in 0..500 {
            let changes = gate.check_elevations();
            if !changes.ended.is_empty() {
                ended = Some(changes);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let changes = ended.expect("locked out within 10 s");
        assert_eq!(changes.ended[0].name, "pii-read");
        let lockout = gate
            .audit()
            .events(&[warden_audit::Kind::Lockout], None, None, false)
            .expect("events");
        assert!(
            lockout[0].payload["reason"].as_str().is_some_and(|r| r.starts_with(
                "pii-read ended (the broker ended it: revoked by AROAAPPROVER:bob@example.com: case closed)"
            )),
            "{}",
            lockout[0].payload
        );
        assert!(elevations.held("pii-read").expect("keyring").is_none());
        assert!(gate.elevations().is_empty());
        assert!(matches!(
            gate.run(PII, None, CancellationToken::new()).await,
            Err(RunError::Blocked(_))
        ));
    }

    /// Quitting, signing out, or the sign-in's end: what the window holds or waits on is
    /// withdrawn at the broker too, and nothing of it stays in the keyring.
    mod ending_everything {
        use super::*;

        /// large-scan made automatic and mapped onto an AWS role of its own (revision 2), so that
        /// a request of it the broker has not read yet would be granted at its next pass.
        async fn with_large_scan_on_aws(lab: &mut Lab) {
            let policy = lab.policy.replacen(
                "    approval: manual\n",
                "    approval: auto\n    aws:\n      role_arn: arn:aws:iam::123456789012:role/warden-large-scan\n",
                1,
            );
            assert!(
                policy.contains("warden-large-scan"),
                "the demo policy changed shape"
            );
            lab._fixture
                .publish(&policy, 2, chrono::Duration::days(30))
                .await;
            lab.policy = policy;
        }

        fn large_scan() -> Request {
            Request {
                name: "large-scan".into(),
                ..pii_read()
            }
        }

        async fn status_at_broker(lab: &Lab, id: &str) -> warden_broker::Status {
            let sdk = local_sdk_config(&lab.moto.endpoint);
            S3Queue::new(Bucket::new(&sdk, REQUESTS, true).expect("bucket"), ANALYST)
                .expect("queue")
                .state(id)
                .await
                .expect("state")
                .map(|(s, _)| s.status)
                .unwrap_or(warden_broker::Status::Pending)
        }

        /// The credential sets waiting in the bucket for anyone to collect.
        async fn deliveries(lab: &Lab) -> Vec<String> {
            let sdk = local_sdk_config(&lab.moto.endpoint);
            Bucket::new(&sdk, REQUESTS, true)
                .expect("bucket")
                .list("grants/")
                .await
                .expect("listed")
        }

        #[tokio::test]
        async fn quitting_withdraws_the_held_grant_and_the_waiting_request_at_the_broker() {
            let mut lab = lab().await;
            with_large_scan_on_aws(&mut lab).await;
            let (broker, _broker_dir) = local_broker(&lab).await;
            let w = window(&lab).await;

            // pii-read held; large-scan sent, the broker has not read it yet.
            let held = w.ask(pii_read()).await;
            broker.run_once().await.expect("a broker pass");
            assert_eq!(next_news(&w.gate).await.granted.len(), 1);
            let waiting = w.ask(large_scan()).await;
            assert_eq!(w.gate.elevation_status().pending.len(), 1);
            assert_eq!(w.keyring().len(), 3, "{:?}", w.keyring());

            let stopped = w.gate.end_everywhere("the app quit").await;
            assert_eq!(stopped.ended, ["pii-read"]);
            let mut withdrawn = stopped.withdrawn.clone();
            withdrawn.sort();
            let mut both = vec![held.clone(), waiting.clone()];
            both.sort();
            assert_eq!(withdrawn, both);
            assert!(stopped.not_told.is_empty(), "{:?}", stopped.not_told);
            assert!(stopped.errors.is_empty(), "{:?}", stopped.errors);
            // No grant entry, no request key: nothing left in the keyring.
            assert_eq!(w.keyring(), Vec::<String>::new());
            assert!(w.gate.elevations().is_empty());
            assert!(w.gate.elevation_status().pending.is_empty());
            // The record says the broker heard of both.
            let lockouts = w.reasons(warden_audit::Kind::Lockout);
            assert!(
                lockouts
                    .iter()
                    .any(|r| r.starts_with("pii-read ended (the app quit; ended at the broker)")),
                "{lockouts:?}"
            );
            let denied = w.reasons(warden_audit::Kind::ElevationDenied);
            assert_eq!(denied, ["the app quit; withdrawn at the broker"]);

            // The broker's next pass: the grant ended, the request withdrawn at its first look
            // (never granted, though its elevation is granted by policy); nothing more is
            // minted for either.
            let pass = broker.run_once().await.expect("a broker pass");
            assert!(pass.granted.is_empty(), "{pass:?}");
            assert!(pass.minted.is_empty(), "{pass:?}");
            assert_eq!(
                status_at_broker(&lab, &held).await,
                warden_broker::Status::Withdrawn
            );
            assert_eq!(
                status_at_broker(&lab, &waiting).await,
                warden_broker::Status::Withdrawn
            );
            let sets = deliveries(&lab).await;
            assert!(
                !sets
                    .iter()
                    .any(|k| k.contains(&held) || k.contains(&waiting)),
                "{sets:?}"
            );
            // The command line finds nothing to use either (as `warden elevation status`).
            assert!(w.elevations.requests().await.expect("listed").is_empty());
            assert!(w.elevations.held_now().expect("keyring").is_empty());
        }

        #[tokio::test]
        async fn signing_out_withdraws_the_held_grant_at_the_broker_before_the_session_goes() {
            let lab = lab().await;
            let (broker, _broker_dir) = local_broker(&lab).await;
            let w = window(&lab).await;
            let held = w.ask(pii_read()).await;
            broker.run_once().await.expect("a broker pass");
            assert_eq!(next_news(&w.gate).await.granted.len(), 1);

            let stopped = w.gate.stop_aws_work("signed out", crate::STOP_WAIT).await;
            assert_eq!(stopped.ended, ["pii-read"]);
            assert_eq!(stopped.withdrawn, vec![held.clone()]);
            assert!(stopped.not_told.is_empty(), "{:?}", stopped.not_told);
            assert_eq!(w.keyring(), Vec::<String>::new());
            broker.run_once().await.expect("a broker pass");
            assert_eq!(
                status_at_broker(&lab, &held).await,
                warden_broker::Status::Withdrawn
            );
            assert_eq!(deliveries(&lab).await, Vec::<String>::new());
        }

        /// A request bucket that takes connections and never answers.
        async fn silent_endpoint() -> (String, tokio::task::JoinHandle<()>) {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            let task = tokio::spawn(async move {
                let mut open = Vec::new();
                while let Ok((socket, _)) = listener.accept().await {
                    open.push(socket);
                }
            });
            (url, task)
        }

        #[tokio::test]
        async fn a_broker_that_cannot_be_told_in_time_is_recorded_so_and_nothing_waits_on_it() {
            let lab = lab().await;
            let (broker, _broker_dir) = local_broker(&lab).await;
            let w = window(&lab).await;
            let held = w.ask(pii_read()).await;
            broker.run_once().await.expect("a broker pass");
            assert_eq!(next_news(&w.gate).await.granted.len(), 1);
            // From now on the request bucket does not answer.
            let (url, silent) = silent_endpoint().await;
            let sdk = local_sdk_config(&url);
            w.gate.use_broker(Arc::new(AwsElevations::new(
                "aws",
                S3Queue::new(Bucket::new(&sdk, REQUESTS, true).expect("bucket"), ANALYST)
                    .expect("queue"),
                w.vault.clone(),
                w.gate.audit().clone(),
                Policy::from_yaml(&lab.policy).expect("policy"),
            )));

            let started = std::time::Instant::now();
            let stopped = w.gate.end_everywhere("the app quit").await;
            let took = started.elapsed();
            silent.abort();
            // Bounded by the broker wait, well before one S3 attempt's own 10 s timeout, with
            // room for a loaded machine.
            assert!(
                took < crate::gate::BROKER_WAIT + Duration::from_secs(4),
                "{took:?}"
            );
            assert!(stopped.withdrawn.is_empty());
            assert_eq!(stopped.not_told.len(), 1, "{:?}", stopped.not_told);
            assert_eq!(stopped.not_told[0].0, held);
            // Gone from this machine all the same, and the record does not claim it ended at AWS.
            assert_eq!(w.keyring(), Vec::<String>::new());
            assert!(w.gate.elevations().is_empty());
            let lockouts = w.reasons(warden_audit::Kind::Lockout);
            assert!(
                lockouts.iter().any(|r| r.starts_with(
                    "pii-read ended (the app quit; the broker could not be told (the request bucket did not answer within 3 s), so the grant runs on at AWS until "
                )),
                "{lockouts:?}"
            );
            assert!(
                !lockouts.iter().any(|r| r.contains("ended at the broker")),
                "{lockouts:?}"
            );
            // And indeed: at the broker it still holds.
            assert_eq!(
                status_at_broker(&lab, &held).await,
                warden_broker::Status::Granted
            );
        }
    }
}

/// A grant used by a one-shot command (`warden query --elevation`): taken from the keyring,
/// and while the run lasts followed as the window follows its grants.
mod one_shot {
    use std::sync::Arc;
    use std::time::Duration;

    use warden_broker::{Bucket, S3Queue};
    use warden_test_support::standin::local_sdk_config;

    use super::window_requests::{local_broker, pii_read, window_gate};
    use super::*;
    use crate::aws_elevation::AwsElevations;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_grant_revoked_while_a_one_shot_run_holds_it_is_locked_out() {
        let lab = lab().await;
        let (broker, _broker_dir) = local_broker(&lab).await;
        let sdk = local_sdk_config(&lab.moto.endpoint);
        let bucket = || Bucket::new(&sdk, "warden-requests", true).expect("bucket");
        let policy = Policy::from_yaml(&lab.policy).expect("policy");
        let vault = warden_identity::Vault::in_memory();
        let gate = window_gate(&lab, &vault).await;
        let elevations = Arc::new(AwsElevations::new(
            "aws",
            S3Queue::new(bucket(), "AROAANALYST:ana@example.com").expect("queue"),
            vault.clone(),
            gate.audit().clone(),
            policy,
        ));
        // Asked and delivered as from `warden elevation request`, then held as
        // `open_gate_holding` holds a grant from the keyring.
        let (id, _) = elevations.request(&pii_read()).await.expect("sent");
        broker.run_once().await.expect("a broker pass");
        assert!(matches!(
            elevations.check(&id).await.expect("checked"),
            crate::aws_elevation::Progress::Held { .. }
        ));
        let held = elevations.held("pii-read").expect("keyring").expect("held");
        let ws = Workspace::find(&Home::under(lab.home.path()), None).expect("ws");
        ws.hold_grant(&gate, &held, None)
            .await
            .expect("held in the gate");
        let following = crate::aws_hold::follow_while_running(
            gate.clone(),
            elevations.clone(),
            Duration::from_millis(50),
        );

        // An approver revokes it while the run holds it; the broker ends it at its next pass.
        let bob = S3Queue::new(bucket(), "AROAAPPROVER:bob@example.com").expect("queue");
        let (state, _) = bob.state(&id).await.expect("state").expect("some");
        bob.write_revocation(&state, "case closed", chrono::Utc::now())
            .await
            .expect("revoked");
        broker.run_once().await.expect("a broker pass");
        for _ in 0..500 {
            if gate.elevations().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gate.elevations().is_empty(), "locked out within 10 s");
        let lockout = gate
            .audit()
            .events(&[warden_audit::Kind::Lockout], None, None, false)
            .expect("events");
        assert!(
            lockout[0].payload["reason"]
                .as_str()
                .is_some_and(|r| r.contains(
                    "the broker ended it: revoked by AROAAPPROVER:bob@example.com: case closed"
                )),
            "{}",
            lockout[0].payload
        );
        assert!(elevations.held("pii-read").expect("keyring").is_none());
        // Nothing left to follow: the task ends by itself.
        tokio::time::timeout(Duration::from_secs(5), following)
            .await
            .expect("the follower stops")
            .expect("joined");
    }
}

/// The end of the AWS sign-in: the next call is refused, running queries stop at Athena, and
/// grants end with their credentials wiped.
mod signed_out {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};

    use super::*;
    use crate::aws_elevation::VaultKeys;
    use warden_identity::{ElevationSlot, Vault};

    /// Credentials while the sign-in lasts, like Warden's own provider.
    #[derive(Debug, Clone, Default)]
    struct Session {
        ended: Arc<AtomicBool>,
    }

    impl ProvideCredentials for Session {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::ready(if self.ended.load(Ordering::SeqCst) {
                Err(CredentialsError::not_loaded(
                    "signed out: run `warden login`",
                ))
            } else {
                Ok(Credentials::new(
                    "FAKEACCESSKEY",
                    SECRET,
                    None,
                    None,
                    "test",
                ))
            })
        }
    }

    impl Lab {
        async fn signed_in_gate(
            &self,
            session: &Session,
            held: Vec<HeldGrant>,
            vault: &Vault,
        ) -> Gate {
            let ws = Workspace::find(&Home::under(self.home.path()), None).expect("aws workspace");
            ws.init().await.expect("init");
            ws.open_athena_gate_at(
                SharedCredentialsProvider::new(session.clone()),
                held,
                Arc::new(warden_elevation::SystemClock),
                Some(Arc::new(VaultKeys::new(vault.clone(), "aws"))),
            )
            .await
            .expect("gate")
        }
    }

    use crate::aws_elevation::HeldGrant;

    #[tokio::test]
    async fn a_sign_in_that_ends_stops_the_next_call_not_the_hour_after() {
        let lab = lab().await;
        let session = Session::default();
        let gate = lab
            .signed_in_gate(&session, vec![], &Vault::in_memory())
            .await;
        gate.run(COUNTRIES, None, CancellationToken::new())
            .await
            .expect("signed in");
        let started = lab.standin.executions_started();

        session.ended.store(true, Ordering::SeqCst);
        let error = gate
            .run(COUNTRIES, None, CancellationToken::new())
            .await
            .expect_err("signed out");
        // The SDK kept no copy of the credentials for the hour they would still be good for.
        assert_eq!(lab.standin.executions_started(), started, "{error}");
        assert!(error.to_string().contains("warden login"), "{error}");
    }

    #[tokio::test]
    async fn signing_out_stops_running_queries_at_athena_and_ends_grants() {
        let lab = lab().await;
        let session = Session::default();
        let held = held_pii(15 * 60 * 1000, 15 * 60 * 1000);
        let vault = Vault::in_memory();
        let json = crate::identity::Secret::new(serde_json::to_string(&held).expect("json"));
        vault
            .put_elevation("aws", ElevationSlot::Grant, &held.name, &json)
            .expect("kept");
        let gate = lab.signed_in_gate(&session, vec![held], &vault).await;
        assert!(gate.elevations().contains("pii-read"));

        // One baseline and one elevated query wait QUEUED at Athena when the user signs out.
        lab.standin
            .knobs
            .set(|k| k.queued = Duration::from_secs(30));
        let before = lab.standin.executions_started();
        let (baseline, elevated, stopped) = tokio::join!(
            gate.run(COUNTRIES, None, CancellationToken::new()),
            gate.run(PII, None, CancellationToken::new()),
            async {
                while lab.standin.executions_started() < before + 2 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let stopped = gate.stop_aws_work("signed out", crate::STOP_WAIT).await;
                session.ended.store(true, Ordering::SeqCst);
                stopped
            }
        );
        for outcome in [baseline, elevated] {
            assert!(
                matches!(
                    outcome,
                    Err(RunError::Engine(warden_engine::EngineError::Cancelled))
                ),
                "{outcome:?}"
            );
        }
        assert_eq!(stopped.ended, ["pii-read"]);
        assert_eq!((stopped.cancelled, stopped.still_running), (2, 0));
        assert!(stopped.errors.is_empty(), "{:?}", stopped.errors);
        // Both stops reached Athena, signed while the session still held.
        assert_eq!(lab.standin.stops_seen().len(), 2);
        assert!(gate.elevations().is_empty());
        assert!(vault
            .get_elevation("aws", ElevationSlot::Grant, "pii-read")
            .expect("readable")
            .is_none());
        let kinds: Vec<String> = gate
            .audit()
            .events(&[], None, None, false)
            .expect("events")
            .iter()
            .map(|e| e.kind.clone())
            .collect();
        for kind in ["elevation_expired", "lockout", "credentials_wiped"] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
        }
        // Nothing runs afterwards, elevated or not.
        assert!(gate.run(PII, None, CancellationToken::new()).await.is_err());
        assert!(gate
            .run(COUNTRIES, None, CancellationToken::new())
            .await
            .is_err());
    }
}

/// The central audit store of an `athena` workspace is written with the analyst's sign-in (the
/// baseline the bucket policy lets append), never with whatever the AWS SDK's chain finds.
mod audit_store {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_credential_types::provider::{future, ProvideCredentials};

    use super::*;

    const BUCKET: &str = "warden-audit";

    /// The sign-in's credentials, counting how often they are asked for.
    #[derive(Debug, Clone, Default)]
    struct Counted(Arc<AtomicUsize>);

    impl ProvideCredentials for Counted {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.0.fetch_add(1, Ordering::SeqCst);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                "FAKEACCESSKEY",
                SECRET,
                None,
                None,
                "test",
            )))
        }
    }

    #[tokio::test]
    async fn the_journal_is_synced_to_s3_with_the_sign_in() {
        let lab = lab().await;
        let s3 = s3_client(&lab.moto.endpoint);
        ensure_bucket(&s3, BUCKET).await.expect("bucket");
        let paths = Home::under(lab.home.path());
        let mut config = std::fs::read_to_string(paths.config_file()).expect("config");
        config.push_str(&format!(
            "[workspaces.aws.audit]\nstore = \"s3://{BUCKET}/central/\"\nendpoint = \"{}\"\n",
            lab.moto.endpoint
        ));
        std::fs::write(paths.config_file(), config).expect("config");
        let ws = Workspace::find(&paths, None).expect("aws workspace");
        ws.init().await.expect("init");
        let sign_in = Counted::default();
        let gate = ws
            .open_athena_gate_with(SharedCredentialsProvider::new(sign_in.clone()))
            .await
            .expect("gate");
        gate.run(COUNTRIES, None, CancellationToken::new())
            .await
            .expect("runs");

        let asked = sign_in.0.load(Ordering::SeqCst);
        let report = gate.audit().sync(None).await.expect("synced");
        assert!(report.events_synced >= 2, "{report:?}");
        assert_eq!(report.pending, 0, "{report:?}");
        assert!(
            sign_in.0.load(Ordering::SeqCst) > asked,
            "the store was written with the sign-in's credentials"
        );
        let listed = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix("central/")
            .send()
            .await
            .expect("listed");
        let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys.len() as u64, report.objects_created, "{keys:?}");
        for key in keys {
            let body = s3
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .expect("object")
                .body
                .collect()
                .await
                .expect("read")
                .into_bytes();
            assert!(
                !String::from_utf8_lossy(&body).contains(SECRET),
                "{key} holds the secret"
            );
        }
    }
}

mod identity_center;
