//! One background refresh: fetch conditionally, verify only what is new, keep the result.

use crate::cache::{AcceptOutcome, Cache};
use crate::error::BundleError;
use crate::fetch::{Fetched, Fetcher};
use crate::keys::TrustStore;
use crate::verify::VerifyOptions;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The source answered "not modified" (or sent the same ETag, or the same bytes): nothing
    /// was verified again.
    Unchanged { revision: Option<u64> },
    /// A new bundle was verified and is now in force.
    Updated {
        previous: Option<u64>,
        revision: u64,
    },
}

/// Fetches from `fetcher`, and if the bundle changed, verifies it and stores it in `cache`. The
/// verdict is recorded in the cache for `status` either way; on error the bundle in force stays.
pub async fn refresh(
    cache: &mut Cache,
    fetcher: &Fetcher,
    trust: &TrustStore,
    options: &VerifyOptions,
) -> Result<RefreshOutcome, BundleError> {
    let source = fetcher.source();
    let result = attempt(cache, fetcher, trust, options).await;
    if let Err(error) = &result {
        // The fetch error is what the caller needs; a failure to record it changes nothing in force.
        let _ = cache.record_failure(source, error, options.now);
    }
    result
}

async fn attempt(
    cache: &mut Cache,
    fetcher: &Fetcher,
    trust: &TrustStore,
    options: &VerifyOptions,
) -> Result<RefreshOutcome, BundleError> {
    let source = fetcher.source();
    let etag = cache.etag_for(source).map(str::to_string);
    let (bytes, etag) = match fetcher.fetch(etag.as_deref()).await? {
        Fetched::NotModified => {
            cache.record_unchanged(source, None, options.now)?;
            return Ok(RefreshOutcome::Unchanged {
                revision: cache.current().map(|b| b.revision()),
            });
        }
        Fetched::Body { bytes, etag } => (bytes, etag),
    };
    if cache.holds_bytes(&bytes) {
        cache.record_unchanged(source, etag.as_deref(), options.now)?;
        return Ok(RefreshOutcome::Unchanged {
            revision: cache.current().map(|b| b.revision()),
        });
    }
    Ok(
        match cache.accept(&bytes, trust, options, source, etag.as_deref())? {
            AcceptOutcome::Unchanged { revision } => RefreshOutcome::Unchanged {
                revision: Some(revision),
            },
            AcceptOutcome::Updated { previous, revision } => {
                RefreshOutcome::Updated { previous, revision }
            }
        },
    )
}
