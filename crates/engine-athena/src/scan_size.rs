//! The bytes a query would scan, measured from the objects themselves: Glue says where the
//! selected partitions live (`GetPartitions` with the filter's expression, or `GetTable` for the
//! whole table), and S3 `ListObjectsV2` sums the sizes of the objects under those locations. A
//! table with partition projection has no partitions in Glue: its layout is listed instead
//! (`projection`).
//!
//! Bounded on purpose: this runs before every Athena run, so a table of a million objects is
//! not listed; past the bounds the answer is an error saying so, and the gate falls back to the
//! policy's stats.

use std::time::Duration;

use warden_guardrails::ScanTarget;

use crate::projection::{self, Listing};
use crate::sdk_error::classify;
use crate::AthenaClients;

/// How much one measurement may do.
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Partitions the filter may select (Glue pages of up to 1,000).
    pub max_partitions: usize,
    /// `ListObjectsV2` pages over all of a target's locations.
    pub max_pages: usize,
    /// Objects a page asks for (S3 answers at most 1,000).
    pub page_size: i32,
    /// The whole measurement of one target.
    pub deadline: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_partitions: 5_000,
            max_pages: 100,
            page_size: 1_000,
            deadline: Duration::from_secs(20),
        }
    }
}

/// Each target's size or why it could not be measured, in order.
pub async fn measure_all(
    clients: &AthenaClients,
    targets: &[ScanTarget],
    bounds: &Bounds,
) -> Vec<Result<u64, String>> {
    let mut out = Vec::with_capacity(targets.len());
    for target in targets {
        out.push(
            match tokio::time::timeout(bounds.deadline, measure(clients, target, bounds)).await {
                Ok(answer) => answer,
                Err(_) => Err(format!(
                    "listing took longer than {} s",
                    bounds.deadline.as_secs()
                )),
            },
        );
    }
    out
}

/// The bytes under the target's selected partitions, or under the table's location when it
/// selects no partition by value (or the table has no partitions).
pub async fn measure(
    clients: &AthenaClients,
    target: &ScanTarget,
    bounds: &Bounds,
) -> Result<u64, String> {
    let glue = &clients.glue;
    let table = glue
        .get_table()
        .database_name(&target.database)
        .name(&target.table)
        .send()
        .await
        .map_err(|e| classify("glue:GetTable", None, e).to_string())?;
    let table = table
        .table()
        .ok_or_else(|| "Glue returned no table".to_string())?;
    // Partition projection: Athena builds the partitions' locations from the table's
    // properties and Glue lists none, so the layout is listed and read back instead.
    let projected = projection::is_projected(table)
        .map_err(|why| format!("the table may use partition projection and {why}"))?;
    if projected {
        let unreadable = |why| format!("the table uses partition projection and {why}");
        let layout = projection::Layout::of(table).map_err(unreadable)?;
        let mut pages = 0;
        let mut total: u64 = 0;
        for listing in layout.listings(target).map_err(unreadable)? {
            let keep = |key: &str| layout.selects(target, key);
            total = total
                .saturating_add(objects_size(clients, &listing, &keep, &mut pages, bounds).await?);
        }
        return Ok(total);
    }
    let partitioned = !table.partition_keys().is_empty();
    let locations = match target.partition_expression() {
        Some(expression) if partitioned => {
            partition_locations(glue, target, Some(&expression), bounds).await?
        }
        _ => {
            let location = table
                .storage_descriptor()
                .and_then(|sd| sd.location())
                .ok_or_else(|| "the table has no location in Glue".to_string())?;
            let mut locations = vec![location.to_string()];
            // Athena reads each partition where Glue says it lives, which may be outside the
            // table's location (added with a LOCATION of its own): those are listed too.
            if partitioned {
                let (bucket, prefix) = split_location(location)?;
                for other in partition_locations(glue, target, None, bounds).await? {
                    let (b, p) = split_location(&other)?;
                    if b != bucket || !p.starts_with(&prefix) {
                        locations.push(other);
                    }
                }
            }
            locations
        }
    };
    let mut pages = 0;
    let mut total: u64 = 0;
    for location in locations {
        let (bucket, prefix) = split_location(&location)?;
        let listing = Listing {
            bucket,
            prefix,
            start_after: None,
        };
        total = total
            .saturating_add(objects_size(clients, &listing, &|_| true, &mut pages, bounds).await?);
    }
    Ok(total)
}

/// Where each partition the expression selects lives (every partition without one).
async fn partition_locations(
    glue: &aws_sdk_glue::Client,
    target: &ScanTarget,
    expression: Option<&str>,
    bounds: &Bounds,
) -> Result<Vec<String>, String> {
    let mut locations = Vec::new();
    let mut pages = glue
        .get_partitions()
        .database_name(&target.database)
        .table_name(&target.table)
        .set_expression(expression.map(str::to_string))
        .exclude_column_schema(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("glue:GetPartitions", None, e).to_string())?;
        for p in page.partitions() {
            let location = p
                .storage_descriptor()
                .and_then(|sd| sd.location())
                .ok_or_else(|| "a selected partition has no location in Glue".to_string())?;
            locations.push(location.to_string());
            if locations.len() > bounds.max_partitions {
                let what = if expression.is_some() {
                    "the filter selects"
                } else {
                    "the table has"
                };
                return Err(format!(
                    "{what} more than {} partitions, more than Warden lists",
                    bounds.max_partitions
                ));
            }
        }
    }
    Ok(locations)
}

/// `s3://bucket/prefix` as bucket and prefix; the prefix ends with `/` so that `dt=1` does not
/// take in `dt=10`.
fn split_location(location: &str) -> Result<(String, String), String> {
    let rest = location
        .strip_prefix("s3://")
        .ok_or_else(|| format!("the location {location} is not on S3"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("the location {location} names no bucket"));
    }
    let prefix = if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    Ok((bucket.to_string(), prefix))
}

/// The sizes of the listed objects whose keys `keep` takes, counting pages against the bound.
async fn objects_size(
    clients: &AthenaClients,
    listing: &Listing,
    keep: &(dyn Fn(&str) -> bool + Sync),
    pages_used: &mut usize,
    bounds: &Bounds,
) -> Result<u64, String> {
    let mut total: u64 = 0;
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(&listing.bucket)
        .prefix(&listing.prefix)
        .set_start_after(listing.start_after.clone())
        .max_keys(bounds.page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        *pages_used += 1;
        if *pages_used > bounds.max_pages {
            return Err(format!(
                "more than {} objects to list, more than Warden lists before a run",
                bounds.max_pages as u64 * bounds.page_size.max(1) as u64
            ));
        }
        let page = page.map_err(|e| classify("s3:ListBucket", None, e).to_string())?;
        for object in page.contents() {
            if !keep(object.key().unwrap_or_default()) {
                continue;
            }
            let size = object
                .size()
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(0);
            total = total.saturating_add(size);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_a_bucket_and_a_prefix_ending_in_a_slash() {
        assert_eq!(
            split_location("s3://lake/sales/orders/dt=1"),
            Ok(("lake".into(), "sales/orders/dt=1/".into()))
        );
        assert_eq!(
            split_location("s3://lake/sales/"),
            Ok(("lake".into(), "sales/".into()))
        );
        assert_eq!(split_location("s3://lake"), Ok(("lake".into(), "".into())));
        assert!(split_location("hdfs://x/y").is_err());
        assert!(split_location("s3:///y").is_err());
    }
}
