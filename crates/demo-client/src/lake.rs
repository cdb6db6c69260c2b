use std::path::Path;
use std::process::{Command, Stdio};

use warden_demo_lake::LakeSummary;

use crate::DemoError;

/// Has the engine `program` make sure the demo lake at `root` is the one `seed` generates
/// (`warden-demo-engine generate`), and returns its summary. Writing Parquet is the engine's
/// work, so the app itself carries no Parquet writer.
pub async fn ensure_lake(program: &Path, root: &Path, seed: u64) -> Result<LakeSummary, DemoError> {
    let mut command = Command::new(program);
    command
        .arg("generate")
        .arg("--lake")
        .arg(root)
        .arg("--seed")
        .arg(seed.to_string())
        .env_clear()
        .stdin(Stdio::null());
    let program = program.to_path_buf();
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| DemoError::Lake(e.to_string()))?
        .map_err(|e| DemoError::Start {
            program,
            reason: e.to_string(),
        })?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(DemoError::Lake(if said.is_empty() {
            format!("the engine ended with {}", output.status)
        } else {
            said
        }));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        DemoError::Protocol(format!("the lake's summary is not what it should be: {e}"))
    })
}
