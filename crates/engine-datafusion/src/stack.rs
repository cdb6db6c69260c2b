//! Planning and running a query recurse about as deep as the query nests, and DataFusion's
//! planner, optimizer and plan drops take far more stack per level than a Tokio worker's
//! 2 MiB: a few dozen nested derived tables aborted the whole process (a stack overflow is not
//! a panic that a task boundary catches). Queries therefore run on a runtime of their own whose
//! threads have a large stack; the guardrails bound the nesting they let through
//! (`MAX_NESTING`, `MAX_SET_OPERATIONS`, `MAX_CTES`), and the tests run that bound here.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};
use warden_engine::EngineError;

/// Stack of each thread that plans and runs queries. Reserved address space; pages are only
/// committed as deep queries touch them.
pub const QUERY_STACK_BYTES: usize = 512 << 20;

pub(crate) fn handle() -> Result<Handle, EngineError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("warden-query")
            .thread_stack_size(QUERY_STACK_BYTES)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match runtime {
        Ok(rt) => Ok(rt.handle().clone()),
        Err(e) => Err(EngineError::Query(format!(
            "the embedded engine could not start its query threads: {e}"
        ))),
    }
}
