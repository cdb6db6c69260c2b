//! `warden bundle publish`: store a bundle under its revision, then move the `latest` pointer.
//!
//! Both steps are conditional writes, so two publishers racing on the same revision cannot both
//! win, and the pointer never moves backwards.

use std::path::Path;

use serde::Serialize;

use crate::archive::Limits;
use crate::atomic::{sync_dir, write_atomic};
use crate::error::BundleError;
use crate::fetch::RemoteOptions;
use crate::location::{parse_store, StoreKind, LATEST, REVISIONS};
use crate::manifest::Manifest;
use crate::s3::{self, Condition};
use crate::verify::inspect;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub name: String,
    pub revision: u64,
    /// Where the revision object is.
    pub object: String,
    /// True when the identical bundle was already stored under this revision.
    pub already_published: bool,
    /// False when `latest` already pointed to this revision.
    pub latest_moved: bool,
}

/// Publishes to `s3://bucket/prefix/` (with the workspace's AWS configuration) or `file:///dir/`.
pub async fn publish(
    bytes: &[u8],
    to: &str,
    options: &RemoteOptions,
) -> Result<Published, BundleError> {
    match parse_store(to)? {
        StoreKind::Folder(dir) => publish_to_folder(bytes, &dir).await,
        StoreKind::S3 { bucket, prefix } => {
            let client = s3::client(options).await;
            publish_to_s3(bytes, &client, &bucket, &prefix, options.max_bytes).await
        }
    }
}

/// Publishes to `s3://bucket/prefix/` through a client the caller configured.
pub async fn publish_with_s3_client(
    bytes: &[u8],
    to: &str,
    client: &aws_sdk_s3::Client,
    options: &RemoteOptions,
) -> Result<Published, BundleError> {
    match parse_store(to)? {
        StoreKind::S3 { bucket, prefix } => {
            publish_to_s3(bytes, client, &bucket, &prefix, options.max_bytes).await
        }
        StoreKind::Folder(_) => Err(BundleError::InvalidLocation {
            url: to.to_string(),
            reason: "an S3 client needs an s3:// location".into(),
        }),
    }
}

/// What the store already holds, compared with what is being published.
fn compare(ours: &Manifest, theirs_bytes: &[u8], location: &str) -> Result<Ordering, BundleError> {
    let theirs =
        inspect(theirs_bytes, &Limits::default()).map_err(|e| BundleError::Unreachable {
            location: location.to_string(),
            reason: format!("it holds something that is not a bundle ({e})"),
        })?;
    Ok(if theirs.revision > ours.revision {
        Ordering::Newer(theirs.revision)
    } else if theirs.revision < ours.revision {
        Ordering::Older
    } else if theirs == *ours {
        Ordering::Same
    } else {
        Ordering::Conflict
    })
}

enum Ordering {
    Newer(u64),
    Older,
    Same,
    Conflict,
}

fn revision_key(revision: u64) -> String {
    format!("{REVISIONS}{revision}.tar.gz")
}

async fn publish_to_folder(bytes: &[u8], dir: &Path) -> Result<Published, BundleError> {
    let manifest = inspect(bytes, &Limits::default())?;
    let revisions = dir.join(REVISIONS);
    std::fs::create_dir_all(&revisions).map_err(BundleError::io("creating", &revisions))?;
    let object = dir.join(revision_key(manifest.revision));
    let object_text = object.display().to_string();

    // Revision object: fully written and synced, then linked into place only if absent.
    let mut temp = tempfile::Builder::new()
        .prefix(".warden-tmp-")
        .tempfile_in(&revisions)
        .map_err(BundleError::io("creating a temporary file in", &revisions))?;
    std::io::Write::write_all(&mut temp, bytes).map_err(BundleError::io("writing", temp.path()))?;
    temp.as_file()
        .sync_all()
        .map_err(BundleError::io("syncing", temp.path()))?;
    let already_published = match temp.persist_noclobber(&object) {
        Ok(_) => {
            sync_dir(&revisions)?;
            false
        }
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read(&object).map_err(BundleError::io("reading", &object))?;
            match compare(&manifest, &existing, &object_text)? {
                Ordering::Same => true,
                _ => {
                    return Err(BundleError::PublishConflict {
                        revision: manifest.revision,
                        location: object_text,
                    })
                }
            }
        }
        Err(e) => {
            return Err(BundleError::Io {
                action: "storing",
                path: object,
                source: e.error,
            })
        }
    };

    // Pointer: moved under a lock file that only one publisher can create.
    let latest = dir.join(LATEST);
    let lock_path = dir.join("latest.lock");
    let _lock = FolderLock::acquire(&lock_path).await?;
    let latest_moved = match std::fs::read(&latest) {
        Ok(current) => match compare(&manifest, &current, &latest.display().to_string())? {
            Ordering::Newer(newer) => {
                return Err(BundleError::PublishOutdated {
                    revision: manifest.revision,
                    latest: newer,
                    location: latest.display().to_string(),
                })
            }
            Ordering::Same => false,
            Ordering::Conflict => {
                return Err(BundleError::PublishConflict {
                    revision: manifest.revision,
                    location: latest.display().to_string(),
                })
            }
            Ordering::Older => {
                write_atomic(&latest, bytes)?;
                true
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_atomic(&latest, bytes)?;
            true
        }
        Err(e) => {
            return Err(BundleError::Io {
                action: "reading",
                path: latest,
                source: e,
            })
        }
    };
    Ok(Published {
        name: manifest.name,
        revision: manifest.revision,
        object: object_text,
        already_published,
        latest_moved,
    })
}

