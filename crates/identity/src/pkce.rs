//! The authorization-code flow with PKCE, as the AWS CLI v2 does it: a loopback listener on
//! 127.0.0.1, the browser sent to `/authorize`, `state` checked on the way back.

use std::time::Duration;

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{IdentityError, Result};
use crate::registration::SCOPE;
use crate::secret::Secret;

const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// A random string of `[A-Za-z0-9-._~]` (the PKCE verifier alphabet).
pub fn random_string(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| UNRESERVED[rng.random_range(0..UNRESERVED.len())] as char)
        .collect()
}

/// base64url(SHA-256(verifier)) without padding (method S256).
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn authorize_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", SCOPE)
        .append_pair("code_challenge", challenge)
        .finish();
    format!("{base}/authorize?{query}")
}

/// The loopback listener the browser is redirected to.
pub struct Loopback {
    listener: TcpListener,
    pub port: u16,
}

impl Loopback {
    pub async fn bind() -> Result<Loopback> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            IdentityError::SignInAborted(format!(
                "cannot listen on a loopback port for the browser's answer ({e}); use the device code sign-in instead"
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| IdentityError::SignInAborted(format!("loopback listener: {e}")))?
            .port();
        Ok(Loopback { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/oauth/callback", self.port)
    }

    /// Waits for the browser's redirect and returns the authorization code once `state`
    /// matches. Other requests (a favicon) get a 404 and the wait goes on.
    pub async fn wait_for_code(&self, state: &str, timeout: Duration) -> Result<Secret> {
        tokio::time::timeout(timeout, self.accept_loop(state))
            .await
            .map_err(|_| {
                IdentityError::SignInAborted(format!(
                    "the browser did not come back within {} s; try again, or use the device code sign-in",
                    timeout.as_secs()
                ))
            })?
    }

    async fn accept_loop(&self, state: &str) -> Result<Secret> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| IdentityError::SignInAborted(format!("loopback listener: {e}")))?;
            let Some(target) = read_request_target(&mut stream).await else {
                continue;
            };
            let Some(query) = target.strip_prefix("/oauth/callback?") else {
                respond(&mut stream, "404 Not Found", "Not found.").await;
                continue;
            };
            let mut code = None;
            let mut got_state = None;
            let mut error = None;
            for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                match k.as_ref() {
                    "code" => code = Some(Secret::new(v.into_owned())),
                    "state" => got_state = Some(v.into_owned()),
                    "error" => error = Some(v.into_owned()),
                    _ => {}
                }
            }
            if got_state.as_deref() != Some(state) {
                respond(&mut stream, "400 Bad Request", "Sign-in refused: the answer does not belong to this sign-in. Close this tab and sign in again.").await;
                return Err(IdentityError::StateMismatch);
            }
            if let Some(error) = error {
                respond(
                    &mut stream,
                    "200 OK",
                    "Sign-in was not approved. You can close this tab.",
                )
                .await;
                return Err(IdentityError::SignInAborted(format!(
                    "the sign-in page answered `{}`",
                    error
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(100)
                        .collect::<String>()
                )));
            }
            let Some(code) = code else {
                respond(&mut stream, "400 Bad Request", "The answer has no code.").await;
                return Err(IdentityError::SignInAborted(
                    "the sign-in page answered without a code".into(),
                ));
            };
            respond(
                &mut stream,
                "200 OK",
                "Signed in to Warden. You can close this tab.",
            )
            .await;
            return Ok(code);
        }
    }
}

/// Reads the request line (and up to 16 KiB of headers) and returns the request target.
async fn read_request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 || buf.len() > 16 * 1024 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next()?;
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_owned)
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, text: &str) {
    let body = format!("<!doctype html><title>Warden</title><p>{text}</p>");
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_base64url_sha256_without_padding() {
        // Reference from Python: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=")
        assert_eq!(
            challenge("dBjftJeZ4CVP-mJ92ZyCYv_6FE3Yv4qD5A5vcW0lFuM"),
            "HbqrrUbhqkcVeDbD-To-bioDhsfTj1tSLRBfhxJzTzE"
        );
        let v = random_string(64);
        assert_eq!(v.len(), 64);
        assert!(v.bytes().all(|b| UNRESERVED.contains(&b)));
    }

    #[test]
    fn authorize_url_carries_every_parameter() {
        let u = authorize_url(
            "http://h",
            "cid",
            "http://127.0.0.1:5/oauth/callback",
            "st",
            "ch",
        );
        assert_eq!(
            u,
            "http://h/authorize?response_type=code&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Foauth%2Fcallback&state=st&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge=ch"
        );
    }
}
