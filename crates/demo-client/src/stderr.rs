//! The engine's error output, kept so that a process that dies can say why.

use std::io::Read;
use std::process::ChildStderr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How much of the end of the error output is kept.
const KEEP_BYTES: usize = 4096;

/// The last bytes the engine wrote to its error output, drained by a thread so that the
/// engine never blocks on a full pipe.
#[derive(Clone, Default)]
pub(crate) struct Tail(Arc<(Mutex<Kept>, Condvar)>);

#[derive(Default)]
struct Kept {
    bytes: Vec<u8>,
    /// The pipe reached its end: everything the process wrote is in `bytes`.
    ended: bool,
}

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
        let bytes = self
            .0
             .0
            .lock()
            .map(|k| k.bytes.clone())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The text once the pipe has ended, for a process that has exited: its last words may
    /// still be in the pipe when its exit is seen. Waits at most `wait` (a process it started
    /// could hold the pipe open), then says what it has.
    pub(crate) fn final_text(&self, wait: Duration) -> String {
        let (lock, ended) = &*self.0;
        let deadline = Instant::now() + wait;
        if let Ok(mut kept) = lock.lock() {
            while !kept.ended {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match ended.wait_timeout(kept, left) {
                    Ok((k, _)) => kept = k,
                    Err(_) => return String::new(),
                }
            }
            return String::from_utf8_lossy(&kept.bytes).into_owned();
        }
        String::new()
    }
}

fn drain(mut stderr: ChildStderr, tail: &Tail) {
    let (lock, ended) = &*tail.0;
    let mut buf = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut buf) {
        if n == 0 {
            break;
        }
        if let Ok(mut kept) = lock.lock() {
            kept.bytes.extend_from_slice(&buf[..n]);
            let excess = kept.bytes.len().saturating_sub(KEEP_BYTES);
            kept.bytes.drain(..excess);
        }
    }
    if let Ok(mut kept) = lock.lock() {
        kept.ended = true;
    }
    ended.notify_all();
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    fn follow(script: &str) -> (std::process::Child, Tail) {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh");
        let tail = Tail::follow(child.stderr.take().expect("stderr"));
        (child, tail)
    }

    #[test]
    fn the_final_text_waits_for_words_still_in_the_pipe() {
        let (mut child, tail) = follow("sleep 0.3; echo 'last words' >&2");
        assert_eq!(tail.text(), "", "nothing written yet");
        assert_eq!(tail.final_text(Duration::from_secs(10)), "last words\n");
        child.wait().expect("wait");
    }

    #[test]
    fn a_pipe_held_open_is_waited_for_only_so_long() {
        let (mut child, tail) = follow("echo early >&2; exec sleep 30");
        let started = Instant::now();
        while tail.text().is_empty() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let asked = Instant::now();
        assert_eq!(tail.final_text(Duration::from_millis(200)), "early\n");
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "{:?}",
            asked.elapsed()
        );
        child.kill().expect("kill");
        child.wait().expect("wait");
    }

    #[test]
    fn only_the_end_of_a_long_output_is_kept() {
        let (mut child, tail) =
            follow("i=0; while [ $i -lt 2000 ]; do echo line-$i >&2; i=$((i+1)); done");
        let text = tail.final_text(Duration::from_secs(10));
        child.wait().expect("wait");
        assert!(text.len() <= KEEP_BYTES, "{}", text.len());
        assert!(text.ends_with("line-1999\n"), "{text}");
        assert!(!text.contains("line-0\n"));
    }
}
