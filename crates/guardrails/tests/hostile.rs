//! Hostile input: deep nesting, huge and empty texts. Each ends in a clear diagnostic, never a
//! crash or a stack overflow. (Speed is measured in benches/, not here.)

use std::collections::BTreeSet;

use warden_guardrails::output::lint_file;
use warden_guardrails::{lint, LintContext, Policy, Verdict, MAX_QUERY_BYTES};

const POLICY: &str = "format: warden-policy/1\nname: h\ncatalog:\n  databases:\n    d:\n      tables:\n        t:\n          columns: { a: bigint }\n";

fn ctx() -> LintContext {
    LintContext {
        default_database: Some("d".into()),
        elevations: BTreeSet::new(),
    }
}

fn policy() -> Policy {
    Policy::from_yaml(POLICY).expect("policy")
}

#[test]
fn ten_thousand_nested_parentheses() {
    let sql = format!(
        "SELECT {}1{} FROM t",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    // Run on a small stack, as an editor worker thread might.
    let report = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || lint(&policy(), &sql, &ctx()))
        .expect("thread")
        .join()
        .expect("no stack overflow");
    assert_eq!(report.verdict(), Verdict::Deny);
    let d = &report.diagnostics()[0];
    assert_eq!(d.rule, "parse_error");
    assert!(d.message.contains("nests more than"), "{}", d.message);
}

#[test]
fn deep_subqueries_and_expressions() {
    let sql = format!(
        "SELECT a FROM {}t{}",
        "(SELECT a FROM ".repeat(5_000),
        ")".repeat(5_000)
    );
    let r = lint(&policy(), &sql, &ctx());
    assert_eq!(r.verdict(), Verdict::Deny);
    // A long operator chain parses into a tree as deep as the chain: refused before parsing.
    let sql = format!("SELECT a{} FROM t", "+a".repeat(100_000));
    let r = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || lint(&policy(), &sql, &ctx()))
        .expect("thread")
        .join()
        .expect("no stack overflow");
    assert_eq!(r.verdict(), Verdict::Deny);
    assert!(
        r.diagnostics()[0].message.contains("operators"),
        "{:?}",
        r.diagnostics()
    );
    // Below the operator limit but deeper than the nesting limit: refused after parsing.
    let sql = format!("SELECT a{} FROM t", " OR a = 1".repeat(1_000));
    let r = lint(&policy(), &sql, &ctx());
    assert_eq!(r.verdict(), Verdict::Deny);
    assert!(
        r.diagnostics()[0].message.contains("nests more than"),
        "{:?}",
        r.diagnostics()
    );
    // A long but legitimate disjunction is checked.
    let sql = format!("SELECT a FROM t WHERE a = 0{}", " OR a = 1".repeat(300));
    assert_eq!(lint(&policy(), &sql, &ctx()).verdict(), Verdict::Allow);
}

#[test]
fn a_query_of_exactly_the_limit_is_checked_and_one_byte_more_is_refused() {
    let head = "SELECT a FROM t WHERE a IN (";
    let mut sql = String::from(head);
    while sql.len() + 4 < MAX_QUERY_BYTES {
        sql.push_str("1, ");
    }
    sql.truncate(sql.trim_end_matches([',', ' ']).len());
    sql.push(')');
    while sql.len() < MAX_QUERY_BYTES {
        sql.push(' ');
    }
    assert_eq!(sql.len(), MAX_QUERY_BYTES);
    let r = lint(&policy(), &sql, &ctx());
    assert_eq!(r.verdict(), Verdict::Allow, "{:?}", r.diagnostics().first());
    sql.push(' ');
    let r = lint(&policy(), &sql, &ctx());
    assert_eq!(r.verdict(), Verdict::Deny);
    assert_eq!(r.diagnostics()[0].rule, "query_size");
    assert!(r.diagnostics()[0].message.contains("262145 bytes"));
}

#[test]
fn empty_and_comment_only_texts() {
    for sql in [
        "",
        "   \n\t",
        "-- nothing here\n",
        "/* only */ -- comments",
        ";;",
    ] {
        let r = lint(&policy(), sql, &ctx());
        assert_eq!(r.verdict(), Verdict::Deny, "{sql:?}");
        assert!(
            r.diagnostics()[0].message.contains("no statement"),
            "{sql:?}: {:?}",
            r.diagnostics()
        );
        assert!(r.approve().is_err());
    }
}

#[test]
fn invalid_utf8_in_a_file() {
    let f = lint_file(
        &policy(),
        "x.sql",
        b"SELECT a FROM t WHERE a = '\xc3\x28'",
        &ctx(),
    );
    assert_eq!(f.report.verdict(), Verdict::Deny);
    assert!(f.report.diagnostics()[0]
        .message
        .contains("not valid UTF-8"));
}

#[test]
fn garbage_is_a_parse_error_with_a_place() {
    let r = lint(&policy(), "SELECT a FROM t WHERE\n  a = = 1", &ctx());
    assert_eq!(r.verdict(), Verdict::Deny);
    let d = &r.diagnostics()[0];
    assert_eq!(d.rule, "parse_error");
    assert_eq!(d.span.start.line, 2);
}

#[test]
fn approve_carries_the_exact_text_and_statements() {
    let sql = "SELECT a FROM t";
    let approved = lint(&policy(), sql, &ctx()).approve().expect("allowed");
    assert_eq!(approved.sql(), sql);
    assert_eq!(approved.statements().len(), 1);
    assert_eq!(approved.reads(), ["d.t.a"]);
}

/// `depth` levels of `level` around `inner`.
fn nest(depth: usize, inner: &str, level: impl Fn(&str) -> String) -> String {
    (0..depth).fold(inner.to_string(), |e, _| level(&e))
}

#[test]
fn a_typo_deep_inside_special_forms_is_found_without_backtracking() {
    // sqlparser parsed each failed form's keyword again as a plain name, parsing its inside
    // again at every level: 2^depth work, hours at 30 levels. Each case must end in a parse
    // error at once; a minute is a hang.
    type Level = fn(&str) -> String;
    let forms: [(&str, Level); 9] = [
        ("CASE WHEN THEN END", |e| {
            format!("CASE WHEN a = 1 THEN {e} ELSE 0 END")
        }),
        ("CAST(a AS )", |e| format!("CAST({e} AS bigint)")),
        ("try_cast(a AS )", |e| format!("try_cast({e} AS bigint)")),
        ("extract(a FROM )", |e| format!("extract(year FROM {e})")),
        ("floor(,)", |e| format!("floor({e})")),
        ("substring(,)", |e| format!("substring({e}, 1, 2)")),
        ("trim(,)", |e| format!("trim({e})")),
        ("NOT )", |e| format!("NOT {e}")),
        ("ARRAY[,]", |e| format!("ARRAY[{e}]")),
    ];
    for (inner, level) in forms {
        let sql = format!("SELECT {} FROM t", nest(30, inner, level));
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || send.send(lint(&policy(), &sql, &ctx())));
        let r = receive
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no verdict within a minute for {inner} nested 30 deep"));
        assert_eq!(r.verdict(), Verdict::Deny, "{inner}");
        assert_eq!(r.diagnostics()[0].rule, "parse_error", "{inner}");
    }
}
