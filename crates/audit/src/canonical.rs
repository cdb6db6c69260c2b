//! Canonical JSON (RFC 8785, JCS) for the values the journal produces: objects with keys sorted by
//! UTF-16 code units, no whitespace, minimal string escaping, integers only.
//!
//! Written by hand rather than relying on serde_json's map ordering, which changes when any crate
//! in the build enables serde_json's `preserve_order` feature.

use serde_json::Value;

/// Appends the canonical encoding of `value` to `out`. Fails on floating point numbers, which the
/// journal never writes (and whose canonical form would need the ECMAScript number algorithm).
pub(crate) fn write_canonical(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                check_safe_integer(i as i128)?;
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                check_safe_integer(u as i128)?;
                out.push_str(&u.to_string());
            } else {
                return Err(format!(
                    "floating point number {n} is not allowed in an audit event"
                ));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

pub(crate) fn to_canonical(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// JCS numbers are IEEE doubles; integers beyond 2^53 would not survive a round trip elsewhere.
fn check_safe_integer(i: i128) -> Result<(), String> {
    const MAX_SAFE: i128 = (1 << 53) - 1;
    if (-MAX_SAFE..=MAX_SAFE).contains(&i) {
        Ok(())
    } else {
        Err(format!(
            "integer {i} is outside the range that JSON can carry exactly (+-2^53-1)"
        ))
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let v = json!({"b": 1, "a": [true, null, "x"], "A": {"z": -3, "y": "q"}});
        assert_eq!(
            to_canonical(&v).unwrap(),
            r#"{"A":{"y":"q","z":-3},"a":[true,null,"x"],"b":1}"#
        );
    }

    #[test]
    fn escapes_like_jcs() {
        let v = json!("a\"b\\c\n\t\u{01}é/€");
        assert_eq!(to_canonical(&v).unwrap(), "\"a\\\"b\\\\c\\n\\t\\u0001é/€\"");
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // U+FF61 sorts after U+1F600 in UTF-8 byte order but before it in UTF-16 order.
        let v = json!({"\u{1F600}": 1, "\u{FF61}": 2});
        assert_eq!(
            to_canonical(&v).unwrap(),
            "{\"\u{1F600}\":1,\"\u{FF61}\":2}"
        );
    }

    #[test]
    fn rejects_floats_and_unsafe_integers() {
        assert!(to_canonical(&json!(1.5)).is_err());
        assert!(to_canonical(&json!(1u64 << 60)).is_err());
        assert_eq!(
            to_canonical(&json!((1u64 << 53) - 1)).unwrap(),
            "9007199254740991"
        );
    }
}
