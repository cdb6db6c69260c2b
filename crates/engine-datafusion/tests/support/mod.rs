//! What the engine's tests share: one demo lake, a results folder, and approval by a policy
//! without rules.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use warden_demo_lake::{ensure, open_policy_yaml, LakeSummary};
use warden_engine::Approved;
use warden_guardrails::{lint, LintContext, Policy};

const SEED: u64 = 7;

/// One lake for all tests, kept between runs in Cargo's scratch folder (regenerated when the
/// generator changes).
pub fn lake() -> &'static (PathBuf, LakeSummary) {
    static LAKE: OnceLock<(PathBuf, LakeSummary)> = OnceLock::new();
    LAKE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-datafusion-lake");
        let summary = ensure(&root, SEED).expect("demo lake generated");
        (root, summary)
    })
}

/// Where the tests' results are stored (each a folder of its own, removed with its reader).
pub fn results() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-datafusion-results")
}

/// A policy that knows the lake's tables and has no rules, so every statement is allowed.
pub fn policy() -> Policy {
    Policy::from_yaml(&open_policy_yaml("engine-tests")).expect("test policy parses")
}

pub fn approve_in(sql: &str, default_database: Option<&str>) -> Approved {
    let ctx = LintContext {
        default_database: default_database.map(str::to_string),
        ..Default::default()
    };
    let report = lint(&policy(), sql, &ctx);
    report
        .approve()
        .unwrap_or_else(|refusal| panic!("{sql} was not approved: {refusal}"))
}

pub fn approve(sql: &str) -> Approved {
    approve_in(sql, None)
}
