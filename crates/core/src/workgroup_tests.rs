//! The workgroup picker on an `athena` workspace, against the stand-in's `ListWorkGroups` and
//! `GetWorkGroup`: what baseline runs may use, with each one's scan cutoff; a pick moves the
//! baseline runs (and their audit events); anything not offered is refused, saying why.

use warden_engine::CancellationToken;
use warden_test_support::standin::WorkGroupSpec;

use crate::athena_gate_tests::{lab_where, Lab, RESULTS_BUCKET};
use crate::Home;

/// The stand-in knows `primary`, `adhoc` (10 GB cutoff), `finance` and the pii-read
/// elevation's own `warden-pii-read`.
async fn lab() -> Lab {
    let output = format!("s3://{RESULTS_BUCKET}/results/");
    let lab = lab_where(None, |config| {
        config.workgroups = vec![
            WorkGroupSpec::new("primary", &output),
            WorkGroupSpec::new("adhoc", &output).with_cutoff(10_000_000_000),
            WorkGroupSpec::new("finance", &output),
            WorkGroupSpec::new("warden-pii-read", &output),
        ];
    })
    .await;
    // The policy's pii-read elevation runs in its own workgroup.
    let policy = lab.policy.replacen(
        "      role_arn: arn:aws:iam::123456789012:role/warden-pii-read\n",
        "      role_arn: arn:aws:iam::123456789012:role/warden-pii-read\n      workgroup: warden-pii-read\n",
        1,
    );
    assert!(
        policy.contains("workgroup: warden-pii-read"),
        "the policy changed shape"
    );
    lab._fixture
        .publish(&policy, 2, chrono::Duration::days(30))
        .await;
    lab
}

/// Adds `[athena] workgroups = [...]` to the workspace's config.toml.
fn allow_only(lab: &Lab, names: &[&str]) {
    let path = Home::under(lab.home.path()).config_file();
    let text = std::fs::read_to_string(&path).expect("config.toml");
    let list: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    let text = text.replacen(
        "workgroup = \"primary\"\n",
        &format!(
            "workgroup = \"primary\"\nworkgroups = [{}]\n",
            list.join(", ")
        ),
        1,
    );
    std::fs::write(&path, text).expect("config.toml");
}

fn names(choice: &crate::WorkgroupChoice) -> Vec<(&str, Option<u64>)> {
    choice
        .workgroups
        .iter()
        .map(|w| (w.name.as_str(), w.cutoff_bytes))
        .collect()
}

