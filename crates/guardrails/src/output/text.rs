use super::{severity_word, FileReport};
use crate::report::Verdict;

/// Compiler-style output: `path:line:col: severity[rule]: message`, the source line and a caret
/// under the offending text, then one verdict line per file.
pub fn render_text(files: &[FileReport]) -> String {
    let mut out = String::new();
    for f in files {
        let r = &f.report;
        let lines: Vec<&str> = r.sql().split('\n').collect();
        for d in r.diagnostics() {
            let (s, e) = (d.span.start, d.span.end);
            out.push_str(&format!(
                "{}:{}:{}: {}[{}]: {}\n",
                f.path,
                s.line,
                s.column,
                severity_word(d.severity),
                d.rule,
                d.message
            ));
            let Some(line) = lines.get(s.line as usize - 1) else {
                continue;
            };
            let line = line.trim_end_matches('\r');
            let width = line.chars().count() as u32;
            let end = if e.line == s.line {
                e.column.max(s.column + 1)
            } else {
                width.max(s.column) + 1
            };
            // Keep tabs so the caret lines up under the text in a terminal.
            let pad: String = line
                .chars()
                .take(s.column as usize - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "  {line}\n  {pad}{}\n",
                "^".repeat((end - s.column).max(1) as usize)
            ));
            if let Some(fix) = &d.fix {
                out.push_str(&format!("  help: {}\n", fix.title));
            }
        }
        let verdict = match r.verdict() {
            Verdict::Allow => "allow".to_string(),
            Verdict::Elevate => format!("elevate (request {})", r.elevations().join(", ")),
            Verdict::Deny => "deny".to_string(),
        };
        out.push_str(&format!("{}: {verdict}\n", f.path));
    }
    out
}
