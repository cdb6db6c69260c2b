//! The engine's error output, kept so that a process that dies can say why.

use std::io::Read;
use std::process::ChildStderr;
use std::sync::{Arc, Mutex};

/// How much of the end of the error output is kept.
const KEEP_BYTES: usize = 4096;

/// The last bytes the engine wrote to its error output, drained by a thread so that the
/// engine never blocks on a full pipe.
#[derive(Clone, Default)]
pub(crate) struct Tail(Arc<Mutex<Vec<u8>>>);

impl Tail {
    pub(crate) fn follow(stderr: ChildStderr) -> Self {
        let tail = Tail::default();
        let kept = tail.clone();
        let spawned = std::thread::Builder::new()
            .name("warden-demo-stderr".into())
            .spawn(move || drain(stderr, &kept));
        if let Err(e) = spawned {
            tracing::warn!("the demo engine's error output is not kept: {e}");
        }
        tail
    }

    pub(crate) fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn drain(mut stderr: ChildStderr, tail: &Tail) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut buf) {
        if n == 0 {
            break;
        }
        if let Ok(mut kept) = tail.0.lock() {
            kept.extend_from_slice(&buf[..n]);
            let excess = kept.len().saturating_sub(KEEP_BYTES);
            kept.drain(..excess);
        }
    }
}
