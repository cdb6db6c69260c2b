use serde_json::{json, Value};

use super::{severity_word, FileReport};

/// The `--format json` document: `{"files": [{path, verdict, elevations, reads, diagnostics}]}`.
pub fn to_json(files: &[FileReport]) -> Value {
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let r = &f.report;
            let diagnostics: Vec<Value> = r
                .diagnostics()
                .iter()
                .map(|d| {
                    json!({
                        "rule": d.rule,
                        "severity": severity_word(d.severity),
                        "message": d.message,
                        "line": d.span.start.line,
                        "column": d.span.start.column,
                        "end_line": d.span.end.line,
                        "end_column": d.span.end.column,
                        "unlocked_by": d.unlocked_by,
                    })
                })
                .collect();
            json!({
                "path": f.path,
                "verdict": r.verdict().as_str(),
                "elevations": r.elevations(),
                "reads": r.reads(),
                "diagnostics": diagnostics,
            })
        })
        .collect();
    json!({ "files": files })
}

pub fn render_json(files: &[FileReport]) -> String {
    let mut s =
        serde_json::to_string_pretty(&to_json(files)).unwrap_or_else(|_| "{\"files\": []}".into());
    s.push('\n');
    s
}
