//! The scan estimate of a run, measured before it starts: the tables and partitions the text
//! reads (the guardrails name them, from the same partition-filter analysis their rules use),
//! their sizes from the workspace's cache or the engine (on Athena: Glue and S3 listings), and
//! `max_scan_bytes` judged on those sizes by the lint that decides the run.
//!
//! Fail closed: a size that cannot be measured is not zero; that table's estimate comes from the
//! policy's stats, and the message says why. The lint as you type never measures (no I/O).

use warden_guardrails::{
    bind, lint, lint_measured, Policy, Report, ScanEstimate, ScanSizes, SqlText,
};

use super::{Gate, NoPolicy};
use crate::scan_cache::ScanCache;

impl Gate {
    /// Keeps measured sizes in the cache file at `path` (see `scan_cache.rs`).
    pub(crate) fn cache_scan_sizes_in(&mut self, path: std::path::PathBuf) {
        self.scan_cache = Some(path);
    }

    /// The sizes the run of `sql` (with `parameters` in place) would scan, for the tables the
    /// policy's scan budget looks at; none when it has no budget or the engine does not measure.
    pub(crate) async fn measure_scan(
        &self,
        policy: &Policy,
        sql: &str,
        parameters: &[String],
        database: Option<&str>,
    ) -> ScanSizes {
        let mut sizes = ScanSizes::none();
        // The cache is keyed by the partition filter, literals and parameter values included
        // (`dt IN ('2024-01-31')`), for texts typed as well as run: a policy that keeps no SQL
        // text (`audit.sql_text: hash`) gets no file of them either, and one left from before
        // is removed here, before any early return. Its runs list S3 each time.
        let keeps_text = policy.audit_sql_text() == SqlText::Full;
        if !keeps_text {
            if let Some(path) = self.scan_cache.as_deref() {
                ScanCache::remove(path);
            }
        }
        // The partitions a `dt = ?` selects are those of its value.
        let text = match parameters {
            [] => sql.to_string(),
            values => match bind(sql, values) {
                Ok(text) => text,
                Err(_) => return sizes,
            },
        };
        let report = lint(policy, &text, &self.context(database));
        let targets = report.scan_targets();
        if targets.is_empty() {
            return sizes;
        }
        let now = self.now().wall;
        let mut cache = self
            .scan_cache
            .as_deref()
            .filter(|_| keeps_text)
            .map(|path| ScanCache::load(path, &self.workspace));
        let mut missing = Vec::new();
        for target in targets {
            match cache
                .as_ref()
                .and_then(|c| c.fresh(&target.to_string(), now))
            {
                Some(bytes) => sizes.measured(target.clone(), bytes, true),
                None => missing.push(target.clone()),
            }
        }
        if missing.is_empty() {
            return sizes;
        }
        let Some(answers) = self.engine.scan_sizes(&missing).await else {
            return sizes;
        };
        for (target, answer) in missing.into_iter().zip(answers) {
            match answer {
                Ok(bytes) => {
                    if let Some(cache) = cache.as_mut() {
                        cache.put(target.to_string(), bytes, now);
                    }
                    sizes.measured(target, bytes, false);
                }
                Err(why) => {
                    tracing::info!("a table's scan could not be measured; its stats are used");
                    sizes.failed(target, why);
                }
            }
        }
        if let (Some(cache), Some(path)) = (cache, self.scan_cache.as_deref()) {
            if let Err(e) = cache.store(path, now) {
                tracing::warn!("the measured scan sizes were not cached: {e}");
            }
        }
        sizes
    }
}

impl Gate {
    /// The scan estimate a run of `sql` would be judged on now, measured as the run measures
    /// it: "about 42 GB, budget 1 TB (from S3 object sizes)". `None` when the policy has no scan
    /// budget. For a check before Run; the run measures again (or takes the cached sizes).
    pub async fn scan_estimate(
        &self,
        sql: &str,
        parameters: &[String],
        database: Option<&str>,
    ) -> Result<Option<ScanEstimate>, NoPolicy> {
        let in_force = self.policy()?;
        let policy = in_force.policy();
        let sizes = self.measure_scan(policy, sql, parameters, database).await;
        let text = match parameters {
            [] => sql.to_string(),
            values => bind(sql, values).unwrap_or_else(|_| sql.to_string()),
        };
        let report = lint_measured(policy, &text, &self.context(database), &sizes);
        Ok(report.scan_estimate().cloned())
    }

    /// `sql` linted as a run would lint it now: its scan measured first (see
    /// [`Gate::scan_estimate`]), so the verdict is the one Run would get, where the lint as you
    /// type judges the budget on the policy's stats. For the window once the text rests: the
    /// measured objects may be over a budget the stats are under, or the other way round.
    pub async fn lint_measured(
        &self,
        sql: &str,
        database: Option<&str>,
    ) -> Result<Report, NoPolicy> {
        let in_force = self.policy()?;
        let policy = in_force.policy();
        let sizes = self.measure_scan(policy, sql, &[], database).await;
        let mut report = lint_measured(policy, sql, &self.context(database), &sizes);
        self.explain_unlisted(&mut report);
        Ok(report)
    }
}
