//! `https://`/`http://` sources against a real HTTP/1.1 server on a local port, written here on
//! std's TcpListener so that every answer (ETag, 304, 5xx, delays, redirects) is under the test's
//! control and every request is counted.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::Duration;
use common::*;
use warden_bundle::{
    refresh, BundleError, Cache, FetchResult, Fetched, Fetcher, RefreshOutcome, RemoteOptions,
    TrustStore, VerifyOptions,
};

#[derive(Clone)]
enum Mode {
    /// Honours If-None-Match with 304.
    Normal,
    /// Always 200 with the body and the same ETag (a server that ignores conditional requests).
    IgnoresConditional,
    /// 200 without any ETag.
    NoEtag,
    Status(u16),
    /// Waits before sending anything.
    DelayHeaders(StdDuration),
    /// Sends the headers at once, then the body a byte at a time with this gap.
    TrickleBody(StdDuration),
    /// `/old` redirects once to `/latest`; `/loop` redirects to itself.
    Redirects,
}

struct State {
    body: Vec<u8>,
    etag: String,
    mode: Mode,
    /// (path, If-None-Match) of every request received.
    requests: Vec<(String, Option<String>)>,
}

struct Server {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start(body: Vec<u8>, etag: &str, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            body,
            etag: etag.to_string(),
            mode,
            requests: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Self { port, state }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn set(&self, body: Vec<u8>, etag: &str) {
        let mut state = self.state.lock().unwrap();
        state.body = body;
        state.etag = etag.to_string();
    }

    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_string());
            }
        }
    }
    let (body, etag, mode) = {
        let mut s = state.lock().unwrap();
        s.requests.push((path.clone(), if_none_match.clone()));
        (s.body.clone(), s.etag.clone(), s.mode.clone())
    };
    let head = |status: &str, extra: &str, len: usize| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {len}\r\nConnection: close\r\n{extra}\r\n")
    };
    let etag_header = format!("ETag: {etag}\r\n");
    let response: Vec<u8> = match mode {
        Mode::Normal if if_none_match.as_deref() == Some(etag.as_str()) => {
            head("304 Not Modified", &etag_header, 0).into_bytes()
        }
        Mode::Normal | Mode::IgnoresConditional => {
            [head("200 OK", &etag_header, body.len()).into_bytes(), body].concat()
        }
        Mode::NoEtag => [head("200 OK", "", body.len()).into_bytes(), body].concat(),
        Mode::Status(code) => head(&format!("{code} Error"), "", 0).into_bytes(),
        Mode::DelayHeaders(delay) => {
            std::thread::sleep(delay);
            [head("200 OK", &etag_header, body.len()).into_bytes(), body].concat()
        }
        Mode::TrickleBody(gap) => {
            let _ = stream.write_all(head("200 OK", &etag_header, body.len()).as_bytes());
            for byte in body {
                std::thread::sleep(gap);
                if stream.write_all(&[byte]).is_err() {
                    return;
                }
            }
            return;
        }
        Mode::Redirects => match path.as_str() {
            "/old" => head("302 Found", "Location: /latest\r\n", 0).into_bytes(),
            "/loop" => head("302 Found", "Location: /loop\r\n", 0).into_bytes(),
            _ => [head("200 OK", &etag_header, body.len()).into_bytes(), body].concat(),
        },
    };
    let _ = stream.write_all(&response);
}

fn quick() -> RemoteOptions {
    RemoteOptions {
        timeout: StdDuration::from_millis(400),
        connect_timeout: StdDuration::from_millis(400),
        ..RemoteOptions::default()
    }
}

#[tokio::test]
async fn etag_round_trip_then_304_costs_one_request_and_no_verification() {
    let keys = keys();
    let server = Server::start(bundle(&keys, 1, POLICY, t0()), "\"v1\"", Mode::Normal);
    let cache_dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let fetcher = Fetcher::connect(&server.url("/bundles/"), &RemoteOptions::default())
        .await
        .unwrap();
    let verify = VerifyOptions::new(t0());

    let outcome = refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RefreshOutcome::Updated {
            previous: None,
            revision: 1
        }
    );
    assert_eq!(server.requests(), [("/bundles/latest".to_string(), None)]);

    let outcome = refresh(&mut cache, &fetcher, &TrustStore::new(), &verify)
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Unchanged { revision: Some(1) });
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one request per refresh");
    assert_eq!(
        requests[1].1.as_deref(),
        Some("\"v1\""),
        "the cached ETag is sent back"
    );

    // The ETag survives a restart.
    drop(cache);
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    assert_eq!(
        refresh(&mut cache, &fetcher, &keys.trust, &verify)
            .await
            .unwrap(),
        RefreshOutcome::Unchanged { revision: Some(1) }
    );
    assert_eq!(server.requests()[2].1.as_deref(), Some("\"v1\""));

    server.set(bundle(&keys, 2, POLICY, t0()), "\"v2\"");
    let outcome = refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RefreshOutcome::Updated {
            previous: Some(1),
            revision: 2
        }
    );
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_server_ignoring_if_none_match_with_the_same_etag_is_not_downloaded_again() {
    let keys = keys();
    let server = Server::start(
        bundle(&keys, 1, POLICY, t0()),
        "\"same\"",
        Mode::IgnoresConditional,
    );
    let fetcher = Fetcher::connect(&server.url("/b.tar.gz"), &RemoteOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(fetcher.fetch(None).await.unwrap(), Fetched::Body { etag: Some(ref e), .. } if e == "\"same\"")
    );
    assert_eq!(
        fetcher.fetch(Some("\"same\"")).await.unwrap(),
        Fetched::NotModified
    );
}