const LOCK_ATTEMPTS: usize = 100;

struct FolderLock {
    path: std::path::PathBuf,
}

impl FolderLock {
    /// Waits a little for a concurrent publisher (moving a pointer takes milliseconds), then
    /// gives up with a reason rather than waiting forever on a lock left by a crash.
    async fn acquire(path: &Path) -> Result<Self, BundleError> {
        for _ in 0..LOCK_ATTEMPTS {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => {
                    return Ok(Self {
                        path: path.to_path_buf(),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => {
                    return Err(BundleError::Io {
                        action: "creating lock",
                        path: path.to_path_buf(),
                        source: e,
                    })
                }
            }
        }
        Err(BundleError::PublishLocked {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

const POINTER_ATTEMPTS: usize = 5;

async fn publish_to_s3(
    bytes: &[u8],
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    max_bytes: u64,
) -> Result<Published, BundleError> {
    let manifest = inspect(bytes, &Limits::default())?;
    let key = format!("{prefix}{}", revision_key(manifest.revision));
    let object = format!("s3://{bucket}/{key}");
    let already_published = if s3::put(client, bucket, &key, bytes, Condition::Absent).await? {
        false
    } else {
        let existing = s3::get(client, bucket, &key, max_bytes).await?;
        match existing {
            Some((existing, _))
                if matches!(compare(&manifest, &existing, &object)?, Ordering::Same) =>
            {
                true
            }
            _ => {
                return Err(BundleError::PublishConflict {
                    revision: manifest.revision,
                    location: object,
                })
            }
        }
    };

    let latest_key = format!("{prefix}{LATEST}");
    let latest = format!("s3://{bucket}/{latest_key}");
    for _ in 0..POINTER_ATTEMPTS {
        let written = match s3::get(client, bucket, &latest_key, max_bytes).await? {
            None => s3::put(client, bucket, &latest_key, bytes, Condition::Absent).await?,
            Some((current, etag)) => match compare(&manifest, &current, &latest)? {
                Ordering::Newer(newer) => {
                    return Err(BundleError::PublishOutdated {
                        revision: manifest.revision,
                        latest: newer,
                        location: latest,
                    })
                }
                Ordering::Same => {
                    return Ok(Published {
                        name: manifest.name,
                        revision: manifest.revision,
                        object,
                        already_published,
                        latest_moved: false,
                    })
                }
                Ordering::Conflict => {
                    return Err(BundleError::PublishConflict {
                        revision: manifest.revision,
                        location: latest,
                    })
                }
                Ordering::Older => {
                    let etag = etag.ok_or_else(|| BundleError::S3 {
                        location: latest.clone(),
                        reason: "the store sent no ETag, so the pointer cannot be moved safely"
                            .into(),
                    })?;
                    s3::put(
                        client,
                        bucket,
                        &latest_key,
                        bytes,
                        Condition::Matches(&etag),
                    )
                    .await?
                }
            },
        };
        if written {
            return Ok(Published {
                name: manifest.name,
                revision: manifest.revision,
                object,
                already_published,
                latest_moved: true,
            });
        }
    }
    Err(BundleError::PublishContended { location: latest })
}
