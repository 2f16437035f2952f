//! Access-token validation for `zspark serve`: the checks of `docs/entra-setup.md`
//! in order (shape, pinned algorithm, key, signature, lifetime, issuer, audience,
//! tenant, scope or role), each failure named by a class a client can act on.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::accepted::AcceptedTokens;
use crate::authority::{Authority, AuthorityError};
use crate::keys::{KeyCache, KeyCacheOptions, KeyError};
use crate::principal::Principal;
use crate::unix_now;

/// Longest token accepted (Entra tokens with many groups stay well below).
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY: Duration = Duration::from_secs(60);
/// Validated tokens remembered at most (a few MiB).
const ACCEPTED_CAPACITY: usize = 10_000;
/// The scope required when none is configured, as Entra's "Expose an API" suggests.
pub const DEFAULT_SCOPE: &str = "access_as_user";

/// What the server is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSettings {
    pub tenant_id: String,
    /// The API's application (client) id.
    pub client_id: String,
    /// `api://<client-id>/access_as_user` or just `access_as_user`.
    pub api_scope: Option<String>,
    /// App roles that let app-only (daemon) tokens in.
    pub allowed_roles: Vec<String>,
    pub authority: String,
}

/// Why a token was refused. [`TokenError::class`] is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed(String),
    UnsupportedAlgorithm(String),
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    WrongTenant,
    MissingScope,
    /// The identity provider could not be reached for keys: answer 503, not 401.
    Unavailable(String),
}

impl TokenError {
    /// A short, stable name for the reason.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongTenant => "wrong_tenant",
            Self::MissingScope => "missing_scope",
            Self::Unavailable(_) => "provider_unavailable",
        }
    }

    /// A sentence for the client and the log; never contains the token.
    pub fn message(&self) -> String {
        match self {
            Self::Malformed(why) => format!("the access token is malformed: {why}"),
            Self::UnsupportedAlgorithm(alg) => {
                format!("the access token is signed with {alg}; only RS256 is accepted")
            }
            Self::UnknownKey => {
                "the access token is signed with a key the identity provider does not publish"
                    .to_string()
            }
            Self::BadSignature => "the access token's signature does not verify".to_string(),
            Self::Expired => "the access token has expired; sign in again".to_string(),
            Self::NotYetValid => "the access token is not valid yet; check the clock".to_string(),
            Self::WrongIssuer => {
                "the access token was issued by another authority than this server trusts"
                    .to_string()
            }
            Self::WrongAudience => "the access token was issued for another API".to_string(),
            Self::WrongTenant => "the access token belongs to another tenant".to_string(),
            Self::MissingScope => {
                "the access token lacks this API's scope or an allowed app role".to_string()
            }
            Self::Unavailable(why) => {
                format!("the identity provider cannot be reached to check the token: {why}")
            }
        }
    }
}

/// The claims read from a verified token.
#[derive(Debug, Deserialize)]
struct AccessClaims {
    exp: i64,
    tid: Option<String>,
    oid: Option<String>,
    #[serde(default)]
    scp: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    /// Present when the groups did not fit in the token (overage).
    #[serde(default, rename = "_claim_names")]
    claim_names: Option<Value>,
    preferred_username: Option<String>,
    upn: Option<String>,
    name: Option<String>,
}

/// Validator settings that cannot work; each says what to configure instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSettingsError {
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    #[error("the client id must be the API's Application (client) ID from its app registration")]
    ClientId,
}

pub struct TokenValidator {
    authority: Authority,
    tenant_id: String,
    audiences: [String; 2],
    scope_name: String,
    allowed_roles: Vec<String>,
    keys: KeyCache,
    accepted: AcceptedTokens,
}

impl TokenValidator {
    /// Checks the settings (not the network: keys are fetched on first use, so the
    /// server starts while the identity provider is down and answers 503 meanwhile).
    pub fn new(
        settings: &ValidatorSettings,
        http: reqwest::Client,
        options: KeyCacheOptions,
    ) -> Result<Self, ValidatorSettingsError> {
        let authority = Authority::parse(&settings.authority, &settings.tenant_id)?;
        let client_id = settings.client_id.trim();
        if client_id.is_empty() || client_id.contains(char::is_whitespace) {
            return Err(ValidatorSettingsError::ClientId);
        }
        let client_id = client_id
            .strip_prefix("api://")
            .unwrap_or(client_id)
            .to_string();
        let scope_name = settings
            .api_scope
            .as_deref()
            .map(|scope| scope.rsplit('/').next().unwrap_or(scope).trim())
            .filter(|name| !name.is_empty())
            .unwrap_or(DEFAULT_SCOPE)
            .to_string();
        Ok(Self {
            tenant_id: authority.tenant_id().to_string(),
            keys: KeyCache::new(http, authority.clone(), options),
            authority,
            audiences: [client_id.clone(), format!("api://{client_id}")],
            scope_name,
            allowed_roles: settings.allowed_roles.clone(),
            accepted: AcceptedTokens::new(ACCEPTED_CAPACITY),
        })
    }

    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The scope name a delegated token must carry in `scp`.
    pub fn scope_name(&self) -> &str {
        &self.scope_name
    }

