//! The last accepted bundle, kept on disk and verified again every time it is loaded.
//!
//! Layout of the cache folder: `bundle.tar.gz` (the bytes exactly as fetched) and `state.json`
//! (where it came from, its ETag, the verdict of the last fetch, and for every bundle name the
//! highest revision ever accepted with its content id). The high-water marks are what refuse a
//! rollback or an equivocation even across restarts. `state.json` also keeps the latest time any
//! update saw, so that a clock turned back cannot revive an expired bundle; a cache whose state
//! is missing or damaged is not used until a fetch succeeds. `cache.lock` is an OS lock held
//! while a process updates the cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::write_atomic;
use crate::audience::Expected;
use crate::error::BundleError;
use crate::keys::TrustStore;
use crate::location::redact;
use crate::status::{FetchVerdict, Status};
use crate::verify::{verify, verify_content, VerifiedBundle, VerifyOptions};

const BUNDLE_FILE: &str = "bundle.tar.gz";
const STATE_FILE: &str = "state.json";
/// Held (an OS advisory lock) while a process updates the cache, so that the app and
/// `warden bundle fetch` running at once cannot undo each other's high-water marks.
const LOCK_FILE: &str = "cache.lock";
/// How far the clock may read behind a time already seen (NTP steps, publisher skew).
const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CacheState {
    pub source: Option<String>,
    pub etag: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub last_fetch: Option<FetchVerdict>,
    /// The latest time any update of this cache saw: a clock that reads earlier than this (by
    /// more than the allowed skew) has been turned back, and cannot judge expiry.
    #[serde(default)]
    pub latest_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub accepted: BTreeMap<String, HighWater>,
    /// The first bundle name accepted: without a configured name, only this one is accepted.
    #[serde(default)]
    pub pinned_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HighWater {
    pub revision: u64,
    pub content_id: String,
}

/// What [`Cache::accept`] did with a bundle that passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// The same revision with the same content as the one in force.
    Unchanged { revision: u64 },
    Updated {
        previous: Option<u64>,
        revision: u64,
    },
}

#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    state: CacheState,
    current: Option<VerifiedBundle>,
    /// Why the cached bundle on disk could not be used, if it could not.
    problem: Option<String>,
    bundle_sha256: Option<String>,
    expected: Expected,
    /// The cached bundle was refused at open as made for another workspace (name or audience).
    foreign: Option<String>,
}

impl Cache {
    /// Opens (creating if needed) the cache folder and verifies the cached bundle again. A
    /// corrupted or untrusted cache is not an error here: the cache opens empty and says why, so
    /// that a fetch can repair it; until then nothing may run.
    pub fn open(dir: &Path, trust: &TrustStore) -> Result<Self, BundleError> {
        Self::open_expecting(dir, trust, Expected::default())
    }

