//! `warden policy catalog --from-glue` against moto's Glue and S3 holding the demo lake: the
//! catalog section on stdout with the tags of the given policy kept, new columns on stderr.

mod common;

use std::process::Command;

use common::regex_escape;
use insta_cmd::assert_cmd_snapshot;
use warden_test_support::standin::{glue_client, load_demo_lake, s3_client};
use warden_test_support::Moto;

/// Tags `email` and `phone` of sales.customers; `signup_date` is not in it at all.
const POLICY: &str = r#"format: warden-policy/1
name: glue-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii, contact] }
            phone: { type: varchar, tags: [pii] }
"#;

#[test]
fn the_catalog_is_written_from_glue_keeping_tags() {
    let moto = Moto::start();
    let lake = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime
        .block_on(load_demo_lake(
            &s3_client(&moto.endpoint),
            &glue_client(&moto.endpoint),
            "demo-lake",
            lake.path(),
            20_250_901,
        ))
        .expect("the demo lake in moto");

    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join("config")).expect("config dir");
    // No [sign_in]: an administrator's own AWS credentials, from the environment here.
    std::fs::write(
        home.path().join("config").join("config.toml"),
        format!(
            "default_workspace = \"aws\"\n[workspaces.aws]\nkind = \"athena\"\n[workspaces.aws.athena]\nregion = \"us-east-1\"\n[workspaces.aws.athena.endpoints]\nglue = \"{m}\"\ns3 = \"{m}\"\n",
            m = moto.endpoint
        ),
    )
    .expect("config.toml");
    let policy = home.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).expect("policy");

    let warden = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
        command
            .arg("--home")
            .arg(home.path())
            .args(args)
            .env("HOME", home.path())
            .env_remove("AWS_PROFILE")
            .env("AWS_ACCESS_KEY_ID", "FAKEACCESSKEY")
            .env("AWS_SECRET_ACCESS_KEY", "FAKE-secret-for-moto")
            .env("WARDEN_MANAGED_CONFIG", home.path().join("no-managed.toml"));
        command
    };
    let mut settings = insta::Settings::clone_current();
    // The Parquet writer decides the exact sizes; that a size is there is what counts.
    settings.add_filter(r"size_bytes: \d+", "size_bytes: [N]");
    settings.add_filter(&regex_escape(&home.path().display().to_string()), "[HOME]");
    settings.bind(|| {
        assert_cmd_snapshot!(
            "policy_catalog_from_glue",
            warden(&[
                "policy",
                "catalog",
                "--from-glue",
                "--database",
                "sales",
                "--policy",
                policy.to_str().expect("utf-8 path"),
            ])
        );
        assert_cmd_snapshot!(
            "policy_catalog_unknown_database",
            warden(&["policy", "catalog", "--from-glue", "--database", "nowhere"])
        );
    });
}
