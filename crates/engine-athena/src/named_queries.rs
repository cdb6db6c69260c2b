//! A workgroup's named queries: `ListNamedQueries` (paginated, 50 ids a page) then
//! `BatchGetNamedQuery` (at most 50 ids a call), read up to [`NAMED_QUERIES_MAX`].

use warden_engine::{NamedQueries, NamedQuery, NAMED_QUERIES_MAX};

use crate::sdk_error::classify;
use crate::AthenaError;

/// Athena's limit for both a page of `ListNamedQueries` and a `BatchGetNamedQuery` call.
const BATCH: usize = 50;

/// The named queries of `workgroup`, in name order (then id, so the order is stable).
pub async fn list(
    athena: &aws_sdk_athena::Client,
    workgroup: &str,
) -> Result<NamedQueries, AthenaError> {
    let mut ids = Vec::new();
    let mut truncated = false;
    let mut pages = athena
        .list_named_queries()
        .work_group(workgroup)
        .max_results(BATCH as i32)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("athena:ListNamedQueries", None, e))?;
        ids.extend(page.named_query_ids().iter().cloned());
        if ids.len() > NAMED_QUERIES_MAX {
            ids.truncate(NAMED_QUERIES_MAX);
            truncated = true;
            break;
        }
    }
    let mut queries = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH) {
        let got = athena
            .batch_get_named_query()
            .set_named_query_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| classify("athena:BatchGetNamedQuery", None, e))?;
        // Ids Athena could not read (deleted since the listing) are left out, as the console
        // does; the ones it returns are whole.
        queries.extend(got.named_queries().iter().map(|q| NamedQuery {
            id: q.named_query_id().unwrap_or_default().to_string(),
            name: q.name().to_string(),
            description: q.description().unwrap_or_default().to_string(),
            database: Some(q.database().to_string()).filter(|d| !d.is_empty()),
            sql: q.query_string().to_string(),
        }));
    }
    queries.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(NamedQueries {
        workgroup: workgroup.to_string(),
        queries,
        truncated,
    })
}
