//! Sizes (`1TB`, `500 GiB`, `2000000`) and durations (`90s`, `15m`, `1h`) in policy files.

use std::time::Duration;

/// Bytes in a size written with a decimal (KB..PB) or binary (KiB..PiB) unit, or none.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim());
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "pb" => 1_000_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        "pib" => 1 << 50,
        _ => {
            return Err(format!(
                "size {text:?} has an unknown unit {unit:?}: use B, KB, MB, GB, TB, PB or KiB, MiB, GiB, TiB, PiB"
            ))
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!("size {text:?} is not a number followed by a unit, e.g. 1TB or 500GiB")
    })?;
    let bytes = value * factor as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("size {text:?} is out of range"));
    }
    Ok(bytes.round() as u64)
}

/// A duration written as a whole number of seconds, minutes or hours (`90s`, `15m`, `1h`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    let n: u64 = number.parse().map_err(|_| {
        format!("duration {text:?} is not a whole number followed by s, m or h, e.g. 15m")
    })?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => {
            return Err(format!(
                "duration {text:?} needs a unit: s, m or h, e.g. 15m"
            ))
        }
    };
    match seconds {
        Some(0) => Err(format!("duration {text:?} must be longer than zero")),
        Some(s) => Ok(Duration::from_secs(s)),
        None => Err(format!("duration {text:?} is out of range")),
    }
}

/// A size for people: "2.4 TB" (decimal units, as Athena bills).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        let s = format!("{value:.1}");
        format!("{} {}", s.trim_end_matches(".0"), UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_would_say_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500), "1.5 KB");
        assert_eq!(human_size(2_000), "2 KB");
        assert_eq!(human_size(2_400_000_000_000), "2.4 TB");
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("1TB"), Ok(1_000_000_000_000));
        assert_eq!(parse_size("1 TiB"), Ok(1 << 40));
        assert_eq!(parse_size("500gb"), Ok(500_000_000_000));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("2000"), Ok(2000));
        assert!(parse_size("1 TX").unwrap_err().contains("unknown unit"));
        assert!(parse_size("TB").is_err());
        assert!(parse_size("-1TB").is_err());
    }

    #[test]
    fn durations_take_seconds_minutes_hours() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("1d").is_err());
        assert!(parse_duration("15").is_err());
        assert!(parse_duration("0m").is_err());
    }

    #[test]
    fn human_sizes_read_well() {
        assert_eq!(human_size(2_400_000_000_000), "2.4 TB");
        assert_eq!(human_size(1_000_000_000_000), "1 TB");
        assert_eq!(human_size(12), "12 B");
    }
}
