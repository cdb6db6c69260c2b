use std::io::Write;
use std::path::{Path, PathBuf};

use warden_bundle::{verify, TrustStore, VerifyOptions};
use warden_guardrails::output::{self, FileReport, Format};
use warden_guardrails::{LintContext, Policy};

use crate::args::{Cli, LintArgs, LintFormat};

/// A bundle file larger than this is not read (the fetcher's bound for a bundle).
const MAX_BUNDLE_FILE_BYTES: usize = 16 * 1024 * 1024;

pub fn run(cli: &Cli, args: &LintArgs) -> Result<u8, String> {
    let policy = match (&args.policy, &args.bundle) {
        (Some(path), _) => policy_file(path)?,
        (None, Some(bundle)) => signed_policy(bundle, &args.trust)?,
        (None, None) => policy_in_force(cli, args.workspace.as_deref())?,
    };
    for e in &args.elevations {
        if !policy.elevation_names().contains(e) {
            return Err(format!(
                "--elevation {e}: the policy defines no elevation of that name"
            ));
        }
    }
    let ctx = LintContext {
        default_database: args.database.clone(),
        elevations: args.elevations.iter().cloned().collect(),
    };
    // Every input is read before anything is printed, so a missing path is a usage error (2)
    // and not a half-written report.
    let inputs = collect(&args.paths)?;
    let files: Vec<FileReport> = inputs
        .iter()
        .map(|(path, bytes)| output::lint_file(&policy, path, bytes, &ctx))
        .collect();
    let format = match args.format {
        LintFormat::Text => Format::Text,
        LintFormat::Json => Format::Json,
        LintFormat::Sarif => Format::Sarif,
        LintFormat::Github => Format::Github,
    };
    let mut stdout = std::io::stdout().lock();
    crate::output::written(
        stdout
            .write_all(output::render(format, &files).as_bytes())
            .and_then(|_| stdout.flush()),
        "report",
    )?;
    Ok(output::exit_code(&files) as u8)
}

fn policy_file(path: &Path) -> Result<Policy, String> {
    let what = format!("the policy {}", path.display());
    let policy_bytes = super::bounded::read_file(path, warden_guardrails::MAX_POLICY_BYTES, &what)?;
    let policy_text = String::from_utf8(policy_bytes)
        .map_err(|_| format!("{what} is not UTF-8 text: save it as UTF-8"))?;
    Policy::from_yaml(&policy_text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The policy of a bundle file, after the checks the app makes before enforcing one: signature
/// by a trusted key, every file's hash, archive limits, the validity window.
fn signed_policy(bundle: &Path, trust: &[String]) -> Result<Policy, String> {
    let mut store = TrustStore::new();
    for key in trust {
        store
            .add_path_or_text(key)
            .map_err(|e| format!("--trust {key}: {e}"))?;
    }
    let what = format!("the bundle {}", bundle.display());
    let bytes = super::bounded::read_file(bundle, MAX_BUNDLE_FILE_BYTES, &what)?;
    let verified = verify(&bytes, &store, &VerifyOptions::new(chrono::Utc::now()))
        .map_err(|e| format!("{what} cannot be used: {e}"))?;
    Ok(verified.policy().clone())
}

/// The policy the workspace enforces now. Nothing is fetched or initialised: a lint must not
/// change what is in force.
fn policy_in_force(cli: &Cli, workspace: Option<&str>) -> Result<Policy, String> {
    let home = super::home(cli.home.as_deref())?;
    let ws = warden_core::Workspace::find(&home, workspace).map_err(|e| e.to_string())?;
    let in_force = ws
        .policy_in_force(chrono::Utc::now())
        .map_err(|e| e.to_string())?;
    Ok(in_force.policy().clone())
}

fn collect(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path == Path::new("-") {
            let bytes = super::bounded::read(
                std::io::stdin().lock(),
                super::bounded::MAX_SQL_INPUT_BYTES,
                "standard input",
            )?;
            out.push(("-".to_string(), bytes));
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            files.sort();
            for f in files {
                out.push(read(&f)?);
            }
        } else {
            out.push(read(path)?);
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot inspect {}: {e}", path.display()))?;
        if kind.is_dir() {
            walk(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        {
            files.push(path);
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<(String, Vec<u8>), String> {
    let bytes = super::bounded::read_file(
        path,
        super::bounded::MAX_SQL_INPUT_BYTES,
        &path.display().to_string(),
    )?;
    Ok((path.display().to_string(), bytes))
}
