//! The recorded actor is the account that owns the process, never what the environment claims.

use std::os::unix::process::CommandExt;
use std::process::Command;

use warden_audit::{Actor, EventFilter, Journal};

#[test]
fn an_account_missing_from_etc_passwd_is_recorded_by_uid_not_by_user() {
    // An LDAP/SSSD account (a uid absent from /etc/passwd) with USER set to someone else.
    // Switching uid needs root, which the project's test environment runs as.
    assert_eq!(
        nix::unistd::geteuid().as_raw(),
        0,
        "this test switches to an unknown uid and must run as root (as scripts/test.sh does in CI)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let path = dir.path().join("journal.sqlite");
    // The build folder may sit in a home the other account cannot enter: run a copy.
    let writer = dir.path().join("audit-crash-writer");
    std::fs::copy(env!("CARGO_BIN_EXE_audit-crash-writer"), &writer).unwrap();
    let out = Command::new(&writer)
        .arg(&path)
        .arg("1")
        .env("USER", "mallory")
        .env("LOGNAME", "mallory")
        .env("USERNAME", "mallory")
        .uid(4_242_424)
        .gid(4_242_424)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let journal = Journal::open(&path, Actor::from_os()).unwrap();
    let events = journal.events(&EventFilter::default()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.os_user, "uid:4242424");
}
