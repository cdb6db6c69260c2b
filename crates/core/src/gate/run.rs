//! How a query runs: lint it now against the policy and elevations in force, record it in the
//! audit journal, and only then hand the engine the approved statement; record how it ended.

use std::sync::Arc;
use std::time::Duration;

use warden_audit::{
    EngineRef, ParameterRecord, Payload, QueryBlocked, QueryCancelled, QueryContext, QueryFailed,
    QueryFinished, QueryStarted, SqlRecord, SqlTextMode,
};
use warden_engine::{CancellationToken, EngineError, ResultReader, RunTrace};
use warden_guardrails::{
    lint, lint_measured, LintContext, Refusal, Report, ScanSizes, SqlText, Verdict,
};

use super::changes::ElevationChanges;
use super::policy::{NoPolicy, PolicyInForce};
use super::Gate;

/// Why a query did not produce rows.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The guardrails said no; the report says why and what would unlock it.
    #[error("{0}")]
    Blocked(Box<Refusal>),
    /// No verified, unexpired policy bundle is in force.
    #[error("{0}")]
    NoPolicy(NoPolicy),
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The policy bounds offline work (`audit.max_unsynced`) and older events still wait for
    /// the central store.
    #[error("{0}")]
    Unsynced(String),
    /// The audit journal could not record the query, so it was not run (or its rows are withheld).
    #[error(
        "not allowed: the audit journal could not record this query ({0}); nothing runs unrecorded"
    )]
    Audit(String),
    /// The verdict leans on a grant whose credentials this machine does not hold (AWS).
    #[error("{0}")]
    NotHeld(String),
    /// A `*` would read columns of the live table the policy does not list.
    #[error("{0}")]
    UnlistedColumns(String),
    /// A table the policy lists is not in the engine's catalog (Glue), read live.
    #[error("{0}")]
    MissingTables(String),
}

impl RunError {
    pub fn report(&self) -> Option<&Report> {
        match self {
            RunError::Blocked(refusal) => Some(&refusal.report),
            _ => None,
        }
    }
}

/// A finished query with what the gate decided about it.
#[derive(Debug)]
pub struct Execution {
    pub engine: &'static str,
    pub query_id: String,
    /// The Athena workgroup it ran in; `None` for engines without.
    pub workgroup: Option<String>,
    /// The rows, complete, in the disk-backed result store: paged, exported or streamed from
    /// there, never held whole in memory. Read under a grant, they are deleted when it ends.
    pub result: ResultReader,
    pub bytes_scanned: u64,
    /// What the scan cost in USD (Athena), `None` for engines that do not bill by the byte.
    pub cost_usd: Option<f64>,
    pub duration: Duration,
    pub verdict: Verdict,
    pub reads: Vec<String>,
    /// The request ids of the grants the verdict leaned on: rows kept for paging are shown only
    /// while these still hold (see [`crate::ResultStore`]).
    pub grants: Vec<String>,
}

/// What is known of a run the engine was handed, whatever its end: what the window shows in its
/// run details and the audit journal records.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDetails {
    pub state: RunEnd,
    pub engine: &'static str,
    /// The engine's id for the run (Athena's query execution id) once it gave one.
    pub query_id: Option<String>,
    pub workgroup: Option<String>,
    /// Rows of a finished run.
    pub rows: Option<u64>,
    /// Bytes scanned, when the engine said (always on a finished run; on a failed or cancelled
    /// Athena run, what Athena reported when it ended).
    pub bytes_scanned: Option<u64>,
    pub cost_usd: Option<f64>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Succeeded,
    Failed,
    Cancelled,
}

/// The run's default database as the journal keeps it (History reopens the text against it):
/// only a database of the policy's catalog, lowercase, so the journal never takes free text
/// from the caller. Any other name resolves none of the text's unqualified names anyway.
fn recorded_database(report: &Report, policy: &warden_guardrails::Policy) -> Option<String> {
    let database = report.default_database()?.to_lowercase();
    policy
        .catalog()
        .databases
        .contains_key(&database)
        .then_some(database)
}

/// USD as whole millionths (to the nearest): the journal keeps integers so its encoding is exact.
fn micro_usd(usd: f64) -> u64 {
    (usd * 1e6).round().max(0.0) as u64
}

