//! SIGKILL at random points: every acknowledged event survives and the chain verifies.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use warden_audit::{EventFilter, Journal};

#[test]
fn every_acknowledged_event_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut acknowledged: Vec<(u64, String)> = Vec::new();
    let mut kills_mid_stream = 0;
    for round in 0..30 {
        let batch = if round % 3 == 2 { rng.u64(2..20) } else { 1 };
        let mut child = Command::new(env!("CARGO_BIN_EXE_audit-crash-writer"))
            .arg(&path)
            .arg("1000000")
            .arg(batch.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let kill_after = rng.u64(1..400);
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        while seen < kill_after {
            let Some(line) = lines.next() else { break };
            let line = line.unwrap();
            let mut parts = line.split(' ');
            assert_eq!(parts.next(), Some("ack"), "{line}");
            let seq: u64 = parts.next().unwrap().parse().unwrap();
            acknowledged.push((seq, parts.next().unwrap().to_string()));
            seen += 1;
        }
        // Land the kill at a random point of the next append, often inside a commit.
        std::thread::sleep(Duration::from_micros(rng.u64(0..3000)));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        if status.code().is_none() {
            kills_mid_stream += 1;
        }
        // Acknowledgements printed before the kill but read after it still count.
        for line in lines.map_while(Result::ok) {
            let mut parts = line.split(' ').skip(1);
            if let (Some(seq), Some(hash)) = (parts.next(), parts.next()) {
                acknowledged.push((seq.parse().unwrap(), hash.to_string()));
            }
        }
    }
    assert!(
        kills_mid_stream >= 25,
        "the writer should have been killed while writing"
    );
    assert!(
        acknowledged.len() >= 3000,
        "only {} events acknowledged",
        acknowledged.len()
    );

    let journal = Journal::open(&path, warden_audit::Actor::from_os()).unwrap();
    let report = journal.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    let events = journal.events(&EventFilter::default()).unwrap();
    assert!(report.events >= acknowledged.len() as u64);
    for (seq, hash) in &acknowledged {
        let event = &events[(*seq - 1) as usize];
        assert_eq!(event.seq, *seq);
        assert_eq!(&event.hash, hash, "acknowledged event {seq} changed");
    }
    // Acknowledgements are unique and gap-free: no sequence number was handed out twice.
    let mut seqs: Vec<u64> = acknowledged.iter().map(|(s, _)| *s).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), acknowledged.len());
}
