use std::collections::BTreeSet;
use std::time::Duration;

use warden_engine::{CancellationToken, CatalogSnapshot, Engine, EngineError, ResultSet};
use warden_guardrails::{lint, LintContext, Policy, Refusal, Report, Verdict};

/// Why a query did not produce rows.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The guardrails said no; the report says why and what would unlock it.
    #[error("{0}")]
    Blocked(Box<Refusal>),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl RunError {
    pub fn report(&self) -> Option<&Report> {
        match self {
            RunError::Blocked(refusal) => Some(&refusal.report),
            RunError::Engine(_) => None,
        }
    }
}

/// A finished query with what the gate decided about it.
#[derive(Debug)]
pub struct Execution {
    pub engine: &'static str,
    pub query_id: String,
    pub result: ResultSet,
    pub bytes_scanned: u64,
    pub duration: Duration,
    pub verdict: Verdict,
    pub reads: Vec<String>,
}

/// The one way to execute SQL.
///
/// The engine is a private field and there is no accessor: whoever holds a gate can lint and
/// run, and running always lints again against the policy and elevations in force now, never
/// against a verdict computed earlier (the editor's verdict may be stale by the time Run is
/// pressed).
pub struct Gate {
    workspace: String,
    policy: Policy,
    default_database: Option<String>,
    elevations: BTreeSet<String>,
    engine: Box<dyn Engine>,
}

impl Gate {
    pub(crate) fn new(
        workspace: String,
        policy: Policy,
        default_database: Option<String>,
        engine: Box<dyn Engine>,
    ) -> Self {
        Self { workspace, policy, default_database, elevations: BTreeSet::new(), engine }
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }
    pub fn default_database(&self) -> Option<&str> {
        self.default_database.as_deref()
    }
    pub fn elevations(&self) -> &BTreeSet<String> {
        &self.elevations
    }

    fn context(&self, database: Option<&str>) -> LintContext {
        LintContext {
            default_database: database
                .filter(|d| !d.trim().is_empty())
                .map(str::to_string)
                .or_else(|| self.default_database.clone()),
            elevations: self.elevations.clone(),
        }
    }

    /// The verdict for `sql` under the current policy and elevations.
    pub fn lint(&self, sql: &str, database: Option<&str>) -> Report {
        lint(&self.policy, sql, &self.context(database))
    }

    /// Lints `sql` now and, only when the verdict is `allow`, executes it.
    pub async fn run(
        &self,
        sql: &str,
        database: Option<&str>,
        cancel: CancellationToken,
    ) -> Result<Execution, RunError> {
        let approved = self.lint(sql, database).approve().map_err(|r| RunError::Blocked(Box::new(r)))?;
        let reads = approved.reads().to_vec();
        let outcome = self.engine.execute(approved, cancel).await?;
        Ok(Execution {
            engine: self.engine.name(),
            query_id: outcome.query_id,
            result: outcome.result,
            bytes_scanned: outcome.bytes_scanned,
            duration: outcome.duration,
            verdict: Verdict::Allow,
            reads,
        })
    }

    /// What the engine can see (for the schema panel and completion).
    pub async fn catalog(&self) -> Result<CatalogSnapshot, EngineError> {
        self.engine.catalog().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use warden_engine::{Approved, ColumnInfo, QueryOutcome, Value};

    use super::*;

    /// Records what it was asked to execute, so tests can prove the gate let nothing else through.
    struct Recorder {
        executed: Arc<AtomicUsize>,
    }

    #[async_trait::async_trait]
    impl Engine for Recorder {
        fn name(&self) -> &'static str {
            "recorder"
        }
        async fn catalog(&self) -> Result<CatalogSnapshot, EngineError> {
            Ok(CatalogSnapshot::default())
        }
        async fn execute(&self, query: Approved, _: CancellationToken) -> Result<QueryOutcome, EngineError> {
            self.executed.fetch_add(1, Ordering::SeqCst);
            Ok(QueryOutcome {
                query_id: "q1".into(),
                result: ResultSet {
                    columns: vec![ColumnInfo { name: "sql".into(), data_type: "varchar".into() }],
                    rows: vec![vec![Value::Text(query.sql().to_string())]],
                },
                bytes_scanned: 0,
                duration: Duration::ZERO,
            })
        }
    }

    const POLICY: &str = r#"
format: warden-policy/1
name: gate-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            country: varchar
            ssn: { type: varchar, tags: [restricted] }
rules:
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error }
"#;

    fn gate() -> (Gate, Arc<AtomicUsize>) {
        let executed = Arc::new(AtomicUsize::new(0));
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let engine = Box::new(Recorder { executed: executed.clone() });
        (Gate::new("test".into(), policy, Some("sales".into()), engine), executed)
    }

    #[tokio::test]
    async fn allowed_query_reaches_the_engine_verbatim() {
        let (gate, executed) = gate();
        let sql = "SELECT country, count(*) FROM customers GROUP BY 1";
        let run = gate.run(sql, None, CancellationToken::new()).await.expect("allowed");
        assert_eq!(executed.load(Ordering::SeqCst), 1);
        assert_eq!(run.result.rows[0][0], Value::Text(sql.into()));
        assert_eq!(run.reads, vec!["sales.customers.country".to_string()]);
    }

    #[tokio::test]
    async fn denied_query_never_reaches_the_engine() {
        let (gate, executed) = gate();
        for sql in ["SELECT ssn FROM sales.customers", "SELECT * FROM customers", "SELEC nonsense", "", "SELECT x FROM nowhere"] {
            let err = gate.run(sql, None, CancellationToken::new()).await.expect_err(sql);
            assert!(matches!(err, RunError::Blocked(_)), "{sql}: {err}");
            assert!(err.to_string().starts_with("not allowed"), "{sql}: {err}");
        }
        assert_eq!(executed.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_database_argument_sets_the_context() {
        let (gate, _) = gate();
        assert_eq!(gate.lint("SELECT country FROM customers", Some("web")).verdict(), Verdict::Deny);
        assert_eq!(gate.lint("SELECT country FROM customers", Some("sales")).verdict(), Verdict::Allow);
        assert_eq!(gate.lint("SELECT country FROM customers", Some("  ")).verdict(), Verdict::Allow);
    }
}
