//! The workspace the user picked in the window, kept in the app's data folder
//! (`<data>/window-workspace`) so the next start opens it. The configuration's default
//! applies when nothing was picked or the pick is no longer configured.

use warden_core::{Config, Home};

fn file(home: &Home) -> std::path::PathBuf {
    home.data.join("window-workspace")
}

/// The workspace to open.
pub fn workspace(home: &Home) -> String {
    let config = match Config::load_with_managed(&home.config_file(), &home.managed) {
        Ok(config) => config,
        Err(_) => return warden_core::DEMO.to_string(),
    };
    let picked = std::fs::read_to_string(file(home))
        .ok()
        .map(|text| text.trim().to_string());
    match picked {
        Some(name) if config.workspaces.contains_key(&name) => name,
        _ => config.default_workspace,
    }
}

/// Remembers `name`; refused when it is not configured.
pub fn pick(home: &Home, name: &str) -> Result<(), String> {
    let config =
        Config::load_with_managed(&home.config_file(), &home.managed).map_err(|e| e.to_string())?;
    if !config.workspaces.contains_key(name) {
        return Err(format!(
            "there is no workspace `{name}` in the configuration"
        ));
    }
    std::fs::create_dir_all(&home.data).map_err(|e| e.to_string())?;
    std::fs::write(file(home), name).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pick_is_kept_and_one_no_longer_configured_falls_back_to_the_default() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let home = Home::under(dir.path());
        assert_eq!(workspace(&home), "demo");
        assert!(pick(&home, "nowhere").is_err());
        std::fs::create_dir_all(&home.config).expect("config dir");
        std::fs::write(home.config_file(), "[workspaces.other]\nkind = \"demo\"\n")
            .expect("config");
        pick(&home, "other").expect("picked");
        assert_eq!(workspace(&home), "other");
        std::fs::write(home.config_file(), "").expect("config emptied");
        assert_eq!(workspace(&home), "demo");
    }
}