impl Gate {
    /// The verdict for `sql` under the current policy and elevations.
    pub fn lint(&self, sql: &str, database: Option<&str>) -> Result<Report, NoPolicy> {
        let in_force = self.policy()?;
        let mut report = lint(in_force.policy(), sql, &self.context(database));
        self.explain_unlisted(&mut report);
        Ok(report)
    }

    /// Lints `sql` now and, only when the verdict is `allow`, records and executes it.
    ///
    /// Logged in a `run` span that never carries the SQL (nor an engine's message, which may
    /// quote it): the audit journal is where queries are recorded, under the policy's rules.
    pub async fn run(
        &self,
        sql: &str,
        database: Option<&str>,
        cancel: CancellationToken,
    ) -> Result<Execution, RunError> {
        self.run_with_details(sql, database, cancel).await.0
    }

    /// [`Gate::run`], and what is known of the run when the engine was handed it (`None` when
    /// the gate refused it before): for the run details of a failed or cancelled run.
    pub async fn run_with_details(
        &self,
        sql: &str,
        database: Option<&str>,
        cancel: CancellationToken,
    ) -> (Result<Execution, RunError>, Option<RunDetails>) {
        self.run_with_parameters(sql, &[], database, cancel).await
    }

    /// [`Gate::run_with_details`] for a text with `?` parameters, and `parameters` the values
    /// for them in order, each one literal as SQL text. The verdict is the text's (it holds for
    /// any values); the values are checked and the text with them in place linted again before
    /// the engine is handed both (`Report::approve_with_parameters`).
    pub async fn run_with_parameters(
        &self,
        sql: &str,
        parameters: &[String],
        database: Option<&str>,
        cancel: CancellationToken,
    ) -> (Result<Execution, RunError>, Option<RunDetails>) {
        let trace = Arc::new(RunTrace::new());
        self.run_watched(sql, parameters, database, cancel, trace)
            .await
    }

    /// [`Gate::run_with_parameters`], noting in `trace` what is known of the run while it goes
    /// (its engine, Athena's id and state), for a caller that shows a run in progress.
    pub async fn run_watched(
        &self,
        sql: &str,
        parameters: &[String],
        database: Option<&str>,
        cancel: CancellationToken,
        trace: Arc<RunTrace>,
    ) -> (Result<Execution, RunError>, Option<RunDetails>) {
        let mut details = None;
        let outcome = self
            .run_noting(sql, parameters, database, cancel, &trace, &mut details)
            .await;
        (outcome, details)
    }

