//! The app's log: a file in the cache folder (`<cache>/logs/warden.DATE.log`), a new one each
//! day, the last week kept. Libraries log through `tracing`; only this shell decides where it
//! goes. `WARDEN_LOG` (e.g. `warden=debug`) overrides the default: Warden's own crates at info,
//! everything else at warn.

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Installs the subscriber. Without a usable cache folder the app runs without a log, and says
/// so on stderr (the one place left to say it).
pub fn start() {
    let dir = match warden_core::Home::resolve(None) {
        Ok(home) => home.cache.join("logs"),
        Err(e) => {
            eprintln!("warden: no log file: {e}");
            return;
        }
    };
    // The appender prunes old files before it creates the folder, and complains on stderr about
    // a folder that does not exist yet (a fresh home).
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("warden: no log file in {}: {e}", dir.display());
        return;
    }
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("warden")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&dir);
    let appender = match appender {
        Ok(appender) => appender,
        Err(e) => {
            eprintln!("warden: no log file in {}: {e}", dir.display());
            return;
        }
    };
    let filter = std::env::var("WARDEN_LOG")
        .ok()
        .and_then(|text| text.parse::<Targets>().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(LevelFilter::WARN)
                .with_target("warden", LevelFilter::INFO)
        });
    // Written as each event happens (no background thread): a killed app loses nothing.
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(appender)
        .with_filter(filter);
    if let Err(e) = tracing_subscriber::registry().with(layer).try_init() {
        eprintln!("warden: no log file: {e}");
    }
}
