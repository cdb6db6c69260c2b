//! Athena's JSON protocol (awsJson1_1): `POST /` with `X-Amz-Target: AmazonAthena.<Operation>`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value as Json};

use crate::standin::exec::{self, Execution, QueryError, QueryState};
use crate::standin::permissions::Caller;
use crate::standin::{lake, results, Lake, Shared, StopSeen};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/", post(handle)).with_state(shared)
}

fn reply(status: StatusCode, body: Json) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

fn error(kind: &str, message: &str) -> Response {
    reply(
        StatusCode::BAD_REQUEST,
        json!({"__type": kind, "Message": message}),
    )
}

fn invalid(message: &str) -> Response {
    error("InvalidRequestException", message)
}

fn epoch(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let knobs = shared.knobs.get();
    if !knobs.latency.is_zero() {
        tokio::time::sleep(knobs.latency).await;
    }
    if shared.knobs.take(|k| &mut k.throttle_next) {
        return error("ThrottlingException", "Rate exceeded");
    }
    if shared.knobs.take(|k| &mut k.fail_calls_next) {
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"__type": "InternalServerException", "Message": "stand-in: internal error"}),
        );
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(operation) = target.strip_prefix("AmazonAthena.") else {
        return invalid("missing or unknown X-Amz-Target");
    };
    let input: Json = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return invalid(&format!("the request body is not JSON: {e}")),
    };
    let key = crate::standin::permissions::signer(
        headers.get("authorization").and_then(|v| v.to_str().ok()),
    );
    if operation == "StartQueryExecution" {
        // Which credentials signed each start: tests tell baseline runs from elevated ones.
        shared
            .signers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(key.clone());
    }
    let caller = match &shared.column_grants {
        None => None,
        Some(_) => match caller(&shared, &key).await {
            Ok(c) => Some(c),
            Err(e) => {
                return reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"__type": "InternalServerException", "Message": format!("stand-in: cannot tell who signed the call: {e}")}),
                )
            }
        },
    };
    if let Some(refusal) = caller.as_ref().and_then(|c| {
        c.refusal_at(
            SystemTime::now() + knobs.time_ahead,
            &format!("athena:{operation}"),
        )
    }) {
        return error("AccessDeniedException", &refusal);
    }
    match operation {
        "StartQueryExecution" => start(&shared, &input, caller),
        "GetQueryExecution" => get_execution(&shared, &input),
        "GetQueryResults" => get_results(&shared, &input),
        "StopQueryExecution" => stop(&shared, &input),
        "ListQueryExecutions" => list_executions(&shared, &input),
        "ListWorkGroups" => list_workgroups(&shared),
        "GetWorkGroup" => get_workgroup(&shared, &input),
        "CreateNamedQuery" | "ListNamedQueries" | "BatchGetNamedQuery" | "DeleteNamedQuery" => {
            named_query(&shared, operation, &input)
        }
        other => invalid(&format!("the stand-in does not implement {other}")),
    }
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a str> {
    let mut at = v;
    for p in path {
        at = at.get(p)?;
    }
    at.as_str()
}

/// Who signed with `key`, from moto's STS (remembered once known).
async fn caller(shared: &Shared, key: &str) -> Result<Caller, String> {
    if let Some(c) = shared
        .callers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(key)
    {
        return Ok(c.clone());
    }
    let c = crate::standin::permissions::caller(&shared.moto_endpoint, key).await?;
    shared
        .callers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.to_string(), c.clone());
    Ok(c)
}

