//! Formatting a query for the editor, with `sqlformat` (it keeps comments). A formatter lexes
//! SQL on its own and could read a text differently from Athena and the guardrails (a comment or
//! a quote ending elsewhere), so the formatted text is linted again: when Warden would read it
//! differently (other verdict, reads, statements, elevations or findings) it is refused and the
//! text stays as typed. The gate lints whatever runs anyway; this keeps the editor honest.

use sqlformat::{FormatOptions, Indent, QueryParams};

use crate::{lint, LintContext, Policy, Report};

/// `sql` formatted (keywords in capitals, two-space indents), or why it was left as it is.
pub fn format_sql(policy: &Policy, sql: &str, context: &LintContext) -> Result<String, String> {
    if sql.trim().is_empty() {
        return Ok(sql.to_string());
    }
    let options = FormatOptions {
        indent: Indent::Spaces(2),
        uppercase: Some(true),
        lines_between_queries: 1,
        ..FormatOptions::default()
    };
    let formatted = sqlformat::format(sql, &QueryParams::None, &options);
    let before = lint(policy, sql, context);
    let after = lint(policy, &formatted, context);
    match difference(&before, &after) {
        None => Ok(formatted),
        Some(what) => Err(format!(
            "not formatted: the formatted text would read differently ({what}), so it is left as \
             typed; format it by hand"
        )),
    }
}

/// What differs between the two reports, in words, if anything.
fn difference(before: &Report, after: &Report) -> Option<&'static str> {
    let rules = |r: &Report| {
        let mut rules: Vec<_> = r
            .diagnostics()
            .iter()
            .map(|d| (d.rule.clone(), d.severity))
            .collect();
        rules.sort();
        rules
    };
    if before.verdict() != after.verdict() {
        Some("another verdict")
    } else if before.statement_classes() != after.statement_classes() {
        Some("other statements")
    } else if before.reads() != after.reads() {
        Some("other tables or columns")
    } else if before.elevations() != after.elevations() {
        Some("other elevations")
    } else if rules(before) != rules(after) {
        Some("other findings")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analysis tests' catalog, with rules that make reads of pii need an elevation.
    fn policy() -> Policy {
        let rules = r#"elevations:
  pii-read: { description: personal data, max_duration: 1h, approval: auto }
rules:
  - { id: read-only, kind: statement_class, allow: [query, explain], severity: error }
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read] }
"#;
        let text = format!("{}{rules}", crate::analysis::tests_support::CATALOG);
        Policy::from_yaml(&text).expect("policy")
    }

    fn fmt(sql: &str) -> Result<String, String> {
        let policy = policy();
        let context = LintContext {
            default_database: Some("sales".into()),
            ..Default::default()
        };
        format_sql(&policy, sql, &context)
    }

    #[test]
    fn a_query_is_laid_out_with_its_comments_kept() {
        let out = fmt("select address.city, count(*) n -- per city\nfrom customers /* all */ where email <> 'it''s' group by 1 order by 2 desc limit 5").unwrap();
        assert_eq!(
            out,
            "SELECT\n  address.city,\n  count(*) n -- per city\nFROM\n  customers\n  /* all */\nWHERE\n  email <> 'it''s'\nGROUP BY\n  1\nORDER BY\n  2 DESC\nLIMIT\n  5"
        );
    }

    #[test]
    fn formatting_keeps_what_the_query_reads_and_its_verdict() {
        for sql in [
            "select email from customers",
            "select c.tags[1] from customers c where c.customer_id in (1,2)",
            "with x as (select customer_id from customers) select * from x",
            "explain select customer_id from customers",
            "select \"Customer_Id\" from customers -- trailing comment",
        ] {
            let out = fmt(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_ne!(out, sql, "{sql} was formatted");
        }
    }

    #[test]
    fn an_empty_text_stays_empty() {
        assert_eq!(fmt("").unwrap(), "");
        assert_eq!(fmt("  \n").unwrap(), "  \n");
    }

    #[test]
    fn a_unicode_string_the_formatter_splits_is_left_as_typed() {
        // sqlformat turns `U&'...'` into `U & '...'`, which is no longer a string.
        let sql = "select U&'\\0041' from customers";
        let why = fmt(sql).unwrap_err();
        assert_eq!(
            why,
            "not formatted: the formatted text would read differently (another verdict), so it is \
             left as typed; format it by hand"
        );
    }

    #[test]
    fn a_text_the_formatter_reads_differently_is_left_alone() {
        // Athena ends a block comment at the first `*/`; a formatter that nests comments would
        // turn the `email` read into a comment, or the reverse. Whatever it does, the result may
        // not read differently from the text as typed.
        let sql = "select customer_id /* /* */ , email /* */ from customers";
        match fmt(sql) {
            Ok(out) => {
                let policy = policy();
                let context = LintContext {
                    default_database: Some("sales".into()),
                    ..Default::default()
                };
                let before = lint(&policy, sql, &context);
                let after = lint(&policy, &out, &context);
                assert_eq!(before.reads(), after.reads(), "{out}");
                assert_eq!(before.verdict(), after.verdict(), "{out}");
            }
            Err(why) => assert!(why.starts_with("not formatted:"), "{why}"),
        }
    }
}