#[tokio::test]
async fn the_picker_lists_usable_workgroups_with_their_cutoffs_and_moves_baseline_runs() {
    let lab = lab().await;
    let gate = lab.gate().await;
    let choice = gate.workgroups().await.expect("listed");
    // The elevation's workgroup is for its grants only.
    assert_eq!(
        names(&choice),
        [
            ("adhoc", Some(10_000_000_000)),
            ("finance", None),
            ("primary", None)
        ]
    );
    assert_eq!(choice.current, "primary");
    assert_eq!(choice.default, "primary");

    let picked = gate.choose_workgroup("adhoc").await.expect("picked");
    assert_eq!(picked.current, "adhoc");
    let run = gate
        .run(
            "SELECT customer_id FROM customers LIMIT 1",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect("runs");
    assert_eq!(run.workgroup.as_deref(), Some("adhoc"));
    assert_eq!(lab.standin.workgroups_used(), ["adhoc"]);
    let events = gate
        .audit()
        .events(&[], None, None, false)
        .expect("journal");
    let workgroups: Vec<(&str, &serde_json::Value)> = events
        .iter()
        .filter(|e| e.kind == "query_started" || e.kind == "query_finished")
        .map(|e| (e.kind.as_str(), &e.payload["engine"]["workgroup"]))
        .collect();
    assert_eq!(
        workgroups,
        [
            ("query_started", &serde_json::json!("adhoc")),
            ("query_finished", &serde_json::json!("adhoc"))
        ]
    );
}

#[tokio::test]
async fn a_workgroup_not_offered_is_refused_with_a_reason_and_nothing_changes() {
    let lab = lab().await;
    allow_only(&lab, &["adhoc"]);
    let gate = lab.gate().await;
    let choice = gate.workgroups().await.expect("listed");
    // The configured workgroup is always offered; `finance` is not allowed here.
    assert_eq!(
        names(&choice),
        [("adhoc", Some(10_000_000_000)), ("primary", None)]
    );
    for (name, why) in [
        (
            "finance",
            "not switched: workgroup finance is not one the aws workspace allows (its [athena] workgroups); pick one of: adhoc, primary",
        ),
        (
            "warden-pii-read",
            "not switched: workgroup warden-pii-read is not one the aws workspace allows (its [athena] workgroups); pick one of: adhoc, primary",
        ),
        (
            "nowhere",
            "not switched: workgroup nowhere is not one the aws workspace allows (its [athena] workgroups); pick one of: adhoc, primary",
        ),
    ] {
        assert_eq!(gate.choose_workgroup(name).await.expect_err(name), why);
    }
    assert_eq!(gate.workgroups().await.expect("listed").current, "primary");
}

#[tokio::test]
async fn without_an_allowlist_only_what_athena_lists_and_no_elevations_own() {
    let lab = lab().await;
    let gate = lab.gate().await;
    assert_eq!(
        gate.choose_workgroup("warden-pii-read").await.expect_err("refused"),
        "not switched: workgroup warden-pii-read is the pii-read elevation's: only runs under that grant use it; pick one of: adhoc, finance, primary"
    );
    assert_eq!(
        gate.choose_workgroup("nowhere").await.expect_err("refused"),
        "not switched: Athena lists no enabled workgroup nowhere that you may use; pick one of: adhoc, finance, primary"
    );
    let run = gate
        .run(
            "SELECT customer_id FROM customers LIMIT 1",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect("runs");
    assert_eq!(run.workgroup.as_deref(), Some("primary"));
}

#[tokio::test]
async fn a_pick_outlasts_a_restart_in_local_state_not_in_config() {
    let lab = lab().await;
    let config = Home::under(lab.home.path()).config_file();
    let before = std::fs::read_to_string(&config).expect("config.toml");
    let gate = lab.gate().await;
    gate.choose_workgroup("adhoc").await.expect("picked");
    drop(gate);
    assert_eq!(
        std::fs::read_to_string(&config).expect("config.toml"),
        before,
        "config.toml is the user's, not the app's state"
    );

    let gate = lab.gate().await;
    let choice = gate.workgroups().await.expect("listed");
    assert_eq!(choice.current, "adhoc");
    assert_eq!(choice.note, None);
    let run = gate
        .run(
            "SELECT customer_id FROM customers LIMIT 1",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect("runs");
    assert_eq!(run.workgroup.as_deref(), Some("adhoc"));
    // Back to the default is remembered too.
    gate.choose_workgroup("primary").await.expect("picked");
    drop(gate);
    let gate = lab.gate().await;
    assert_eq!(gate.workgroups().await.expect("listed").current, "primary");
}

#[tokio::test]
async fn a_remembered_pick_no_longer_allowed_falls_back_to_the_default_with_a_note() {
    let lab = lab().await;
    let gate = lab.gate().await;
    gate.choose_workgroup("finance").await.expect("picked");
    drop(gate);
    // The workspace now allows only adhoc (and its default).
    allow_only(&lab, &["adhoc"]);
    let gate = lab.gate().await;
    let choice = gate.workgroups().await.expect("listed");
    assert_eq!(choice.current, "primary");
    assert_eq!(
        choice.note.as_deref(),
        Some("the workgroup picked earlier, finance, is no longer allowed (workgroup finance is not one the aws workspace allows (its [athena] workgroups)): runs go to the workspace's default, primary")
    );
    let run = gate
        .run(
            "SELECT customer_id FROM customers LIMIT 1",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect("runs");
    assert_eq!(run.workgroup.as_deref(), Some("primary"));
    // The pick is forgotten: the next start has nothing to say.
    drop(gate);
    let gate = lab.gate().await;
    let choice = gate.workgroups().await.expect("listed");
    assert_eq!((choice.current.as_str(), choice.note), ("primary", None));
    // A new pick clears the note and is remembered.
    gate.choose_workgroup("adhoc").await.expect("picked");
    drop(gate);
    assert_eq!(
        lab.gate().await.workgroups().await.expect("listed").current,
        "adhoc"
    );
}

#[tokio::test]
async fn an_elevations_workgroup_remembered_by_hand_is_not_used() {
    let lab = lab().await;
    let gate = lab.gate().await;
    drop(gate);
    // A file edited by hand to name the pii-read elevation's workgroup.
    let ws = crate::Workspace::find(&Home::under(lab.home.path()), None).expect("workspace");
    std::fs::write(
        crate::gate::remembered_workgroup_path(ws.dir()),
        r#"{"format":"warden-workgroup/1","workspace":"aws","workgroup":"warden-pii-read"}"#,
    )
    .expect("write");
    let gate = lab.gate().await;
    let choice = gate.workgroups().await.expect("listed");
    assert_eq!(choice.current, "primary");
    assert!(
        choice
            .note
            .as_deref()
            .is_some_and(|n| n.contains("is the pii-read elevation's")),
        "{:?}",
        choice.note
    );
}
