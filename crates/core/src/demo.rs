//! The demo workspace: a generated Parquet lake, the policy that guards it, and DataFusion to
//! query it, in the `warden-demo-engine` process. Everything is derived from
//! `warden_demo_lake::describe()`, so the policy's catalog always matches the data.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use warden_demo_client::DemoEngine;
use warden_demo_lake::{LakeSummary, TableSpec};
use warden_engine::Engine;

use crate::error::CoreError;

/// Fixed so that every installation gets the same sample data (and tests can count on it).
const SEED: u64 = warden_demo_lake::DEFAULT_SEED;

pub(crate) fn lake_dir(dir: &Path) -> PathBuf {
    dir.join("lake")
}

fn policy_file(dir: &Path) -> PathBuf {
    dir.join("policy.yaml")
}

/// The demo security team's signing key. A real team keeps this far from analysts' machines;
/// the demo has no such place, and says so in its name.
pub(crate) fn key_file(dir: &Path) -> PathBuf {
    dir.join("keys").join("demo-signing.key")
}

/// The demo's stand-in for the central bundle store (`warden bundle publish --to file:///…/`).
pub(crate) fn central_bundles(dir: &Path) -> PathBuf {
    dir.join("central").join("bundles")
}

/// The demo's stand-in for the central audit store.
pub(crate) fn central_audit(dir: &Path) -> PathBuf {
    dir.join("central").join("audit")
}

/// How long a demo bundle is valid, and how close to its expiry it is signed again.
const BUNDLE_VALIDITY_DAYS: i64 = 30;
const REPUBLISH_WITHIN_DAYS: i64 = 7;

pub(crate) async fn init(dir: &Path) -> Result<(), CoreError> {
    let program = warden_demo_client::program().map_err(|e| CoreError::DemoLake(e.to_string()))?;
    let summary = warden_demo_client::ensure_lake(&program, &lake_dir(dir), SEED)
        .await
        .map_err(|e| CoreError::DemoLake(e.to_string()))?;
    let policy = policy_text(&warden_demo_lake::describe(), &summary);
    crate::files::write_atomically(&policy_file(dir), policy.as_bytes())?;
    publish_bundle(dir).await.map(|_| ())
}

pub(crate) fn is_initialised(dir: &Path) -> bool {
    policy_file(dir).is_file()
        && warden_bundle::public_path(&key_file(dir)).is_file()
        && central_bundles(dir).join("latest").is_file()
        && warden_demo_lake::existing(&lake_dir(dir), SEED).is_some()
}

