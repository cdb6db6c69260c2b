use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::FileReport;
use crate::report::Severity;

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A SARIF 2.1.0 log with one run; columns are counted in Unicode code points, as Warden counts.
pub fn to_sarif(files: &[FileReport]) -> Value {
    let mut rules: BTreeMap<&str, &str> = BTreeMap::new();
    let mut results = Vec::new();
    for f in files {
        for d in f.report.diagnostics() {
            rules.entry(d.rule.as_str()).or_insert(d.message.as_str());
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            // SARIF regions end exclusively and may not be empty on one line.
            let end_column = if d.span.end.line == d.span.start.line {
                d.span.end.column.max(d.span.start.column + 1)
            } else {
                d.span.end.column
            };
            let mut result = json!({
                "ruleId": d.rule,
                "level": level,
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path },
                        "region": {
                            "startLine": d.span.start.line,
                            "startColumn": d.span.start.column,
                            "endLine": d.span.end.line,
                            "endColumn": end_column,
                        }
                    }
                }],
            });
            if !d.unlocked_by.is_empty() {
                result["properties"] = json!({ "unlockedBy": d.unlocked_by });
            }
            results.push(result);
        }
    }
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|(id, example)| json!({ "id": id, "shortDescription": { "text": id }, "fullDescription": { "text": example } }))
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "warden",
                "informationUri": "https://github.com/warden/warden/blob/main/docs/rules.md",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

pub fn render_sarif(files: &[FileReport]) -> String {
    let mut s = serde_json::to_string_pretty(&to_sarif(files)).unwrap_or_default();
    s.push('\n');
    s
}
