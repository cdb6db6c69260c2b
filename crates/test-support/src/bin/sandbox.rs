//! The local AWS sandbox's helper (`make sandbox`): serves the SSO portal / SSO-OIDC fake, and
//! writes the `sandbox` workspace into a Warden configuration file.
//!
//!   warden-sandbox serve [PORT]                          prints the endpoint, runs until killed
//!   warden-sandbox write-config CONFIG_TOML SSO_URL STS_URL [BUNDLES_URL TRUSTED_KEY BUCKET [IDENTITY_STORE]]
//!
//! With the last three, the workspace also takes its signed policy bundle from BUNDLES_URL
//! (trusting the public key file TRUSTED_KEY) and sends elevation requests to BUCKET in moto
//! (STS_URL is moto's endpoint), where the sandbox's broker decides them; with IDENTITY_STORE
//! (`d-...`, in moto), the broker looks approvers up there.
//!
//!   warden-sandbox write-athena CONFIG_TOML ATHENA_URL S3_URL GLUE_URL
//!
//! makes the `sandbox` workspace (written before) run its queries on the Athena stand-in.

use std::path::Path;

use warden_test_support::sso_fake::{FakeSso, ACCOUNT_ID, ROLE_NAME};

const USAGE: &str = "usage: warden-sandbox serve [PORT] | write-config CONFIG_TOML SSO_URL STS_URL [BUNDLES_URL TRUSTED_KEY BUCKET [IDENTITY_STORE]] | write-athena CONFIG_TOML ATHENA_URL S3_URL GLUE_URL";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve"] => serve(0),
        ["serve", port] => match port.parse() {
            Ok(p) => serve(p),
            Err(_) => Err(format!("not a port: {port}\n{USAGE}")),
        },
        ["write-config", config, sso, sts] => write_config(Path::new(config), sso, sts, None),
        ["write-config", config, sso, sts, bundles, key, bucket] => write_config(
            Path::new(config),
            sso,
            sts,
            Some(Elevation {
                bundles,
                key,
                bucket,
                identity_store: None,
            }),
        ),
        ["write-config", config, sso, sts, bundles, key, bucket, store] => write_config(
            Path::new(config),
            sso,
            sts,
            Some(Elevation {
                bundles,
                key,
                bucket,
                identity_store: Some(store),
            }),
        ),
        ["write-athena", config, athena, s3, glue] => {
            write_athena(Path::new(config), &AthenaSandbox { athena, s3, glue })
        }
        _ => Err(USAGE.to_owned()),
    };
    if let Err(e) = result {
        eprintln!("warden-sandbox: {e}");
        std::process::exit(2);
    }
}

fn serve(port: u16) -> Result<(), String> {
    let fake = FakeSso::start_on(port);
    println!("{}", fake.endpoint);
    loop {
        std::thread::park();
    }
}

/// Where the sandbox's Athena stand-in is.
struct AthenaSandbox<'a> {
    athena: &'a str,
    s3: &'a str,
    glue: &'a str,
}

/// Points the `sandbox` workspace (written by `write-config`) at the Athena stand-in, moto's
/// Glue and the stand-in's S3 front for results, with `sales` as its default database.
fn write_athena(path: &Path, to: &AthenaSandbox) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?;
    let Some(sandbox) = table
        .get_mut("workspaces")
        .and_then(|w| w.get_mut("sandbox"))
        .and_then(toml::Value::as_table_mut)
    else {
        return Err(format!(
            "{} has no [workspaces.sandbox]; run write-config first",
            path.display()
        ));
    };
    let athena: toml::Table = toml::from_str(&format!(
        r#"default_database = "sales"
[athena]
region = "us-east-1"
workgroup = "primary"
[athena.endpoints]
athena = "{athena}"
glue = "{glue}"
s3 = "{s3}"
"#,
        athena = to.athena,
        glue = to.glue,
        s3 = to.s3,
    ))
    .map_err(|e| format!("sandbox workspace: {e}"))?;
    sandbox.extend(athena);
    let text = toml::to_string(&table).map_err(|e| format!("cannot write TOML: {e}"))?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Where the sandbox workspace's policy comes from and where its elevation requests go.
struct Elevation<'a> {
    bundles: &'a str,
    key: &'a str,
    bucket: &'a str,
    /// The identity store (in moto) the broker asks who may approve.
    identity_store: Option<&'a str>,
}

/// Adds (or replaces) `[workspaces.sandbox]`, keeping the rest of the file. The file before
/// the change is kept beside it as `config.toml.before-sandbox`.
fn write_config(
    path: &Path,
    sso: &str,
    sts: &str,
    elevation: Option<Elevation>,
) -> Result<(), String> {
    let mut table: toml::Table = match std::fs::read_to_string(path) {
        Ok(text) => {
            std::fs::write(path.with_extension("toml.before-sandbox"), &text)
                .map_err(|e| format!("cannot keep a copy of {}: {e}", path.display()))?;
            text.parse()
                .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let sandbox: toml::Value = toml::from_str::<toml::Table>(&format!(
        r#"kind = "athena"
[sign_in]
sso_start_url = "https://sandbox.awsapps.com/start"
sso_region = "us-east-1"
account_id = "{ACCOUNT_ID}"
role_name = "{ROLE_NAME}"
region = "us-east-1"
[sign_in.endpoints]
sso = "{sso}"
sso_oidc = "{sso}"
sts = "{sts}"
{elevation}"#,
        elevation = elevation
            .map(|e| format!(
                r#"[bundle]
source = {source:?}
trust = [{key:?}]
[elevation]
bucket = {bucket:?}
region = "us-east-1"
{store}[elevation.endpoints]
s3 = "{sts}"
sts = "{sts}"
identitystore = "{sts}"
ssoadmin = "{sts}"
[audit]
store = "s3://warden-audit/"
endpoint = "{sts}"
sync_every = "5s"
"#,
                source = e.bundles,
                key = e.key,
                bucket = e.bucket,
                store = e
                    .identity_store
                    .map(|s| format!("identity_store_id = {s:?}\n"))
                    .unwrap_or_default()
            ))
            .unwrap_or_default()
    ))
    .map_err(|e| format!("sandbox workspace: {e}"))?
    .into();
    let workspaces = table
        .entry("workspaces")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let Some(workspaces) = workspaces.as_table_mut() else {
        return Err(format!("{}: `workspaces` is not a table", path.display()));
    };
    workspaces.insert("sandbox".into(), sandbox);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = toml::to_string(&table).map_err(|e| format!("cannot write TOML: {e}"))?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
