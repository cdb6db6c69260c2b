use std::time::Duration;

use warden_core::{BrokerHost, BrokerPass};

use crate::args::{BrokerCommand, BrokerRunArgs, Cli};
use crate::{EXIT_REFUSED, EXIT_USAGE};

const SHORTEST_INTERVAL: Duration = Duration::from_secs(1);
const LONGEST_INTERVAL: Duration = Duration::from_secs(3600);

pub fn run(cli: &Cli, command: &BrokerCommand) -> Result<u8, String> {
    match command {
        BrokerCommand::Run(args) => run_broker(cli, args),
    }
}

fn run_broker(cli: &Cli, args: &BrokerRunArgs) -> Result<u8, String> {
    let interval = interval(&args.interval)?;
    let home = super::home(cli.home.as_deref())?;
    let rt = super::runtime()?;
    rt.block_on(async {
        let mut host = BrokerHost::open(&home, args.workspace.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        if args.once {
            let pass = host.pass().await.map_err(|e| e.to_string())?;
            return Ok(print_pass(&host, &pass));
        }
        eprintln!(
            "warden: the broker of workspace {} is running on s3://{} as {}, a pass every {}; Ctrl+C stops it",
            host.workspace(),
            host.bucket(),
            host.caller(),
            warden_core::format_duration(interval)
        );
        // Listening from now on: a signal during the first pass must not kill the process
        // halfway through a state change.
        let (stopped, stop) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown().await;
            let _ = stopped.send(());
        });
        host.run(interval, async {
            let _ = stop.await;
        })
        .await;
        eprintln!("warden: the broker stopped");
        Ok(0)
    })
    .or_else(|message: String| {
        eprintln!("warden: {message}");
        Ok(EXIT_USAGE)
    })
}

fn interval(text: &str) -> Result<Duration, String> {
    warden_bundle::parse_duration(text)
        .ok()
        .and_then(|d| d.to_std().ok())
        .filter(|d| (SHORTEST_INTERVAL..=LONGEST_INTERVAL).contains(d))
        .ok_or_else(|| {
            format!("--interval {text:?} is not a duration from 1s to 1h, such as 5s or 1m")
        })
}

/// What one pass did, one line per outcome; the exit status says whether all went through.
fn print_pass(host: &BrokerHost, pass: &BrokerPass) -> u8 {
    println!(
        "broker pass: workspace {}, s3://{}, {}",
        host.workspace(),
        host.bucket(),
        pass.policy
    );
    if let Some(problem) = &pass.sync_problem {
        eprintln!("warden: the broker's journal was not synced to the audit store: {problem}");
    }
    let Some(report) = &pass.report else {
        eprintln!("warden: nothing was decided: {}", pass.policy);
        return EXIT_REFUSED;
    };
    let list = |ids: &[String]| {
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(" ")
        }
    };
    println!("granted: {}", list(&report.granted));
    println!("waiting: {}", list(&report.waiting));
    println!("denied: {}", list(&report.denied));
    println!("ended: {}", list(&report.ended));
    let minted: Vec<String> = report
        .minted
        .iter()
        .map(|(id, n)| format!("{id} (set {n})"))
        .collect();
    println!("credentials delivered: {}", list(&minted));
    println!("decisions refused: {}", list(&report.refused));
    for problem in &report.problems {
        eprintln!("warden: {problem}");
    }
    if report.problems.is_empty() {
        0
    } else {
        EXIT_REFUSED
    }
}

/// Resolves at Ctrl+C, or at SIGTERM (a service manager stopping the broker).
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_interval_is_bounded() {
        assert_eq!(super::interval("5s"), Ok(std::time::Duration::from_secs(5)));
        assert_eq!(
            super::interval("1h"),
            Ok(std::time::Duration::from_secs(3600))
        );
        for bad in ["0s", "2h", "soon", ""] {
            let e = super::interval(bad).unwrap_err();
            assert!(e.contains("from 1s to 1h"), "{bad}: {e}");
        }
    }
}
