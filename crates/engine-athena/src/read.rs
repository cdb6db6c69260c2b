//! Reading a finished query's rows into the result store: from the result object in S3 (fast
//! path), or by paging `GetQueryResults` when S3 cannot be used.

use std::time::Duration;

use warden_athena_rows::{CsvRows, Fields, RowError, Rows};
use warden_engine::ColumnInfo;
use warden_results::ResultWriter;

use crate::sdk_error::classify;
use crate::AthenaError;

/// Which way the rows came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultPath {
    /// Streamed from the result object in S3; `resumed` counts range requests after drops.
    S3 { location: String, resumed: u32 },
    /// Paged through `GetQueryResults`, with why S3 was not used.
    Paging { reason: String },
}

impl std::fmt::Display for ResultPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResultPath::S3 { location, .. } => write!(f, "read from {location}"),
            ResultPath::Paging { reason } => write!(f, "paged through GetQueryResults ({reason})"),
        }
    }
}

const PAGE_ROWS: i32 = 1000;
/// A download that drops is resumed with a range request this many times.
const MAX_RESUMES: u32 = 5;
/// A stalled download counts as dropped after this long without bytes.
const STALL: Duration = Duration::from_secs(30);

impl From<RowError> for AthenaError {
    fn from(e: RowError) -> Self {
        match e {
            RowError::Csv(c) => AthenaError::Result(c.to_string()),
            RowError::Store(s) => AthenaError::Store(s),
        }
    }
}

/// Column names and types from one `GetQueryResults(MaxResults=1)`: the `.csv.metadata`
/// object next to the result is binary and undocumented.
pub(crate) async fn columns(
    athena: &aws_sdk_athena::Client,
    id: &str,
) -> Result<Vec<ColumnInfo>, AthenaError> {
    let out = athena
        .get_query_results()
        .query_execution_id(id)
        .max_results(1)
        .send()
        .await
        .map_err(|e| classify("athena:GetQueryResults", Some(id), e))?;
    Ok(out
        .result_set()
        .and_then(|r| r.result_set_metadata())
        .map(|m| {
            m.column_info()
                .iter()
                .map(|c| ColumnInfo {
                    name: c.name().to_string(),
                    data_type: c.r#type().to_string(),
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Why the S3 path could not be taken; the caller pages instead.
pub(crate) struct UsePaging(pub String);

fn split_s3(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

/// Streams the result object into `writer`. Before the first byte any refusal sends the
/// caller to paging; after it a dropped download resumes where it stopped.
pub(crate) async fn from_s3(
    s3: &aws_sdk_s3::Client,
    location: &str,
    ddl: bool,
    writer: &mut ResultWriter,
) -> Result<Result<u32, UsePaging>, AthenaError> {
    let Some((bucket, key)) = split_s3(location) else {
        return Ok(Err(UsePaging(format!(
            "the output location {location} is not an S3 object"
        ))));
    };
    let mut rows = if ddl {
        CsvRows::ddl_text(writer)
    } else {
        CsvRows::csv(writer)
    };
    let mut received: u64 = 0;
    let mut etag: Option<String> = None;
    let mut resumes = 0u32;
    loop {
        let mut request = s3.get_object().bucket(&bucket).key(&key);
        if received > 0 {
            request = request.range(format!("bytes={received}-"));
            // The rest must come from the same object, not a rewritten one.
            if let Some(tag) = &etag {
                request = request.if_match(tag);
            }
        }
        let object = match request.send().await {
            Ok(o) => o,
            Err(e) if received == 0 => {
                let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e)
                    .unwrap_or("")
                    .to_string();
                let status = e.raw_response().map(|r| r.status().as_u16());
                let reason = if code == "AccessDenied" || status == Some(403) {
                    "S3 refused to read the result object (s3:GetObject)".to_string()
                } else {
                    format!(
                        "the result object could not be read: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )
                };
                return Ok(Err(UsePaging(reason)));
            }
            Err(e) => {
                resumes += 1;
                if resumes > MAX_RESUMES {
                    return Err(AthenaError::Result(format!(
                        "the download of {location} failed {resumes} times: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )));
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(resumes))).await;
                continue;
            }
        };
        if received == 0 {
            let meta = object.metadata();
            let encrypted = meta.is_some_and(|m| {
                m.contains_key("x-amz-key-v2")
                    || m.contains_key("x-amz-key")
                    || m.contains_key("x-amz-cek-alg")
            });
            if encrypted {
                return Ok(Err(UsePaging(
                    "the result object is encrypted client-side".into(),
                )));
            }
            etag = object.e_tag().map(str::to_string);
        }
        let mut body = object.body;
        let dropped = loop {
            match tokio::time::timeout(STALL, body.try_next()).await {
                Ok(Ok(Some(bytes))) => {
                    received += bytes.len() as u64;
                    rows.feed(&bytes)?;
                }
                Ok(Ok(None)) => break None,
                Ok(Err(e)) => break Some(e.to_string()),
                Err(_) => break Some(format!("no bytes for {} s", STALL.as_secs())),
            }
        };
        match dropped {
            None => break,
            Some(why) => {
                resumes += 1;
                if resumes > MAX_RESUMES {
                    return Err(AthenaError::Result(format!(
                        "the download of {location} dropped {resumes} times (last: {why})"
                    )));
                }
            }
        }
    }
    rows.finish()?;
    Ok(Ok(resumes))
}

/// Pages `GetQueryResults` (1,000 rows a page; the first row of page 1 is the header of a
/// SELECT) into `writer`.
pub(crate) async fn by_paging(
    athena: &aws_sdk_athena::Client,
    id: &str,
    ddl: bool,
    writer: &mut ResultWriter,
) -> Result<(), AthenaError> {
    let mut token: Option<String> = None;
    let mut first = true;
    let mut typed = Rows::new(writer);
    loop {
        let out = athena
            .get_query_results()
            .query_execution_id(id)
            .max_results(PAGE_ROWS)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify("athena:GetQueryResults", Some(id), e))?;
        let rows = out.result_set().map(|r| r.rows()).unwrap_or_default();
        let skip = usize::from(first && !ddl);
        for row in rows.iter().skip(skip) {
            let fields: Fields = row
                .data()
                .iter()
                .map(|d| d.var_char_value().map(str::to_string))
                .collect();
            typed.push(fields)?;
        }
        first = false;
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(()),
        }
    }
}
