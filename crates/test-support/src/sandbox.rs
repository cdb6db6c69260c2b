//! `scripts/sandbox.sh` as a user runs it from a shell, for the tests that need the whole local
//! AWS sandbox (moto, the SSO fake, the Athena stand-in, the broker): a private Warden home, user
//! home and state folder, the binaries of the test's own build, and `stop` when dropped, so a
//! failing test leaves no server running.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Sandbox {
    repo: PathBuf,
    target: PathBuf,
    pub home: tempfile::TempDir,
    pub user_home: tempfile::TempDir,
    pub state: tempfile::TempDir,
}

impl Sandbox {
    /// `repo`: the checkout holding `scripts/sandbox.sh`; `binary`: any binary of the build
    /// (`TARGET/debug/NAME`), which tells where `warden` and the sandbox's helpers are.
    pub fn new(repo: &Path, binary: &Path) -> Sandbox {
        let target = binary
            .parent()
            .and_then(Path::parent)
            .expect("the binaries live in TARGET/debug")
            .to_path_buf();
        let sandbox = Sandbox {
            repo: repo.to_path_buf(),
            target,
            home: tempfile::tempdir().expect("a temp dir"),
            user_home: tempfile::tempdir().expect("a temp dir"),
            state: tempfile::tempdir().expect("a temp dir"),
        };
        std::fs::create_dir_all(sandbox.user_home.path().join(".aws")).expect("~/.aws");
        sandbox
    }

    /// The environment the script and `warden` run with: nothing of the user's own.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("WARDEN_HOME", self.home.path())
            .env("WARDEN_SANDBOX_STATE", self.state.path())
            .env("WARDEN_SANDBOX_PREBUILT", "1")
            .env("CARGO_TARGET_DIR", &self.target)
            .env("HOME", self.user_home.path())
            .env_remove("AWS_PROFILE")
            .env("BROWSER", "/nonexistent-browser");
    }

    /// Where the sandbox's server `name` listens (`moto`, `sso`, `athena`), as
    /// scripts/sandbox.sh wrote it in its state folder.
    pub fn endpoint(&self, name: &str) -> Result<String, String> {
        let endpoints = std::fs::read_to_string(self.state.path().join("endpoints"))
            .map_err(|e| format!("the sandbox's endpoints: {e}"))?;
        let prefix = format!("{name}=");
        endpoints
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(prefix.as_str()))
            .map(str::to_string)
            .ok_or_else(|| format!("no {prefix} in {endpoints:?}"))
    }

    /// `scripts/sandbox.sh ARG`.
    pub fn script(&self, arg: &str) -> Output {
        self.script_with(&[arg])
    }

    /// `scripts/sandbox.sh ARGS` (`start --identity-center`).
    pub fn script_with(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(self.repo.join("scripts/sandbox.sh"));
        cmd.args(args);
        self.env(&mut cmd);
        cmd.output().expect("scripts/sandbox.sh runs")
    }

    /// `warden ARGS` of the same build.
    pub fn warden(&self, args: &[&str]) -> Output {
        let cli = self.target.join("debug").join("warden");
        assert!(
            cli.is_file(),
            "{} is missing: build the workspace first (cargo test --workspace builds it)",
            cli.display()
        );
        let mut cmd = Command::new(cli);
        self.env(&mut cmd);
        cmd.args(args).output().expect("warden runs")
    }

    /// The process id the script wrote for server `name` (moto, fake, athena, broker).
    pub fn pid(&self, name: &str) -> u32 {
        std::fs::read_to_string(self.state.path().join(format!("{name}.pid")))
            .unwrap_or_else(|e| panic!("{name}.pid: {e}"))
            .trim()
            .parse()
            .expect("a process id")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.script("stop");
    }
}

/// A run's stdout then stderr, for assertion messages.
pub fn output_text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