    // The span of every run, whichever entry point (the app's runs come through
    // `run_with_details`): the e2e test reads it from the app's log.
    #[tracing::instrument(name = "run", skip_all, fields(workspace = %self.workspace, engine = self.engine.name()))]
    async fn run_noting(
        &self,
        sql: &str,
        parameters: &[String],
        database: Option<&str>,
        cancel: CancellationToken,
        trace: &Arc<RunTrace>,
        details: &mut Option<RunDetails>,
    ) -> Result<Execution, RunError> {
        let in_force = match self.policy() {
            Ok(p) => p,
            Err(no_policy) => {
                let query = QueryContext {
                    // Without a policy there is no sql_text setting: keep the safer hash.
                    sql: SqlRecord::new(sql, SqlTextMode::HashOnly),
                    verdict: warden_audit::Verdict::Deny,
                    rule_ids: vec!["no-policy".to_string()],
                    active_elevations: self.elevations().into_iter().collect(),
                    bundle_revision: None,
                    parameters: (!parameters.is_empty())
                        .then(|| ParameterRecord::new(parameters, None, SqlTextMode::HashOnly)),
                    // No catalog to tell a database from free text.
                    database: None,
                };
                tracing::warn!("refused: no policy in force");
                self.record(Payload::QueryBlocked(QueryBlocked { query }))?;
                return Err(RunError::NoPolicy(no_policy));
            }
        };
        // Measured before the lint that decides: the scan budget judges the sizes of the objects
        // the run would read (falling back to the policy's stats, saying why).
        let sizes = self
            .measure_scan(in_force.policy(), sql, parameters, database)
            .await;
        let (mut report, lease) =
            self.lint_and_lease(in_force.policy(), sql, database, &cancel, &sizes);
        if !report.unknown_columns().is_empty() && self.catalog_known().is_none() {
            // Read the catalog once so the refusal can say whether the column exists (the
            // CLI's runs have not read it); the refusal stands either way.
            if self.refresh_catalog().await.is_ok() {
                self.explain_unlisted(&mut report);
            }
        }
        let query = self.query_context(&report, &in_force, parameters);
        if let Err(reason) = self.check_unsynced(in_force.policy()) {
            tracing::warn!("refused: audit events wait too long for the central store");
            let query = QueryContext {
                verdict: warden_audit::Verdict::Deny,
                rule_ids: vec!["audit-max-unsynced".to_string()],
                ..query
            };
            self.record(Payload::QueryBlocked(QueryBlocked { query }))?;
            return Err(RunError::Unsynced(reason));
        }
        if report.verdict() == warden_guardrails::Verdict::Allow {
            if let Err(why) = self.star_columns_known(&report, in_force.policy()).await {
                tracing::info!("refused: * over columns the policy does not list");
                let query = QueryContext {
                    verdict: warden_audit::Verdict::Deny,
                    rule_ids: vec!["star-unlisted-columns".to_string()],
                    ..query
                };
                self.record(Payload::QueryBlocked(QueryBlocked { query }))?;
                return Err(RunError::UnlistedColumns(why));
            }
            if let Err(why) = self.tables_present(&report, in_force.policy()).await {
                tracing::info!("refused: a table the policy lists is not in the engine's catalog");
                let query = QueryContext {
                    verdict: warden_audit::Verdict::Deny,
                    rule_ids: vec!["table-not-in-catalog".to_string()],
                    ..query
                };
                self.record(Payload::QueryBlocked(QueryBlocked { query }))?;
                return Err(RunError::MissingTables(why));
            }
        }
        // The values are linted in place under exactly the context the text was.
        let context = LintContext {
            default_database: report.default_database().map(str::to_string),
            elevations: report.active_elevations().clone(),
        };
        let approved = match report.approve_with_parameters(parameters, in_force.policy(), &context)
        {
            Ok(approved) => approved,
            Err(refusal) => {
                tracing::info!(verdict = ?refusal.report.verdict(), "refused by the guardrails");
                let query = match refusal.parameters {
                    Some(_) => QueryContext {
                        verdict: warden_audit::Verdict::Deny,
                        rule_ids: vec!["parameters".to_string()],
                        ..query
                    },
                    None => query,
                };
                self.record(Payload::QueryBlocked(QueryBlocked { query }))?;
                return Err(RunError::Blocked(Box::new(refusal)));
            }
        };
        let runner = match self.engine_for(&lease.names, &lease.grants) {
            Ok(runner) => runner,
            Err(why) => {
                tracing::info!("refused: the elevation's credentials are not held");
                let query = QueryContext {
                    verdict: warden_audit::Verdict::Deny,
                    rule_ids: vec!["elevation-not-held".to_string()],
                    ..query
                };
                self.record(Payload::QueryBlocked(QueryBlocked { query }))?;
                return Err(RunError::NotHeld(why));
            }
        };
        // Read once: what is recorded is where the engine runs it (the trace pins it).
        let workgroup = runner.workgroup();
        trace.pin_workgroup(workgroup.clone());
        trace.pin_engine(runner.name());
        let engine = EngineRef {
            engine: runner.name().to_string(),
            query_id: None,
            workgroup: workgroup.clone(),
        };
        self.record(Payload::QueryStarted(QueryStarted {
            query: query.clone(),
            engine: engine.clone(),
        }))?;
        let reads = approved.reads().to_vec();
        let grants = lease.grants.clone();
        // Before the engine can publish a row: the grant's end deletes what a run leaning on it
        // has stored so far, even while it goes.
        trace.pin_grants(grants.clone());
        self.watch_elevated_run(trace, &grants);
        let started = self.now().mono;
        let outcome = runner.execute_traced(approved, cancel, trace).await;
        // A run that fails or is cancelled after the engine named it is recorded under its id.
        let engine = EngineRef {
            query_id: trace.query_id(),
            ..engine
        };
        drop(lease);
        let duration_ms = self
            .now()
            .mono
            .saturating_duration_since(started)
            .as_millis() as u64;
        let scanned = trace.scanned();
        let mut noted = RunDetails {
            state: RunEnd::Failed,
            engine: runner.name(),
            query_id: engine.query_id.clone(),
            workgroup: engine.workgroup.clone(),
            rows: None,
            bytes_scanned: scanned.map(|s| s.bytes),
            cost_usd: scanned.and_then(|s| s.cost_usd),
            duration_ms,
        };
        match outcome {
            Ok(outcome) => {
                // Before anything else sees the rows: from now on the grant's end deletes them.
                self.watch_elevated_result(&outcome.result, &grants);
                let engine = EngineRef {
                    query_id: Some(outcome.query_id.clone()),
                    ..engine
                };
                let recorded = self.record(Payload::QueryFinished(QueryFinished {
                    query,
                    engine,
                    rows: outcome.result.len(),
                    bytes_scanned: outcome.bytes_scanned,
                    cost_micro_usd: outcome.cost_usd.map(micro_usd),
                    duration_ms,
                }));
                if let Err(e) = recorded {
                    // Withheld everywhere, the first rows the window may already page included.
                    outcome.result.withdraw();
                    return Err(e);
                }
                tracing::info!(
                    rows = outcome.result.len(),
                    bytes_scanned = outcome.bytes_scanned,
                    duration_ms,
                    "finished"
                );
                *details = Some(RunDetails {
                    state: RunEnd::Succeeded,
                    query_id: Some(outcome.query_id.clone()),
                    rows: Some(outcome.result.len()),
                    bytes_scanned: Some(outcome.bytes_scanned),
                    cost_usd: outcome.cost_usd,
                    ..noted
                });
                Ok(Execution {
                    engine: runner.name(),
                    workgroup,
                    query_id: outcome.query_id,
                    result: outcome.result,
                    bytes_scanned: outcome.bytes_scanned,
                    cost_usd: outcome.cost_usd,
                    duration: outcome.duration,
                    verdict: Verdict::Allow,
                    reads,
                    grants,
                })
            }
            Err(EngineError::Cancelled) => {
                noted.state = RunEnd::Cancelled;
                *details = Some(noted);
                self.record(Payload::QueryCancelled(QueryCancelled {
                    query,
                    engine,
                    duration_ms,
                    bytes_scanned: scanned.map(|s| s.bytes),
                    cost_micro_usd: scanned.and_then(|s| s.cost_usd).map(micro_usd),
                }))?;
                tracing::info!(duration_ms, "cancelled");
                Err(RunError::Engine(EngineError::Cancelled))
            }
            Err(error) => {
                // Engine messages quote literals and names from the SQL; a hash-only policy
                // keeps them out of the journal too.
                let text = match query.sql.text() {
                    Some(_) => error.to_string(),
                    None => "the engine reported an error (details withheld: this policy keeps only hashes of SQL)".into(),
                };
                *details = Some(noted);
                self.record(Payload::QueryFailed(QueryFailed {
                    query,
                    engine,
                    error: text,
                    duration_ms,
                    bytes_scanned: scanned.map(|s| s.bytes),
                    cost_micro_usd: scanned.and_then(|s| s.cost_usd).map(micro_usd),
                }))?;
                tracing::warn!(duration_ms, "the engine reported an error");
                Err(RunError::Engine(error))
            }
        }
    }

