use std::time::Duration;

use warden_guardrails::{Approval, Justification, Policy};

use crate::ElevationError;

/// Longest justification kept; it goes into the audit journal and in front of an approver.
pub const MAX_JUSTIFICATION_CHARS: usize = 1000;
const MAX_TICKET_CHARS: usize = 100;

/// What an analyst asks for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The elevation's name in the policy (`pii-read`).
    pub name: String,
    /// How long; `None` asks for the policy's default duration.
    pub duration: Option<Duration>,
    pub justification: String,
    pub ticket: Option<String>,
    /// Asks for more time on a held grant: that grant's request id. `duration` is then how
    /// much longer it should hold (see [`crate::extension`]).
    pub extends: Option<String>,
}

/// A request that fits the policy's definition of its elevation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub name: String,
    pub duration: Duration,
    /// Trimmed; empty only when the policy makes it optional.
    pub justification: String,
    pub ticket: Option<String>,
    pub approval: Approval,
    /// The held grant an extension is for (its request id).
    pub extends: Option<String>,
}

impl Validated {
    /// The justification with its ticket in front, as approvers and the journal see it.
    pub fn reason(&self) -> String {
        match &self.ticket {
            Some(t) if self.justification.is_empty() => format!("[{t}]"),
            Some(t) => format!("[{t}] {}", self.justification),
            None => self.justification.clone(),
        }
    }
}

