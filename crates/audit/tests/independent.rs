//! docs/audit.md is enough to verify the store: a stdlib-only Python verifier agrees with Warden.

mod common;

use std::process::Command;

use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;

#[tokio::test]
async fn a_verifier_written_from_the_docs_accepts_what_warden_writes_and_rejects_edits() {
    let python = match Command::new("python3").arg("--version").output() {
        Ok(_) => "python3",
        Err(_) => {
            eprintln!("SKIPPED: python3 is not installed; the independent verifier did not run");
            return;
        }
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/independent_verify.py");
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    // Text that exercises the canonical string escaping: quotes, controls, non-ASCII, astral plane.
    journal
        .append(NewEvent::new(
            "démo \u{1F600}",
            Payload::Lockout(Lockout {
                reason: "tab\there \"q\" back\\slash \u{1}\u{7f} \u{2028} ünï €".into(),
                until_ms: Some(-5),
            }),
        ))
        .unwrap();
    journal
        .append_all((0..200).map(lake_event).collect())
        .unwrap();
    let root = dir.path().join("central");
    journal
        .sync(&FolderStore::new(&root), &fast_policy())
        .await
        .unwrap();

    let run = |root: &std::path::Path| Command::new(python).arg(script).arg(root).output().unwrap();
    let out = run(&root);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "OK devices=1 events=215");

    // Flip one digit of one event: the independent verifier notices as well.
    let keys = FolderStore::new(&root).list("audit/v1/").await.unwrap();
    let path = root.join(keys.iter().min().unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&std::fs::read(&path).unwrap()[..]),
        &mut text,
    )
    .unwrap();
    let edited = text.replacen("\"revision\":7", "\"revision\":8", 1);
    assert_ne!(edited, text);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, edited.as_bytes()).unwrap();
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    let out = run(&root);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("event 2 in"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