    /// Lints with the elevations that hold now and registers the run, so that it is cancelled
    /// the moment an elevation its verdict leans on ends, or the AWS sign-in does. If one ended
    /// between the lint and the registration, the text is linted again without it. A grant the
    /// policy in force (`policy`) no longer allows is ended first, as the next check would end
    /// it: no run leans on it meanwhile.
    fn lint_and_lease(
        &self,
        policy: &warden_guardrails::Policy,
        sql: &str,
        database: Option<&str>,
        cancel: &CancellationToken,
        sizes: &ScanSizes,
    ) -> (Report, Lease<'_>) {
        loop {
            self.end_what_the_policy_ends(policy);
            let mut report = lint_measured(policy, sql, &self.context(database), sizes);
            self.explain_unlisted(&mut report);
            let uses = report.lifted_by().clone();
            let mut state = self.elevation_state();
            // Every run is registered, so that the end of the AWS sign-in stops baseline runs
            // too (`Gate::stop_aws_work`).
            if uses.is_empty() {
                let id = state.started(cancel.clone(), uses.clone());
                return (
                    report,
                    Lease {
                        gate: self,
                        id: Some(id),
                        names: uses,
                        grants: vec![],
                    },
                );
            }
            if uses.is_subset(&state.names_at(self.now())) {
                let grants = uses
                    .iter()
                    .filter_map(|name| state.active().get(name))
                    .map(|g| g.request_id.clone())
                    .collect();
                let id = state.started(cancel.clone(), uses.clone());
                return (
                    report,
                    Lease {
                        gate: self,
                        id: Some(id),
                        names: uses,
                        grants,
                    },
                );
            }
        }
    }

