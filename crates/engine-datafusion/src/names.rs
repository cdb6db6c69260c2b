//! Names as Athena reads them. Athena (Trino) folds every name to lowercase, quoted or not, and
//! so do the guardrails when they resolve what a statement reads. DataFusion folds only unquoted
//! names: `"C"` and `c` are two relations to it, one to the guardrails, and a statement could
//! make the lint judge one while the engine reads the other (`SELECT "C".ssn FROM (SELECT 'x'
//! AS ssn) c, sales.customers "C"`). A quoted name with a capital letter is refused here, so
//! every name the engine plans means what the lint took it for.

use warden_guardrails::sqlparser::ast::Statement;
use warden_guardrails::sqlparser::tokenizer::{Token, Tokenizer};
use warden_guardrails::AthenaDialect;

/// Refuses a statement with a quoted name that is not all lowercase.
pub(crate) fn check_names(statement: &Statement) -> Result<(), String> {
    let text = statement.to_string();
    let tokens = Tokenizer::new(&AthenaDialect::new(), &text)
        .tokenize()
        .map_err(|e| format!("the embedded engine could not read the statement's names ({e})"))?;
    for token in tokens {
        if let Token::Word(word) = token {
            if word.quote_style.is_some() && word.value.chars().any(char::is_uppercase) {
                let lower = Token::Word(warden_guardrails::sqlparser::tokenizer::Word {
                    value: word.value.to_lowercase(),
                    ..word.clone()
                });
                return Err(format!(
                    "the embedded engine tells quoted names apart by case, which Athena does \
                     not: write {} as {lower}",
                    Token::Word(word)
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_guardrails::sqlparser::parser::Parser;

    fn parse(sql: &str) -> Statement {
        Parser::parse_sql(&AthenaDialect::new(), sql)
            .expect("parses")
            .remove(0)
    }

    #[test]
    fn lowercase_and_unquoted_names_pass() {
        for sql in [
            "SELECT c.ssn FROM sales.customers c",
            "SELECT \"c\".ssn FROM sales.customers \"c\"",
            "SELECT Country AS Total FROM Sales.Customers",
            "SELECT 'Upper Case In A String' AS label",
            "SELECT count(*) AS \"total revenue\" FROM sales.orders",
        ] {
            assert_eq!(check_names(&parse(sql)), Ok(()), "{sql}");
        }
    }

    #[test]
    fn quoted_names_with_capitals_are_refused_with_the_lowercase_spelling() {
        let err = check_names(&parse(
            "SELECT \"C\".ssn FROM (SELECT 'x' AS ssn) c, sales.customers \"C\"",
        ))
        .expect_err("refused");
        assert_eq!(
            err,
            "the embedded engine tells quoted names apart by case, which Athena does not: write \"C\" as \"c\""
        );
        for sql in [
            "WITH \"Customers\" AS (SELECT 'x' AS ssn) SELECT ssn FROM customers",
            "SELECT count(*) AS \"Total\" FROM sales.orders",
            "SELECT `SSN` FROM sales.customers",
        ] {
            assert!(check_names(&parse(sql)).is_err(), "{sql}");
        }
    }
}
