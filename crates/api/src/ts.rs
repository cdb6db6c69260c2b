//! The window's TypeScript types, generated from the wire types above into `ui/src/gen/`.
//! `cargo test -p warden-api` fails when the files there differ from what this generates;
//! `WARDEN_WRITE_TS=1 cargo test -p warden-api --test ts` (`make ts`) rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, ExportError, TS};

use crate::{
    ApiError, AuditEvent, AuditStatus, Catalog, DeviceCode, ElevationDecision, ElevationRequest,
    ElevationStatus, ExportDone, ExportFormat, LintReport, PolicyStatus, QueryResult, RowPage,
    SessionEnded, SignInStatus, WorkspaceEntry, WorkspaceInfo,
};

/// Every generated file, by its path under `ui/src/gen/`, with its text.
pub fn generate() -> Result<BTreeMap<PathBuf, String>, String> {
    let dir = std::env::temp_dir().join(format!("warden-ts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let result = export_into(&dir)
        .map_err(|e| e.to_string())
        .and_then(|()| read_tree(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    let mut files = result?;
    files.insert(PathBuf::from("auditKinds.ts"), audit_kinds());
    files.insert(PathBuf::from("demoQueries.ts"), demo_queries());
    Ok(files)
}

/// The journal's event kinds as a constant, for the Audit panel's filter: a value, which ts-rs
/// does not generate, so it is written here from the same list the journal parses.
fn audit_kinds() -> String {
    let mut text = String::from(
        "// Generated from warden_audit::Kind::ALL by crates/api/src/ts.rs (`make ts`). Do not edit.\n\nexport const AUDIT_KINDS = [\n",
    );
    for kind in warden_core::audit::AuditKind::ALL {
        text.push_str(&format!("  \"{}\",\n", kind.as_str()));
    }
    text.push_str("] as const;\n");
    text
}

/// The first-run panel's queries, written from the list the demo policy's test checks.
fn demo_queries() -> String {
    let mut text = String::from(
        "// Generated from warden_core::DEMO_QUERIES by crates/api/src/ts.rs (`make ts`). Do not edit.\n\nexport const DEMO_QUERIES = [\n",
    );
    for query in warden_core::DEMO_QUERIES {
        let entry = serde_json::json!({
            "title": query.title,
            "sql": query.sql,
            "verdict": query.verdict.as_str(),
            "note": query.note,
        });
        text.push_str(&format!("  {entry},\n"));
    }
    text.push_str("] as const;\n");
    text
}

fn export_into(dir: &Path) -> Result<(), ExportError> {
    // Times are milliseconds and counts fit in a double: they are numbers, not bigints.
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    WorkspaceInfo::export_all(&cfg)?;
    crate::SavedQuery::export_all(&cfg)?;
    crate::SaveQuery::export_all(&cfg)?;
    Catalog::export_all(&cfg)?;
    crate::WorkgroupPicker::export_all(&cfg)?;
    crate::WorkgroupQueries::export_all(&cfg)?;
    LintReport::export_all(&cfg)?;
    QueryResult::export_all(&cfg)?;
    RowPage::export_all(&cfg)?;
    crate::RunProgress::export_all(&cfg)?;
    PolicyStatus::export_all(&cfg)?;
    AuditEvent::export_all(&cfg)?;
    AuditStatus::export_all(&cfg)?;
    ElevationStatus::export_all(&cfg)?;
    ElevationRequest::export_all(&cfg)?;
    ElevationDecision::export_all(&cfg)?;
    SignInStatus::export_all(&cfg)?;
    DeviceCode::export_all(&cfg)?;
    SessionEnded::export_all(&cfg)?;
    WorkspaceEntry::export_all(&cfg)?;
    crate::NewWorkspace::export_all(&cfg)?;
    ApiError::export_all(&cfg)?;
    ExportFormat::export_all(&cfg)?;
    ExportDone::export_all(&cfg)?;
    crate::Approvals::export_all(&cfg)?;
    crate::ApprovalAction::export_all(&cfg)?;
    crate::ApprovalDone::export_all(&cfg)?;
    Ok(())
}

fn read_tree(dir: &Path) -> Result<BTreeMap<PathBuf, String>, String> {
    let mut files = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        files.insert(name, text);
    }
    Ok(files)
}