    /// [`Cache::open`] for a workspace that takes only bundles it `expected` (name, audience).
    pub fn open_expecting(
        dir: &Path,
        trust: &TrustStore,
        expected: Expected,
    ) -> Result<Self, BundleError> {
        std::fs::create_dir_all(dir).map_err(BundleError::io("creating cache folder", dir))?;
        let mut problems = Vec::new();
        // Without its state (rollback marks, the latest time seen) a cached bundle cannot be
        // judged: it is not used until a fetch from the source succeeds.
        let mut state_lost = None;
        let state = match std::fs::read(dir.join(STATE_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                state_lost = Some(format!("state.json is damaged ({e})"));
                CacheState::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                state_lost = Some("state.json is missing".to_string());
                CacheState::default()
            }
            Err(e) => {
                return Err(BundleError::Io {
                    action: "reading",
                    path: dir.join(STATE_FILE),
                    source: e,
                })
            }
        };
        let mut cache = Cache {
            dir: dir.to_path_buf(),
            state,
            current: None,
            problem: None,
            bundle_sha256: None,
            expected,
            foreign: None,
        };
        match std::fs::read(dir.join(BUNDLE_FILE)) {
            Ok(_) if state_lost.is_some() => problems.push(format!(
                "{}, so the cached bundle's rollback marks and clock check are lost; fetch the bundle again",
                state_lost.unwrap_or_default()
            )),
            Ok(bytes) => match cache.check_cached(&bytes, trust) {
                Ok(bundle) => {
                    cache.bundle_sha256 = Some(bundle.bundle_sha256().to_string());
                    cache.raise_high_water(&bundle);
                    // A cache written before names were pinned pins the name it holds.
                    if cache.state.pinned_name.is_none() {
                        cache.state.pinned_name = Some(bundle.name().to_string());
                    }
                    cache.current = Some(bundle);
                }
                Err(e) => {
                    if e.is_foreign() {
                        cache.foreign = Some(e.to_string());
                    }
                    problems.push(format!("cached bundle refused: {e}"))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("cached bundle unreadable: {e}")),
        }
        if !problems.is_empty() {
            cache.problem = Some(problems.join("; "));
        }
        Ok(cache)
    }

    fn check_cached(
        &self,
        bytes: &[u8],
        trust: &TrustStore,
    ) -> Result<VerifiedBundle, BundleError> {
        let bundle = verify_content(bytes, trust, &crate::archive::Limits::default())?;
        self.check_against_high_water(&bundle)?;
        self.check_audience(&bundle)?;
        Ok(bundle)
    }

    fn check_audience(&self, bundle: &VerifiedBundle) -> Result<(), BundleError> {
        self.expected
            .check(bundle, self.state.pinned_name.as_deref())
    }

    fn check_against_high_water(&self, bundle: &VerifiedBundle) -> Result<(), BundleError> {
        if let Some(mark) = self.state.accepted.get(bundle.name()) {
            if bundle.revision() < mark.revision {
                return Err(BundleError::Rollback {
                    name: bundle.name().to_string(),
                    revision: bundle.revision(),
                    minimum: mark.revision,
                });
            }
            if bundle.revision() == mark.revision && bundle.content_id() != mark.content_id {
                return Err(BundleError::Equivocation {
                    name: bundle.name().to_string(),
                    revision: bundle.revision(),
                });
            }
        }
        Ok(())
    }

    fn raise_high_water(&mut self, bundle: &VerifiedBundle) {
        let mark = HighWater {
            revision: bundle.revision(),
            content_id: bundle.content_id().to_string(),
        };
        let entry = self
            .state
            .accepted
            .entry(bundle.name().to_string())
            .or_insert_with(|| mark.clone());
        if mark.revision > entry.revision {
            *entry = mark;
        }
    }

    /// The bundle to enforce now, or the reason nothing may run: no bundle, an unusable cache,
    /// or a bundle past `expires_at + grace`. Within the grace period the expired bundle is
    /// still enforced (see [`Status`] for the warning to show).
    pub fn enforceable(
        &self,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Result<&VerifiedBundle, BundleError> {
        let bundle = match (&self.current, &self.problem) {
            (Some(bundle), _) => bundle,
            (None, Some(reason)) => {
                return Err(BundleError::CacheUnusable {
                    reason: reason.clone(),
                })
            }
            (None, None) => return Err(BundleError::NoBundle),
        };
        if let Some(mark) = self
            .state
            .accepted
            .get(bundle.name())
            .filter(|m| m.revision > bundle.revision())
        {
            return Err(BundleError::Rollback {
                name: bundle.name().to_string(),
                revision: bundle.revision(),
                minimum: mark.revision,
            });
        }
        let floor = self
            .state
            .latest_seen
            .map_or(bundle.issued_at(), |seen| seen.max(bundle.issued_at()));
        if now + Duration::minutes(CLOCK_SKEW_MINUTES) < floor {
            return Err(BundleError::ClockUntrusted { now, seen: floor });
        }
        let grace_ended = bundle.expires_at() + grace;
        if now >= grace_ended {
            return Err(BundleError::ExpiredBeyondGrace {
                expires_at: bundle.expires_at(),
                grace_ended,
            });
        }
        Ok(bundle)
    }

    /// The bundle loaded from disk or accepted since, whatever its expiry.
    /// Why the cached bundle was refused at open as made for another workspace, if it was: the
    /// caller records it, as a fetched one would be.
    pub fn refused_as_foreign(&self) -> Option<&str> {
        self.foreign.as_deref()
    }

    pub fn current(&self) -> Option<&VerifiedBundle> {
        self.current.as_ref()
    }

    /// The ETag the cached bundle had at `source`, for a conditional fetch. None when the cache
    /// is empty or damaged (so the next fetch downloads in full) or came from elsewhere.
    pub fn etag_for(&self, source: &str) -> Option<&str> {
        if self.current.is_some() && self.state.source.as_deref() == Some(redact(source).as_str()) {
            self.state.etag.as_deref()
        } else {
            None
        }
    }

    /// True when `bytes` are exactly the bundle in force: it need not be verified again.
    pub fn holds_bytes(&self, bytes: &[u8]) -> bool {
        self.current.is_some()
            && self.bundle_sha256.as_deref() == Some(hex::encode(Sha256::digest(bytes)).as_str())
    }

    /// Verifies `bytes` (with `options`, raising `min_revision` to the last accepted revision of
    /// the same name), refuses rollback and equivocation, then stores the bundle atomically.
    pub fn accept(
        &mut self,
        bytes: &[u8],
        trust: &TrustStore,
        options: &VerifyOptions,
        source: &str,
        etag: Option<&str>,
    ) -> Result<AcceptOutcome, BundleError> {
        let _lock = self.lock()?;
        let bundle = match verify(bytes, trust, options) {
            Ok(bundle) => bundle,
            Err(error @ BundleError::IssuedInFuture { issued_at, .. }) => {
                // The time check comes after the signature: a trusted key signed this manifest,
                // which proves `issued_at` has passed. A clock that reads earlier is wrong (or
                // frozen to keep an old policy alive): raise the floor so nothing runs until it
                // is set right, instead of keeping the old policy in force.
                self.saw(issued_at);
                self.save_state()?;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        self.check_against_high_water(&bundle)?;
        self.check_audience(&bundle)?;
        let previous = self.current.as_ref().map(VerifiedBundle::revision);
        let unchanged = self
            .current
            .as_ref()
            .is_some_and(|c| c.name() == bundle.name() && c.content_id() == bundle.content_id());
        if !unchanged || self.bundle_sha256.as_deref() != Some(bundle.bundle_sha256()) {
            write_atomic(&self.dir.join(BUNDLE_FILE), bytes)?;
        }
        self.raise_high_water(&bundle);
        if self.state.pinned_name.is_none() {
            self.state.pinned_name = Some(bundle.name().to_string());
        }
        self.state.source = Some(redact(source));
        self.state.etag = etag.map(str::to_string);
        self.state.fetched_at = Some(options.now);
        if unchanged {
            self.saw(options.now);
        } else {
            // A new revision, signed and valid at `now`: the clock that verified it is trusted
            // again, which is how a machine recovers from a clock that ran ahead.
            self.state.latest_seen = Some(options.now);
        }
        let outcome = if unchanged {
            AcceptOutcome::Unchanged {
                revision: bundle.revision(),
            }
        } else {
            AcceptOutcome::Updated {
                previous,
                revision: bundle.revision(),
            }
        };
        self.state.last_fetch = Some(FetchVerdict::from_outcome(&outcome, options.now));
        self.bundle_sha256 = Some(bundle.bundle_sha256().to_string());
        self.current = Some(bundle);
        self.problem = None;
        self.save_state()?;
        Ok(outcome)
    }

    /// Records that a fetch found nothing new (304 or identical bytes) without verifying again.
    pub fn record_unchanged(
        &mut self,
        source: &str,
        etag: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), BundleError> {
        let _lock = self.lock()?;
        self.state.source = Some(redact(source));
        if let Some(etag) = etag {
            self.state.etag = Some(etag.to_string());
        }
        self.state.fetched_at = Some(now);
        self.saw(now);
        let revision = self.current.as_ref().map(VerifiedBundle::revision);
        self.state.last_fetch = Some(FetchVerdict::unchanged(revision, now));
        self.save_state()
    }

    /// Records a failed or refused fetch; the bundle in force stays in force.
    pub fn record_failure(
        &mut self,
        source: &str,
        error: &BundleError,
        now: DateTime<Utc>,
    ) -> Result<(), BundleError> {
        let _lock = self.lock()?;
        self.state.source = Some(redact(source));
        self.state.last_fetch = Some(FetchVerdict::failure(error, now));
        self.saw(now);
        self.save_state()
    }

    pub fn status(&self, now: DateTime<Utc>, grace: Duration) -> Status {
        Status::new(
            self.current.as_ref(),
            &self.state,
            self.enforceable(now, grace).err(),
            now,
            grace,
        )
    }

    /// Takes the cache's lock, then raises this process's high-water marks to those on disk: a
    /// revision another process accepted meanwhile counts here too, and saving never lowers one.
    fn lock(&mut self) -> Result<std::fs::File, BundleError> {
        let path = self.dir.join(LOCK_FILE);
        // Read-only is enough to lock; it is created once, empty.
        let file = match std::fs::File::open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path),
            other => other,
        }
        .map_err(BundleError::io("opening the cache lock", &path))?;
        file.lock()
            .map_err(BundleError::io("locking the cache", &path))?;
        if let Ok(bytes) = std::fs::read(self.dir.join(STATE_FILE)) {
            if let Ok(disk) = serde_json::from_slice::<CacheState>(&bytes) {
                if let Some(seen) = disk.latest_seen {
                    self.saw(seen);
                }
                if self.state.pinned_name.is_none() {
                    self.state.pinned_name = disk.pinned_name;
                }
                for (name, mark) in disk.accepted {
                    let ours = self
                        .state
                        .accepted
                        .entry(name)
                        .or_insert_with(|| mark.clone());
                    if mark.revision > ours.revision {
                        *ours = mark;
                    }
                }
            }
        }
        Ok(file)
    }

    fn saw(&mut self, now: DateTime<Utc>) {
        self.state.latest_seen = Some(self.state.latest_seen.map_or(now, |seen| seen.max(now)));
    }

    fn save_state(&self) -> Result<(), BundleError> {
        let bytes = serde_json::to_vec_pretty(&self.state).map_err(|e| BundleError::Io {
            action: "encoding",
            path: self.dir.join(STATE_FILE),
            source: e.into(),
        })?;
        write_atomic(&self.dir.join(STATE_FILE), &bytes)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