/// Checks `request` against the elevation `policy` defines under its name.
pub fn validate(policy: &Policy, request: &Request) -> Result<Validated, ElevationError> {
    let name = request.name.trim();
    let Some(def) = policy.elevation(name) else {
        let known: Vec<&str> = policy.elevations().keys().map(String::as_str).collect();
        return Err(ElevationError::Unknown {
            name: name.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    };
    let duration = request
        .duration
        .unwrap_or(def.default_duration)
        .min(Duration::MAX);
    if duration.is_zero() {
        return Err(ElevationError::ZeroDuration);
    }
    if duration > def.max_duration {
        return Err(ElevationError::TooLong {
            name: name.into(),
            max: format_duration(def.max_duration),
        });
    }
    let justification = request.justification.trim().to_string();
    if justification
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ElevationError::ControlCharacters);
    }
    let chars = justification.chars().count();
    if chars > MAX_JUSTIFICATION_CHARS {
        return Err(ElevationError::JustificationTooLong {
            chars,
            max: MAX_JUSTIFICATION_CHARS,
        });
    }
    if def.justification == Justification::Required && justification.is_empty() {
        return Err(ElevationError::JustificationRequired { name: name.into() });
    }
    let ticket = request
        .ticket
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if ticket
        .as_deref()
        .is_some_and(|t| t.chars().any(char::is_control) || t.chars().count() > MAX_TICKET_CHARS)
    {
        return Err(ElevationError::BadTicket {
            max: MAX_TICKET_CHARS,
        });
    }
    if let Some(pattern) = &def.ticket_pattern {
        // The whole reference must match, whatever anchors the pattern has.
        let whole = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            ElevationError::BadTicketPattern {
                name: name.into(),
                reason: e.to_string(),
            }
        })?;
        match &ticket {
            None => {
                return Err(ElevationError::TicketRequired {
                    name: name.into(),
                    pattern: pattern.clone(),
                })
            }
            Some(t) if !whole.is_match(t) => {
                return Err(ElevationError::TicketMismatch {
                    ticket: t.clone(),
                    pattern: pattern.clone(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(Validated {
        name: name.into(),
        duration,
        justification,
        ticket,
        approval: def.approval,
        extends: request
            .extends
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string),
    })
}

/// "15 min", "1 h", "1 h 30 min", "45 s".
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"format: warden-policy/1
name: t
catalog:
  databases:
    sales:
      tables:
        customers:
          columns: { id: bigint, email: { type: varchar, tags: [pii] } }
elevations:
  pii-read:
    description: Read pii
    max_duration: 1h
    default_duration: 15m
    approval: auto
    justification: required
    ticket_pattern: '(INC|SUP)-[0-9]+'
  large-scan:
    description: Big scans
    max_duration: 30m
    default_duration: 10m
    approval: manual
    justification: optional
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read] }
"#;

    fn policy() -> Policy {
        Policy::from_yaml(POLICY).expect("policy")
    }

    fn ask(
        name: &str,
        minutes: Option<u64>,
        why: &str,
        ticket: Option<&str>,
    ) -> Result<Validated, ElevationError> {
        validate(
            &policy(),
            &Request {
                name: name.into(),
                duration: minutes.map(|m| Duration::from_secs(m * 60)),
                justification: why.into(),
                ticket: ticket.map(str::to_string),
                extends: None,
            },
        )
    }

    #[test]
    fn a_request_that_fits_is_validated_with_the_default_duration() {
        let v = ask("pii-read", None, "  churn analysis for Q3 ", Some("INC-42")).expect("valid");
        assert_eq!(v.duration, Duration::from_secs(15 * 60));
        assert_eq!(v.justification, "churn analysis for Q3");
        assert_eq!(v.approval, Approval::Auto);
        assert_eq!(v.reason(), "[INC-42] churn analysis for Q3");
        let v = ask("large-scan", Some(30), "", None).expect("justification is optional there");
        assert_eq!((v.approval, v.reason()), (Approval::Manual, String::new()));
    }

    #[test]
    fn each_broken_rule_gets_its_own_message() {
        let e = ask("pii-write", None, "x", None).unwrap_err().to_string();
        assert!(
            e.contains("no elevation named \"pii-write\"") && e.contains("large-scan, pii-read"),
            "{e}"
        );
        let e = ask("pii-read", Some(61), "x", Some("INC-1"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 1 h"), "{e}");
        assert!(matches!(
            ask("pii-read", Some(0), "x", Some("INC-1")),
            Err(ElevationError::ZeroDuration)
        ));
        assert!(matches!(
            ask("pii-read", None, "   ", Some("INC-1")),
            Err(ElevationError::JustificationRequired { .. })
        ));
        assert!(matches!(
            ask("pii-read", None, "why", None),
            Err(ElevationError::TicketRequired { .. })
        ));
        assert!(matches!(
            ask("pii-read", None, "why", Some("  ")),
            Err(ElevationError::TicketRequired { .. })
        ));
        // The pattern has no anchors; the whole reference must still match it.
        assert!(matches!(
            ask("pii-read", None, "why", Some("xINC-1")),
            Err(ElevationError::TicketMismatch { .. })
        ));
        assert!(matches!(
            ask("pii-read", None, "why", Some("INC-1; rm")),
            Err(ElevationError::TicketMismatch { .. })
        ));
        assert!(matches!(
            ask("pii-read", None, "a\u{1b}[2Jb", Some("INC-1")),
            Err(ElevationError::ControlCharacters)
        ));
        // Whatever the pattern, a ticket is one short line.
        assert!(matches!(
            ask("large-scan", None, "", Some("INC-1\u{1b}[2J")),
            Err(ElevationError::BadTicket { .. })
        ));
        assert!(matches!(
            ask("large-scan", None, "", Some(&"9".repeat(101))),
            Err(ElevationError::BadTicket { .. })
        ));
        let long = "x".repeat(MAX_JUSTIFICATION_CHARS + 1);
        assert!(matches!(
            ask("pii-read", None, &long, Some("INC-1")),
            Err(ElevationError::JustificationTooLong { .. })
        ));
        assert!(ask("pii-read", None, "line one\nline two", Some("SUP-7")).is_ok());
    }

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(format_duration(Duration::from_secs(900)), "15 min");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1 h 30 min");
        assert_eq!(format_duration(Duration::from_secs(45)), "45 s");
        assert_eq!(format_duration(Duration::ZERO), "0 s");
    }
}
