//! A fake of the two AWS services moto lacks: the SSO portal (`GetRoleCredentials`,
//! `ListAccounts`, `ListAccountRoles`, `Logout`) and SSO-OIDC (`RegisterClient`,
//! `StartDeviceAuthorization`, `CreateToken` with every grant type, and the `/authorize` page),
//! speaking their restJson1 wire formats so the real SDK clients talk to it through
//! `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC` or an endpoint URL. Knobs make it
//! answer pending, slow_down, expired, 401 or 500, and `identity_center` makes the portal answer
//! permission sets by moto's account assignments (`portal_center`). Test-only: never part of
//! the app or CLI.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A failure the fake can be told to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// 401 (`UnauthorizedException` from the portal, `InvalidGrantException`-style refusal of
    /// a refresh from OIDC).
    Unauthorized,
    /// 500 `InternalServerException`.
    Server,
}

/// How the fake behaves. Change with [`FakeSso::set`] or `POST /fake/knobs` (JSON, any
/// subset of the fields).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Knobs {
    /// Device flow: polls answered `authorization_pending` before the code is approved. None
    /// by default: each costs a sign-in a whole interval (1 s), and most tests sign in only to
    /// get on with something else; the tests of the device flow itself set it.
    pub pending_polls: u32,
    /// Device flow: polls answered `slow_down` first (before the pending ones).
    pub slow_down_polls: u32,
    /// Device flow: every poll answers `expired_token`.
    pub device_expired: bool,
    /// Device flow: the polling interval the fake asks for (seconds).
    pub device_interval: i32,
    /// Lifetime of issued access tokens (seconds).
    pub token_expires_in: i32,
    /// Lifetime of client secrets (seconds).
    pub client_secret_expires_in: i64,
    /// Lifetime of issued role credentials (seconds).
    pub credentials_expire_in: i64,
    /// `CreateToken` with a refresh token fails this way.
    pub refresh_failure: Option<Failure>,
    /// Every portal call fails this way.
    pub portal_failure: Option<Failure>,
    /// `/authorize` redirects at once instead of showing an Approve link.
    pub auto_approve: bool,
    /// Milliseconds `CreateToken` waits before answering (makes concurrent callers overlap).
    pub create_token_delay_ms: u64,
    /// The access key id of every set of role credentials, instead of a random one. The
    /// sandbox sets the key of a session it assumed in moto as its analyst, so that moto's STS
    /// (`GetCallerIdentity`) names the signed-in person as Identity Center's would.
    pub access_key_id: Option<String>,
    /// Identity Center mode of elevation: roles other than [`ROLE_NAME`] are permission sets,
    /// answered only while moto's sso-admin holds an account assignment of them to the user.
    pub identity_center: Option<crate::portal_center::Center>,
}

impl Default for Knobs {
    fn default() -> Knobs {
        Knobs {
            pending_polls: 0,
            slow_down_polls: 0,
            device_expired: false,
            device_interval: 1,
            token_expires_in: 3600,
            client_secret_expires_in: 90 * 24 * 3600,
            credentials_expire_in: 3600,
            refresh_failure: None,
            portal_failure: None,
            auto_approve: true,
            create_token_delay_ms: 0,
            access_key_id: None,
            identity_center: None,
        }
    }
}

/// What the fake saw, for assertions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    pub register_client: u32,
    pub start_device_authorization: u32,
    /// `CreateToken` calls per grant type (successful or not).
    pub create_token: HashMap<String, u32>,
    pub get_role_credentials: u32,
    pub list_accounts: u32,
    pub list_account_roles: u32,
    pub logout: u32,
    pub authorize: u32,
}

impl Counters {
    pub fn create_token(&self, grant: &str) -> u32 {
        self.create_token.get(grant).copied().unwrap_or(0)
    }
}

pub const ACCOUNT_ID: &str = "123456789012";
pub const SECOND_ACCOUNT_ID: &str = "210987654321";
pub const ROLE_NAME: &str = "WardenAnalyst";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Default)]
struct Data {
    knobs: Knobs,
    counters: Counters,
    /// client id -> (secret, expires at)
    clients: HashMap<String, (String, i64)>,
    /// code -> (client id, challenge, redirect uri)
    codes: HashMap<String, (String, String, String)>,
    /// device code -> (client id, polls so far)
    devices: HashMap<String, (String, u32)>,
    /// access token -> expires at
    access: HashMap<String, i64>,
    /// refresh token -> client id
    refresh: HashMap<String, String>,
    /// Every secret value issued, for tests that search for leaks.
    issued: Vec<String>,
}

