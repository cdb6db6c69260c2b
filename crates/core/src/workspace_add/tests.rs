use super::*;

struct Setup {
    _dir: tempfile::TempDir,
    home: Home,
    key: String,
}

/// A home whose config.toml has a comment and a workspace of the user's, a managed file that
/// does not exist, and a trusted key file.
fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut home = Home::under(dir.path());
    home.managed = dir.path().join("managed.toml");
    std::fs::create_dir_all(&home.config).expect("config dir");
    std::fs::write(
        home.config_file(),
        "# my settings, keep them\ndefault_workspace = \"demo\"\n\n[workspaces.old]\nkind = \"demo\" # an old one\n",
    )
    .expect("config");
    let private = dir.path().join("team.key");
    warden_bundle::keygen(&private).expect("keygen");
    let key = warden_bundle::public_path(&private).display().to_string();
    Setup {
        _dir: dir,
        home,
        key,
    }
}

fn form(key: &str) -> NewAthenaWorkspace {
    NewAthenaWorkspace {
        name: "analytics".into(),
        sign_in: NewSignIn::IdentityCenter {
            start_url: "https://my-org.awsapps.com/start".into(),
            sso_region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            role_name: "AthenaAnalyst".into(),
        },
        region: Some("eu-west-1".into()),
        workgroup: Some("analysts".into()),
        default_database: Some("sales".into()),
        bundle_source: "https://policy.example.com/warden/".into(),
        trusted_key: key.into(),
    }
}

fn config_text(s: &Setup) -> String {
    std::fs::read_to_string(s.home.config_file()).expect("config")
}

#[tokio::test]
async fn a_new_workspace_is_added_and_the_users_file_is_kept_as_it_was() {
    let s = setup();
    let before = config_text(&s);
    add_athena_workspace(&s.home, &form(&s.key))
        .await
        .expect("added");
    let after = config_text(&s);
    assert!(after.starts_with(&before), "the old text changed:\n{after}");
    let config = Config::load(&s.home.config_file()).expect("loads");
    let ws = config.workspace("analytics").expect("added");
    assert_eq!(ws.kind, WorkspaceKind::Athena);
    assert_eq!(ws.default_database.as_deref(), Some("sales"));
    let kept = std::fs::canonicalize(&s.key).expect("key");
    assert_eq!(ws.bundle.trust, [kept.display().to_string()]);
    assert!(
        !after.contains("[workspaces.analytics.audit]"),
        "empty tables:\n{after}"
    );
    let sign_in = ws.sign_in.as_ref().expect("sign-in");
    assert_eq!(sign_in.account_id.as_deref(), Some("123456789012"));
    assert_eq!(
        ws.athena.as_ref().and_then(|a| a.workgroup.as_deref()),
        Some("analysts")
    );
    // It resolves as the app will resolve it at start.
    let resolved = sign_in.resolve("analytics").await.expect("resolves");
    assert_eq!(resolved.role_name, "AthenaAnalyst");
    assert!(config.workspace("old").is_ok());
}

#[tokio::test]
async fn bad_values_are_refused_with_what_to_do_and_nothing_is_written() {
    let s = setup();
    let before = config_text(&s);
    let with = |f: &dyn Fn(&mut NewAthenaWorkspace)| {
        let mut form = form(&s.key);
        f(&mut form);
        form
    };
    let cases: Vec<(NewAthenaWorkspace, &str)> = vec![
        (with(&|f| f.name = "old".into()), "exists already"),
        (with(&|f| f.name = "demo".into()), "built-in demo"),
        (
            with(&|f| f.name = "My Team".into()),
            "cannot name a workspace",
        ),
        (
            with(&|f| f.name = "x/../../etc".into()),
            "cannot name a workspace",
        ),
        (
            with(&|f| {
                f.sign_in = NewSignIn::IdentityCenter {
                    start_url: "https://my-org.awsapps.com/start".into(),
                    sso_region: "eu-west-1".into(),
                    account_id: "1234".into(),
                    role_name: "AthenaAnalyst".into(),
                }
            }),
            "12 digits",
        ),
        (
            with(&|f| {
                f.sign_in = NewSignIn::IdentityCenter {
                    start_url: "http://my-org.awsapps.com/start".into(),
                    sso_region: "eu-west-1".into(),
                    account_id: "123456789012".into(),
                    role_name: "AthenaAnalyst".into(),
                }
            }),
            "https:// URL",
        ),
        (
            with(&|f| {
                f.sign_in = NewSignIn::IdentityCenter {
                    start_url: "https://my-org.awsapps.com/start".into(),
                    sso_region: "eu-west-1".into(),
                    account_id: "123456789012".into(),
                    role_name: "role\"\n[x]".into(),
                }
            }),
            "not a role",
        ),
        (with(&|f| f.region = Some("Europe".into())), "AWS region"),
        (with(&|f| f.workgroup = Some("a b".into())), "workgroup"),
        (
            with(&|f| f.default_database = Some("Sales-DB".into())),
            "database name",
        ),
        (
            with(&|f| f.bundle_source = "ftp://x/".into()),
            "https://, s3:// or file:///",
        ),
        (with(&|f| f.trusted_key = "not a key".into()), "trusted key"),
    ];
    for (form, expected) in cases {
        let error = add_athena_workspace(&s.home, &form)
            .await
            .expect_err(expected)
            .to_string();
        assert!(error.contains(expected), "{expected:?} not in: {error}");
        assert_eq!(config_text(&s), before, "written after: {error}");
    }
}

#[tokio::test]
async fn a_machine_whose_workspaces_the_administrator_sets_refuses_to_add_one() {
    let s = setup();
    std::fs::write(&s.home.managed, "[workspaces.prod]\nkind = \"athena\"\n").expect("managed");
    let before = config_text(&s);
    let error = add_athena_workspace(&s.home, &form(&s.key))
        .await
        .expect_err("managed")
        .to_string();
    assert!(error.contains("administrator"), "{error}");
    assert_eq!(config_text(&s), before);
}

#[tokio::test]
async fn a_first_workspace_creates_the_file() {
    let s = setup();
    std::fs::remove_file(s.home.config_file()).expect("rm");
    add_athena_workspace(&s.home, &form(&s.key))
        .await
        .expect("added");
    let config = Config::load(&s.home.config_file()).expect("loads");
    assert!(config.workspace("analytics").is_ok());
    assert!(config.workspace(DEMO).is_ok());
}
