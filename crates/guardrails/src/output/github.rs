use super::FileReport;
use crate::report::Severity;

/// GitHub Actions workflow commands, one per diagnostic:
/// `::error file=q.sql,line=1,col=8,endLine=1,endColumn=13,title=pii::message`.
pub fn render_github(files: &[FileReport]) -> String {
    let mut out = String::new();
    for f in files {
        for d in f.report.diagnostics() {
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            out.push_str(&format!(
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                property(&f.path),
                d.span.start.line,
                d.span.start.column,
                d.span.end.line,
                d.span.end.column,
                property(&format!("warden {}", d.rule)),
                data(&d.message),
            ));
        }
    }
    out
}

/// Escaping of a command's message, as the Actions runner expects.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a command's property values, which also reserve `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