struct Shared {
    endpoint: String,
    data: Mutex<Data>,
}

/// A running fake on 127.0.0.1, stopped when dropped.
pub struct FakeSso {
    pub endpoint: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeSso {
    /// Starts the fake on a free port with default knobs.
    pub fn start() -> FakeSso {
        FakeSso::start_on(0)
    }

    /// Starts the fake on `port` (0: any free one); it answers before this returns.
    pub fn start_on(port: u16) -> FakeSso {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("the SSO fake cannot listen on 127.0.0.1:{port}: {e}"));
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let endpoint = format!("http://{addr}");
        let shared = Arc::new(Shared {
            endpoint: endpoint.clone(),
            data: Mutex::new(Data::default()),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the SSO fake");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        FakeSso {
            endpoint,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn set(&self, change: impl FnOnce(&mut Knobs)) {
        change(&mut self.shared.data.lock().unwrap().knobs);
    }

    pub fn counters(&self) -> Counters {
        self.shared.data.lock().unwrap().counters.clone()
    }

    /// Every token, code, client secret and key the fake has handed out.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.shared.data.lock().unwrap().issued.clone()
    }

    /// Revokes every access and refresh token (signed out elsewhere).
    pub fn revoke_all(&self) {
        let mut d = self.shared.data.lock().unwrap();
        d.access.clear();
        d.refresh.clear();
    }

    /// Approves an authorization request as a user clicking Approve would: GETs the authorize
    /// URL and returns where the fake redirects the browser (the loopback callback).
    pub fn approve(&self, authorize_url: &str) -> Result<String, String> {
        let query = authorize_url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let mut d = self.shared.data.lock().unwrap();
        authorize_redirect(&mut d, &params)
    }
}

impl Drop for FakeSso {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/client/register", post(register_client))
        .route("/device_authorization", post(start_device_authorization))
        .route("/token", post(create_token))
        .route("/authorize", get(authorize_page))
        .route("/authorize/approve", get(authorize_approve))
        .route("/device", get(device_page))
        .route("/federation/credentials", get(get_role_credentials))
        .route("/assignment/accounts", get(list_accounts))
        .route("/assignment/roles", get(list_account_roles))
        .route("/logout", post(logout))
        .route("/fake/knobs", post(set_knobs))
        .route("/fake/counters", get(counters))
        .route("/fake/health", get(|| async { "ok" }))
        .with_state(shared)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn random(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// A restJson1 error: the type in `x-amzn-errortype`, the OAuth error in the body.
fn error(status: StatusCode, kind: &str, oauth: &str, description: &str) -> Response {
    let mut r = (
        status,
        Json(json!({"error": oauth, "error_description": description, "message": description})),
    )
        .into_response();
    r.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_str(kind).expect("ascii"),
    );
    r
}

fn failure(f: Failure, unauthorized_kind: &str) -> Response {
    match f {
        Failure::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            unauthorized_kind,
            "unauthorized",
            "the fake was told to refuse",
        ),
        Failure::Server => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "server_error",
            "the fake was told to fail",
        ),
    }
}

async fn register_client(State(s): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let mut d = s.data.lock().unwrap();
    d.counters.register_client += 1;
    if body["clientName"].as_str().is_none() || body["clientType"].as_str() != Some("public") {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidClientMetadataException",
            "invalid_client_metadata",
            "clientName and clientType public are required",
        );
    }
    let id = random("fake-client-", 20);
    let secret = random("FAKE-client-secret-", 40);
    let expires = now() + d.knobs.client_secret_expires_in;
    d.clients.insert(id.clone(), (secret.clone(), expires));
    d.issued.push(secret.clone());
    Json(json!({
        "clientId": id,
        "clientSecret": secret,
        "clientIdIssuedAt": now(),
        "clientSecretExpiresAt": expires,
    }))
    .into_response()
}

