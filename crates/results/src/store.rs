use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{ColumnInfo, Value};

use crate::{chunk, ResultsError};

/// The first chunk is small so the grid can show a page as soon as the first rows arrive.
pub const FIRST_CHUNK_ROWS: usize = 1_000;
/// Later chunks are larger: fewer files, and still only a few megabytes held while buffering.
pub const CHUNK_ROWS: usize = 16_384;
/// The most one result may take on disk: memory stays flat whatever the size, but a query
/// returning a billion rows would otherwise fill the disk the user works on.
pub const MAX_RESULT_BYTES: u64 = 4 << 30;

struct Chunk {
    first_row: u64,
    rows: usize,
    path: PathBuf,
}

#[derive(Default)]
struct State {
    chunks: Vec<Chunk>,
    rows: u64,
    /// What the chunk files take on disk.
    bytes: u64,
    complete: bool,
    failure: Option<String>,
    withdrawn: bool,
}

struct Inner {
    /// Held locked while the result lives: a folder whose lock nobody holds belongs to a
    /// process that ended without removing it ([`remove_stale`]). Released when dropped
    /// (first: fields drop in order).
    _owner: File,
    /// The folder of the chunks; `None` once withdrawn. Dropping it removes the folder and
    /// every chunk, so the folder goes when the last reader or writer does.
    dir: Mutex<Option<tempfile::TempDir>>,
    /// Where the folder is (or was).
    path: PathBuf,
    /// Taken by a chunk write and by [`ResultReader::withdraw`], so a withdrawal never races a
    /// chunk file being created in the folder it removes.
    io: Mutex<()>,
    columns: Vec<ColumnInfo>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (chunks are added whole).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn io(&self) -> MutexGuard<'_, ()> {
        self.io.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn withdraw(&self) {
        let _io = self.io();
        let mut state = self.lock();
        if state.withdrawn {
            return;
        }
        state.withdrawn = true;
        state.chunks.clear();
        state.failure = Some(WITHDRAWN.to_string());
        drop(state);
        let dir = self.dir.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(dir) = dir {
            if let Err(e) = dir.close() {
                // Nothing is readable through the store any more either way; the files go at
                // the next start's sweep at the latest.
                tracing::warn!("a withdrawn result's folder could not be removed: {e}");
            }
        }
        self.changed.notify_all();
    }
}

const WITHDRAWN: &str = "the result was withdrawn and its rows deleted";

/// The lock file in every result folder.
const OWNER_FILE: &str = "owner.lock";
/// Result folders are named `result-…` in the cache folder: only those are ever swept.
const FOLDER_PREFIX: &str = "result-";
/// A result folder without its lock file is left alone this long: it may be one being created.
const UNLOCKED_GRACE: Duration = Duration::from_secs(60);

/// How far a result has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub rows: u64,
    pub complete: bool,
    /// Why the rows stopped arriving, when they did.
    pub failure: Option<String>,
}

/// Creates a result with `columns` in a new folder under `cache_dir`; the folder is removed
/// when the writer and every reader are gone, or at once by [`ResultReader::withdraw`].
pub fn create(
    cache_dir: &Path,
    columns: Vec<ColumnInfo>,
) -> Result<(ResultWriter, ResultReader), ResultsError> {
    let create_err = |e: std::io::Error| ResultsError::Create {
        path: cache_dir.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(cache_dir).map_err(create_err)?;
    let dir = tempfile::Builder::new()
        .prefix(FOLDER_PREFIX)
        .tempdir_in(cache_dir)
        .map_err(create_err)?;
    let owner = File::create(dir.path().join(OWNER_FILE)).map_err(create_err)?;
    owner.lock().map_err(create_err)?;
    let inner = Arc::new(Inner {
        path: dir.path().to_path_buf(),
        dir: Mutex::new(Some(dir)),
        _owner: owner,
        io: Mutex::new(()),
        columns,
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
    });
    Ok((
        ResultWriter {
            inner: inner.clone(),
            buffer: Vec::new(),
            done: false,
            max_bytes: MAX_RESULT_BYTES,
        },
        ResultReader { inner },
    ))
}

/// A complete result holding `rows`, stored like any other (small results, tests).
pub fn from_rows(
    cache_dir: &Path,
    columns: Vec<ColumnInfo>,
    rows: impl IntoIterator<Item = Vec<Value>>,
) -> Result<ResultReader, ResultsError> {
    let (mut writer, reader) = create(cache_dir, columns)?;
    for row in rows {
        writer.push(row)?;
    }
    writer.finish()?;
    Ok(reader)
}

/// Removes the result folders in `cache_dir` that no live process owns: those a killed or
/// crashed Warden left behind (a process that ends normally removes its own). A folder whose
/// owner still runs (this process included) is locked and left alone, as are files that are
/// not result folders. Returns how many were removed.
pub fn remove_stale(cache_dir: &Path) -> Result<usize, ResultsError> {
    let entries = match std::fs::read_dir(cache_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => {
            return Err(ResultsError::Create {
                path: cache_dir.to_path_buf(),
                reason: e.to_string(),
            })
        }
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_result = name.to_str().is_some_and(|n| n.starts_with(FOLDER_PREFIX));
        // Not followed: a link named like a result folder is not one of ours.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_result || !is_dir {
            continue;
        }
        let folder = entry.path();
        if !is_stale(&folder) {
            continue;
        }
        match std::fs::remove_dir_all(&folder) {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!("a stale result folder could not be removed: {e}"),
        }
    }
    Ok(removed)
}