#[tokio::test]
async fn without_etags_identical_bytes_are_recognised_without_verification() {
    let keys = keys();
    let server = Server::start(bundle(&keys, 1, POLICY, t0()), "", Mode::NoEtag);
    let cache_dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let fetcher = Fetcher::connect(&server.url("/b.tar.gz"), &RemoteOptions::default())
        .await
        .unwrap();
    let verify = VerifyOptions::new(t0());
    refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap();
    let outcome = refresh(&mut cache, &fetcher, &TrustStore::new(), &verify)
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Unchanged { revision: Some(1) });
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_keep_the_last_bundle_and_are_reported_as_failures() {
    let keys = keys();
    let server = Server::start(bundle(&keys, 1, POLICY, t0()), "\"v1\"", Mode::Normal);
    let cache_dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let fetcher = Fetcher::connect(&server.url("/b"), &RemoteOptions::default())
        .await
        .unwrap();
    let verify = VerifyOptions::new(t0());
    refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap();

    server.state.lock().unwrap().mode = Mode::Status(503);
    let err = refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap_err();
    assert!(
        matches!(err, BundleError::HttpStatus { status: 503, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("stays in force"), "{err}");
    let status = cache.status(t0(), Duration::zero());
    assert_eq!(status.last_fetch.unwrap().result, FetchResult::Failed);
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        1
    );

    server.state.lock().unwrap().mode = Mode::Status(404);
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(matches!(err, BundleError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_a_timeout() {
    let keys = keys();
    let server = Server::start(
        bundle(&keys, 1, POLICY, t0()),
        "\"v1\"",
        Mode::DelayHeaders(StdDuration::from_secs(3)),
    );
    let fetcher = Fetcher::connect(&server.url("/b"), &quick()).await.unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(matches!(err, BundleError::Timeout { .. }), "{err}");
}

#[tokio::test]
async fn a_body_trickling_past_the_time_limit_is_a_timeout() {
    let keys = keys();
    let server = Server::start(
        bundle(&keys, 1, POLICY, t0()),
        "\"v1\"",
        Mode::TrickleBody(StdDuration::from_millis(50)),
    );
    let fetcher = Fetcher::connect(&server.url("/b"), &quick()).await.unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(matches!(err, BundleError::Timeout { .. }), "{err}");
}

#[tokio::test]
async fn a_slow_response_within_the_time_limit_succeeds() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let server = Server::start(
        bytes.clone(),
        "\"v1\"",
        Mode::DelayHeaders(StdDuration::from_millis(300)),
    );
    let options = RemoteOptions {
        timeout: StdDuration::from_secs(10),
        ..RemoteOptions::default()
    };
    let fetcher = Fetcher::connect(&server.url("/b"), &options).await.unwrap();
    assert_eq!(
        fetcher.fetch(None).await.unwrap(),
        Fetched::Body {
            bytes,
            etag: Some("\"v1\"".into())
        }
    );
}

#[tokio::test]
async fn redirects_are_followed_but_bounded() {
    let keys = keys();
    let bytes = bundle(&keys, 1, POLICY, t0());
    let server = Server::start(bytes.clone(), "\"v1\"", Mode::Redirects);
    let fetcher = Fetcher::connect(&server.url("/old"), &RemoteOptions::default())
        .await
        .unwrap();
    assert!(
        matches!(fetcher.fetch(None).await.unwrap(), Fetched::Body { bytes: ref b, .. } if *b == bytes)
    );

    let options = RemoteOptions {
        max_redirects: 3,
        ..RemoteOptions::default()
    };
    let fetcher = Fetcher::connect(&server.url("/loop"), &options)
        .await
        .unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(
        matches!(err, BundleError::TooManyRedirects { limit: 3, .. }),
        "{err}"
    );
    let loops = server
        .requests()
        .iter()
        .filter(|(p, _)| p == "/loop")
        .count();
    assert_eq!(loops, 4, "the first request and three redirects");
}

#[tokio::test]
async fn an_oversized_download_is_refused() {
    let server = Server::start(vec![7u8; 10_000], "\"big\"", Mode::Normal);
    let options = RemoteOptions {
        max_bytes: 1_000,
        ..RemoteOptions::default()
    };
    let fetcher = Fetcher::connect(&server.url("/b"), &options).await.unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(
        matches!(err, BundleError::DownloadTooLarge { limit: 1_000, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_reported_as_such() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let fetcher = Fetcher::connect(&format!("http://127.0.0.1:{port}/b"), &quick())
        .await
        .unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(matches!(err, BundleError::Unreachable { .. }), "{err}");
    assert!(err.is_transport());
}

#[tokio::test]
async fn a_presigned_signature_never_reaches_the_error_or_state_json() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let secret = "X-Amz-Signature=5ec2e7c0ffee";
    let url = format!("http://127.0.0.1:{port}/latest?X-Amz-Credential=AKIAEXAMPLE&{secret}");
    let fetcher = Fetcher::connect(&url, &quick()).await.unwrap();
    let keys = keys();
    let cache_dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let err = refresh(&mut cache, &fetcher, &keys.trust, &VerifyOptions::new(t0()))
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("5ec2e7c0ffee"), "{text}");
    assert!(!text.contains("AKIAEXAMPLE"), "{text}");
    let state = std::fs::read_to_string(cache_dir.path().join("state.json")).unwrap();
    assert!(state.contains("could not reach"), "{state}");
    assert!(
        !state.contains("5ec2e7c0ffee") && !state.contains("AKIAEXAMPLE"),
        "{state}"
    );
}