/// Checks a client id and secret; the error answer when they are wrong or expired.
fn check_client(d: &Data, body: &Value) -> Result<String, Response> {
    let id = body["clientId"].as_str().unwrap_or_default();
    let secret = body["clientSecret"].as_str().unwrap_or_default();
    match d.clients.get(id) {
        Some((s, exp)) if s == secret && *exp > now() => Ok(id.to_owned()),
        Some((s, _)) if s == secret => Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidClientException",
            "invalid_client",
            "the client secret has expired",
        )),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidClientException",
            "invalid_client",
            "unknown client",
        )),
    }
}

async fn start_device_authorization(
    State(s): State<Arc<Shared>>,
    Json(body): Json<Value>,
) -> Response {
    let mut d = s.data.lock().unwrap();
    d.counters.start_device_authorization += 1;
    let client = match check_client(&d, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if body["startUrl"].as_str().is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "invalid_request",
            "startUrl is required",
        );
    }
    let device_code = random("FAKE-device-", 32);
    let user_code = format!("{}-{}", random("", 4), random("", 4)).to_uppercase();
    d.devices.insert(device_code.clone(), (client, 0));
    d.issued.push(device_code.clone());
    Json(json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": format!("{}/device", s.endpoint),
        "verificationUriComplete": format!("{}/device?user_code={user_code}", s.endpoint),
        "expiresIn": 600,
        "interval": d.knobs.device_interval,
    }))
    .into_response()
}

fn issue_tokens(d: &mut Data, client: &str) -> Response {
    let access = random("FAKE-access-", 48);
    let refresh = random("FAKE-refresh-", 48);
    let expires_in = d.knobs.token_expires_in;
    d.access
        .insert(access.clone(), now() + i64::from(expires_in));
    d.refresh.insert(refresh.clone(), client.to_owned());
    d.issued.push(access.clone());
    d.issued.push(refresh.clone());
    Json(json!({
        "accessToken": access,
        "tokenType": "Bearer",
        "expiresIn": expires_in,
        "refreshToken": refresh,
    }))
    .into_response()
}

async fn create_token(State(s): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let delay = {
        let mut d = s.data.lock().unwrap();
        let grant = body["grantType"].as_str().unwrap_or_default().to_owned();
        *d.counters.create_token.entry(grant).or_default() += 1;
        d.knobs.create_token_delay_ms
    };
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let mut d = s.data.lock().unwrap();
    let client = match check_client(&d, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match body["grantType"].as_str().unwrap_or_default() {
        "authorization_code" => {
            let code = body["code"].as_str().unwrap_or_default();
            let Some((code_client, challenge, redirect)) = d.codes.remove(code) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidGrantException",
                    "invalid_grant",
                    "unknown or used code",
                );
            };
            let verifier = body["codeVerifier"].as_str().unwrap_or_default();
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if code_client != client
                || computed != challenge
                || body["redirectUri"].as_str() != Some(redirect.as_str())
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidGrantException",
                    "invalid_grant",
                    "code verifier, client or redirect URI do not match",
                );
            }
            issue_tokens(&mut d, &client)
        }
        DEVICE_GRANT => {
            let code = body["deviceCode"].as_str().unwrap_or_default().to_owned();
            let knobs = d.knobs.clone();
            let Some((device_client, polls)) = d.devices.get_mut(&code) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidGrantException",
                    "invalid_grant",
                    "unknown device code",
                );
            };
            if *device_client != client {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidGrantException",
                    "invalid_grant",
                    "device code of another client",
                );
            }
            *polls += 1;
            let polls = *polls;
            if knobs.device_expired {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ExpiredTokenException",
                    "expired_token",
                    "the device code has expired",
                );
            }
            if polls <= knobs.slow_down_polls {
                return error(
                    StatusCode::BAD_REQUEST,
                    "SlowDownException",
                    "slow_down",
                    "polling too fast",
                );
            }
            if polls <= knobs.slow_down_polls + knobs.pending_polls {
                return error(
                    StatusCode::BAD_REQUEST,
                    "AuthorizationPendingException",
                    "authorization_pending",
                    "not approved yet",
                );
            }
            d.devices.remove(&code);
            issue_tokens(&mut d, &client)
        }
        "refresh_token" => {
            if let Some(f) = d.knobs.refresh_failure {
                return match f {
                    Failure::Unauthorized => error(
                        StatusCode::UNAUTHORIZED,
                        "UnauthorizedClientException",
                        "unauthorized_client",
                        "the fake was told to refuse",
                    ),
                    Failure::Server => failure(f, ""),
                };
            }
            let refresh = body["refreshToken"].as_str().unwrap_or_default();
            match d.refresh.remove(refresh) {
                Some(owner) if owner == client => issue_tokens(&mut d, &client),
                _ => error(
                    StatusCode::BAD_REQUEST,
                    "InvalidGrantException",
                    "invalid_grant",
                    "unknown or revoked refresh token",
                ),
            }
        }
        other => error(
            StatusCode::BAD_REQUEST,
            "UnsupportedGrantTypeException",
            "unsupported_grant_type",
            &format!("grant type `{other}` is not supported"),
        ),
    }
}