/// Signs `policy.yaml` and publishes it to the demo's central store when the store has no
/// bundle, holds another policy, or holds one that expires within a week: what a security
/// team's pipeline does, so that the demo runs through the same fetch-and-verify path as a
/// real workspace. Returns the revision published, if any.
pub(crate) async fn publish_bundle(dir: &Path) -> Result<Option<u64>, CoreError> {
    use sha2::Digest;
    let key_path = key_file(dir);
    if !key_path.is_file() {
        let keys = key_path.parent().unwrap_or(dir);
        std::fs::create_dir_all(keys).map_err(|e| CoreError::io("create", keys, e))?;
        warden_bundle::keygen(&key_path)?;
    }
    let key = warden_bundle::SigningKey::from_file(&key_path)?;
    let policy =
        std::fs::read(policy_file(dir)).map_err(|e| CoreError::io("read", policy_file(dir), e))?;
    let store = central_bundles(dir);
    let now = chrono::Utc::now();
    let latest = match std::fs::read(store.join("latest")) {
        Ok(bytes) => Some(warden_bundle::inspect(
            &bytes,
            &warden_bundle::Limits::default(),
        )?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(CoreError::io("read", store.join("latest"), e)),
    };
    let policy_sha = hex::encode(sha2::Sha256::digest(&policy));
    if let Some(manifest) = &latest {
        let same_policy = manifest
            .files
            .get(warden_bundle::POLICY_FILE)
            .is_some_and(|f| f.sha256 == policy_sha);
        let fresh = manifest.expires_at - now > chrono::Duration::days(REPUBLISH_WITHIN_DAYS);
        if same_policy && fresh && manifest.key_id == key.id().as_str() {
            return Ok(None);
        }
    }
    let revision = match latest {
        None => 1,
        Some(m) => m.revision.checked_add(1).ok_or_else(|| {
            CoreError::DemoLake(format!(
                "the demo bundle store {} holds revision {}, the highest there can be; delete the folder to start over",
                store.display(),
                m.revision
            ))
        })?,
    };
    let bytes = warden_bundle::build(
        &policy,
        None,
        revision,
        chrono::Duration::days(BUNDLE_VALIDITY_DAYS),
        &key,
        now,
    )?;
    std::fs::create_dir_all(&store).map_err(|e| CoreError::io("create", &store, e))?;
    let url = file_url(&store)?;
    warden_bundle::publish(&bytes, &url, &warden_bundle::RemoteOptions::default()).await?;
    Ok(Some(revision))
}

/// `file:///dir/` for a local folder (trailing slash: a store, read through its `latest`).
pub(crate) fn file_url(dir: &Path) -> Result<String, CoreError> {
    url::Url::from_directory_path(dir)
        .map(String::from)
        .map_err(|()| CoreError::io("use", dir, std::io::Error::other("not an absolute path")))
}

pub(crate) fn describe(dir: &Path) -> Vec<String> {
    let Some(summary) = warden_demo_lake::existing(&lake_dir(dir), SEED) else {
        return Vec::new();
    };
    summary
        .tables
        .iter()
        .map(|t| {
            let partitions = if t.partitions > 0 {
                format!(", {} partitions", t.partitions)
            } else {
                String::new()
            };
            format!(
                "{}.{}: {} rows{partitions}, {} bytes of Parquet",
                t.database, t.table, t.rows, t.bytes
            )
        })
        .collect()
}

pub(crate) fn open_engine(dir: &Path, results_dir: &Path) -> Result<Box<dyn Engine>, CoreError> {
    let program = warden_demo_client::program().map_err(|e| CoreError::Engine(e.to_string()))?;
    Ok(Box::new(DemoEngine::new(
        &program,
        &lake_dir(dir),
        results_dir,
    )))
}

/// The demo policy: the lake's catalog with its personal-data tags and sizes, one elevation
/// for personal data, and rules that keep the demo read-only and guard tagged columns.
fn policy_text(tables: &[TableSpec], summary: &LakeSummary) -> String {
    let mut out = String::new();
    out.push_str("# Generated by `warden workspace init` for the demo workspace.\n");
    out.push_str("format: warden-policy/1\nname: demo\ncatalog:\n  databases:\n");
    let mut current_db = "";
    for t in tables {
        if t.database != current_db {
            let _ = writeln!(out, "    {}:\n      tables:", t.database);
            current_db = t.database;
        }
        let _ = writeln!(out, "        {}:\n          columns:", t.name);
        for c in &t.columns {
            let ty = c.data_type.athena_name();
            if c.tags.is_empty() {
                let _ = writeln!(out, "            {}: {ty}", c.name);
            } else {
                let _ = writeln!(
                    out,
                    "            {}: {{ type: {ty}, tags: [{}] }}",
                    c.name,
                    c.tags.join(", ")
                );
            }
        }
        let keys = t.partition_keys();
        if !keys.is_empty() {
            let _ = writeln!(out, "          partition_keys: [{}]", keys.join(", "));
        }
        if let Some(s) = summary.table(t.database, t.name) {
            if s.partitions > 0 {
                let _ = writeln!(
                    out,
                    "          stats: {{ size_bytes: {}, partitions: {} }}",
                    s.bytes, s.partitions
                );
            } else {
                let _ = writeln!(out, "          stats: {{ size_bytes: {} }}", s.bytes);
            }
        }
    }
    // A quarter of the largest table: scanning all of it needs the large-scan elevation, while a
    // query filtered to a few days stays within budget.
    let largest = summary.tables.iter().map(|t| t.bytes).max().unwrap_or(0);
    out.push_str(DEMO_ELEVATIONS);
    out.push_str(&demo_rules((largest / 4).max(1)));
    out
}

const DEMO_ELEVATIONS: &str = r#"elevations:
  pii-read:
    description: Read columns tagged pii (names, e-mail addresses, phone numbers, IP addresses)
    max_duration: 1h
    default_duration: 15m
    approval: auto
    justification: required
  large-scan:
    description: Scan more than the demo's scan budget
    max_duration: 30m
    default_duration: 15m
    approval: manual
    justification: required
"#;

/// The rules of the demo policy; `budget` is the scan budget in bytes.
fn demo_rules(budget: u64) -> String {
    format!(
        r#"rules:
  - {{ id: read-only, kind: statement_class, allow: [query, explain, show, describe], severity: error }}
  - id: pii
    kind: restricted_columns
    tags: [pii]
    severity: error
    unlocked_by: [pii-read]
    message: "{{column}} is personal data: request the pii-read elevation"
  - id: restricted
    kind: restricted_columns
    tags: [restricted]
    severity: error
    message: "{{column}} is restricted: no elevation unlocks it"
  - {{ id: partition-filter, kind: require_partition_filter, tables: [sales.orders, web.events], severity: warning }}
  - {{ id: scan-budget, kind: max_scan_bytes, limit: {budget}, severity: error, unlocked_by: [large-scan] }}
  - {{ id: select-star, kind: select_star, severity: info }}
  - {{ id: null-comparison, kind: null_comparison, severity: warning }}
  - {{ id: blocked-functions, kind: blocked_functions, functions: [sleep], severity: error }}
"#
    )
}

#[cfg(test)]
mod tests {
    use warden_guardrails::{lint, LintContext, Policy, Verdict};

    use super::*;

    fn summary() -> LakeSummary {
        LakeSummary {
            generator_version: 1,
            seed: SEED,
            first_day: "2026-01-01".into(),
            last_day: "2026-03-01".into(),
            tables: vec![
                table("sales", "customers", 500_000, 0),
                table("sales", "orders", 4_000_000, 60),
                table("web", "events", 8_000_000, 60),
            ],
        }
    }

    fn table(
        database: &str,
        name: &str,
        bytes: u64,
        partitions: u64,
    ) -> warden_demo_lake::TableSummary {
        warden_demo_lake::TableSummary {
            database: database.into(),
            table: name.into(),
            rows: 1,
            bytes,
            partitions,
            files: partitions.max(1),
        }
    }

    #[test]
    fn the_generated_policy_is_valid_and_guards_personal_data() {
        let text = policy_text(&warden_demo_lake::describe(), &summary());
        let policy = Policy::from_yaml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let ctx = LintContext {
            default_database: Some("sales".into()),
            ..Default::default()
        };
        let verdict = |sql: &str| lint(&policy, sql, &ctx).verdict();
        assert_eq!(
            verdict("SELECT country, count(*) FROM sales.customers GROUP BY 1"),
            Verdict::Allow
        );
        assert_eq!(verdict("SELECT email FROM customers"), Verdict::Elevate);
        assert_eq!(verdict("SELECT ssn FROM customers"), Verdict::Deny);
        assert_eq!(
            verdict("SELECT card_number FROM sales.orders"),
            Verdict::Deny
        );
        assert_eq!(
            verdict("SELECT ip_address FROM web.events"),
            Verdict::Elevate
        );
        assert_eq!(verdict("DROP TABLE sales.orders"), Verdict::Deny);
        // The budget is a quarter of the largest table: a full scan needs large-scan, a day does not.
        assert_eq!(verdict("SELECT count(*) FROM web.events"), Verdict::Elevate);
        assert_eq!(
            verdict("SELECT count(*) FROM web.events WHERE dt = '2026-01-05'"),
            Verdict::Allow
        );
        for query in crate::DEMO_QUERIES {
            let report = lint(&policy, query.sql, &ctx);
            assert_eq!(report.verdict(), query.verdict, "{}", query.sql);
            if query.verdict == Verdict::Elevate {
                assert_eq!(
                    report.elevations(),
                    ["pii-read".to_string()],
                    "{}",
                    query.sql
                );
            }
        }
        let report = lint(&policy, "SELECT url FROM web.events", &ctx);
        assert_eq!(report.elevations(), ["large-scan".to_string()]);
        assert!(
            report
                .diagnostics()
                .iter()
                .any(|d| d.rule == "partition-filter"),
            "a missing dt filter is flagged"
        );
    }
}
