//! One running `warden-demo-engine serve` process and the run of one request on it. The calls
//! here block on the pipes; the engine makes them on Tokio's blocking threads.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use arrow::ipc::reader::StreamReader;
use warden_engine::{ResultReader, Value};

use crate::protocol::{self, Reply, Request};
use crate::stderr::Tail;
use crate::{convert, DemoError};

/// Why a request did not get its answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The engine answered with an error (the statement could not be planned or run); the
    /// process is fine and can take the next request.
    Query(String),
    /// The process that had been waiting was gone before it read the request (it ends itself
    /// after a while without work); a new one can be asked instead.
    Stale,
    /// The process or the pipe broke, or the result could not be stored: it must not be used
    /// again.
    Broken(String),
}

/// Kills the process from another thread, which ends whatever is reading its pipe.
#[derive(Clone)]
pub(crate) struct Killer(Arc<Mutex<Child>>);

impl Killer {
    pub(crate) fn kill(&self) {
        if let Ok(mut child) = self.0.lock() {
            // Already gone is fine.
            let _ = child.kill();
        }
    }
}

pub(crate) struct Worker {
    child: Killer,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Tail,
    /// It has answered a request before, so a silence may be its idle timeout.
    pub(crate) reused: bool,
}

impl Worker {
    pub(crate) fn spawn(program: &Path, lake: &Path) -> Result<Self, DemoError> {
        let start = |reason: String| DemoError::Start {
            program: program.to_path_buf(),
            reason,
        };
        // No environment: the engine needs none, and an analyst's shell may hold credentials.
        let mut child = Command::new(program)
            .arg("serve")
            .arg("--lake")
            .arg(lake)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| start(e.to_string()))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(start("its pipes could not be opened".into()));
        };
        Ok(Self {
            child: Killer(Arc::new(Mutex::new(child))),
            stdin,
            stdout: BufReader::new(stdout),
            stderr: Tail::follow(stderr),
            reused: false,
        })
    }

    pub(crate) fn killer(&self) -> Killer {
        self.child.clone()
    }

    /// Still running (a waiting process may have ended itself).
    pub(crate) fn is_alive(&self) -> bool {
        self.child
            .0
            .lock()
            .is_ok_and(|mut c| matches!(c.try_wait(), Ok(None)))
    }

    /// Runs `statement` and stores its rows in a new result under `results_dir`, handed to
    /// `created` as soon as it exists. Returns the result, complete, and the bytes scanned.
    pub(crate) fn run(
        &mut self,
        statement: String,
        default_database: Option<String>,
        results_dir: &Path,
        created: tokio::sync::oneshot::Sender<ResultReader>,
    ) -> Result<(ResultReader, u64), Failure> {
        self.send(&Request::Run {
            statement,
            default_database,
        })?;
        match self.first_reply()? {
            Reply::Stream => {}
            Reply::Error { message } => return Err(Failure::Query(message)),
            other => return Err(self.unexpected(&other)),
        }
        let reader = self.store_stream(results_dir, created)?;
        match self.next_reply()? {
            Reply::Done { bytes_scanned } => Ok((reader, bytes_scanned)),
            Reply::Error { message } => Err(Failure::Query(message)),
            other => Err(self.unexpected(&other)),
        }
    }

    /// Reads the IPC stream to its end, one batch's rows at a time into the store.
    fn store_stream(
        &mut self,
        results_dir: &Path,
        created: tokio::sync::oneshot::Sender<ResultReader>,
    ) -> Result<ResultReader, Failure> {
        let opened = StreamReader::try_new(&mut self.stdout, None).map_err(|e| e.to_string());
        let mut stream = match opened {
            Ok(s) => s,
            Err(e) => return Err(self.broken(e)),
        };
        let (mut writer, reader) =
            warden_results::create(results_dir, convert::columns(&stream.schema()))
                .map_err(|e| Failure::Broken(format!("the result could not be stored: {e}")))?;
        // Nobody waiting for it (the run is being cancelled) is no reason to stop here.
        let _ = created.send(reader.clone());
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut failure = None;
        for batch in stream.by_ref() {
            let done = batch
                .map_err(|e| format!("the rows could not be read: {e}"))
                .and_then(|batch| {
                    convert::append_rows(&batch, &mut rows)
                        .map_err(|e| format!("a result value could not be read: {e}"))
                })
                .and_then(|()| {
                    for row in rows.drain(..) {
                        writer
                            .push(row)
                            .map_err(|e| format!("the result could not be stored: {e}"))?;
                    }
                    if reader.is_empty() {
                        // The first rows show in the window as soon as they come.
                        writer
                            .flush()
                            .map_err(|e| format!("the result could not be stored: {e}"))?;
                    }
                    Ok(())
                });
            if let Err(e) = done {
                failure = Some(e);
                break;
            }
        }
        if let Some(e) = failure {
            return Err(self.broken(e));
        }
        writer
            .finish()
            .map_err(|e| Failure::Broken(format!("the result could not be stored: {e}")))?;
        Ok(reader)
    }

    fn send(&mut self, request: &Request) -> Result<(), Failure> {
        let line = protocol::to_line(request) + "\n";
        let sent = self
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush());
        match sent {
            Ok(()) => Ok(()),
            Err(_) if self.reused => Err(Failure::Stale),
            Err(e) => Err(self.broken(e.to_string())),
        }
    }

    /// The first answer to a request: a process that was waiting and is gone is stale.
    fn first_reply(&mut self) -> Result<Reply, Failure> {
        match protocol::read_line::<Reply>(&mut self.stdout) {
            Ok(Some(reply)) => {
                self.reused = true;
                Ok(reply)
            }
            Ok(None) if self.reused && self.stderr.text().trim().is_empty() => Err(Failure::Stale),
            Ok(None) => Err(self.broken(String::new())),
            Err(e) => Err(self.broken(e)),
        }
    }

    fn next_reply(&mut self) -> Result<Reply, Failure> {
        match protocol::read_line::<Reply>(&mut self.stdout) {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(self.broken(String::new())),
            Err(e) => Err(self.broken(e)),
        }
    }

    fn unexpected(&self, reply: &Reply) -> Failure {
        Failure::Broken(
            DemoError::Protocol(format!("it answered {reply:?} out of turn")).to_string(),
        )
    }

    /// A broken pipe or stream: said as the process's own last words if it has died, else as
    /// what could not be read.
    fn broken(&self, what: String) -> Failure {
        // A process that dies closes its pipes a moment before it can be seen to have ended.
        let exited = (0..10).any(|_| {
            let gone = self
                .child
                .0
                .lock()
                .is_ok_and(|mut c| !matches!(c.try_wait(), Ok(None)));
            if !gone {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            gone
        });
        let error = if exited || what.is_empty() {
            DemoError::Stopped {
                stderr: self
                    .stderr
                    .final_text(std::time::Duration::from_millis(500)),
            }
        } else {
            DemoError::Protocol(what)
        };
        Failure::Broken(error.to_string())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.0.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Where the engine for one workspace runs, for [`Worker::spawn`].
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) program: PathBuf,
    pub(crate) lake: PathBuf,
}
