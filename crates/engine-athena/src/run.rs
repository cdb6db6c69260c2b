//! One query on Athena: start, poll, stop, and where its result lives.

use std::time::{Duration, Instant};

use aws_sdk_athena::types::{
    EncryptionOption, QueryExecution, QueryExecutionContext, QueryExecutionState,
    ResultConfiguration, ResultReuseByAgeConfiguration, ResultReuseConfiguration, StatementType,
};
use sha2::{Digest, Sha256};
use warden_engine::CancellationToken;

use crate::error::category;
use crate::sdk_error::classify;
use crate::{AthenaError, AthenaSettings};

/// What the window shows while a query is on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    Queued,
    Running,
}

/// A `ClientRequestToken` derived from the run id: a start retried for the same run (by the
/// SDK or by the caller) never runs the query twice.
pub fn request_token(run_id: &str) -> String {
    hex::encode(Sha256::digest(format!("warden-run:{run_id}").as_bytes()))
}

/// Athena's figures for a finished query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    pub bytes_scanned: u64,
    pub engine_ms: u64,
    pub queue_ms: u64,
    pub reused: bool,
}

pub(crate) struct Finished {
    pub statistics: Statistics,
    pub output_location: Option<String>,
    pub encrypted_client_side: bool,
    pub ddl: bool,
}

pub(crate) async fn start(
    athena: &aws_sdk_athena::Client,
    settings: &AthenaSettings,
    text: &str,
    parameters: &[String],
    database: Option<&str>,
    run_id: &str,
) -> Result<String, AthenaError> {
    let mut context = QueryExecutionContext::builder().catalog(&settings.catalog);
    if let Some(db) = database.or(settings.database.as_deref()) {
        context = context.database(db);
    }
    let mut call = athena
        .start_query_execution()
        .query_string(text)
        .client_request_token(request_token(run_id))
        .work_group(&settings.workgroup)
        .query_execution_context(context.build());
    // Athena puts each value, one literal as SQL text, in place of the next `?`.
    if !parameters.is_empty() {
        call = call.set_execution_parameters(Some(parameters.to_vec()));
    }
    if let Some(location) = &settings.output_location {
        call = call.result_configuration(
            ResultConfiguration::builder()
                .output_location(location)
                .build(),
        );
    }
    if let Some(age) = settings.reuse_max_age {
        // Athena takes whole minutes, at most 7 days.
        let minutes = (age.as_secs() / 60).clamp(1, 10_080) as i32;
        call = call.result_reuse_configuration(
            ResultReuseConfiguration::builder()
                .result_reuse_by_age_configuration(
                    ResultReuseByAgeConfiguration::builder()
                        .enabled(true)
                        .max_age_in_minutes(minutes)
                        .build(),
                )
                .build(),
        );
    }
    let out = call
        .send()
        .await
        .map_err(|e| classify("athena:StartQueryExecution", None, e))?;
    out.query_execution_id()
        .map(str::to_string)
        .ok_or_else(|| AthenaError::Result("Athena started the query without an id".into()))
}

async fn describe(
    athena: &aws_sdk_athena::Client,
    id: &str,
) -> Result<QueryExecution, AthenaError> {
    athena
        .get_query_execution()
        .query_execution_id(id)
        .send()
        .await
        .map_err(|e| classify("athena:GetQueryExecution", Some(id), e))?
        .query_execution
        .ok_or_else(|| AthenaError::UnknownQuery(id.into()))
}

fn statistics(q: &QueryExecution) -> Statistics {
    let s = q.statistics();
    Statistics {
        bytes_scanned: s
            .and_then(|s| s.data_scanned_in_bytes())
            .unwrap_or(0)
            .max(0) as u64,
        engine_ms: s
            .and_then(|s| s.engine_execution_time_in_millis())
            .unwrap_or(0)
            .max(0) as u64,
        queue_ms: s
            .and_then(|s| s.query_queue_time_in_millis())
            .unwrap_or(0)
            .max(0) as u64,
        reused: s
            .and_then(|s| s.result_reuse_information())
            .is_some_and(|r| r.reused_previous_result()),
    }
}