fn is_stale(folder: &Path) -> bool {
    match File::open(folder.join(OWNER_FILE)) {
        // Taken only if the process that locked it has ended (the lock goes with it).
        Ok(owner) => owner.try_lock().is_ok(),
        Err(_) => std::fs::metadata(folder)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > UNLOCKED_GRACE),
    }
}

/// The engine's end: rows go in, chunks go to disk.
pub struct ResultWriter {
    inner: Arc<Inner>,
    buffer: Vec<Vec<Value>>,
    done: bool,
    max_bytes: u64,
}

impl ResultWriter {
    /// A smaller disk limit than [`MAX_RESULT_BYTES`] for this result.
    pub fn limit_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes.min(MAX_RESULT_BYTES);
        self
    }

    pub fn columns(&self) -> &[ColumnInfo] {
        &self.inner.columns
    }

    pub fn push(&mut self, row: Vec<Value>) -> Result<(), ResultsError> {
        if self.buffer.is_empty() && self.inner.lock().withdrawn {
            return Err(ResultsError::Withdrawn);
        }
        if row.len() != self.inner.columns.len() {
            return Err(ResultsError::RowWidth {
                expected: self.inner.columns.len(),
                got: row.len(),
            });
        }
        self.buffer.push(row);
        let threshold = if self.inner.lock().chunks.is_empty() {
            FIRST_CHUNK_ROWS
        } else {
            CHUNK_ROWS
        };
        if self.buffer.len() >= threshold {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows pushed so far, written or buffered.
    pub fn rows(&self) -> u64 {
        self.inner.lock().rows + self.buffer.len() as u64
    }

    /// Writes the rows buffered so far as a chunk now, so readers see them before the chunk
    /// would be full: for a source whose first rows trickle in.
    pub fn flush(&mut self) -> Result<(), ResultsError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let _io = self.inner.io();
        let (index, first_row) = {
            let state = self.inner.lock();
            if state.withdrawn {
                self.buffer.clear();
                return Err(ResultsError::Withdrawn);
            }
            (state.chunks.len(), state.rows)
        };
        let path = self.inner.path.join(format!("{index:06}.arrow"));
        chunk::write(&path, self.inner.columns.len(), &self.buffer)?;
        let size = std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| ResultsError::Write(e.to_string()))?;
        let rows = self.buffer.len();
        self.buffer.clear();
        let mut state = self.inner.lock();
        state.chunks.push(Chunk {
            first_row,
            rows,
            path,
        });
        state.rows += rows as u64;
        state.bytes += size;
        let too_large = state.bytes > self.max_bytes;
        drop(state);
        self.inner.changed.notify_all();
        if too_large {
            return Err(ResultsError::TooLarge {
                limit: self.max_bytes,
            });
        }
        Ok(())
    }

    /// Writes what is buffered and marks the result complete.
    pub fn finish(mut self) -> Result<u64, ResultsError> {
        self.flush()?;
        self.done = true;
        let mut state = self.inner.lock();
        if state.withdrawn {
            return Err(ResultsError::Withdrawn);
        }
        state.complete = true;
        let rows = state.rows;
        drop(state);
        self.inner.changed.notify_all();
        Ok(rows)
    }

    /// Marks the result as stopped short, with the reason readers will see.
    pub fn fail(mut self, reason: &str) {
        self.mark_failed(reason);
    }

    fn mark_failed(&mut self, reason: &str) {
        // Rows already written stay readable; the ones still buffered are kept too.
        let _ = self.flush();
        self.done = true;
        let mut state = self.inner.lock();
        if state.withdrawn {
            return;
        }
        state.failure = Some(reason.to_string());
        drop(state);
        self.inner.changed.notify_all();
    }
}

impl Drop for ResultWriter {
    fn drop(&mut self) {
        if !self.done {
            self.mark_failed("the engine stopped before the last row");
        }
    }
}

