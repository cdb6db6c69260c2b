//! Athena's text values turned into typed cells, by the column's Athena type.

use warden_engine::Value;

/// How the values of one column are typed: read once from the column's Athena type, not at
/// every cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Bool,
    /// Decimals keep their exact text; dates, times, arrays, maps and rows are shown as Athena
    /// renders them.
    Text,
}

impl Kind {
    /// The kind of an Athena type name (`bigint`, `decimal(10,2)`, `array(varchar)`, ...).
    pub fn of(athena_type: &str) -> Kind {
        let base = athena_type.split('(').next().unwrap_or_default().trim();
        let is = |names: &[&str]| names.iter().any(|n| base.eq_ignore_ascii_case(n));
        if is(&["tinyint", "smallint", "integer", "int", "bigint"]) {
            Kind::Int
        } else if is(&["double", "float", "real"]) {
            Kind::Float
        } else if is(&["boolean"]) {
            Kind::Bool
        } else {
            Kind::Text
        }
    }

    /// The cell for one value: `None` (NULL) stays NULL, and text that does not read as the
    /// column's type is kept as text rather than lost.
    pub fn value(self, text: Option<String>) -> Value {
        let Some(text) = text else {
            return Value::Null;
        };
        match self {
            Kind::Int => text.parse().map(Value::Int).unwrap_or(Value::Text(text)),
            Kind::Float => match text.as_str() {
                "NaN" => Value::Float(f64::NAN),
                "Infinity" => Value::Float(f64::INFINITY),
                "-Infinity" => Value::Float(f64::NEG_INFINITY),
                _ => text.parse().map(Value::Float).unwrap_or(Value::Text(text)),
            },
            Kind::Bool => match text.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::Text(text),
            },
            Kind::Text => Value::Text(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: Option<String>, athena_type: &str) -> Value {
        Kind::of(athena_type).value(text)
    }

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

    #[test]
    fn type_names_are_read_whatever_their_case_and_parameters() {
        assert_eq!(Kind::of("BIGINT"), Kind::Int);
        assert_eq!(Kind::of(" Integer "), Kind::Int);
        assert_eq!(Kind::of("REAL"), Kind::Float);
        assert_eq!(Kind::of("varchar(10)"), Kind::Text);
        assert_eq!(Kind::of("array(bigint)"), Kind::Text);
        assert_eq!(Kind::of("row(a integer)"), Kind::Text);
        assert_eq!(Kind::of(""), Kind::Text);
        assert!(matches!(value(Some("NaN".into()), "double"), Value::Float(f) if f.is_nan()));
        assert_eq!(
            value(Some("-Infinity".into()), "float"),
            Value::Float(f64::NEG_INFINITY)
        );
        assert_eq!(
            value(Some("TRUE".into()), "boolean"),
            Value::Text("TRUE".into())
        );
    }
}
