use std::path::PathBuf;

/// Why the demo engine could not be found, started or understood.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the demo workspace's engine ({program}) is not installed: it was looked for at {}. Install the warden-demo package next to warden, or add an AWS workspace",
        looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotInstalled {
        program: &'static str,
        looked: Vec<PathBuf>,
    },
    #[error("the demo engine {} could not be started: {reason}", program.display())]
    Start { program: PathBuf, reason: String },
    #[error("the demo engine stopped unexpectedly{}", tail_sentence(stderr))]
    Stopped { stderr: String },
    #[error("the demo engine's answer could not be read: {0}")]
    Protocol(String),
    #[error("the demo lake could not be generated: {0}")]
    Lake(String),
}

/// The last thing the engine wrote to its error output, as a sentence to append.
fn tail_sentence(stderr: &str) -> String {
    let tail = stderr.trim();
    if tail.is_empty() {
        String::new()
    } else {
        format!(" (it said: {tail})")
    }
}
