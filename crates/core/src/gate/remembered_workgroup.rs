//! The workgroup picked in the window, remembered across restarts in the workspace's local state
//! (`<data>/workspaces/NAME/workgroup.json`, never `config.toml`, which is the administrator's
//! or the user's settings, not the app's state).
//!
//! Fail closed: at start the remembered pick is checked against the workspace's rules again (its
//! `[athena] workgroups`, the elevations' own workgroups); one no longer allowed is forgotten,
//! runs go to the workspace's default, and the picker says why.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Gate;

const FORMAT: &str = "warden-workgroup/1";
/// The file holds a name; anything larger is not ours.
const MAX_BYTES: u64 = 4096;

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    workspace: String,
    workgroup: String,
}

/// Where the workspace whose folder is `dir` remembers its pick.
pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join("workgroup.json")
}

fn load(path: &Path, workspace: &str) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_BYTES {
        return None;
    }
    let f: File = serde_json::from_slice(&bytes).ok()?;
    (f.format == FORMAT && f.workspace == workspace && !f.workgroup.is_empty())
        .then_some(f.workgroup)
}

fn store(path: &Path, workspace: &str, workgroup: &str) -> Result<(), String> {
    let bytes = serde_json::to_vec(&File {
        format: FORMAT.into(),
        workspace: workspace.into(),
        workgroup: workgroup.into(),
    })
    .map_err(|e| e.to_string())?;
    crate::files::write_atomically(path, &bytes).map_err(|e| e.to_string())
}

impl Gate {
    /// Remembers picks in `path`, and goes back to the one remembered there when the rules
    /// still allow it. Called once the gate offers workgroups.
    pub(crate) fn remember_workgroup_in(&mut self, path: PathBuf) {
        let remembered = load(&path, &self.workspace);
        self.workgroup_memory = Some(path);
        let Some(name) = remembered else { return };
        let Ok(rules) = self.workgroup_rules().cloned() else {
            return;
        };
        if name == rules.default {
            return;
        }
        let refusal = self.workgroup_refusal(&rules, &name);
        let used = match refusal {
            None => self.engine.use_workgroup(&name).map_err(|e| e.to_string()),
            Some(why) => Err(why),
        };
        if let Err(why) = used {
            tracing::warn!(
                "the workgroup picked earlier is no longer allowed; runs go to the default"
            );
            *self.workgroup_note.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
                "the workgroup picked earlier, {name}, is no longer allowed ({why}): runs go to the workspace's default, {}",
                rules.default
            ));
            self.forget_workgroup();
        }
    }

    /// Notes `name` as the pick to go back to at the next start.
    pub(super) fn note_workgroup(&self, name: &str) {
        let Some(path) = self.workgroup_memory.as_deref() else {
            return;
        };
        if let Err(e) = store(path, &self.workspace, name) {
            tracing::warn!("the picked workgroup will not outlast this session: {e}");
        }
    }

    fn forget_workgroup(&self) {
        if let Some(path) = self.workgroup_memory.as_deref() {
            let _ = std::fs::remove_file(path);
        }
    }
}