fn start(shared: &Arc<Shared>, input: &Json, caller: Option<Caller>) -> Response {
    let Some(query) = str_at(input, &["QueryString"]) else {
        return invalid("QueryString is required");
    };
    let parameters: Vec<String> = match input.get("ExecutionParameters") {
        None => Vec::new(),
        Some(Json::Array(values)) => match values
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
        {
            Some(values) => values,
            None => return invalid("ExecutionParameters must be strings"),
        },
        Some(_) => return invalid("ExecutionParameters must be a list"),
    };
    if let Err(message) = super::parameters::substitute(query, &parameters) {
        return invalid(&message);
    }
    let workgroup = str_at(input, &["WorkGroup"]).unwrap_or("primary");
    let Some(wg) = shared.workgroups.iter().find(|w| w.name == workgroup) else {
        return invalid(&format!("WorkGroup {workgroup} is not found."));
    };
    let token = str_at(input, &["ClientRequestToken"]).map(str::to_string);
    if let Some(t) = &token {
        if !(32..=128).contains(&t.len()) {
            return invalid("ClientRequestToken must be 32 to 128 characters long");
        }
        if let Some(id) = shared.executions().by_token.get(t) {
            return reply(StatusCode::OK, json!({"QueryExecutionId": id}));
        }
    }
    let requested = str_at(input, &["ResultConfiguration", "OutputLocation"]);
    let base = if wg.enforce {
        wg.output_location.as_deref()
    } else {
        requested.or(wg.output_location.as_deref())
    };
    let Some(base) = base else {
        return invalid("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.");
    };
    let reuse_max_age = input
        .get("ResultReuseConfiguration")
        .and_then(|r| r.get("ResultReuseByAgeConfiguration"))
        .filter(|r| r.get("Enabled").and_then(Json::as_bool) == Some(true))
        .map(|r| {
            r.get("MaxAgeInMinutes")
                .and_then(Json::as_i64)
                .unwrap_or(60)
        });
    let id = uuid::Uuid::new_v4().to_string();
    let base = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    let execution = Execution {
        id: id.clone(),
        query: query.to_string(),
        parameters,
        catalog: str_at(input, &["QueryExecutionContext", "Catalog"]).map(str::to_string),
        database: str_at(input, &["QueryExecutionContext", "Database"]).map(str::to_string),
        workgroup: workgroup.to_string(),
        output: Some(format!("{base}{id}.csv")),
        state: QueryState::Queued,
        reason: None,
        error: None,
        submitted: SystemTime::now(),
        completed: None,
        engine_ms: 0,
        queue_ms: 0,
        bytes: 0,
        reused: false,
        reuse_max_age,
        result: None,
        caller,
    };
    let cutoff = wg.cutoff;
    // Before the test can see the execution, so that a release it sends is not missed.
    let released = shared.knobs.queued_release();
    {
        let mut all = shared.executions();
        all.order.push(id.clone());
        all.by_id.insert(id.clone(), execution);
        if let Some(t) = token {
            all.by_token.insert(t, id.clone());
        }
    }
    let task = tokio::spawn(drive(shared.clone(), id.clone(), cutoff, released));
    shared
        .executions()
        .tasks
        .insert(id.clone(), task.abort_handle());
    reply(StatusCode::OK, json!({"QueryExecutionId": id}))
}

