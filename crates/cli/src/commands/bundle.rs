use warden_bundle::{
    build_for, keygen, parse_duration, publish, verify, RemoteOptions, SigningKey, TrustStore,
    VerifyOptions,
};

use warden_core::{PolicyHealth, PolicyStatus};

use crate::args::{BundleCommand, Cli, InfoFormat};
use crate::json;
use crate::EXIT_REFUSED;

pub fn run(cli: &Cli, command: &BundleCommand) -> Result<u8, String> {
    match command {
        BundleCommand::Fetch {
            workspace,
            source,
            trust,
        } => fetch(cli, workspace.as_deref(), source.as_deref(), trust),
        BundleCommand::Status { workspace, format } => status(cli, workspace.as_deref(), *format),
        BundleCommand::Keygen { out } => {
            let id = keygen(out).map_err(|e| e.to_string())?;
            println!(
                "key id {id}: private key in {}, public key in {}.pub",
                out.display(),
                out.display()
            );
            Ok(0)
        }
        BundleCommand::Build {
            policy,
            catalog,
            revision,
            expires_in,
            key,
            out,
            audience,
        } => {
            let policy_yaml = std::fs::read(policy)
                .map_err(|e| format!("cannot read the policy {}: {e}", policy.display()))?;
            let catalog = match catalog {
                Some(path) => Some(
                    std::fs::read(path)
                        .map_err(|e| format!("cannot read the catalog {}: {e}", path.display()))?,
                ),
                None => None,
            };
            let expires_in = parse_duration(expires_in).map_err(|e| e.to_string())?;
            let key = SigningKey::from_file(key).map_err(|e| e.to_string())?;
            let bytes = build_for(
                &policy_yaml,
                catalog.as_deref(),
                *revision,
                expires_in,
                &key,
                chrono::Utc::now(),
                audience.as_deref(),
            )
            .map_err(|e| format!("{}: {e}", policy.display()))?;
            std::fs::write(out, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            let for_whom = audience
                .as_deref()
                .map(|a| format!(", for audience {a:?}"))
                .unwrap_or_default();
            println!(
                "wrote {} (revision {revision}, {} bytes, signed by key {}{for_whom})",
                out.display(),
                bytes.len(),
                key.id()
            );
            Ok(0)
        }
        BundleCommand::Verify {
            trust,
            min_revision,
            bundle,
        } => {
            let mut store = TrustStore::new();
            for t in trust {
                store.add_path_or_text(t).map_err(|e| e.to_string())?;
            }
            let bytes = std::fs::read(bundle)
                .map_err(|e| format!("cannot read {}: {e}", bundle.display()))?;
            let mut options = VerifyOptions::new(chrono::Utc::now());
            options.min_revision = *min_revision;
            match verify(&bytes, &store, &options) {
                Ok(verified) => {
                    println!("{}", verified.summary());
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("warden: {}: {e}", bundle.display());
                    Ok(EXIT_REFUSED)
                }
            }
        }
        BundleCommand::Publish { bundle, to } => {
            let bytes = std::fs::read(bundle)
                .map_err(|e| format!("cannot read {}: {e}", bundle.display()))?;
            let published = super::runtime()?
                .block_on(publish(&bytes, to, &RemoteOptions::default()))
                .map_err(|e| e.to_string())?;
            let note = if published.already_published {
                " (it was already there)"
            } else {
                ""
            };
            println!(
                "published {} revision {} to {}{note}",
                published.name, published.revision, published.object
            );
            Ok(0)
        }
    }
}

fn fetch(
    cli: &Cli,
    workspace: Option<&str>,
    source: Option<&str>,
    trust: &[String],
) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    // Checked before the workspace is initialised: that would already fetch.
    let ws = warden_core::Workspace::find(&home, workspace).map_err(|e| e.to_string())?;
    if ws.is_managed() && (source.is_some() || !trust.is_empty()) {
        return Err(format!(
            "the {} workspace's bundle source and trusted keys are set by your administrator ({}); --source and --trust cannot override them",
            ws.name(),
            home.managed.display()
        ));
    }
    let ws = super::ready_workspace(&home, workspace)?;
    let audit = ws.open_audit().map_err(|e| e.to_string())?;
    let mut client = ws.open_policy_client(audit).map_err(|e| e.to_string())?;
    if !trust.is_empty() {
        client.trust_only(trust).map_err(|e| e.to_string())?;
    }
    let now = chrono::Utc::now();
    let outcome = super::runtime()?.block_on(client.fetch(source, now));
    let status = client.status(now);
    match outcome {
        Ok(outcome) => {
            let what = match outcome {
                warden_core::RefreshOutcome::Unchanged { .. } => "unchanged",
                warden_core::RefreshOutcome::Updated { .. } => "updated",
            };
            println!("{what}: {}", one_line(&status));
            if let Some(key) = status
                .key_id
                .as_deref()
                .filter(|k| !client.configured_trusts(k))
            {
                eprintln!(
                    "warden: note: key {key} was trusted for this run only; the app and later commands refuse this cached bundle until the key is added to trust under [workspaces.{}.bundle] in config.toml",
                    ws.name()
                );
            }
            Ok(if status.health == PolicyHealth::Blocked {
                EXIT_REFUSED
            } else {
                0
            })
        }
        Err(e) => {
            eprintln!("warden: {e}");
            eprintln!("warden: in force: {}", one_line(&status));
            Ok(EXIT_REFUSED)
        }
    }
}

