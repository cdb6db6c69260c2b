//! Parameters: what a value may be, how it is put in the text, and that the template's verdict
//! holds whatever the values are.

use super::{bind, check_value};
use crate::analysis::tests_support::CATALOG;
use crate::{lint, LintContext, Policy, Report, Verdict};

const RULES: &str =
    "  - { id: tenant, kind: required_row_predicate, tables: [sales.orders], column: customer_id }
  - { id: part, kind: require_partition_filter, tables: [sales.orders] }
  - { id: budget, kind: max_scan_bytes, limit: 1GB }
  - { id: writes, kind: unbounded_write }
  - { id: rows, kind: require_limit, max_rows: 100 }
";

fn policy() -> Policy {
    Policy::from_yaml(&format!("{CATALOG}rules:\n{RULES}")).expect("policy")
}

fn ctx() -> LintContext {
    LintContext {
        default_database: Some("sales".into()),
        elevations: Default::default(),
    }
}

fn check(sql: &str) -> Report {
    lint(&policy(), sql, &ctx())
}

fn values(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_value_is_one_literal() {
    for ok in [
        "'2024-01-01'",
        "  'it''s'  ",
        "'what? -- /* not a comment */'",
        "42",
        "-1.5",
        "1e3",
        "DATE '2024-01-31'",
        "timestamp '2024-01-31 10:00:00'",
        "TIME '10:00'",
        "TRUE",
        "false",
        "X'0aff'",
    ] {
        assert_eq!(check_value(1, ok).as_deref(), Ok(ok.trim()), "{ok}");
    }
    let refused = [
        "1 OR true",
        "'a' -- x",
        "'a'); DROP TABLE orders; --",
        "1 2",
        "/* c */ 1",
        "'abc",
        "",
        "NULL",
        "?",
        "E'x'",
        "customer_id",
        "\"x\"",
        "'a' || 'b'",
        "DATE",
        "1; SELECT 2",
        "-- x",
    ];
    let mut out = String::new();
    for (i, bad) in refused.iter().enumerate() {
        let e = check_value(i + 1, bad).expect_err(bad);
        assert_eq!(e.number, Some(i + 1));
        out.push_str(&format!("{bad:?}\n  {e}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn values_fill_the_question_marks_in_order() {
    let sql = "SELECT order_id, '?' AS q FROM orders -- a ? here is a comment\nWHERE dt = ? AND customer_id IN (?, ?)";
    let bound = bind(sql, &values(&["'2024-01-01'", " 7 ", "-8"])).expect("bound");
    assert_eq!(
        bound,
        "SELECT order_id, '?' AS q FROM orders -- a ? here is a comment\nWHERE dt = '2024-01-01' AND customer_id IN (7, -8)"
    );
    let few = bind(sql, &values(&["'2024-01-01'"])).unwrap_err();
    assert_eq!(few.number, None);
    assert_eq!(
        few.to_string(),
        "the query has 3 parameters (?) and 1 value was given: give one value per ?, in order"
    );
    let bad = bind(sql, &values(&["'x'", "1 OR true", "2"])).unwrap_err();
    assert_eq!(bad.number, Some(2));
}

#[test]
fn a_value_cannot_join_with_the_text_around_it() {
    // `x -?` with -1 would read `x --1`: a comment that hides the rest of the line.
    let e = bind("SELECT 1 -?, 2", &values(&["-1"])).unwrap_err();
    assert!(e.message.contains("reads differently"), "{e}");
    assert_eq!(
        bind("SELECT 1 - ?, 2", &values(&["-1"])).as_deref(),
        Ok("SELECT 1 - -1, 2")
    );
    // A string right after a string is one string with a quote in it.
    assert!(bind("SELECT 'a'?", &values(&["'b'"])).is_err());
}

#[test]
fn placeholders_are_numbered_with_the_column_they_are_compared_with() {
    let r = check("SELECT order_id FROM orders o WHERE o.dt = ? AND customer_id IN (?, ?) AND amount BETWEEN ? AND ? AND ? < amount LIMIT 10");
    assert_eq!(r.verdict(), Verdict::Allow, "{:?}", r.diagnostics());
    let got: Vec<(usize, Option<&str>, u32)> = r
        .placeholders()
        .iter()
        .map(|p| (p.number, p.column.as_deref(), p.span.start.column))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Some("o.dt"), 44),
            (2, Some("customer_id"), 66),
            (3, Some("customer_id"), 69),
            (4, Some("amount"), 91),
            (5, Some("amount"), 97),
            (6, Some("amount"), 103),
        ]
    );
    let r = check("SELECT order_id, ? FROM orders WHERE dt = '1' AND customer_id = 1 LIMIT 1");
    assert_eq!(r.placeholders()[0].column, None);
}

#[test]
fn only_question_marks_are_parameters() {
    for sql in [
        "SELECT order_id FROM orders WHERE dt = $1 AND customer_id = 1 LIMIT 1",
        "SELECT order_id FROM orders WHERE dt = :day AND customer_id = 1 LIMIT 1",
        "SELECT order_id FROM orders WHERE dt = ?1 AND customer_id = 1 LIMIT 1",
        "SELECT order_id FROM orders WHERE dt = '1' AND customer_id = 1 LIMIT $1",
    ] {
        let r = check(sql);
        assert_eq!(r.verdict(), Verdict::Deny, "{sql}");
        assert!(
            r.diagnostics()
                .iter()
                .any(|d| d.rule == "parse_error" && d.message.contains("write ?")),
            "{sql}: {:?}",
            r.diagnostics()
        );
    }
}

/// Literals of every kind a parameter takes, the ones most likely to change a verdict
/// (equal to a literal beside them, TRUE, a huge number) included.
const ANY: &[&str] = &[
    "1",
    "-1",
    "0",
    "99999999999999999999",
    "'2024-01-01'",
    "''",
    "'1'",
    "TRUE",
    "FALSE",
    "DATE '2024-01-01'",
];

#[test]
fn an_allowed_template_is_allowed_with_any_values() {
    let policy = policy();
    for sql in [
        "SELECT order_id FROM orders WHERE dt = ? AND customer_id = ? LIMIT 10",
        "SELECT order_id FROM orders WHERE dt IN (?) AND customer_id IN (?) LIMIT 10",
        "SELECT order_id FROM orders WHERE dt = ? AND customer_id = 3 AND amount BETWEEN ? AND ? LIMIT 10",
        "SELECT count(*) FROM orders WHERE dt = ? AND customer_id = ? AND order_id <> ?",
        "SELECT order_id, ? FROM orders WHERE dt = '1' AND customer_id = 1 LIMIT 5",
    ] {
        let template = check(sql);
        assert_eq!(template.verdict(), Verdict::Allow, "{sql}: {:?}", template.diagnostics());
        let n = template.placeholders().len();
        for v in ANY {
            let given = vec![v.to_string(); n];
            let approved = check(sql)
                .approve_with_parameters(&given, &policy, &ctx())
                .unwrap_or_else(|e| panic!("{sql} with {v}: {e}"));
            assert_eq!(approved.sql(), sql);
            assert_eq!(approved.parameters(), given.as_slice());
            let bound = bind(sql, &given).expect("bound");
            assert_eq!(approved.bound_sql(), bound);
            assert_eq!(check(&bound).verdict(), Verdict::Allow, "{bound}");
        }
    }
}

#[test]
fn a_question_mark_proves_nothing_a_particular_literal_would() {
    // Each of these is denied with some values (the witness): so the template is denied, by
    // the same rule, whatever the values.
    for (sql, rule, witness) in [
        // `1 = 1` bounds nothing.
        ("DELETE FROM orders WHERE 1 = ?", "writes", &["1"][..]),
        ("DELETE FROM orders WHERE ? = ?", "writes", &["1", "1"]),
        // TRUE.
        ("DELETE FROM orders WHERE ?", "writes", &["TRUE"]),
        (
            "DELETE FROM orders WHERE dt = '1' OR ?",
            "writes",
            &["TRUE"],
        ),
        // `1 <> 2` holds for every row.
        ("DELETE FROM orders WHERE 1 <> ?", "writes", &["2"]),
        ("DELETE FROM orders WHERE ? <> ?", "writes", &["1", "2"]),
        // NOT (1 <> 1).
        ("DELETE FROM orders WHERE NOT (? <> 1)", "writes", &["1"]),
        ("DELETE FROM orders WHERE ? IS NOT NULL", "writes", &["1"]),
        (
            "MERGE INTO orders t USING customers s ON ? = 1 WHEN MATCHED THEN DELETE",
            "writes",
            &["1"],
        ),
        // Two partitions (0.8 GB each, over the 1 GB budget).
        (
            "SELECT order_id FROM orders WHERE (dt = ? OR dt = ?) AND customer_id = 1 LIMIT 1",
            "budget",
            &["'1'", "'2'"],
        ),
        (
            "SELECT order_id FROM orders WHERE dt IN (?, ?) AND customer_id = 1 LIMIT 1",
            "budget",
            &["'1'", "'2'"],
        ),
        // More rows than max_rows.
        (
            "SELECT order_id FROM orders WHERE dt = '1' AND customer_id = 1 LIMIT ?",
            "rows",
            &["1000"],
        ),
    ] {
        let fired = |r: &Report| r.diagnostics().iter().any(|d| d.rule == rule);
        let r = check(sql);
        assert_ne!(r.verdict(), Verdict::Allow, "{sql}");
        assert!(fired(&r), "{sql}: {:?}", r.diagnostics());
        let bound = bind(sql, &values(witness)).expect("bound");
        assert!(fired(&check(&bound)), "{bound}");
    }
    // The values that make a bound: allowed as literals, and the template is allowed too.
    for (sql, literals) in [
        (
            "SELECT order_id FROM orders WHERE (dt = ? OR dt = ?) AND customer_id = 1 LIMIT 1",
            &["'1'", "'1'"][..],
        ),
        (
            "SELECT order_id FROM orders WHERE dt = ? AND customer_id = ? LIMIT 100",
            &["'1'", "2"],
        ),
    ] {
        let bound = bind(sql, &values(literals)).expect("bound");
        assert_eq!(check(&bound).verdict(), Verdict::Allow, "{bound}");
    }
    assert_eq!(
        check("SELECT order_id FROM orders WHERE dt = ? AND customer_id = ? LIMIT 100").verdict(),
        Verdict::Allow
    );
}

#[test]
fn values_that_change_the_verdict_are_refused_at_approval() {
    let policy = policy();
    // The ? of a GROUP BY becomes an ordinal with a number in place: 5 is past the select list.
    let sql =
        "SELECT dt, count(*) FROM orders WHERE dt = '1' AND customer_id = 1 GROUP BY ? LIMIT 10";
    let template = check(sql);
    assert_eq!(
        template.verdict(),
        Verdict::Allow,
        "{:?}",
        template.diagnostics()
    );
    let refusal = check(sql)
        .approve_with_parameters(&values(&["5"]), &policy, &ctx())
        .unwrap_err();
    let problem = refusal.parameters.expect("a parameter problem");
    assert!(
        problem.message.starts_with(
            "with these values in place the query is not judged as it was without them"
        ),
        "{problem}"
    );
    assert!(check(sql)
        .approve_with_parameters(&values(&["1"]), &policy, &ctx())
        .is_ok());
}

#[test]
fn a_template_needs_its_values_to_run() {
    let sql = "SELECT order_id FROM orders WHERE dt = ? AND customer_id = 1 LIMIT 1";
    let refusal = check(sql).approve().unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "not allowed: the query has 1 parameter (?): give a value for each, in order"
    );
    let refusal = check(sql)
        .approve_with_parameters(&values(&["'1'", "'2'"]), &policy(), &ctx())
        .unwrap_err();
    assert!(refusal
        .to_string()
        .contains("1 parameter (?) and 2 values were given"));
    let refusal = check(sql)
        .approve_with_parameters(&values(&["'1' OR 1 = 1"]), &policy(), &ctx())
        .unwrap_err();
    assert!(
        refusal
            .to_string()
            .starts_with("not allowed: parameter 1: "),
        "{refusal}"
    );
    // Values for a text without ?.
    let plain = "SELECT order_id FROM orders WHERE dt = '1' AND customer_id = 1 LIMIT 1";
    assert!(check(plain)
        .approve_with_parameters(&values(&["1"]), &policy(), &ctx())
        .is_err());
    // A denied template is refused whatever the values.
    let denied = "SELECT order_id FROM orders WHERE dt = ? LIMIT 1";
    let refusal = check(denied)
        .approve_with_parameters(&values(&["'1'"]), &policy(), &ctx())
        .unwrap_err();
    assert!(refusal.parameters.is_none());
}

#[test]
fn the_engine_gets_the_statements_of_the_text_with_the_values() {
    let sql = "SELECT order_id FROM orders WHERE dt = ? AND customer_id = ? LIMIT 1";
    let approved = check(sql)
        .approve_with_parameters(&values(&["'2024-01-01'", "7"]), &policy(), &ctx())
        .expect("approved");
    assert_eq!(
        approved.statements()[0].to_string(),
        "SELECT order_id FROM orders WHERE dt = '2024-01-01' AND customer_id = 7 LIMIT 1"
    );
}
