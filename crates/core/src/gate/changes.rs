//! What the gate's elevation operations report: the answer to a request, what a check
//! changed, and the notices the shells show outside the window.

use chrono::{TimeZone, Utc};
use serde::Serialize;
use warden_elevation::{format_duration, ActiveElevation, ElevationStatus, Grant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Granted,
    Pending,
    Denied,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElevationDecision {
    pub outcome: Outcome,
    pub name: String,
    pub message: String,
    pub expires_at_ms: Option<i64>,
    pub request_id: Option<String>,
    pub status: ElevationStatus,
}

/// A grant that ended, and how many running queries that needed it were cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndedElevation {
    pub name: String,
    pub cancelled: usize,
}

/// What one check changed; the app turns it into notifications and events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElevationChanges {
    pub granted: Vec<ActiveElevation>,
    /// Held grants an approver gave more time (with their new end).
    pub extended: Vec<ActiveElevation>,
    /// Name and the approver's reason.
    pub denied: Vec<(String, String)>,
    pub ended: Vec<EndedElevation>,
    /// Grants that came within [`WARN_BEFORE`] of their end since the last check.
    pub ending_soon: Vec<ActiveElevation>,
    /// Events that could not be recorded (the change happened anyway: ending fails closed).
    pub errors: Vec<String>,
    /// Grants locked out whose credentials could not be deleted from the keyring: name, and
    /// what that means and what to do.
    pub not_wiped: Vec<(String, String)>,
}

impl ElevationChanges {
    pub fn is_empty(&self) -> bool {
        self.granted.is_empty()
            && self.extended.is_empty()
            && self.denied.is_empty()
            && self.ended.is_empty()
            && self.ending_soon.is_empty()
            && self.not_wiped.is_empty()
    }
}

/// "until 14:05 UTC (15 min)".
pub(crate) fn until_text(grant: &Grant) -> String {
    let span = (grant.expires_at - grant.granted_at)
        .to_std()
        .unwrap_or_default();
    format!(
        "until {} ({})",
        grant.expires_at.format("%H:%M:%S UTC"),
        format_duration(span)
    )
}

/// A desktop notification: what happened, in a line, and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

impl ElevationChanges {
    /// What to tell the analyst outside the window about these changes.
    pub fn notices(&self) -> Vec<Notice> {
        let mut notices = Vec::new();
        for g in &self.granted {
            let by = g
                .approver
                .as_deref()
                .map(|a| format!(" by {a}"))
                .unwrap_or_default();
            notices.push(Notice {
                title: format!("{} granted", g.name),
                body: format!("Approved{by}; it ends at {}.", clock(g.expires_at_ms)),
            });
        }
        for g in &self.extended {
            let by = g
                .approver
                .as_deref()
                .map(|a| format!(" by {a}"))
                .unwrap_or_default();
            notices.push(Notice {
                title: format!("{} extended until {}", g.name, clock(g.expires_at_ms)),
                body: format!("Approved{by}; running queries carry on."),
            });
        }
        for (name, reason) in &self.denied {
            notices.push(Notice {
                title: format!("{name} not granted"),
                body: sentence(reason),
            });
        }
        for g in &self.ending_soon {
            notices.push(Notice {
                title: format!("{} ends at {}", g.name, clock(g.expires_at_ms)),
                body: "Queries that need it and are still running then are cancelled. Save what you need.".into(),
            });
        }
        for e in &self.ended {
            let cancelled = match e.cancelled {
                0 => String::new(),
                1 => " One running query that needed it was cancelled.".into(),
                n => format!(" {n} running queries that needed it were cancelled."),
            };
            notices.push(Notice {
                title: format!("{} has ended", e.name),
                body: format!("You are back to your usual access.{cancelled}"),
            });
        }
        for (name, message) in &self.not_wiped {
            notices.push(Notice {
                title: format!("{name}: credentials still in the keyring"),
                body: sentence(message),
            });
        }
        notices
    }
}

/// The notice for a grant the analyst just received from an auto-approving policy.
pub fn granted_notice(grant: &ActiveElevation) -> Notice {
    Notice {
        title: format!("{} granted", grant.name),
        body: format!(
            "Approved by policy; it ends at {}.",
            clock(grant.expires_at_ms)
        ),
    }
}

/// The notice for a held grant an auto-approving policy just gave more time.
pub fn extended_notice(grant: &ActiveElevation) -> Notice {
    Notice {
        title: format!(
            "{} extended until {}",
            grant.name,
            clock(grant.expires_at_ms)
        ),
        body: "Approved by policy; running queries carry on.".into(),
    }
}

/// Backend reasons start in lower case to sit inside sentences; a notification body is one.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn clock(ms: i64) -> String {
    use chrono::Local;
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&Local).format("%H:%M").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(name: &str, approver: Option<&str>) -> ActiveElevation {
        ActiveElevation {
            name: name.into(),
            request_id: "r".into(),
            granted_at_ms: 0,
            expires_at_ms: 3_600_000,
            approver: approver.map(str::to_string),
        }
    }

    #[test]
    fn each_change_is_told_in_plain_words() {
        let changes = ElevationChanges {
            granted: vec![active("large-scan", Some("bob"))],
            extended: vec![],
            denied: vec![("restricted-read".into(), "use the masked view".into())],
            ended: vec![EndedElevation {
                name: "pii-read".into(),
                cancelled: 2,
            }],
            ending_soon: vec![active("large-scan", Some("bob"))],
            errors: vec![],
            not_wiped: vec![],
        };
        let notices = changes.notices();
        let titles: Vec<&str> = notices.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles[0], "large-scan granted");
        assert!(
            notices[0].body.starts_with("Approved by bob; it ends at "),
            "{}",
            notices[0].body
        );
        assert_eq!(titles[1], "restricted-read not granted");
        assert_eq!(notices[1].body, "Use the masked view");
        assert!(titles[2].starts_with("large-scan ends at "));
        assert_eq!(titles[3], "pii-read has ended");
        assert!(
            notices[3]
                .body
                .ends_with("2 running queries that needed it were cancelled."),
            "{}",
            notices[3].body
        );
        assert!(ElevationChanges::default().notices().is_empty());
        assert!(granted_notice(&active("pii-read", None))
            .body
            .starts_with("Approved by policy"));
        let extended = ElevationChanges {
            extended: vec![active("pii-read", Some("carol"))],
            ..Default::default()
        };
        assert!(!extended.is_empty());
        let notice = &extended.notices()[0];
        assert!(
            notice.title.starts_with("pii-read extended until "),
            "{}",
            notice.title
        );
        assert_eq!(notice.body, "Approved by carol; running queries carry on.");
        assert!(extended_notice(&active("pii-read", None))
            .title
            .starts_with("pii-read extended until "));
    }
}
