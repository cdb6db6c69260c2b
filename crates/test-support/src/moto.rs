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
}

impl Moto {
    /// Starts moto_server and waits until it accepts connections. A missing moto_server fails
    /// the test with the command that installs it: a test that cannot reach its server has
    /// proved nothing, so it must not pass.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free local port for moto_server: {e}"));
        let child = match Command::new("moto_server")
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
