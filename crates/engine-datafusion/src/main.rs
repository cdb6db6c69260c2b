//! `warden-demo-engine`: the demo workspace's engine as a process of its own. The app starts it
//! (`warden-demo-client`); it is not a command for people.
//!
//! - `generate --lake DIR --seed N` makes sure the demo lake at DIR is the one the seed
//!   generates, and prints its summary as one line of JSON.
//! - `serve --lake DIR` answers requests on its input (`warden_demo_client::protocol`) until the
//!   input closes, or ends itself after [`IDLE`] without one, so a waiting engine does not
//!   hold memory for long.

use std::io::{BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use clap::{Parser, Subcommand};
use warden_demo_client::protocol::{self, Reply, Request};
use warden_engine::EngineError;
use warden_engine_datafusion::{BatchSink, Lake};

/// How long a serving engine waits for its next request before it ends.
const IDLE: Duration = Duration::from_secs(300);

#[derive(Parser)]
#[command(
    name = "warden-demo-engine",
    version,
    about = "The engine of Warden's demo workspace, started by Warden (not a command to run by hand)"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make sure the demo lake is there; print its summary.
    Generate {
        #[arg(long)]
        lake: PathBuf,
        #[arg(long)]
        seed: u64,
    },
    /// Answer requests on standard input.
    Serve {
        #[arg(long)]
        lake: PathBuf,
    },
}

fn main() -> ExitCode {
    match Args::parse().command {
        Command::Generate { lake, seed } => match warden_demo_lake::ensure(&lake, seed) {
            Ok(summary) => {
                println!("{}", protocol::to_line(&summary));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve { lake } => match serve(&lake) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve(lake: &Path) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("the engine could not start: {e}"))?;
    // A lake that cannot be opened is said in answer to every request, so the app shows why.
    let opened = Lake::open(lake, &warden_demo_lake::describe()).map_err(|e| e.to_string());
    let requests = read_requests();
    let mut out = BufWriter::new(std::io::stdout());
    loop {
        let request = match requests.recv_timeout(IDLE) {
            Ok(request) => request,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let lake = match (&request, &opened) {
            (Err(e), _) => {
                let message = format!("the request could not be read: {e}");
                reply(&mut out, &Reply::Error { message })?;
                continue;
            }
            (Ok(_), Err(e)) => {
                reply(&mut out, &Reply::Error { message: e.clone() })?;
                continue;
            }
            (Ok(_), Ok(lake)) => lake,
        };
        match request {
            Ok(Request::Run {
                statement,
                default_database,
            }) => {
                out = run(&runtime, lake, &statement, default_database.as_deref(), out)?;
            }
            Err(_) => {}
        }
    }
}

/// Requests as they arrive, read on a thread of their own so that waiting for one can time
/// out. The channel closes when the input does.
fn read_requests() -> mpsc::Receiver<Result<Request, String>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        loop {
            let request = match protocol::read_line::<Request>(&mut input) {
                Ok(None) => break,
                Ok(Some(request)) => Ok(request),
                Err(e) => Err(e),
            };
            let garbled = request.is_err();
            if send.send(request).is_err() || garbled {
                // After a line that is not a request, the rest of the input cannot be trusted
                // to start where a request starts.
                break;
            }
        }
    });
    receive
}

fn run(
    runtime: &tokio::runtime::Runtime,
    lake: &Lake,
    text: &str,
    default_database: Option<&str>,
    mut out: BufWriter<Stdout>,
) -> Result<BufWriter<Stdout>, String> {
    let statement = match protocol::parse_statement(text) {
        Ok(statement) => statement,
        Err(message) => {
            reply(&mut out, &Reply::Error { message })?;
            return Ok(out);
        }
    };
    let sink = PipeSink::Waiting(out);
    let (sink, outcome) = runtime.block_on(lake.run_statement(statement, default_database, sink));
    let Some(sink) = sink else {
        return Err("the query's task ended unexpectedly".into());
    };
    sink.end(outcome)
}

/// The batches of a run, down the pipe as an Arrow IPC stream after [`Reply::Stream`].
enum PipeSink {
    Waiting(BufWriter<Stdout>),
    Streaming(Box<StreamWriter<BufWriter<Stdout>>>),
    /// The pipe failed (the app is gone).
    Broken(String),
}

impl BatchSink for PipeSink {
    fn start(&mut self, schema: &SchemaRef) -> Result<(), EngineError> {
        let PipeSink::Waiting(mut out) = std::mem::replace(self, PipeSink::Broken(String::new()))
        else {
            return Err(EngineError::Query("the plan was made twice".into()));
        };
        let started = reply(&mut out, &Reply::Stream)
            .and_then(|()| StreamWriter::try_new(out, schema).map_err(|e| e.to_string()));
        match started {
            Ok(writer) => {
                *self = PipeSink::Streaming(Box::new(writer));
                Ok(())
            }
            Err(e) => {
                *self = PipeSink::Broken(e.clone());
                Err(EngineError::Query(e))
            }
        }
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<(), EngineError> {
        let PipeSink::Streaming(writer) = self else {
            return Err(EngineError::Query(
                "rows came before the plan was made".into(),
            ));
        };
        // Flushed at every batch, so the first rows reach the window while the plan runs.
        let sent = writer
            .write(batch)
            .map_err(|e| e.to_string())
            .and_then(|()| writer.get_mut().flush().map_err(|e| e.to_string()));
        if let Err(e) = sent {
            *self = PipeSink::Broken(e.clone());
            return Err(EngineError::Query(e));
        }
        Ok(())
    }
}

impl PipeSink {
    /// Ends the run's answer: the stream's end marker if it began, then the last line.
    fn end(self, outcome: Result<u64, EngineError>) -> Result<BufWriter<Stdout>, String> {
        let last = match &outcome {
            Ok(bytes_scanned) => Reply::Done {
                bytes_scanned: *bytes_scanned,
            },
            Err(e) => Reply::Error {
                message: e.to_string(),
            },
        };
        let mut out = match self {
            PipeSink::Waiting(out) => out,
            PipeSink::Streaming(mut writer) => {
                writer.finish().map_err(|e| e.to_string())?;
                writer.into_inner().map_err(|e| e.to_string())?
            }
            PipeSink::Broken(e) => return Err(format!("the answer could not be sent: {e}")),
        };
        reply(&mut out, &last)?;
        Ok(out)
    }
}

fn reply(out: &mut BufWriter<Stdout>, reply: &Reply) -> Result<(), String> {
    writeln!(out, "{}", protocol::to_line(reply))
        .and_then(|()| out.flush())
        .map_err(|e| format!("the answer could not be sent: {e}"))
}
