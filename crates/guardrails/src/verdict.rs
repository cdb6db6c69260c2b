//! From diagnostics to a verdict and the smallest set of elevations that would allow the query.

use std::collections::BTreeSet;

use crate::report::{Diagnostic, Severity, Verdict};

/// `allow` without errors; `elevate` when elevations can lift every error, with the smallest
/// such set; `deny` otherwise.
pub(crate) fn decide(diagnostics: &[Diagnostic]) -> (Verdict, Vec<String>) {
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        return (Verdict::Allow, vec![]);
    }
    if errors.iter().any(|d| d.unlocked_by.is_empty()) {
        return (Verdict::Deny, vec![]);
    }
    let candidates: Vec<&String> = errors
        .iter()
        .flat_map(|d| d.unlocked_by.iter())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Exact smallest hitting set, smallest first then alphabetical; policies name a handful of
    // elevations, and past 20 candidates the greedy set is used instead.
    if candidates.len() <= 20 {
        let n = candidates.len();
        let mut best: Option<u32> = None;
        for mask in 1u32..(1u32 << n) {
            if best.is_some_and(|b| mask.count_ones() >= b.count_ones()) {
                continue;
            }
            let covers = errors.iter().all(|d| {
                d.unlocked_by.iter().any(|e| {
                    candidates
                        .iter()
                        .position(|c| *c == e)
                        .is_some_and(|i| mask & (1 << i) != 0)
                })
            });
            if covers {
                best = Some(mask);
            }
        }
        if let Some(mask) = best {
            let set = (0..n)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| candidates[i].clone())
                .collect();
            return (Verdict::Elevate, set);
        }
    }
    let mut chosen: Vec<String> = Vec::new();
    let mut left: Vec<&Diagnostic> = errors;
    while !left.is_empty() {
        let best = candidates
            .iter()
            .max_by_key(|c| {
                (
                    left.iter().filter(|d| d.unlocked_by.contains(c)).count(),
                    std::cmp::Reverse(**c),
                )
            })
            .map(|c| (*c).clone());
        let Some(best) = best else { break };
        left.retain(|d| !d.unlocked_by.contains(&best));
        chosen.push(best);
    }
    chosen.sort();
    (Verdict::Elevate, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::LineIndex;

    fn error(unlocked_by: &[&str]) -> Diagnostic {
        let idx = LineIndex::new("x");
        Diagnostic {
            rule: "r".into(),
            severity: Severity::Error,
            message: "m".into(),
            span: idx.whole(),
            unlocked_by: unlocked_by.iter().map(|s| s.to_string()).collect(),
            fix: None,
        }
    }

    #[test]
    fn no_errors_allow() {
        let mut warning = error(&[]);
        warning.severity = Severity::Warning;
        assert_eq!(decide(&[warning]), (Verdict::Allow, vec![]));
    }

    #[test]
    fn an_error_nothing_unlocks_denies() {
        assert_eq!(decide(&[error(&["a"]), error(&[])]).0, Verdict::Deny);
    }

    #[test]
    fn smallest_set_is_chosen() {
        // {b} alone covers all three, although a and c each cover more by name.
        let d = [error(&["a", "b"]), error(&["b", "c"]), error(&["b"])];
        assert_eq!(decide(&d), (Verdict::Elevate, vec!["b".to_string()]));
        let d = [error(&["a"]), error(&["c"]), error(&["a", "c"])];
        assert_eq!(
            decide(&d),
            (Verdict::Elevate, vec!["a".to_string(), "c".to_string()])
        );
    }
}
