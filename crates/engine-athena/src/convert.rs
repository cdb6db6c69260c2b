//! Athena's text values turned into typed cells, by the column's Athena type.

use warden_engine::Value;

pub(crate) fn value(text: Option<String>, athena_type: &str) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    let base = athena_type
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "tinyint" | "smallint" | "integer" | "int" | "bigint" => {
            text.parse().map(Value::Int).unwrap_or(Value::Text(text))
        }
        "double" | "float" | "real" => match text.as_str() {
            "NaN" => Value::Float(f64::NAN),
            "Infinity" => Value::Float(f64::INFINITY),
            "-Infinity" => Value::Float(f64::NEG_INFINITY),
            _ => text.parse().map(Value::Float).unwrap_or(Value::Text(text)),
        },
        "boolean" => match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Text(text),
        },
        // Decimals keep their exact text; dates, times, arrays, maps and rows are shown as
        // Athena renders them.
        _ => Value::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_column_type_and_null_stays_null() {
        assert_eq!(value(None, "varchar"), Value::Null);
        assert_eq!(
            value(Some(String::new()), "varchar"),
            Value::Text(String::new())
        );
        assert_eq!(value(Some("42".into()), "bigint"), Value::Int(42));
        assert_eq!(value(Some("1.5".into()), "double"), Value::Float(1.5));
        assert_eq!(value(Some("true".into()), "boolean"), Value::Bool(true));
        assert_eq!(
            value(Some("12.30".into()), "decimal(10,2)"),
            Value::Text("12.30".into())
        );
        assert_eq!(value(Some("x".into()), "integer"), Value::Text("x".into()));
    }
}
