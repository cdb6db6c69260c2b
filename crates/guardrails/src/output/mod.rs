//! Output of `warden lint`: pure rendering of reports, so the CLI is a thin shell around it.
//!
//! The JSON shape and the exit codes are a contract scripts and CI depend on (docs/rules.md,
//! issue 3 section 6); keep them stable.

mod github;
mod json;
mod sarif;
mod text;

use std::fmt;
use std::str::FromStr;

use crate::report::{Diagnostic, Report, Severity, Verdict};
use crate::span::LineIndex;
use crate::{lint, LintContext, Policy};

pub use github::render_github;
pub use json::{render_json, to_json};
pub use sarif::{render_sarif, to_sarif};
pub use text::render_text;

/// One linted file (or `-` for standard input) and its report.
#[derive(Debug)]
pub struct FileReport {
    pub path: String,
    pub report: Report,
}

/// Exit status of `warden lint`: 0 when every file's verdict is allow, 1 when any is elevate or
/// deny. (2, for usage or policy errors, is the CLI's own.)
pub fn exit_code(files: &[FileReport]) -> i32 {
    if files.iter().all(|f| f.report.verdict() == Verdict::Allow) {
        0
    } else {
        1
    }
}

/// Lints the bytes of one file. Bytes that are not UTF-8 give a `parse_error` diagnostic at the
/// first bad byte and verdict deny, instead of an error that would stop the other files.
pub fn lint_file(policy: &Policy, path: &str, bytes: &[u8], ctx: &LintContext) -> FileReport {
    let mut report = match std::str::from_utf8(bytes) {
        Ok(text) => lint(policy, text, ctx),
        Err(e) => {
            let valid = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            // The lossy text keeps every valid byte before the first bad one in place.
            let index = LineIndex::new(&text);
            let start = index.at_offset(valid);
            let end = index.at_offset(valid + 1);
            let diagnostic = Diagnostic {
                rule: "parse_error".into(),
                severity: Severity::Error,
                message: format!(
                    "the file is not valid UTF-8 (byte {valid}, line {} column {}): save it as UTF-8",
                    start.line, start.column
                ),
                span: index.span(start, end),
                unlocked_by: vec![],
                fix: None,
            };
            Report::refused(policy, text, ctx, diagnostic)
        }
    };
    // A file report is for output: its syntax trees go now, so that a run over many files does
    // not hold them all (and a report without statements can never be approved).
    report.statements = Vec::new();
    FileReport {
        path: path.to_string(),
        report,
    }
}

/// `--format` of `warden lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            other => Err(format!(
                "unknown format {other:?}: use text, json, sarif or github"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        })
    }
}

/// Renders every file in one format; the result is what `warden lint` prints on stdout.
pub fn render(format: Format, files: &[FileReport]) -> String {
    match format {
        Format::Text => render_text(files),
        Format::Json => render_json(files),
        Format::Sarif => render_sarif(files),
        Format::Github => render_github(files),
    }
}

pub(crate) fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

#[cfg(test)]
mod tests;
