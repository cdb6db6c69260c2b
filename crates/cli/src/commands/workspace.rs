use crate::args::{
    Cli, InfoFormat, WorkspaceAddArgs, WorkspaceArgs, WorkspaceListArgs, WorkspaceShowArgs,
};
use crate::json;
use warden_core::{
    CoreError, NewAthenaWorkspace, NewSignIn, Workspace, WorkspaceKind, WorkspaceSummary,
};

pub fn init(cli: &Cli, args: &WorkspaceArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let ws = Workspace::find(&home, args.workspace.as_deref()).map_err(|e| e.to_string())?;
    let summary = match super::runtime()?.block_on(ws.init_and_fetch()) {
        Ok(summary) => summary,
        // The policy could not be fetched (signed out, unreachable, refused): said as
        // `warden bundle fetch` says it.
        Err(e @ CoreError::Bundle(_)) => {
            eprintln!("warden: {e}");
            return Ok(crate::EXIT_REFUSED);
        }
        Err(e) => return Err(e.to_string()),
    };
    println!("initialised the {} workspace", summary.name);
    print_summary(&summary);
    Ok(0)
}

pub fn show(cli: &Cli, args: &WorkspaceShowArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let ws = Workspace::find(&home, args.workspace.as_deref()).map_err(|e| e.to_string())?;
    let summary = ws.summary().map_err(|e| e.to_string())?;
    match args.format {
        InfoFormat::Text => print_summary(&summary),
        InfoFormat::Json => {
            let doc: json::Workspace = &summary;
            json::print(&doc)?
        }
    }
    Ok(0)
}

pub fn add(cli: &Cli, args: &WorkspaceAddArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let sign_in = match (&args.profile, &args.start_url) {
        (Some(profile), _) => NewSignIn::Profile(profile.clone()),
        (None, Some(start_url)) => NewSignIn::IdentityCenter {
            start_url: start_url.clone(),
            sso_region: args.sso_region.clone().unwrap_or_default(),
            account_id: args.account.clone().unwrap_or_default(),
            role_name: args.role.clone().unwrap_or_default(),
        },
        (None, None) => {
            return Err(
                "say how the workspace signs in: --profile PROFILE (from ~/.aws/config), or --start-url URL --sso-region R --account ID --role NAME".into(),
            )
        }
    };
    let new = NewAthenaWorkspace {
        name: args.name.clone(),
        sign_in,
        region: args.region.clone(),
        workgroup: args.workgroup.clone(),
        default_database: args.database.clone(),
        bundle_source: args.bundle_source.clone(),
        trusted_key: args.trust.clone(),
    };
    super::runtime()?
        .block_on(warden_core::add_athena_workspace(&home, &new))
        .map_err(|e| e.to_string())?;
    println!(
        "added the {name} workspace to {path}\nnext: warden login --workspace {name}, then warden bundle fetch --workspace {name}",
        name = new.name.trim(),
        path = home.config_file().display()
    );
    Ok(0)
}

pub fn list(cli: &Cli, args: &WorkspaceListArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let listing = warden_core::list_workspaces(&home).map_err(|e| e.to_string())?;
    match args.format {
        InfoFormat::Json => {
            let doc: json::WorkspaceList = &listing;
            json::print(&doc)?
        }
        InfoFormat::Text => {
            let width = listing
                .iter()
                .map(|w| w.name.len())
                .chain(["NAME".len()])
                .max()
                .unwrap_or(0);
            println!("  {:<width$}  {:<6}  MANAGED", "NAME", "KIND");
            for w in &listing {
                println!(
                    "{} {:<width$}  {:<6}  {}",
                    if w.default { "*" } else { " " },
                    w.name,
                    kind_name(w.kind),
                    if w.managed { "yes" } else { "no" }
                );
            }
        }
    }
    Ok(0)
}

fn kind_name(kind: WorkspaceKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn print_summary(s: &WorkspaceSummary) {
    println!("workspace:        {}", s.name);
    println!("kind:             {}", kind_name(s.kind));
    println!("directory:        {}", s.dir.display());
    println!(
        "initialised:      {}",
        if s.initialised {
            "yes"
        } else {
            "no (run `warden workspace init`)"
        }
    );
    println!(
        "default database: {}",
        s.default_database.as_deref().unwrap_or("(none)")
    );
    let b = &s.bundle;
    match (&b.name, b.revision, b.expires_at, &b.reason) {
        (Some(name), Some(revision), Some(expires), None) => {
            println!(
                "policy bundle:    {name} revision {revision}, expires {}",
                expires.to_rfc3339()
            )
        }
        (_, _, _, Some(reason)) => {
            println!("policy bundle:    none in force, nothing may run: {reason}")
        }
        _ => println!("policy bundle:    none yet"),
    }
    println!(
        "bundle source:    {}",
        b.source.as_deref().unwrap_or("(none configured)")
    );
    if let Some(path) = &s.policy_path {
        println!(
            "demo policy:      {} (signed with the demo key whenever it changes)",
            path.display()
        );
    }
    println!(
        "audit store:      {}",
        s.audit_store.as_deref().unwrap_or("(none configured)")
    );
    if !s.tables.is_empty() {
        println!("tables:");
        for t in &s.tables {
            println!("  {t}");
        }
    }
}