/// Moves one execution through QUEUED and RUNNING to its end.
async fn drive(
    shared: Arc<Shared>,
    id: String,
    cutoff: Option<u64>,
    mut released: tokio::sync::watch::Receiver<u64>,
) {
    let knobs = shared.knobs.get();
    let queued_at = Instant::now();
    tokio::select! {
        _ = tokio::time::sleep(knobs.queued) => {}
        _ = released.changed() => {}
    }
    let (query, database, reuse, caller) = {
        let mut all = shared.executions();
        let Some(e) = all.by_id.get_mut(&id) else {
            return;
        };
        if e.state != QueryState::Queued {
            return;
        }
        e.state = QueryState::Running;
        e.queue_ms = queued_at.elapsed().as_millis() as u64;
        (
            // Checked when the execution was started.
            super::parameters::substitute(&e.query, &e.parameters).unwrap_or_default(),
            e.database.clone(),
            e.reuse_max_age,
            e.caller.clone(),
        )
    };
    let running_since = Instant::now();
    // Athena does not reuse results of tables under fine-grained Lake Formation permissions:
    // another caller's result could hold columns this one may not read.
    if let Some(minutes) = reuse.filter(|_| shared.column_grants.is_none()) {
        let reused = {
            let all = shared.executions();
            let me = all.by_id.get(&id).cloned();
            me.and_then(|me| {
                all.reusable(&me, Duration::from_secs(minutes.max(0) as u64 * 60))
                    .map(|old| (old.output.clone(), old.result.clone()))
            })
        };
        if let Some((output, result)) = reused {
            finish(&shared, &id, |e| {
                e.state = QueryState::Succeeded;
                e.output = output;
                e.result = result;
                e.reused = true;
            });
            return;
        }
    }
    if shared.knobs.take(|k| &mut k.fail_queries_next) {
        tokio::time::sleep(knobs.running_at_least).await;
        fail(
            &shared,
            &id,
            QueryError {
                category: 1,
                error_type: 401,
                retryable: true,
                message: "INTERNAL_ERROR_QUERY_ENGINE: the stand-in was told to fail this query"
                    .into(),
            },
        );
        return;
    }
    let ran = async {
        let mut lake = shared.lake.lock().await;
        if lake.is_none() {
            let (ctx, classes) =
                lake::session_from_glue(&shared.s3, &shared.glue, &shared.cache).await?;
            *lake = Some(Lake {
                ctx,
                classes: Arc::new(classes),
            });
        }
        let Lake { ctx, classes } = lake.as_ref().cloned().ok_or("no lake")?;
        drop(lake);
        let guard = match (&shared.column_grants, &caller) {
            (Some(grants), Some(caller)) => Some(exec::Guard {
                classes: &classes,
                grants,
                caller,
            }),
            _ => None,
        };
        exec::run_query(&ctx, database.as_deref(), &query, guard).await
    };
    let (ran, ()) = tokio::join!(
        ran,
        tokio::time::sleep(
            knobs
                .running_at_least
                .saturating_sub(running_since.elapsed())
        )
    );
    let ran = match ran {
        Ok(r) => r,
        Err(message) => {
            fail(
                &shared,
                &id,
                QueryError {
                    category: 2,
                    error_type: 1006,
                    retryable: false,
                    message,
                },
            );
            return;
        }
    };
    if let Some(limit) = cutoff {
        if ran.bytes > limit {
            finish(&shared, &id, |e| {
                e.state = QueryState::Cancelled;
                e.bytes = ran.bytes;
                e.reason = Some(format!(
                    "Query cancelled! : Bytes scanned limit was exceeded ({} bytes scanned, the workgroup allows {limit})",
                    ran.bytes
                ));
            });
            return;
        }
    }
    let output = shared
        .executions()
        .by_id
        .get(&id)
        .and_then(|e| e.output.clone());
    if let Some(output) = output {
        if let Err(message) = write_result(&shared, &output, &ran.result).await {
            fail(
                &shared,
                &id,
                QueryError {
                    category: 1,
                    error_type: 401,
                    retryable: true,
                    message,
                },
            );
            return;
        }
    }
    let engine_ms = ran.engine.as_millis() as u64;
    finish(&shared, &id, |e| {
        e.state = QueryState::Succeeded;
        e.bytes = ran.bytes;
        e.engine_ms = engine_ms;
        e.result = Some(Arc::new(ran.result));
    });
}

async fn write_result(
    shared: &Shared,
    output: &str,
    result: &exec::StoredResult,
) -> Result<(), String> {
    let (bucket, key) = crate::standin::split_s3(output).ok_or("bad output location")?;
    let file = tempfile::NamedTempFile::new_in(&shared.cache).map_err(|e| e.to_string())?;
    {
        let mut out = std::io::BufWriter::new(file.as_file());
        results::write_csv(result, &mut out).map_err(|e| e.to_string())?;
        std::io::Write::flush(&mut out).map_err(|e| e.to_string())?;
    }
    crate::standin::aws::put_file(&shared.s3, &bucket, &key, file.path())
        .await
        .map_err(|e| format!("cannot write the result: {e}"))
}

fn finish(shared: &Shared, id: &str, change: impl FnOnce(&mut Execution)) {
    let mut all = shared.executions();
    if let Some(e) = all.by_id.get_mut(id) {
        // A stop that arrived meanwhile wins.
        if e.state.is_done() {
            return;
        }
        change(e);
        e.completed = Some(SystemTime::now());
    }
    all.tasks.remove(id);
}