/// A reader of a stored result; cheap to clone, usable while rows are still arriving.
#[derive(Clone)]
pub struct ResultReader {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ResultReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultReader")
            .field("snapshot", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl ResultReader {
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.inner.columns
    }

    /// The folder holding the chunks (for tests and diagnostics); gone once withdrawn.
    pub fn folder(&self) -> &Path {
        &self.inner.path
    }

    /// Rows readable now (all of them once the result is complete).
    pub fn len(&self) -> u64 {
        self.inner.lock().rows
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Deletes the rows now, for every clone of this reader: the folder and its chunks are
    /// removed, reads fail with [`ResultsError::Withdrawn`] and a writer still filling it
    /// stops. For rows that must not stay readable (read under an elevation that has ended).
    pub fn withdraw(&self) {
        self.inner.withdraw();
    }

    pub fn is_withdrawn(&self) -> bool {
        self.inner.lock().withdrawn
    }

    /// A handle that can withdraw this result without keeping it alive.
    pub fn watch(&self) -> WatchedResult {
        WatchedResult {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Every row in memory at once: for tests and results known to be small. Everything else
    /// pages ([`Self::page`]) or streams ([`Self::for_each_row`]).
    pub fn all_rows(&self) -> Result<Vec<Vec<Value>>, ResultsError> {
        let mut rows = Vec::new();
        self.for_each_row(|row| {
            rows.push(row.to_vec());
            Ok(())
        })?;
        Ok(rows)
    }

    pub fn snapshot(&self) -> Snapshot {
        let state = self.inner.lock();
        Snapshot {
            rows: state.rows,
            complete: state.complete,
            failure: state.failure.clone(),
        }
    }

    /// Waits until at least `rows` rows are readable, the result is complete or failed, or
    /// `timeout` passes, and says how far it got.
    pub fn wait_for(&self, rows: u64, timeout: Duration) -> Snapshot {
        let deadline = Instant::now() + timeout;
        let mut state = self.inner.lock();
        while state.rows < rows && !state.complete && state.failure.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .inner
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Snapshot {
            rows: state.rows,
            complete: state.complete,
            failure: state.failure.clone(),
        }
    }

    /// Rows `[offset, offset + limit)` among those written so far.
    pub fn page(&self, offset: u64, limit: usize) -> Result<Vec<Vec<Value>>, ResultsError> {
        let end = offset.saturating_add(limit as u64);
        let wanted: Vec<(PathBuf, usize, usize)> = {
            let state = self.inner.lock();
            if state.withdrawn {
                return Err(ResultsError::Withdrawn);
            }
            state
                .chunks
                .iter()
                .filter(|c| c.first_row < end && c.first_row + c.rows as u64 > offset)
                .map(|c| {
                    let from = offset.saturating_sub(c.first_row) as usize;
                    let to = ((end - c.first_row) as usize).min(c.rows);
                    (c.path.clone(), from, to)
                })
                .collect()
        };
        let mut rows = Vec::with_capacity(limit.min(10_000));
        for (path, from, to) in wanted {
            rows.extend(self.read(&path, from, to)?);
        }
        Ok(rows)
    }

    /// Calls `each` with every row in order, reading one chunk at a time and waiting for the
    /// chunks still to come; ends with an error if the rows stopped arriving.
    pub fn for_each_row(
        &self,
        mut each: impl FnMut(&[Value]) -> Result<(), ResultsError>,
    ) -> Result<u64, ResultsError> {
        let mut next = 0usize;
        loop {
            let (chunk, finished) = {
                let mut state = self.inner.lock();
                loop {
                    if state.withdrawn {
                        break (None, Some(Err(ResultsError::Withdrawn)));
                    }
                    if let Some(c) = state.chunks.get(next) {
                        break (Some((c.path.clone(), c.rows)), None);
                    }
                    if state.complete {
                        break (None, Some(Ok(state.rows)));
                    }
                    if let Some(f) = &state.failure {
                        break (None, Some(Err(ResultsError::Incomplete(f.clone()))));
                    }
                    state = self
                        .inner
                        .changed
                        .wait(state)
                        .unwrap_or_else(|p| p.into_inner());
                }
            };
            if let Some(done) = finished {
                return done;
            }
            if let Some((path, rows)) = chunk {
                for row in self.read(&path, 0, rows)? {
                    each(&row)?;
                }
                next += 1;
            }
        }
    }

    /// A chunk's rows; a chunk that vanished because the result was withdrawn says so.
    fn read(&self, path: &Path, from: usize, to: usize) -> Result<Vec<Vec<Value>>, ResultsError> {
        chunk::read(path, from, to).map_err(|e| {
            if self.is_withdrawn() {
                ResultsError::Withdrawn
            } else {
                e
            }
        })
    }
}

/// A weak hold on a result ([`ResultReader::watch`]): withdraws it if it still exists.
#[derive(Clone)]
pub struct WatchedResult {
    inner: std::sync::Weak<Inner>,
}

impl std::fmt::Debug for WatchedResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchedResult")
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl WatchedResult {
    pub fn withdraw(&self) {
        if let Some(inner) = self.inner.upgrade() {
            inner.withdraw();
        }
    }

    /// Whether a reader or writer of the result still exists.
    pub fn is_alive(&self) -> bool {
        self.inner.strong_count() > 0
    }
}
