use crate::args::{Cli, InfoFormat, WorkspaceArgs, WorkspaceShowArgs};
use warden_core::{WorkspaceSummary, Workspace};

pub fn init(cli: &Cli, args: &WorkspaceArgs) -> Result<u8, String> {
    let home = super::home(cli.home.as_deref())?;
    let ws = Workspace::find(&home, args.workspace.as_deref()).map_err(|e| e.to_string())?;
    let summary = ws.init().map_err(|e| e.to_string())?;
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
        InfoFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&summary).map_err(|e| format!("cannot encode the summary: {e}"))?
        ),
    }
    Ok(0)
}

fn print_summary(s: &WorkspaceSummary) {
    println!("workspace:        {}", s.name);
    println!("kind:             {}", serde_json::to_value(s.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default());
    println!("directory:        {}", s.dir.display());
    println!("initialised:      {}", if s.initialised { "yes" } else { "no (run `warden workspace init`)" });
    println!("default database: {}", s.default_database.as_deref().unwrap_or("(none)"));
    match (&s.policy_name, &s.policy_fingerprint) {
        (Some(name), Some(fp)) => println!("policy:           {name} (sha256 {}) from {}", &fp[..12.min(fp.len())], s.policy_path.display()),
        _ => println!("policy:           none yet ({})", s.policy_path.display()),
    }
    if !s.tables.is_empty() {
        println!("tables:");
        for t in &s.tables {
            println!("  {t}");
        }
    }
}