fn authorize_redirect(d: &mut Data, p: &HashMap<String, String>) -> Result<String, String> {
    d.counters.authorize += 1;
    let client = p.get("client_id").cloned().unwrap_or_default();
    if !d.clients.contains_key(&client) {
        return Err("unknown client_id".into());
    }
    let redirect = p.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect.starts_with("http://127.0.0.1:") || !redirect.ends_with("/oauth/callback") {
        return Err("redirect_uri must be http://127.0.0.1:PORT/oauth/callback".into());
    }
    if p.get("response_type").map(String::as_str) != Some("code")
        || p.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return Err("response_type=code and code_challenge_method=S256 are required".into());
    }
    let (Some(challenge), Some(state)) = (p.get("code_challenge"), p.get("state")) else {
        return Err("code_challenge and state are required".into());
    };
    let code = random("FAKE-code-", 32);
    d.codes
        .insert(code.clone(), (client, challenge.clone(), redirect.clone()));
    d.issued.push(code.clone());
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", state)
        .finish();
    Ok(format!("{redirect}?{query}"))
}

async fn authorize_page(
    State(s): State<Arc<Shared>>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let auto = s.data.lock().unwrap().knobs.auto_approve;
    if !auto {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(p.iter())
            .finish();
        return Html(format!(
            "<!doctype html><title>Fake AWS sign-in</title><h1>Allow Warden to access your data?</h1><a id=\"approve\" href=\"/authorize/approve?{query}\">Approve</a>"
        ))
        .into_response();
    }
    authorize_approve(State(s), Query(p)).await
}

async fn authorize_approve(
    State(s): State<Arc<Shared>>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let mut d = s.data.lock().unwrap();
    match authorize_redirect(&mut d, &p) {
        Ok(location) => (StatusCode::FOUND, [("location", location)]).into_response(),
        Err(why) => (StatusCode::BAD_REQUEST, why).into_response(),
    }
}

async fn device_page() -> Html<&'static str> {
    Html("<!doctype html><title>Fake AWS device sign-in</title><p>The sandbox approves device codes by itself after a few polls.</p>")
}

/// The bearer token of a portal call, if it is known and unexpired.
fn check_bearer(d: &Data, headers: &HeaderMap) -> Result<(), Response> {
    if let Some(f) = d.knobs.portal_failure {
        return Err(failure(f, "UnauthorizedException"));
    }
    let token = headers
        .get("x-amz-sso_bearer_token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match d.access.get(token) {
        Some(exp) if *exp > now() => Ok(()),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "unauthorized",
            "Session token not found or invalid",
        )),
    }
}