fn status(cli: &Cli, workspace: Option<&str>, format: InfoFormat) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let ws = warden_core::Workspace::find(&home, workspace).map_err(|e| e.to_string())?;
    let audit = ws.open_audit().map_err(|e| e.to_string())?;
    let client = ws.open_policy_client(audit).map_err(|e| e.to_string())?;
    let status = client.status(chrono::Utc::now());
    match format {
        InfoFormat::Json => {
            let doc: json::BundleStatus = &status;
            json::print(&doc)?
        }
        InfoFormat::Text => print_status(&status),
    }
    Ok(if status.health == PolicyHealth::Blocked {
        EXIT_REFUSED
    } else {
        0
    })
}

fn one_line(s: &PolicyStatus) -> String {
    match (&s.name, s.revision, s.expires_at) {
        (Some(name), Some(revision), Some(expires)) if s.health != PolicyHealth::Blocked => {
            format!(
                "{name} revision {revision}, expires {}",
                expires.to_rfc3339()
            )
        }
        _ => format!(
            "nothing may run: {}",
            s.reason.as_deref().unwrap_or("no bundle")
        ),
    }
}

fn print_status(s: &PolicyStatus) {
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "(none)".to_string());
    let health = match s.health {
        PolicyHealth::Valid => "valid".to_string(),
        PolicyHealth::Grace => format!("expired, in grace: {}", s.warning.as_deref().unwrap_or("")),
        PolicyHealth::Blocked => format!("BLOCKED: {}", s.reason.as_deref().unwrap_or("")),
    };
    println!("health:      {health}");
    println!("name:        {}", or_none(s.name.clone()));
    println!(
        "revision:    {}",
        or_none(s.revision.map(|r| r.to_string()))
    );
    println!("source:      {}", or_none(s.source.clone()));
    println!(
        "fetched at:  {}",
        or_none(s.fetched_at.map(|t| t.to_rfc3339()))
    );
    println!(
        "issued at:   {}",
        or_none(s.issued_at.map(|t| t.to_rfc3339()))
    );
    println!(
        "expires at:  {}",
        or_none(s.expires_at.map(|t| t.to_rfc3339()))
    );
    println!("key id:      {}", or_none(s.key_id.clone()));
    match &s.last_fetch {
        Some(f) => println!(
            "last fetch:  {} at {}: {}",
            serde_json::to_value(f.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            f.at.to_rfc3339(),
            f.message
        ),
        None => println!("last fetch:  (never)"),
    }
}
