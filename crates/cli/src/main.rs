//! The `warden` executable: the CLI of this crate's library, nothing else. The package ships
//! no copy of it; there `/usr/bin/warden` is a link to `warden-desktop`, which runs the same
//! `warden_cli::main` when started under that name. This one is for tests, CI and
//! `make lint-cli`.

fn main() -> std::process::ExitCode {
    warden_cli::main()
}