async fn get_role_credentials(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let account = p.get("account_id").cloned().unwrap_or_default();
    let role = p.get("role_name").cloned().unwrap_or_default();
    let (center, lifetime) = {
        let mut d = s.data.lock().unwrap();
        d.counters.get_role_credentials += 1;
        if let Err(r) = check_bearer(&d, &headers) {
            return r;
        }
        let baseline =
            matches!(account.as_str(), ACCOUNT_ID | SECOND_ACCOUNT_ID) && role == ROLE_NAME;
        if baseline {
            let key = d
                .knobs
                .access_key_id
                .clone()
                .unwrap_or_else(|| random("ASIAFAKE", 12));
            let issued = crate::portal_center::Issued {
                access_key_id: key,
                secret_access_key: random("FAKE-secret-", 40),
                session_token: random("FAKE-session-", 80),
            };
            let expiration = (now() + d.knobs.credentials_expire_in) * 1000;
            return role_credentials(&mut d, issued, expiration);
        }
        match d.knobs.identity_center.clone() {
            Some(center) => (center, d.knobs.credentials_expire_in),
            None => return no_access(),
        }
    };
    // Asked of moto without the lock held: the answer depends on its assignments right now.
    match crate::portal_center::assigned_role(&center, &account, &role, lifetime).await {
        Ok(Some(issued)) => {
            let mut d = s.data.lock().unwrap();
            role_credentials(&mut d, issued, (now() + lifetime) * 1000)
        }
        Ok(None) => no_access(),
        Err(why) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "internal",
            &why,
        ),
    }
}

/// The portal's refusal of a role the user has no assignment for.
fn no_access() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "ForbiddenException",
        "forbidden",
        "No access",
    )
}

fn role_credentials(
    d: &mut Data,
    issued: crate::portal_center::Issued,
    expiration_ms: i64,
) -> Response {
    d.issued.push(issued.secret_access_key.clone());
    d.issued.push(issued.session_token.clone());
    Json(json!({"roleCredentials": {
        "accessKeyId": issued.access_key_id,
        "secretAccessKey": issued.secret_access_key,
        "sessionToken": issued.session_token,
        "expiration": expiration_ms,
    }}))
    .into_response()
}

/// One item a page, so paginators are exercised.
fn page<T: Clone>(items: &[T], next: Option<&String>) -> (Vec<T>, Option<String>) {
    let start: usize = next.and_then(|n| n.parse().ok()).unwrap_or(0);
    let slice = items.iter().skip(start).take(1).cloned().collect();
    let next = (start + 1 < items.len()).then(|| (start + 1).to_string());
    (slice, next)
}

async fn list_accounts(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let mut d = s.data.lock().unwrap();
    d.counters.list_accounts += 1;
    if let Err(r) = check_bearer(&d, &headers) {
        return r;
    }
    let accounts = [
        json!({"accountId": ACCOUNT_ID, "accountName": "sandbox", "emailAddress": "sandbox@example.com"}),
        json!({"accountId": SECOND_ACCOUNT_ID, "accountName": "sandbox-two", "emailAddress": "two@example.com"}),
    ];
    let (list, next) = page(&accounts, p.get("next_token"));
    Json(json!({"accountList": list, "nextToken": next})).into_response()
}

async fn list_account_roles(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let mut d = s.data.lock().unwrap();
    d.counters.list_account_roles += 1;
    if let Err(r) = check_bearer(&d, &headers) {
        return r;
    }
    let account = p.get("account_id").cloned().unwrap_or_default();
    let roles = [
        json!({"roleName": ROLE_NAME, "accountId": account}),
        json!({"roleName": "WardenReadOnly", "accountId": account}),
    ];
    let (list, next) = page(&roles, p.get("next_token"));
    Json(json!({"roleList": list, "nextToken": next})).into_response()
}

async fn logout(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let mut d = s.data.lock().unwrap();
    d.counters.logout += 1;
    if let Err(r) = check_bearer(&d, &headers) {
        return r;
    }
    if let Some(token) = headers
        .get("x-amz-sso_bearer_token")
        .and_then(|v| v.to_str().ok())
    {
        d.access.remove(token);
    }
    StatusCode::OK.into_response()
}

async fn set_knobs(State(s): State<Arc<Shared>>, Json(change): Json<Value>) -> Response {
    let mut d = s.data.lock().unwrap();
    let mut current = serde_json::to_value(&d.knobs).expect("knobs serialize");
    if let (Some(target), Some(change)) = (current.as_object_mut(), change.as_object()) {
        for (k, v) in change {
            target.insert(k.clone(), v.clone());
        }
    }
    match serde_json::from_value::<Knobs>(current) {
        Ok(k) => {
            d.knobs = k.clone();
            Json(k).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn counters(State(s): State<Arc<Shared>>) -> Response {
    Json(s.data.lock().unwrap().counters.clone()).into_response()
}
