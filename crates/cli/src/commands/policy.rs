use crate::args::{Cli, PolicyCatalogArgs};
use warden_core::Workspace;
use warden_guardrails::Policy;

/// `warden policy catalog --from-glue`: the section on stdout (to paste or redirect), the
/// columns to review on stderr.
pub fn catalog(cli: &Cli, args: &PolicyCatalogArgs) -> Result<u8, String> {
    let existing = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some(Policy::from_yaml(&text).map_err(|e| {
                format!(
                    "{} is not a valid policy: {e}; fix it (warden lint --policy checks it) or leave --policy out",
                    path.display()
                )
            })?)
        }
        None => None,
    };
    let home = super::home(cli.home.as_deref())?;
    let ws = Workspace::find(&home, args.workspace.as_deref()).map_err(|e| e.to_string())?;
    let draft = super::runtime()?
        .block_on(ws.draft_catalog_from_glue(&args.databases, existing.as_ref()))
        .map_err(|e| e.to_string())?;
    print!("{}", draft.yaml);
    if !draft.new_columns.is_empty() {
        eprintln!(
            "warden: {} column(s) {} no tags; review them before publishing:",
            draft.new_columns.len(),
            if existing.is_some() {
                "are new to the policy and have"
            } else {
                "have"
            }
        );
        for column in &draft.new_columns {
            eprintln!("  {column}");
        }
    }
    Ok(0)
}
