//! What a refresh costs: full verification of a new bundle against the no-work path of an
//! unchanged one (304 over HTTP, same content over file://).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use warden_bundle::{
    build, keygen, publish, refresh, verify, Cache, Fetcher, RemoteOptions, SigningKey, TrustStore,
    VerifyOptions,
};

/// A policy with a catalog of 40 tables of 25 columns: a realistic size for a team's bundle.
fn policy() -> String {
    let mut text = String::from(
        "format: warden-policy/1\nname: bench\ncatalog:\n  databases:\n    sales:\n      tables:\n",
    );
    for t in 0..40 {
        text.push_str(&format!("        t{t}:\n          columns:\n"));
        for c in 0..25 {
            text.push_str(&format!("            c{c}: string\n"));
        }
    }
    text.push_str("rules: []\n");
    text
}

/// HTTP/1.1 server answering 304 to a matching If-None-Match, 200 with the bundle otherwise.
fn serve(body: Vec<u8>, etag: &'static str, requests: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            requests.fetch_add(1, Ordering::Relaxed);
            answer(stream, &body, etag);
        }
    });
    port
}

fn answer(mut stream: TcpStream, body: &[u8], etag: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut matched = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if line.to_ascii_lowercase().starts_with("if-none-match:") && line.contains(etag) {
            matched = true;
        }
    }
    let response = if matched {
        format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
    } else {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    };
    let _ = stream.write_all(&response);
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let key_path = keys_dir.path().join("k");
    keygen(&key_path).unwrap();
    let signing = SigningKey::from_file(&key_path).unwrap();
    let mut trust = TrustStore::new();
    trust.add(signing.public_key().clone());
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap();
    let policy = policy();
    let bytes = build(
        policy.as_bytes(),
        None,
        1,
        Duration::days(30),
        &signing,
        now,
    )
    .unwrap();
    eprintln!(
        "bundle: policy {} bytes, .tar.gz {} bytes",
        policy.len(),
        bytes.len()
    );
    let options = VerifyOptions::new(now);

    c.bench_function(
        "verify (new bundle: unpack, signature, hashes, policy parse)",
        |b| b.iter(|| verify(&bytes, &trust, &options).unwrap()),
    );

    let requests = Arc::new(AtomicUsize::new(0));
    let port = serve(bytes.clone(), "\"r1\"", Arc::clone(&requests));
    let url = format!("http://127.0.0.1:{port}/latest");
    let fetcher = rt
        .block_on(Fetcher::connect(&url, &RemoteOptions::default()))
        .unwrap();

    c.bench_function(
        "refresh http, new bundle (download + verify + atomic write)",
        |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let cache = Cache::open(dir.path(), &trust).unwrap();
                    (dir, cache)
                },
                |(_dir, mut cache)| {
                    rt.block_on(refresh(&mut cache, &fetcher, &trust, &options))
                        .unwrap()
                },
                BatchSize::PerIteration,
            )
        },
    );

    let cache_dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(cache_dir.path(), &trust).unwrap();
    rt.block_on(refresh(&mut cache, &fetcher, &trust, &options))
        .unwrap();
    let before = requests.load(Ordering::Relaxed);
    let mut refreshes = 0usize;
    c.bench_function(
        "refresh http, unchanged (one conditional GET, 304, no verification)",
        |b| {
            b.iter(|| {
                refreshes += 1;
                rt.block_on(refresh(&mut cache, &fetcher, &trust, &options))
                    .unwrap()
            })
        },
    );
    eprintln!(
        "unchanged http refreshes: {refreshes}, requests served: {}",
        requests.load(Ordering::Relaxed) - before
    );

    let store = tempfile::tempdir().unwrap();
    let store_url = format!("file://{}/", store.path().display());
    rt.block_on(publish(&bytes, &store_url, &RemoteOptions::default()))
        .unwrap();
    let file_fetcher = rt
        .block_on(Fetcher::connect(&store_url, &RemoteOptions::default()))
        .unwrap();
    let file_cache_dir = tempfile::tempdir().unwrap();
    let mut file_cache = Cache::open(file_cache_dir.path(), &trust).unwrap();
    rt.block_on(refresh(&mut file_cache, &file_fetcher, &trust, &options))
        .unwrap();
    c.bench_function(
        "refresh file://, unchanged (one read + SHA-256, no verification)",
        |b| {
            b.iter(|| {
                rt.block_on(refresh(&mut file_cache, &file_fetcher, &trust, &options))
                    .unwrap()
            })
        },
    );

    c.bench_function("cache open (start-up: read + full re-verification)", |b| {
        b.iter(|| Cache::open(cache_dir.path(), &trust).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
