use super::*;
use crate::Policy;

const POLICY: &str = r#"format: warden-policy/1
name: out
catalog:
  databases:
    sales:
      tables:
        customers:
          columns: { customer_id: bigint, email: { type: varchar, tags: [pii] } }
elevations:
  pii-read: { description: pii }
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }
  - { id: limit, kind: require_limit, severity: warning }
"#;

fn files(sql: &[(&str, &str)]) -> Vec<FileReport> {
    let policy = Policy::from_yaml(POLICY).expect("policy");
    let ctx = LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    };
    sql.iter()
        .map(|(path, text)| lint_file(&policy, path, text.as_bytes(), &ctx))
        .collect()
}

#[test]
fn json_has_the_contract_shape() {
    let f = files(&[("q.sql", "SELECT email FROM customers LIMIT 5")]);
    let v = to_json(&f);
    let file = &v["files"][0];
    assert_eq!(file["path"], "q.sql");
    assert_eq!(file["verdict"], "elevate");
    assert_eq!(file["elevations"], serde_json::json!(["pii-read"]));
    assert_eq!(file["reads"], serde_json::json!(["sales.customers.email"]));
    let d = &file["diagnostics"][0];
    assert_eq!(d["rule"], "pii");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(8))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(1), Some(13))
    );
    assert_eq!(d["unlocked_by"], serde_json::json!(["pii-read"]));
    let keys: Vec<&String> = d
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 8);
    assert!(render_json(&f).ends_with("}\n"));
}

#[test]
fn exit_code_is_zero_only_when_everything_is_allowed() {
    assert_eq!(
        exit_code(&files(&[("a.sql", "SELECT customer_id FROM customers")])),
        0
    );
    assert_eq!(
        exit_code(&files(&[
            ("a.sql", "SELECT customer_id FROM customers"),
            ("b.sql", "SELECT email FROM customers")
        ])),
        1
    );
    assert_eq!(exit_code(&files(&[("a.sql", "SELEC")])), 1);
    assert_eq!(exit_code(&[]), 0);
}

#[test]
fn text_is_compiler_style_with_a_caret() {
    let f = files(&[("dir/q.sql", "SELECT customer_id,\n\temail FROM customers")]);
    let text = render_text(&f);
    assert!(
        text.contains("dir/q.sql:2:2: error[pii]: sales.customers.email is tagged pii"),
        "{text}"
    );
    assert!(
        text.contains("  \temail FROM customers\n  \t^^^^^\n"),
        "{text}"
    );
    assert!(text.contains("warning[limit]"), "{text}");
    assert!(text.contains("help: Add LIMIT 1000"), "{text}");
    assert!(
        text.ends_with("dir/q.sql: elevate (request pii-read)\n"),
        "{text}"
    );
}

#[test]
fn sarif_is_2_1_0_with_code_point_columns() {
    let f = files(&[("q.sql", "SELECT email FROM customers LIMIT 1")]);
    let v = to_sarif(&f);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["name"], "warden");
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "pii");
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "q.sql"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        8
    );
    assert_eq!(r["properties"]["unlockedBy"][0], "pii-read");
}

#[test]
fn github_annotations_escape_their_values() {
    let f = files(&[("a,b:c.sql", "SELECT email FROM customers LIMIT 1")]);
    let out = render_github(&f);
    assert!(
        out.starts_with("::error file=a%2Cb%3Ac.sql,line=1,col=8,endLine=1,endColumn=13,title=warden pii::sales.customers.email is tagged pii"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn invalid_utf8_is_a_diagnostic_not_a_crash() {
    let policy = Policy::from_yaml(POLICY).expect("policy");
    let f = lint_file(
        &policy,
        "bad.sql",
        b"SELECT 1\nFROM \xff\xfe t",
        &LintContext::default(),
    );
    assert_eq!(f.report.verdict(), Verdict::Deny);
    let d = &f.report.diagnostics()[0];
    assert_eq!(d.rule, "parse_error");
    assert!(
        d.message
            .contains("not valid UTF-8 (byte 14, line 2 column 6)"),
        "{}",
        d.message
    );
    assert_eq!(exit_code(&[f]), 1);
}

#[test]
fn formats_parse_and_render() {
    assert_eq!("sarif".parse::<Format>(), Ok(Format::Sarif));
    assert!("xml"
        .parse::<Format>()
        .unwrap_err()
        .contains("text, json, sarif or github"));
    let f = files(&[("q.sql", "SELECT customer_id FROM customers LIMIT 1")]);
    assert_eq!(render(Format::Text, &f), "q.sql: allow\n");
    assert_eq!(render(Format::Github, &f), "");
}