/// Polls until the query ends, with waits growing from `poll_first` to `poll_max`; stops it
/// when `cancel` fires. A query that fails or is cancelled hands its statistics to `ended`
/// before the error returns: what it scanned until then is billed all the same.
pub(crate) async fn wait(
    athena: &aws_sdk_athena::Client,
    settings: &AthenaSettings,
    id: &str,
    cancel: &CancellationToken,
    progress: &(dyn Fn(RunState) + Send + Sync),
    ended: &(dyn Fn(&Statistics) + Send + Sync),
) -> Result<Finished, AthenaError> {
    let mut delay = settings.poll_first;
    let mut last: Option<RunState> = None;
    loop {
        let q = describe(athena, id).await?;
        let status = q.status();
        let state = status.and_then(|s| s.state()).cloned();
        let seen = match state {
            Some(QueryExecutionState::Queued) => Some(RunState::Queued),
            Some(QueryExecutionState::Running) => Some(RunState::Running),
            Some(QueryExecutionState::Succeeded) => {
                let config = q.result_configuration();
                return Ok(Finished {
                    statistics: statistics(&q),
                    output_location: config.and_then(|c| c.output_location()).map(str::to_string),
                    encrypted_client_side: config
                        .and_then(|c| c.encryption_configuration())
                        .is_some_and(|e| e.encryption_option() == &EncryptionOption::CseKms),
                    ddl: q.statement_type() == Some(&StatementType::Ddl),
                });
            }
            Some(QueryExecutionState::Failed) => {
                ended(&statistics(&q));
                let error = status.and_then(|s| s.athena_error());
                let message = error
                    .and_then(|e| e.error_message())
                    .or(status.and_then(|s| s.state_change_reason()))
                    .unwrap_or("no message")
                    .to_string();
                return Err(AthenaError::QueryFailed {
                    category: category(error.and_then(|e| e.error_category())),
                    message,
                });
            }
            Some(QueryExecutionState::Cancelled) => {
                ended(&statistics(&q));
                let reason = status
                    .and_then(|s| s.state_change_reason())
                    .unwrap_or("no reason given")
                    .to_string();
                return Err(if cancel.is_cancelled() {
                    AthenaError::Cancelled
                } else {
                    AthenaError::CancelledByAthena(reason)
                });
            }
            _ => None,
        };
        if let Some(s) = seen {
            if last.as_ref() != Some(&s) {
                progress(s.clone());
                last = Some(s);
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => {
                ended(&stop(athena, id, settings.stop_timeout).await?);
                return Err(AthenaError::Cancelled);
            }
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(settings.poll_max);
    }
}

/// `StopQueryExecution`, then waits (up to `timeout`) until Athena says the query ended, and
/// gives its statistics as of then.
pub async fn stop(
    athena: &aws_sdk_athena::Client,
    id: &str,
    timeout: Duration,
) -> Result<Statistics, AthenaError> {
    athena
        .stop_query_execution()
        .query_execution_id(id)
        .send()
        .await
        .map_err(|e| classify("athena:StopQueryExecution", Some(id), e))?;
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(100);
    loop {
        let q = describe(athena, id).await?;
        let state = q.status().and_then(|s| s.state()).cloned();
        if matches!(
            state,
            Some(
                QueryExecutionState::Cancelled
                    | QueryExecutionState::Failed
                    | QueryExecutionState::Succeeded
            )
        ) {
            return Ok(statistics(&q));
        }
        if Instant::now() >= deadline {
            return Err(AthenaError::StopNotConfirmed(id.into(), timeout.as_secs()));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_token_is_stable_per_run_and_fits_athena() {
        let a = request_token("r1");
        assert_eq!(a, request_token("r1"));
        assert_ne!(a, request_token("r2"));
        assert!((32..=128).contains(&a.len()));
    }
}