    /// Ends (recorded, the runs that need them cancelled) the grants whose time is up or that
    /// `policy`, the policy in force, no longer allows (a new revision dropped the elevation or
    /// shortened its `max_duration`), as [`Gate::check_elevations`] does, and takes out their
    /// engines and wipes their credentials; what ended is told at the next check.
    fn end_what_the_policy_ends(&self, policy: &warden_guardrails::Policy) {
        let now = self.now();
        let mut changes = ElevationChanges::default();
        let spent = {
            let mut state = self.elevation_state();
            self.end_due(&mut state, now, Some(policy), &mut changes);
            self.take_let_go(&mut state, now, &mut changes)
        };
        self.wipe_spent(spent, &mut changes);
        if changes.ended.is_empty() && changes.errors.is_empty() && changes.not_wiped.is_empty() {
            return;
        }
        self.tell(|c| {
            c.ended.append(&mut changes.ended);
            c.errors.append(&mut changes.errors);
            c.not_wiped.append(&mut changes.not_wiped);
        });
    }

    fn query_context(
        &self,
        report: &Report,
        in_force: &PolicyInForce,
        parameters: &[String],
    ) -> QueryContext {
        let mode = match in_force.policy().audit_sql_text() {
            SqlText::Full => SqlTextMode::Full,
            SqlText::Hash => SqlTextMode::HashOnly,
        };
        let verdict = match report.verdict() {
            Verdict::Allow if report.diagnostics().is_empty() => warden_audit::Verdict::Allow,
            Verdict::Allow => warden_audit::Verdict::Warn,
            Verdict::Elevate => warden_audit::Verdict::Elevate,
            Verdict::Deny => warden_audit::Verdict::Deny,
        };
        let mut rule_ids: Vec<String> = report
            .diagnostics()
            .iter()
            .map(|d| d.rule.clone())
            .collect();
        rule_ids.sort();
        rule_ids.dedup();
        QueryContext {
            sql: SqlRecord::new(report.sql(), mode),
            verdict,
            rule_ids,
            active_elevations: report.active_elevations().iter().cloned().collect(),
            bundle_revision: Some(in_force.revision()),
            // Kept as the text is; the hash is of the text with the values in place, when
            // they could be put there.
            parameters: (!parameters.is_empty() || !report.placeholders().is_empty()).then(|| {
                let bound = warden_guardrails::bind(report.sql(), parameters).ok();
                ParameterRecord::new(parameters, bound.as_deref(), mode)
            }),
            database: recorded_database(report, in_force.policy()),
        }
    }

    fn record(&self, payload: Payload) -> Result<(), RunError> {
        self.audit
            .record(payload)
            .map(|_| ())
            .map_err(|e| RunError::Audit(e.to_string()))
    }
}

