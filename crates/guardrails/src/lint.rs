use std::collections::BTreeSet;

use sqlparser::parser::Parser;

use crate::analysis::{analyse, Finding};
use crate::dialect::AthenaDialect;
use crate::policy::{Policy, RuleKind};
use crate::report::{Diagnostic, Report, Severity, Verdict};
use crate::span::LineIndex;

/// Athena refuses query strings longer than this many bytes.
pub const MAX_QUERY_BYTES: usize = 262_144;

/// What the lint needs besides the text and the policy.
#[derive(Debug, Clone, Default)]
pub struct LintContext {
    /// Database that unqualified table names resolve in (Athena's query execution context).
    pub default_database: Option<String>,
    /// Elevations currently held; they remove the diagnostics they unlock.
    pub elevations: BTreeSet<String>,
}

/// Checks one SQL text (one or more statements) against a policy.
pub fn lint(policy: &Policy, sql: &str, ctx: &LintContext) -> Report {
    let index = LineIndex::new(sql);
    let mut diagnostics = Vec::new();
    let mut statements = Vec::new();
    let mut reads = BTreeSet::new();
    let mut classes = Vec::new();

    if sql.len() > MAX_QUERY_BYTES {
        diagnostics.push(Diagnostic {
            rule: "query_size".into(),
            severity: Severity::Error,
            message: format!(
                "the query is {} bytes; Athena accepts at most {MAX_QUERY_BYTES}: split it or move data into a table",
                sql.len()
            ),
            span: index.whole(),
            unlocked_by: vec![],
            fix: None,
        });
    } else {
        match Parser::parse_sql(&AthenaDialect, sql) {
            Err(e) => diagnostics.push(parse_error(&index, &e.to_string())),
            Ok(parsed) => {
                for statement in &parsed {
                    let analysis = analyse(statement, policy.catalog(), ctx.default_database.as_deref(), &index);
                    classes.push(analysis.class);
                    for f in &analysis.unresolved {
                        diagnostics.push(Diagnostic {
                            rule: "unresolved".into(),
                            severity: Severity::Error,
                            message: f.message.clone(),
                            span: f.span,
                            unlocked_by: vec![],
                            fix: None,
                        });
                    }
                    apply_rules(policy, &analysis.class, &analysis.reads, statement_span(&analysis.reads, &index), &mut diagnostics);
                    reads.extend(analysis.reads.iter().map(|r| r.qualified.clone()));
                }
                statements = parsed;
            }
        }
    }

    diagnostics.retain(|d| !d.unlocked_by.iter().any(|e| ctx.elevations.contains(e)));
    diagnostics.sort_by_key(|d| (d.span.start.offset, d.span.end.offset));
    let (verdict, elevations) = decide(&diagnostics);
    Report {
        sql: sql.to_string(),
        default_database: ctx.default_database.clone(),
        policy_fingerprint: policy.fingerprint().to_string(),
        active_elevations: ctx.elevations.clone(),
        verdict,
        elevations,
        reads: reads.into_iter().collect(),
        classes,
        diagnostics,
        statements,
    }
}

fn statement_span(_reads: &[Finding], index: &LineIndex) -> crate::Span {
    index.whole()
}

fn apply_rules(
    policy: &Policy,
    class: &crate::StatementClass,
    reads: &[Finding],
    whole: crate::Span,
    out: &mut Vec<Diagnostic>,
) {
    for rule in &policy.rules {
        match &rule.kind {
            RuleKind::StatementClass { allow } => {
                if !allow.contains(class) {
                    out.push(Diagnostic {
                        rule: rule.id.clone(),
                        severity: rule.severity,
                        message: rule.message.clone().unwrap_or_else(|| {
                            format!("{} statements are not allowed by this policy", class.as_str())
                        }),
                        span: whole,
                        unlocked_by: rule.unlocked_by.clone(),
                        fix: None,
                    });
                }
            }
            RuleKind::RestrictedColumns { tags } => {
                for read in reads {
                    let hit: Vec<&String> = read.tags.iter().filter(|t| tags.contains(*t)).collect();
                    if hit.is_empty() {
                        continue;
                    }
                    let way_out = if rule.unlocked_by.is_empty() {
                        "it cannot be read under this policy".to_string()
                    } else {
                        format!("request the {} elevation", rule.unlocked_by.join(" or "))
                    };
                    let message = match &rule.message {
                        Some(m) => m.replace("{column}", &read.qualified).replace("{tag}", hit[0]),
                        None => format!("{} is tagged {}: {way_out}", read.qualified, hit[0]),
                    };
                    out.push(Diagnostic {
                        rule: rule.id.clone(),
                        severity: rule.severity,
                        message,
                        span: read.span,
                        unlocked_by: rule.unlocked_by.clone(),
                        fix: None,
                    });
                }
            }
            _ => {}
        }
    }
}

fn parse_error(index: &LineIndex, message: &str) -> Diagnostic {
    // sqlparser ends its messages with "at Line: L, Column: C".
    let (text, span) = match message.rfind(" at Line: ") {
        Some(i) => {
            let tail = &message[i + " at Line: ".len()..];
            let mut parts = tail.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
            let col = parts.next().and_then(|c| c.trim().parse::<u64>().ok());
            match (line, col) {
                (Some(l), Some(c)) => {
                    let start = index.position(l, c);
                    let end = index.position(l, c + 1);
                    (message[..i].to_string(), index.span(start, end))
                }
                _ => (message.to_string(), index.whole()),
            }
        }
        None => (message.to_string(), index.whole()),
    };
    let text = text.trim_start_matches("sql parser error: ").to_string();
    Diagnostic {
        rule: "parse_error".into(),
        severity: Severity::Error,
        message: format!("cannot parse the query: {text}"),
        span,
        unlocked_by: vec![],
        fix: None,
    }
}

/// `allow` without errors; `elevate` when elevations can lift every error, with the smallest
/// such set; `deny` otherwise.
fn decide(diagnostics: &[Diagnostic]) -> (Verdict, Vec<String>) {
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    if errors.is_empty() {
        return (Verdict::Allow, vec![]);
    }
    if errors.iter().any(|d| d.unlocked_by.is_empty()) {
        return (Verdict::Deny, vec![]);
    }
    let candidates: BTreeSet<&String> = errors.iter().flat_map(|d| d.unlocked_by.iter()).collect();
    let candidates: Vec<&String> = candidates.into_iter().collect();
    // Exact smallest hitting set; policies name a handful of elevations, so subsets are cheap.
    if candidates.len() <= 16 {
        for size in 1..=candidates.len() {
            if let Some(set) = subsets(&candidates, size).into_iter().find(|set| {
                errors.iter().all(|d| d.unlocked_by.iter().any(|e| set.contains(&e)))
            }) {
                return (Verdict::Elevate, set.into_iter().cloned().collect());
            }
        }
    }
    (Verdict::Elevate, candidates.into_iter().cloned().collect())
}

fn subsets<'a>(items: &[&'a String], size: usize) -> Vec<Vec<&'a String>> {
    if size == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        for mut rest in subsets(&items[i + 1..], size - 1) {
            rest.insert(0, item);
            out.push(rest);
        }
    }
    out
}
