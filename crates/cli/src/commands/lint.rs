use std::io::Read;
use std::path::{Path, PathBuf};

use warden_guardrails::{lint, LintContext, Policy, Report, Verdict};

use crate::args::{LintArgs, LintFormat};
use crate::output;
use crate::{EXIT_REFUSED, EXIT_USAGE};

/// One input: a display path and its text (or why it could not be read).
struct Source {
    path: String,
    text: Result<String, String>,
}

pub fn run(args: &LintArgs) -> Result<u8, String> {
    let policy_text = std::fs::read_to_string(&args.policy)
        .map_err(|e| format!("cannot read the policy {}: {e}", args.policy.display()))?;
    let policy = Policy::from_yaml(&policy_text).map_err(|e| format!("{}: {e}", args.policy.display()))?;
    let ctx = LintContext {
        default_database: args.database.clone(),
        elevations: args.elevations.iter().cloned().collect(),
    };
    for e in &ctx.elevations {
        if !policy.elevation_names().contains(e) {
            return Err(format!("--elevation {e}: the policy defines no such elevation"));
        }
    }
    let sources = collect(&args.paths)?;
    let mut results: Vec<(String, String, Report)> = Vec::new();
    let mut unreadable = false;
    for source in sources {
        match source.text {
            Ok(text) => {
                let report = lint(&policy, &text, &ctx);
                results.push((source.path, text, report));
            }
            Err(message) => {
                eprintln!("warden: {}: {message}", source.path);
                unreadable = true;
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    let written = match args.format {
        LintFormat::Text => results.iter().try_for_each(|(path, text, report)| {
            output::write_diagnostics(&mut stdout, path, text, report)
        }),
        LintFormat::Json | LintFormat::Sarif | LintFormat::Github => {
            let files: Vec<serde_json::Value> = results
                .iter()
                .map(|(path, _, r)| {
                    serde_json::json!({
                        "path": path,
                        "verdict": r.verdict(),
                        "elevations": r.elevations(),
                        "reads": r.reads(),
                        "diagnostics": r.diagnostics().iter().map(|d| serde_json::json!({
                            "rule": d.rule, "severity": d.severity, "message": d.message,
                            "line": d.span.start.line, "column": d.span.start.column,
                            "end_line": d.span.end.line, "end_column": d.span.end.column,
                            "unlocked_by": d.unlocked_by,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut stdout, &serde_json::json!({ "files": files }))
                .map_err(std::io::Error::other)
        }
    };
    written.map_err(|e| format!("cannot write the report: {e}"))?;
    if unreadable {
        return Ok(EXIT_USAGE);
    }
    Ok(if results.iter().all(|(_, _, r)| r.verdict() == Verdict::Allow) { 0 } else { EXIT_REFUSED })
}

fn collect(paths: &[PathBuf]) -> Result<Vec<Source>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path == Path::new("-") {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("cannot read standard input: {e}"))?;
            out.push(Source { path: "-".into(), text: decode(bytes) });
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            files.sort();
            out.extend(files.into_iter().map(read));
        } else if path.exists() {
            out.push(read(path.clone()));
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| format!("cannot inspect {}: {e}", path.display()))?;
        if kind.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql")) {
            files.push(path);
        }
    }
    Ok(())
}

fn read(path: PathBuf) -> Source {
    let text = std::fs::read(&path).map_err(|e| format!("cannot read it: {e}")).and_then(decode);
    Source { path: path.display().to_string(), text }
}

fn decode(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!("it is not valid UTF-8 (first bad byte at offset {}): save it as UTF-8", e.utf8_error().valid_up_to())
    })
}