    /// Validates `token` and returns who it speaks for.
    pub async fn validate(&self, token: &str) -> Result<Principal, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed(format!(
                "it is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let digest = AcceptedTokens::digest(token);
        let now = unix_now();
        if let Some(principal) = self.accepted.get(&digest, now) {
            return Ok(principal);
        }
        let kid = pinned_key_id(token)?;
        let key = self.keys.key(&kid).await.map_err(|error| match error {
            KeyError::Unknown => TokenError::UnknownKey,
            KeyError::Ambiguous => {
                TokenError::Malformed("its key id matches more than one published key".into())
            }
            KeyError::Unavailable(why) => TokenError::Unavailable(why),
        })?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_audience(&self.audiences);
        validation.set_issuer(&self.allowed_issuers());
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
            .map_err(|error| classify(error.kind()))?
            .claims;
        let expires_at = claims.exp.saturating_add(LEEWAY.as_secs().cast_signed());
        let principal = self.check_claims(claims)?;
        self.accepted.insert(digest, principal.clone(), expires_at);
        Ok(principal)
    }

    fn allowed_issuers(&self) -> Vec<String> {
        let mut issuers = self.authority.entra_issuers();
        if issuers.is_empty() {
            issuers.extend(self.keys.discovered_issuer());
        }
        issuers
    }

    fn check_claims(&self, claims: AccessClaims) -> Result<Principal, TokenError> {
        let tenant = claims
            .tid
            .ok_or_else(|| TokenError::Malformed("it has no tid claim".into()))?;
        if !tenant.eq_ignore_ascii_case(&self.tenant_id) {
            return Err(TokenError::WrongTenant);
        }
        let object_id = claims
            .oid
            .filter(|oid| !oid.is_empty())
            .ok_or_else(|| TokenError::Malformed("it has no oid claim".into()))?;
        let delegated = claims
            .scp
            .as_deref()
            .is_some_and(|scopes| scopes.split_whitespace().any(|s| s == self.scope_name));
        let app_role = claims
            .roles
            .iter()
            .any(|role| self.allowed_roles.contains(role));
        if !delegated && !app_role {
            return Err(TokenError::MissingScope);
        }
        let overage = claims
            .claim_names
            .as_ref()
            .is_some_and(|names| names.get("groups").is_some());
        let groups = if overage {
            tracing::info!(
                oid = %object_id,
                "the token's group list did not fit (overage); treating the caller as in no groups"
            );
            Vec::new()
        } else {
            claims.groups
        };
        let display_name = claims.preferred_username.or(claims.upn).or(claims.name);
        Ok(Principal::entra(&tenant, &object_id, display_name, groups))
    }
}

/// Reads the header without trusting it: the algorithm must be RS256 and a key id
/// must be named.
fn pinned_key_id(token: &str) -> Result<String, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed(
            "it is not three base64url parts separated by dots".into(),
        ));
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| TokenError::Malformed("its header is not base64url JSON".into()))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
    if alg != "RS256" {
        return Err(TokenError::UnsupportedAlgorithm(
            alg.chars().take(20).collect(),
        ));
    }
    header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| TokenError::Malformed("its header names no key id (kid)".into()))
}

fn classify(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm => {
            TokenError::UnsupportedAlgorithm("a non-RS256 algorithm".into())
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            TokenError::Malformed(format!("it has no {claim} claim"))
        }
        ErrorKind::InvalidClaimFormat(claim) => {
            TokenError::Malformed(format!("its {claim} claim has the wrong type"))
        }
        _ => TokenError::Malformed("it cannot be decoded".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn header_checks_come_before_any_key_lookup() {
        let body = segment(&serde_json::json!({}));
        let none = format!("{}.{body}.", segment(&serde_json::json!({"alg": "none"})));
        assert_eq!(
            pinned_key_id(&none),
            Err(TokenError::UnsupportedAlgorithm("none".into()))
        );
        let hs = format!(
            "{}.{body}.sig",
            segment(&serde_json::json!({"alg": "HS256", "kid": "k"}))
        );
        assert_eq!(
            pinned_key_id(&hs).unwrap_err().class(),
            "unsupported_algorithm"
        );
        let no_kid = format!(
            "{}.{body}.sig",
            segment(&serde_json::json!({"alg": "RS256"}))
        );
        assert_eq!(pinned_key_id(&no_kid).unwrap_err().class(), "malformed");
        for garbage in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.x"] {
            assert_eq!(
                pinned_key_id(garbage).unwrap_err().class(),
                "malformed",
                "{garbage}"
            );
        }
        let good = format!(
            "{}.{body}.sig",
            segment(&serde_json::json!({"alg": "RS256", "kid": "k1"}))
        );
        assert_eq!(pinned_key_id(&good).unwrap(), "k1");
    }

    #[test]
    fn scope_setting_accepts_full_and_short_forms() {
        let settings = |scope: Option<&str>| ValidatorSettings {
            tenant_id: "t".into(),
            client_id: "api://c".into(),
            api_scope: scope.map(str::to_string),
            allowed_roles: Vec::new(),
            authority: "http://127.0.0.1:1".into(),
        };
        let client = crate::http_client().unwrap();
        let full = TokenValidator::new(
            &settings(Some("api://c/Files.Read")),
            client.clone(),
            KeyCacheOptions::default(),
        )
        .unwrap();
        assert_eq!(full.scope_name(), "Files.Read");
        assert_eq!(full.audiences, ["c", "api://c"]);
        let default =
            TokenValidator::new(&settings(None), client, KeyCacheOptions::default()).unwrap();
        assert_eq!(default.scope_name(), DEFAULT_SCOPE);
    }
}
