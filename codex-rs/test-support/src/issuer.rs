//! A **test token issuer**: an OpenID discovery document and a JWKS served over real
//! HTTP on loopback, plus the RSA keys to sign access tokens with. Tests of token
//! validation use it to mint good tokens and every kind of forged one, rotate keys and
//! take the provider down.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::server::BackgroundServer;

/// An RSA signing key with its public forms.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    /// The public key as PKCS#1 PEM (what an HS256-confusion attack keys its MAC with).
    pub public_pem: String,
    /// The public key as a JWKS entry.
    pub jwk: Value,
}

impl SigningKey {
    fn generate(kid: &str) -> Result<Self, String> {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .map_err(|error| error.to_string())?;
        let public = private.to_public_key();
        let der = private.to_pkcs1_der().map_err(|error| error.to_string())?;
        let public_pem = public
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|error| error.to_string())?;
        Ok(Self {
            kid: kid.to_string(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            public_pem,
            jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            }),
        })
    }

    /// An RS256 token over `claims`, naming this key.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        // Signing with a freshly generated RSA key and JSON claims cannot fail.
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap_or_default()
    }
}

/// Two keys per test process: generating RSA keys is the slow part.
pub fn signing_keys() -> &'static [SigningKey; 2] {
    static KEYS: OnceLock<[SigningKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let generate = |kid| {
            SigningKey::generate(kid).unwrap_or_else(|error| panic!("RSA key generation: {error}"))
        };
        [generate("test-key-1"), generate("test-key-2")]
    })
}

#[derive(Default)]
struct Shared {
    published: Mutex<Vec<Value>>,
    key_fetches: AtomicUsize,
    down: AtomicBool,
    /// Set once the port is known.
    issuer: OnceLock<String>,
}

/// The running issuer. Publishes the first of [`signing_keys`] until told otherwise.
pub struct TestIssuer {
    background: BackgroundServer,
    shared: Arc<Shared>,
}

impl TestIssuer {
    pub fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            published: Mutex::new(vec![signing_keys()[0].jwk.clone()]),
            ..Shared::default()
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/keys", get(jwks))
            .with_state(shared.clone());
        let background = BackgroundServer::start("test-issuer", app)?;
        let _ = shared.issuer.set(format!("http://{}", background.addr));
        Ok(Self { background, shared })
    }

    /// The issuer (and authority) URL: `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        format!("http://{}", self.background.addr)
    }

    /// Adds a key to the published set (a rotation).
    pub fn publish(&self, key: &SigningKey) {
        lock(&self.shared.published).push(key.jwk.clone());
    }

    /// Makes every endpoint answer 503 (or work again).
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// How many times the key set was fetched.
    pub fn key_fetches(&self) -> usize {
        self.shared.key_fetches.load(Ordering::SeqCst)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    if shared.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let issuer = shared.issuer.get().cloned().unwrap_or_default();
    Json(json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")})).into_response()
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    if shared.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    shared.key_fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({"keys": *lock(&shared.published)})).into_response()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            elapsed.as_secs().try_into().unwrap_or(i64::MAX)
        })
}

/// Claims of a good delegated Entra-shaped access token for `audience` in `tenant`.
pub fn access_claims(issuer: &str, tenant: &str, audience: &str, oid: &str) -> Value {
    let now = unix_now();
    json!({
        "iss": issuer, "aud": audience, "tid": tenant, "oid": oid,
        "scp": "User.Read access_as_user", "preferred_username": format!("{oid}@example.com"),
        "groups": ["group-a"], "iat": now - 10, "nbf": now - 10, "exp": now + 3600,
    })
}

/// `claims` with `changes` applied: a `null` removes the claim.
pub fn with_claims(mut claims: Value, changes: Value) -> Value {
    if let (Some(target), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        for (name, value) in changes {
            if value.is_null() {
                target.remove(name);
            } else {
                target.insert(name.clone(), value.clone());
            }
        }
    }
    claims
}
