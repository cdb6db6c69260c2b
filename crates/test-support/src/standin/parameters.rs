//! `ExecutionParameters` as Athena applies them: each value, SQL text, goes in place of the next
//! `?` of the query, in order (a `?` in a string or a comment is not a parameter).

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// The query with the values in place, or the message Athena gives when they do not fit it.
pub(crate) fn substitute(query: &str, values: &[String]) -> Result<String, String> {
    let tokens = Tokenizer::new(&GenericDialect {}, query)
        .tokenize_with_location()
        .map_err(|e| format!("Queries of this type are not supported: {e}"))?;
    let markers: Vec<_> = tokens
        .iter()
        .filter(|t| matches!(&t.token, Token::Placeholder(p) if p == "?"))
        .collect();
    if markers.len() != values.len() {
        return Err(format!(
            "The query has {} parameters but {} ExecutionParameters were provided",
            markers.len(),
            values.len()
        ));
    }
    if values.iter().any(String::is_empty) {
        return Err("ExecutionParameters must not be empty".into());
    }
    // Locations are 1-based lines and character columns; values go in by byte offset.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(query.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: u64, column: u64| {
        let start = line_starts[(line as usize).saturating_sub(1)];
        query[start..]
            .char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(query.len(), |(i, _)| start + i)
    };
    let mut out = String::with_capacity(query.len());
    let mut from = 0;
    for (marker, value) in markers.iter().zip(values) {
        let at = offset(marker.span.start.line, marker.span.start.column);
        out.push_str(&query[from..at]);
        out.push_str(value);
        from = at + 1;
    }
    out.push_str(&query[from..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn values_go_in_order_and_only_for_parameters() {
        let q = "SELECT 'é?' AS x -- ?\nFROM t WHERE a = ? AND b IN (?, 2)";
        assert_eq!(
            substitute(q, &["'é'".into(), "7".into()]).as_deref(),
            Ok("SELECT 'é?' AS x -- ?\nFROM t WHERE a = 'é' AND b IN (7, 2)")
        );
        assert!(substitute(q, &["1".into()]).is_err());
        assert!(substitute(q, &["1".into(), "".into()]).is_err());
        assert_eq!(substitute("SELECT 1", &[]).as_deref(), Ok("SELECT 1"));
    }
}