fn fail(shared: &Shared, id: &str, error: QueryError) {
    finish(shared, id, |e| {
        e.state = QueryState::Failed;
        e.reason = Some(error.message.clone());
        e.error = Some(error);
    });
}

fn execution_json(e: &Execution) -> Json {
    let mut status = json!({
        "State": e.state.as_str(),
        "SubmissionDateTime": epoch(e.submitted),
    });
    if let Some(c) = e.completed {
        status["CompletionDateTime"] = json!(epoch(c));
    }
    if let Some(r) = &e.reason {
        status["StateChangeReason"] = json!(r);
    }
    if let Some(err) = &e.error {
        status["AthenaError"] = json!({
            "ErrorCategory": err.category,
            "ErrorType": err.error_type,
            "Retryable": err.retryable,
            "ErrorMessage": err.message,
        });
    }
    let mut context = json!({});
    if let Some(c) = &e.catalog {
        context["Catalog"] = json!(c);
    }
    if let Some(d) = &e.database {
        context["Database"] = json!(d);
    }
    let mut out = json!({
        "QueryExecutionId": e.id,
        "Query": e.query,
        "StatementType": "DML",
        "QueryExecutionContext": context,
        "Status": status,
        "WorkGroup": e.workgroup,
        "Statistics": {
            "EngineExecutionTimeInMillis": e.engine_ms,
            "DataScannedInBytes": e.bytes,
            "TotalExecutionTimeInMillis": e.engine_ms + e.queue_ms,
            "QueryQueueTimeInMillis": e.queue_ms,
            "ResultReuseInformation": {"ReusedPreviousResult": e.reused},
        },
    });
    if !e.parameters.is_empty() {
        out["ExecutionParameters"] = json!(e.parameters);
    }
    if let Some(o) = &e.output {
        out["ResultConfiguration"] = json!({"OutputLocation": o});
    }
    if let Some(age) = e.reuse_max_age {
        out["ResultReuseConfiguration"] = json!({
            "ResultReuseByAgeConfiguration": {"Enabled": true, "MaxAgeInMinutes": age}
        });
    }
    out
}

fn lookup(shared: &Shared, input: &Json) -> Result<Execution, Response> {
    let Some(id) = str_at(input, &["QueryExecutionId"]) else {
        return Err(invalid("QueryExecutionId is required"));
    };
    shared
        .executions()
        .by_id
        .get(id)
        .cloned()
        .ok_or_else(|| invalid(&format!("QueryExecution {id} was not found")))
}

fn get_execution(shared: &Shared, input: &Json) -> Response {
    match lookup(shared, input) {
        Ok(e) => reply(
            StatusCode::OK,
            json!({"QueryExecution": execution_json(&e)}),
        ),
        Err(r) => r,
    }
}

fn stop(shared: &Shared, input: &Json) -> Response {
    let e = match lookup(shared, input) {
        Ok(e) => e,
        Err(r) => return r,
    };
    shared
        .stops
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(StopSeen {
            query_execution_id: e.id.clone(),
            state: e.state,
        });
    let mut all = shared.executions();
    if let Some(task) = all.tasks.remove(&e.id) {
        task.abort();
    }
    if let Some(e) = all.by_id.get_mut(&e.id) {
        if !e.state.is_done() {
            e.state = QueryState::Cancelled;
            e.reason = Some("Query was cancelled by the user".into());
            e.completed = Some(SystemTime::now());
        }
    }
    reply(StatusCode::OK, json!({}))
}

const PAGE_MAX: usize = 1000;

