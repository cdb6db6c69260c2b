use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use warden_engine::{ColumnInfo, Value};

use crate::{chunk, ResultsError};

/// The first chunk is small so the grid can show a page as soon as the first rows arrive.
pub const FIRST_CHUNK_ROWS: usize = 1_000;
/// Later chunks are larger: fewer files, and still only a few megabytes held while buffering.
pub const CHUNK_ROWS: usize = 16_384;

struct Chunk {
    first_row: u64,
    rows: usize,
    path: PathBuf,
}

#[derive(Default)]
struct State {
    chunks: Vec<Chunk>,
    rows: u64,
    complete: bool,
    failure: Option<String>,
}

struct Inner {
    // Held for its Drop: the folder and every chunk go when the last reader or writer does.
    dir: tempfile::TempDir,
    columns: Vec<ColumnInfo>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (chunks are added whole).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How far a result has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub rows: u64,
    pub complete: bool,
    /// Why the rows stopped arriving, when they did.
    pub failure: Option<String>,
}

/// Creates a result with `columns` in a new folder under `cache_dir`; the folder is removed
/// when the writer and every reader are gone.
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
        .prefix("result-")
        .tempdir_in(cache_dir)
        .map_err(create_err)?;
    let inner = Arc::new(Inner {
        dir,
        columns,
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
    });
    Ok((
        ResultWriter {
            inner: inner.clone(),
            buffer: Vec::new(),
            done: false,
        },
        ResultReader { inner },
    ))
}

/// The engine's end: rows go in, chunks go to disk.
pub struct ResultWriter {
    inner: Arc<Inner>,
    buffer: Vec<Vec<Value>>,
    done: bool,
}

impl ResultWriter {
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.inner.columns
    }

    pub fn push(&mut self, row: Vec<Value>) -> Result<(), ResultsError> {
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

    fn flush(&mut self) -> Result<(), ResultsError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let (index, first_row) = {
            let state = self.inner.lock();
            (state.chunks.len(), state.rows)
        };
        let path = self.inner.dir.path().join(format!("{index:06}.arrow"));
        chunk::write(&path, self.inner.columns.len(), &self.buffer)?;
        let rows = self.buffer.len();
        self.buffer.clear();
        let mut state = self.inner.lock();
        state.chunks.push(Chunk {
            first_row,
            rows,
            path,
        });
        state.rows += rows as u64;
        drop(state);
        self.inner.changed.notify_all();
        Ok(())
    }

    /// Writes what is buffered and marks the result complete.
    pub fn finish(mut self) -> Result<u64, ResultsError> {
        self.flush()?;
        self.done = true;
        let mut state = self.inner.lock();
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

    /// The folder holding the chunks (for tests and diagnostics).
    pub fn folder(&self) -> &Path {
        self.inner.dir.path()
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
            rows.extend(chunk::read(&path, from, to)?);
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
                for row in chunk::read(&path, 0, rows)? {
                    each(&row)?;
                }
                next += 1;
            }
        }
    }
}
