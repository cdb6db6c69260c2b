//! Writes the demo lake into a folder and prints what it holds and how long it took:
//! `cargo run -p warden-demo-lake --example generate_lake -- <folder> [seed]`.

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: generate_lake <folder> [seed]");
        return ExitCode::from(2);
    };
    let seed = match args.next().map(|s| s.parse::<u64>()) {
        None => warden_demo_lake::DEFAULT_SEED,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => {
            eprintln!("the seed must be a whole number between 0 and {}", u64::MAX);
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match warden_demo_lake::generate(std::path::Path::new(&root), seed) {
        Ok(summary) => {
            println!("generated in {:.2?}", started.elapsed());
            for t in &summary.tables {
                println!(
                    "{}.{}: {} rows, {} bytes, {} partitions, {} files",
                    t.database, t.table, t.rows, t.bytes, t.partitions, t.files
                );
            }
            println!(
                "total: {} rows, {} bytes",
                summary.total_rows(),
                summary.total_bytes()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