fn get_results(shared: &Shared, input: &Json) -> Response {
    let e = match lookup(shared, input) {
        Ok(e) => e,
        Err(r) => return r,
    };
    if e.state != QueryState::Succeeded {
        return invalid(&format!(
            "Query has not yet finished. Current state: {}",
            e.state.as_str()
        ));
    }
    let Some(result) = e.result else {
        return invalid("the query has no result");
    };
    let max = input
        .get("MaxResults")
        .and_then(Json::as_u64)
        .map(|m| m as usize)
        .unwrap_or(PAGE_MAX);
    if !(1..=PAGE_MAX).contains(&max) {
        return invalid("MaxResults must be between 1 and 1000");
    }
    // The token is the index of the next row, counting the header as row 0.
    let start = match str_at(input, &["NextToken"]) {
        None => 0usize,
        Some(t) => match t.strip_prefix("row-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return invalid("NextToken is not valid"),
        },
    };
    let total = result.rows + 1;
    let end = start.saturating_add(max).min(total);
    let mut rows = Vec::with_capacity(end.saturating_sub(start));
    if start == 0 {
        rows.push(json!({"Data": result.columns.iter().map(|(n, _)| json!({"VarCharValue": n})).collect::<Vec<_>>()}));
    }
    let data_from = start.max(1) - 1;
    let data_to = end.saturating_sub(1);
    let _ = results::for_each_row(
        &result.batches,
        data_from,
        data_to.saturating_sub(data_from),
        |row| {
            rows.push(json!({"Data": row.into_iter().map(|v| match v {
            Some(text) => json!({"VarCharValue": text}),
            None => json!({}),
        }).collect::<Vec<_>>()}));
            Ok(())
        },
    );
    let columns: Vec<Json> = result
        .columns
        .iter()
        .map(|(name, ty)| {
            json!({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name,
                   "Label": name, "Type": ty, "Precision": 0, "Scale": 0,
                   "Nullable": "UNKNOWN", "CaseSensitive": ty == "varchar"})
        })
        .collect();
    let mut out = json!({
        "UpdateCount": 0,
        "ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": columns}},
    });
    if end < total {
        out["NextToken"] = json!(format!("row-{end}"));
    }
    reply(StatusCode::OK, out)
}

fn list_executions(shared: &Shared, input: &Json) -> Response {
    let workgroup = str_at(input, &["WorkGroup"]).unwrap_or("primary");
    let all = shared.executions();
    let ids: Vec<&String> = all
        .order
        .iter()
        .rev()
        .filter(|id| all.by_id.get(*id).is_some_and(|e| e.workgroup == workgroup))
        .take(50)
        .collect();
    reply(StatusCode::OK, json!({"QueryExecutionIds": ids}))
}

fn named_query(shared: &Shared, operation: &str, input: &Json) -> Response {
    let mut named = shared.named.lock().unwrap_or_else(|p| p.into_inner());
    let workgroups: Vec<&str> = shared.workgroups.iter().map(|w| w.name.as_str()).collect();
    let answer = match operation {
        "CreateNamedQuery" => named.create(input, &workgroups),
        "ListNamedQueries" => named.list(input),
        "BatchGetNamedQuery" => named.batch_get(input),
        _ => named.delete(input),
    };
    match answer {
        Ok(body) => reply(StatusCode::OK, body),
        Err(message) => invalid(&message),
    }
}

fn list_workgroups(shared: &Shared) -> Response {
    let groups: Vec<Json> = shared
        .workgroups
        .iter()
        .map(|w| {
            json!({"Name": w.name, "State": "ENABLED", "Description": w.description,
                   "CreationTime": epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))})
        })
        .collect();
    reply(StatusCode::OK, json!({"WorkGroups": groups}))
}

fn get_workgroup(shared: &Shared, input: &Json) -> Response {
    let name = str_at(input, &["WorkGroup"]).unwrap_or("");
    let Some(w) = shared.workgroups.iter().find(|w| w.name == name) else {
        return invalid(&format!("WorkGroup {name} is not found."));
    };
    let mut configuration = json!({
        "EnforceWorkGroupConfiguration": w.enforce,
        "PublishCloudWatchMetricsEnabled": false,
        "RequesterPaysEnabled": false,
    });
    if let Some(o) = &w.output_location {
        configuration["ResultConfiguration"] = json!({"OutputLocation": o});
    }
    if let Some(c) = w.cutoff {
        configuration["BytesScannedCutoffPerQuery"] = json!(c);
    }
    reply(
        StatusCode::OK,
        json!({"WorkGroup": {"Name": w.name, "State": "ENABLED", "Description": w.description,
               "Configuration": configuration,
               "CreationTime": epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))}}),
    )
}
