//! moto_server (AWS services on 127.0.0.1, from PyPI) for the integration tests: started on a
//! free port, killed when dropped, and the SDK configuration, S3 client and buckets every test
//! against it begins with.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The region of every test against moto.
pub const REGION: &str = "us-east-1";

/// A moto_server (AWS services on 127.0.0.1, from PyPI) on a free port, killed when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// Where moto's recorder writes the requests it serves ([`Moto::start_recording`]).
    recording: Option<tempfile::TempDir>,
}

/// One request moto served while recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// The path, without the query: `/bucket/key` for S3 (path-style).
    pub path: String,
    /// The access key id that signed it (`Credential=` of its `Authorization` header); `None`
    /// when it was not signed.
    pub access_key_id: Option<String>,
}

/// A free local port no other moto_server of this process was given. The tests of one binary
/// run in parallel threads: two that asked the system for a free port at nearly the same time
/// could be handed the same one (each closes its probe before its server binds), and the slower
/// server then fails to bind while the faster one answers both tests, which then see each
/// other's tables ("Table already exists").
fn unused_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free local port for moto_server: {e}"));
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
    panic!("no local port for moto_server that this process has not used already");
}

impl Moto {
    /// Starts moto_server and waits until it accepts connections. A missing moto_server fails
    /// the test with the command that installs it: a test that cannot reach its server has
    /// proved nothing, so it must not pass.
    pub fn start() -> Moto {
        Self::start_with(None)
    }

    /// The same, with moto's recorder on: every request it serves is kept (in a folder of its
    /// own, removed on drop) and [`Moto::recorded`] tells which access key signed each, which
    /// proves whose credentials a client used (moto itself accepts any key).
    pub fn start_recording() -> Moto {
        Self::start_with(Some(
            tempfile::tempdir().expect("a temp dir for moto's recording"),
        ))
    }

    fn start_with(recording: Option<tempfile::TempDir>) -> Moto {
        let port = unused_port();
        let mut command = Command::new("moto_server");
        if let Some(dir) = &recording {
            command
                .env("MOTO_RECORDER_FILEPATH", dir.path().join(RECORDING))
                .env("MOTO_ENABLE_RECORDING", "true");
        }
        let child = match command
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "moto_server is not installed: run `scripts/setup.sh --test` (or `pip install 'moto[server]==5.2.5'`)"
            ),
            Err(e) => panic!("cannot start moto_server: {e}"),
        };
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            recording,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // A server that exited (the port was taken meanwhile) must not be mistaken for the
            // process now answering on that port.
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited at start ({status}); port {port} may have been taken");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not start listening on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Moto {
    /// The SDK configuration of a client of this moto: [`REGION`], static keys (moto accepts
    /// any while its IAM checks are off), the rest of the default chain (timeouts, retries).
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    /// An S3 client of this moto, with path-style addressing: moto serves buckets on paths, not
    /// on host names.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        s3_client(&self.sdk_config().await)
    }

    /// Creates `bucket` and returns the S3 client that did.
    pub async fn create_bucket(&self, bucket: &str) -> aws_sdk_s3::Client {
        let s3 = self.s3().await;
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("moto: cannot create bucket {bucket}: {e:?}"));
        s3
    }
}

/// The file in the recording folder moto appends each request to, one JSON object a line.
const RECORDING: &str = "recording.jsonl";

impl Moto {
    /// Every request served since the start, oldest first (a moto started with
    /// [`Moto::start_recording`]; panics otherwise: such a test would prove nothing).
    pub fn recorded(&self) -> Vec<Recorded> {
        let dir = self
            .recording
            .as_ref()
            .expect("this moto records nothing: start it with Moto::start_recording");
        let text = match std::fs::read_to_string(dir.path().join(RECORDING)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => panic!("moto's recording cannot be read: {e}"),
        };
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("moto's recording has a bad line ({e}): {line}"));
                let url = entry["url"].as_str().unwrap_or_default();
                let path = url::Url::parse(url)
                    .map(|u| u.path().to_string())
                    .unwrap_or_else(|_| url.to_string());
                let access_key_id = entry["headers"]
                    .as_object()
                    .and_then(|headers| {
                        headers
                            .iter()
                            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                    })
                    .and_then(|(_, value)| value.as_str())
                    .and_then(|auth| auth.split("Credential=").nth(1))
                    .and_then(|credential| credential.split('/').next())
                    .map(str::to_string);
                Recorded {
                    method: entry["method"].as_str().unwrap_or_default().to_string(),
                    path,
                    access_key_id,
                }
            })
            .collect()
    }
}

/// An S3 client of `sdk` with path-style addressing, for a test that already has the SDK
/// configuration of its moto.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
