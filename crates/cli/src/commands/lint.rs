use std::io::Write;
use std::path::{Path, PathBuf};

use warden_guardrails::output::{self, FileReport, Format};
use warden_guardrails::{LintContext, Policy};

use crate::args::{LintArgs, LintFormat};

pub fn run(args: &LintArgs) -> Result<u8, String> {
    let what = format!("the policy {}", args.policy.display());
    let policy_bytes =
        super::bounded::read_file(&args.policy, warden_guardrails::MAX_POLICY_BYTES, &what)?;
    let policy_text = String::from_utf8(policy_bytes)
        .map_err(|_| format!("{what} is not UTF-8 text: save it as UTF-8"))?;
    let policy =
        Policy::from_yaml(&policy_text).map_err(|e| format!("{}: {e}", args.policy.display()))?;
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