/// A running query's hold on the elevations its verdict leaned on; released when it finishes.
struct Lease<'a> {
    gate: &'a Gate,
    id: Option<u64>,
    /// Names of the elevations leaned on.
    names: std::collections::BTreeSet<String>,
    /// Request ids of the grants leaned on.
    grants: Vec<String>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.gate.elevation_state().finished(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use warden_engine::Value;

    use super::*;
    use crate::testing::{signed_gate, Fixture, Recorder, POLICY};

    async fn gate(policy: &str) -> (Fixture, Gate, Arc<AtomicUsize>) {
        let executed = Arc::new(AtomicUsize::new(0));
        let engine = Box::new(Recorder {
            executed: executed.clone(),
        });
        let (fixture, gate) = signed_gate(policy, engine).await;
        (fixture, gate, executed)
    }

    fn kinds(gate: &Gate) -> Vec<String> {
        gate.audit()
            .events(&[], None, None, false)
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    #[tokio::test]
    async fn allowed_query_reaches_the_engine_verbatim_and_is_recorded() {
        let (_f, gate, executed) = gate(POLICY).await;
        let sql = "SELECT country, count(*) FROM customers GROUP BY 1";
        let run = gate
            .run(sql, None, CancellationToken::new())
            .await
            .expect("allowed");
        assert_eq!(executed.load(Ordering::SeqCst), 1);
        assert_eq!(
            run.result.all_rows().expect("rows")[0][0],
            Value::Text(sql.into())
        );
        assert_eq!(run.reads, vec!["sales.customers.country".to_string()]);
        assert_eq!(
            kinds(&gate),
            ["bundle_updated", "query_started", "query_finished"]
        );
        let finished = &gate
            .audit()
            .events(&[warden_audit::Kind::QueryFinished], None, None, false)
            .expect("events")[0];
        assert_eq!(finished.payload["query"]["sql"]["text"], sql);
        assert_eq!(finished.payload["query"]["bundle_revision"], 1);
        assert_eq!(finished.payload["engine"]["query_id"], "q1");
        assert_eq!(finished.payload["rows"], 1);
        assert_eq!(finished.payload["bytes_scanned"], 42);
    }

    #[tokio::test]
    async fn every_run_event_records_the_database_its_names_resolved_in() {
        let (_f, gate, _) = gate(POLICY).await;
        let database = |kind: warden_audit::Kind| {
            gate.audit()
                .events(&[kind], None, None, false)
                .expect("events")
                .into_iter()
                .map(|e| e.payload["query"].get("database").cloned())
                .collect::<Vec<_>>()
        };
        // Picked by the caller (as the window's tab does), whatever its case: the catalog's name.
        gate.run(
            "SELECT country FROM customers",
            Some("SALES"),
            CancellationToken::new(),
        )
        .await
        .expect("allowed");
        gate.run(
            "SELECT fail_me FROM customers",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect_err("the engine fails it");
        gate.run(
            "SELECT ssn FROM customers",
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect_err("refused");
        let sales = Some(serde_json::json!("sales"));
        for kind in [
            warden_audit::Kind::QueryStarted,
            warden_audit::Kind::QueryFinished,
            warden_audit::Kind::QueryFailed,
            warden_audit::Kind::QueryBlocked,
        ] {
            assert!(
                database(kind).iter().all(|d| *d == sales),
                "{kind:?}: {:?}",
                database(kind)
            );
        }
        // A name the policy's catalog does not have resolves nothing and is not journaled: the
        // journal takes no free text from the caller.
        gate.run(
            "SELECT country FROM sales.customers",
            Some("Alice's notes"),
            CancellationToken::new(),
        )
        .await
        .expect("allowed: every name is qualified");
        assert_eq!(database(warden_audit::Kind::QueryFinished)[1], None);
    }

    #[tokio::test]
    async fn an_engine_that_reports_no_scan_leaves_it_out_of_a_failed_run() {
        let (_f, gate, _) = gate(POLICY).await;
        let (outcome, details) = gate
            .run_with_details(
                "SELECT fail_me FROM customers",
                None,
                CancellationToken::new(),
            )
            .await;
        assert!(matches!(outcome, Err(RunError::Engine(_))));
        let details = details.expect("the engine was handed the run");
        assert_eq!(details.state, RunEnd::Failed);
        assert_eq!(
            (details.bytes_scanned, details.cost_usd, details.rows),
            (None, None, None)
        );
        assert_eq!(details.engine, "recorder");
        let failed = &gate
            .audit()
            .events(&[warden_audit::Kind::QueryFailed], None, None, false)
            .expect("events")[0];
        assert!(
            failed.payload.get("bytes_scanned").is_none(),
            "{}",
            failed.payload
        );
        assert!(
            failed.payload.get("cost_micro_usd").is_none(),
            "{}",
            failed.payload
        );
        // A refused run never reached the engine: nothing to detail.
        let (refused, none) = gate
            .run_with_details("SELECT ssn FROM customers", None, CancellationToken::new())
            .await;
        assert!(matches!(refused, Err(RunError::Blocked(_))));
        assert!(none.is_none());
        // A finished run's details are the engine's figures.
        let (ok, details) = gate
            .run_with_details(
                "SELECT country FROM customers",
                None,
                CancellationToken::new(),
            )
            .await;
        let ok = ok.expect("allowed");
        let details = details.expect("details");
        assert_eq!(details.state, RunEnd::Succeeded);
        assert_eq!((details.rows, details.bytes_scanned), (Some(1), Some(42)));
        assert_eq!(details.query_id.as_deref(), Some(ok.query_id.as_str()));
    }

    #[tokio::test]
    async fn denied_query_never_reaches_the_engine_and_is_recorded_as_blocked() {
        let (_f, gate, executed) = gate(POLICY).await;
        for sql in [
            "SELECT ssn FROM sales.customers",
            "SELEC nonsense",
            "",
            "SELECT x FROM nowhere",
        ] {
            let err = gate
                .run(sql, None, CancellationToken::new())
                .await
                .expect_err(sql);
            assert!(matches!(err, RunError::Blocked(_)), "{sql}: {err}");
            assert!(err.to_string().starts_with("not allowed"), "{sql}: {err}");
        }
        assert_eq!(executed.load(Ordering::SeqCst), 0);
        let blocked = gate
            .audit()
            .events(&[warden_audit::Kind::QueryBlocked], None, None, false)
            .expect("events");
        assert_eq!(blocked.len(), 4);
        assert_eq!(blocked[0].payload["query"]["verdict"], "deny");
        assert_eq!(blocked[0].payload["query"]["rule_ids"][0], "restricted");
    }

    #[tokio::test]
    async fn engine_failures_and_cancellations_are_recorded() {
        let (_f, gate, _) = gate(POLICY).await;
        let err = gate
            .run(
                "SELECT fail_me FROM customers",
                None,
                CancellationToken::new(),
            )
            .await
            .expect_err("fails");
        assert!(
            matches!(err, RunError::Engine(EngineError::Query(_))),
            "{err}"
        );
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = gate
            .run("SELECT country FROM customers", None, cancel)
            .await
            .expect_err("cancelled");
        assert!(
            matches!(err, RunError::Engine(EngineError::Cancelled)),
            "{err}"
        );
        assert_eq!(
            kinds(&gate),
            [
                "bundle_updated",
                "query_started",
                "query_failed",
                "query_started",
                "query_cancelled"
            ]
        );
    }

    #[tokio::test]
    async fn hash_only_policies_keep_no_sql_text() {
        let policy = format!("{POLICY}audit: {{ sql_text: hash }}\n");
        let (_f, gate, _) = gate(&policy).await;
        let sql = "SELECT country FROM customers WHERE country = 'secret-literal'";
        gate.run(sql, None, CancellationToken::new())
            .await
            .expect("allowed");
        gate.run(
            "SELECT ssn FROM customers WHERE ssn = 'secret-literal'",
            None,
            CancellationToken::new(),
        )
        .await
        .expect_err("blocked");
        // The recording engine fails on fail_me and quotes the query in its message.
        gate.run(
            "SELECT fail_me FROM customers WHERE country = 'secret-literal'",
            None,
            CancellationToken::new(),
        )
        .await
        .expect_err("fails");
        let journal = std::fs::read(gate.audit().journal_path()).expect("journal");
        let wal = std::fs::read(gate.audit().journal_path().with_extension("sqlite-wal"))
            .unwrap_or_default();
        for bytes in [journal, wal] {
            assert!(!String::from_utf8_lossy(&bytes).contains("secret-literal"));
        }
        let events = gate
            .audit()
            .events(&[warden_audit::Kind::QueryFinished], None, None, false)
            .expect("events");
        assert!(
            events[0].payload["query"]["sql"]
                .get("text")
                .is_none_or(|t| t.is_null()),
            "{}",
            events[0].payload
        );
    }

    #[tokio::test]
    async fn parameters_reach_the_engine_only_checked_and_are_recorded() {
        let (_f, gate, executed) = gate(POLICY).await;
        let sql = "SELECT country FROM customers WHERE country = ? AND customer_id > ?";
        let values = vec!["'DE'".to_string(), "-5".to_string()];
        let (run, _) = gate
            .run_with_parameters(sql, &values, None, CancellationToken::new())
            .await;
        let run = run.expect("allowed");
        assert_eq!(executed.load(Ordering::SeqCst), 1);
        // The recorder answers with the text and the values it was handed.
        assert_eq!(
            run.result.all_rows().expect("rows")[0],
            vec![Value::Text(sql.into()), Value::Text("'DE' | -5".into())]
        );
        let finished = &gate
            .audit()
            .events(&[warden_audit::Kind::QueryFinished], None, None, false)
            .expect("events")[0];
        let query = &finished.payload["query"];
        assert_eq!(query["sql"]["text"], sql);
        assert_eq!(query["parameters"]["count"], 2);
        assert_eq!(
            query["parameters"]["values"],
            serde_json::json!(["'DE'", "-5"])
        );
        let bound = "SELECT country FROM customers WHERE country = 'DE' AND customer_id > -5";
        assert_eq!(
            query["parameters"]["bound_sha256"],
            String::from(warden_audit::Sha256Hex::of(bound.as_bytes()))
        );

        // A value that is not one literal, a count that does not match, or none at all: refused,
        // recorded, never run.
        for given in [
            vec!["'DE' OR 1 = 1".to_string(), "1".to_string()],
            vec!["'DE'".to_string()],
            vec![],
        ] {
            let (outcome, details) = gate
                .run_with_parameters(sql, &given, None, CancellationToken::new())
                .await;
            let err = outcome.expect_err("refused");
            assert!(matches!(err, RunError::Blocked(_)), "{err}");
            assert!(err.to_string().starts_with("not allowed: "), "{err}");
            assert!(details.is_none());
        }
        assert_eq!(executed.load(Ordering::SeqCst), 1);
        let blocked = gate
            .audit()
            .events(&[warden_audit::Kind::QueryBlocked], None, None, false)
            .expect("events");
        assert_eq!(blocked.len(), 3);
        for b in &blocked {
            assert_eq!(b.payload["query"]["verdict"], "deny");
            assert_eq!(
                b.payload["query"]["rule_ids"],
                serde_json::json!(["parameters"])
            );
        }
        assert_eq!(
            blocked[0].payload["query"]["parameters"]["values"],
            serde_json::json!(["'DE' OR 1 = 1", "1"])
        );
        // The text's own verdict still decides: a denied template runs with no values.
        let (outcome, _) = gate
            .run_with_parameters(
                "SELECT ssn FROM customers WHERE country = ?",
                &["'DE'".to_string()],
                None,
                CancellationToken::new(),
            )
            .await;
        assert!(outcome.is_err());
        assert_eq!(executed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn hash_only_policies_keep_no_parameter_values() {
        let policy = format!("{POLICY}audit: {{ sql_text: hash }}\n");
        let (_f, gate, _) = gate(&policy).await;
        let sql = "SELECT country FROM customers WHERE country = ?";
        for value in ["'secret-literal'", "'secret-literal' OR TRUE"] {
            let _ = gate
                .run_with_parameters(sql, &[value.to_string()], None, CancellationToken::new())
                .await;
        }
        let journal = std::fs::read(gate.audit().journal_path()).expect("journal");
        let wal = std::fs::read(gate.audit().journal_path().with_extension("sqlite-wal"))
            .unwrap_or_default();
        let value_digest = String::from(warden_audit::Sha256Hex::of(b"'secret-literal'"));
        for bytes in [journal, wal] {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("secret-literal"));
            assert!(!text.contains(&value_digest), "a value's own hash names it");
        }
        let finished = &gate
            .audit()
            .events(&[warden_audit::Kind::QueryFinished], None, None, false)
            .expect("events")[0];
        let parameters = &finished.payload["query"]["parameters"];
        assert_eq!(parameters["count"], 1);
        assert!(parameters.get("values").is_none(), "{parameters}");
        assert!(parameters["bound_sha256"].is_string());
    }

    #[tokio::test]
    async fn the_database_argument_sets_the_context() {
        let (_f, gate, _) = gate(POLICY).await;
        let verdict = |db| {
            gate.lint("SELECT country FROM customers", db)
                .expect("policy")
                .verdict()
        };
        assert_eq!(verdict(Some("web")), Verdict::Deny);
        assert_eq!(verdict(Some("sales")), Verdict::Allow);
        assert_eq!(verdict(Some("  ")), Verdict::Allow);
    }

    #[tokio::test]
    async fn a_clock_turned_back_while_running_stops_everything() {
        let (f, gate, executed) = gate(POLICY).await;
        assert!(gate.lint("SELECT country FROM customers", None).is_ok());
        f.clock.set_wall_back(Duration::from_secs(3600));
        let err = gate
            .lint("SELECT country FROM customers", None)
            .expect_err("untrusted clock");
        assert!(err.reason.contains("clock"), "{err}");
        let run = gate
            .run(
                "SELECT country FROM customers",
                None,
                CancellationToken::new(),
            )
            .await;
        assert!(matches!(run, Err(RunError::NoPolicy(_))), "{run:?}");
        assert_eq!(executed.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn linting_as_the_user_types_is_not_recorded() {
        let (_f, gate, _) = gate(POLICY).await;
        let before = kinds(&gate);
        for sql in [
            "S",
            "SELECT",
            "SELECT ssn",
            "SELECT ssn FROM customers",
            "SELECT country FROM customers",
        ] {
            let _ = gate.lint(sql, None);
        }
        assert_eq!(
            kinds(&gate),
            before,
            "only runs and bundle changes are audit events"
        );
    }
}
