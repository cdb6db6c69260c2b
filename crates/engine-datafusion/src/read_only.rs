//! The embedded engine only reads. The guardrails decide which statement classes a policy
//! allows; this is the second lock: even an approved write never reaches DataFusion, which
//! could otherwise create tables in memory or `COPY` query results onto the local disk.

use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use warden_guardrails::sqlparser::ast::Statement;

/// Refuses, before planning, any statement that is not a query or an EXPLAIN of a query.
pub(crate) fn check_statement(statement: &Statement) -> Result<(), String> {
    match statement {
        Statement::Query(_) => Ok(()),
        Statement::Explain {
            statement: inner, ..
        } => match inner.as_ref() {
            Statement::Query(_) => Ok(()),
            _ => Err(refusal("EXPLAIN of a statement that is not a query")),
        },
        other => Err(refusal(&statement_kind(other))),
    }
}

/// Refuses a plan that would create, change or write anything (e.g. `SELECT ... INTO`).
pub(crate) fn check_plan(plan: &LogicalPlan) -> Result<(), String> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    options
        .verify_plan(plan)
        .map_err(|_| refusal("statement that would change data or settings"))
}

fn refusal(kind: &str) -> String {
    format!("the embedded engine only reads data (SELECT, WITH, VALUES, EXPLAIN); this is a {kind}")
}

/// The leading keywords of a statement, e.g. "INSERT" or "CREATE TABLE", for the message.
fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text
        .split_whitespace()
        .take_while(|w| {
            w.chars().all(|c| c.is_ascii_alphabetic()) && w.chars().all(|c| !c.is_ascii_lowercase())
        })
        .take(2)
        .collect();
    if words.is_empty() {
        "statement that is not a query".into()
    } else {
        format!("{} statement", words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_guardrails::sqlparser::dialect::GenericDialect;
    use warden_guardrails::sqlparser::parser::Parser;

    fn parse(sql: &str) -> Statement {
        Parser::parse_sql(&GenericDialect {}, sql)
            .expect("parses")
            .remove(0)
    }

    #[test]
    fn queries_and_explains_of_queries_pass() {
        for sql in [
            "SELECT 1",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "VALUES (1)",
            "EXPLAIN SELECT 1",
        ] {
            assert_eq!(check_statement(&parse(sql)), Ok(()), "{sql}");
        }
    }

    #[test]
    fn writes_are_refused_with_their_kind() {
        let cases = [
            ("INSERT INTO t VALUES (1)", "INSERT INTO statement"),
            ("DROP TABLE t", "DROP TABLE statement"),
            ("CREATE TABLE t AS SELECT 1", "CREATE TABLE statement"),
            ("COPY t TO 'out.csv'", "COPY statement"),
            ("SET x = 1", "SET statement"),
            (
                "EXPLAIN INSERT INTO t VALUES (1)",
                "EXPLAIN of a statement that is not a query",
            ),
        ];
        for (sql, kind) in cases {
            let err = check_statement(&parse(sql)).expect_err(sql);
            assert!(
                err.contains("only reads data") && err.ends_with(kind),
                "{sql}: {err}"
            );
        }
    }
}
