use std::path::PathBuf;
use std::time::Duration;

/// How a workspace of kind `athena` runs queries.
#[derive(Debug, Clone)]
pub struct AthenaSettings {
    pub workgroup: String,
    /// Data catalog (`AwsDataCatalog` unless a federated one is used).
    pub catalog: String,
    /// Default database when the analyst picked none.
    pub database: Option<String>,
    /// `s3://bucket/prefix/`, for workgroups that do not enforce their own.
    pub output_location: Option<String>,
    /// Reuse a result of the same text up to this old (Athena caps it at 7 days).
    pub reuse_max_age: Option<Duration>,
    /// USD per TB scanned, for the cost shown beside the bytes (Athena's list price is 5).
    pub price_per_tb: f64,
    /// Where results are stored for paging and export.
    pub cache_dir: PathBuf,
    /// Polling of `GetQueryExecution`: first wait and longest wait.
    pub poll_first: Duration,
    pub poll_max: Duration,
    /// How long to wait for CANCELLED after `StopQueryExecution`.
    pub stop_timeout: Duration,
}

impl AthenaSettings {
    pub fn new(workgroup: &str, cache_dir: PathBuf) -> Self {
        Self {
            workgroup: workgroup.into(),
            catalog: "AwsDataCatalog".into(),
            database: None,
            output_location: None,
            reuse_max_age: None,
            price_per_tb: 5.0,
            cache_dir,
            poll_first: Duration::from_millis(100),
            poll_max: Duration::from_secs(2),
            stop_timeout: Duration::from_secs(30),
        }
    }
}

/// Athena bills at least 10 MB per query that scanned anything, rounded up to the megabyte.
pub fn cost_usd(bytes_scanned: u64, price_per_tb: f64) -> f64 {
    if bytes_scanned == 0 {
        return 0.0;
    }
    const MB: u64 = 1_000_000;
    let billed = bytes_scanned.max(10 * MB).div_ceil(MB) * MB;
    billed as f64 / 1e12 * price_per_tb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_bills_ten_megabytes_at_least_and_nothing_for_no_scan() {
        assert_eq!(cost_usd(0, 5.0), 0.0);
        assert!((cost_usd(1, 5.0) - 0.00005).abs() < 1e-12);
        assert!((cost_usd(1_000_000_000_000, 5.0) - 5.0).abs() < 1e-9);
        assert!((cost_usd(42_000_000_001, 5.0) - 0.210005).abs() < 1e-9);
    }
}
