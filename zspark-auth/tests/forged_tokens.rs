//! The forged-token suite: every kind of wrong token against a local token issuer
//! (discovery document and JWKS over real HTTP), plus key rotation, single-flight
//! refresh and an identity provider that is down.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_test_support::issuer::{TestIssuer, access_claims, signing_keys, unix_now, with_claims};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use zspark_auth::{KeyCacheOptions, Principal, TokenError, TokenValidator, ValidatorSettings};

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const CLIENT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

fn validator(issuer: &TestIssuer, cooldown: Duration) -> TokenValidator {
    let settings = ValidatorSettings {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        api_scope: Some(format!("api://{CLIENT}/access_as_user")),
        allowed_roles: vec!["Workspaces.ReadWrite.All".into()],
        authority: issuer.issuer(),
    };
    let options = KeyCacheOptions {
        cooldown,
        fetch_timeout: Duration::from_secs(2),
        ..KeyCacheOptions::default()
    };
    TokenValidator::new(&settings, zspark_auth::http_client().unwrap(), options).unwrap()
}

fn good(issuer: &TestIssuer) -> Value {
    access_claims(&issuer.issuer(), TENANT, CLIENT, "user-oid-1")
}

fn class(result: Result<Principal, TokenError>) -> &'static str {
    result.map_or_else(|error| error.class(), |_| "accepted")
}

#[tokio::test]
async fn a_good_token_names_the_caller() {
    let [one, _] = signing_keys();
    let issuer = TestIssuer::start().unwrap();
    let validator = validator(&issuer, Duration::from_secs(30));
    let principal = validator.validate(&one.sign(&good(&issuer))).await.unwrap();
    assert_eq!(principal.key, format!("tenant:{TENANT}:oid:user-oid-1"));
    assert_eq!(
        principal.display_name.as_deref(),
        Some("user-oid-1@example.com")
    );
    assert_eq!(principal.groups, ["group-a"]);

    let accepted = [
        (
            "v1 audience form",
            json!({"aud": format!("api://{CLIENT}")}),
        ),
        (
            "app-only token with an allowed role",
            json!({"scp": null, "roles": ["Workspaces.ReadWrite.All"]}),
        ),
        ("30 s of clock skew on exp", json!({"exp": unix_now() - 30})),
        ("30 s of clock skew on nbf", json!({"nbf": unix_now() + 30})),
    ];
    for (name, changes) in accepted {
        let token = one.sign(&with_claims(good(&issuer), changes));
        assert_eq!(
            class(validator.validate(&token).await),
            "accepted",
            "{name}"
        );
    }
    let overage = with_claims(
        good(&issuer),
        json!({"_claim_names": {"groups": "src1"}, "groups": null}),
    );
    let principal = validator.validate(&one.sign(&overage)).await.unwrap();
    assert!(
        principal.groups.is_empty(),
        "an incomplete group list counts as none"
    );
    assert_eq!(issuer.key_fetches(), 1, "keys are cached");
}

#[tokio::test]
async fn every_forged_or_wrong_token_is_refused_with_its_class() {
    let [one, two] = signing_keys();
    let issuer = TestIssuer::start().unwrap();
    let validator = validator(&issuer, Duration::from_secs(30));
    let claims = good(&issuer);
    let segment = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let changed = |changes: Value| one.sign(&with_claims(claims.clone(), changes));

    let alg_none = format!(
        "{}.{}.",
        segment(&json!({"alg": "none", "kid": one.kid})),
        segment(&claims)
    );
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(one.kid.clone());
    let hs_with_public_key = jsonwebtoken::encode(
        &hs_header,
        &claims,
        &EncodingKey::from_secret(one.public_pem.as_bytes()),
    )
    .unwrap();
    let signed = one.sign(&claims);
    let mut parts: Vec<&str> = signed.split('.').collect();
    let tampered_body = segment(&with_claims(claims.clone(), json!({"oid": "someone-else"})));
    parts[1] = &tampered_body;
    let tampered = parts.join(".");
    let mut stranger_header = Header::new(Algorithm::RS256);
    stranger_header.kid = Some(one.kid.clone());
    let right_kid_wrong_key =
        jsonwebtoken::encode(&stranger_header, &claims, &two.encoding).unwrap();

    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", alg_none, "unsupported_algorithm"),
        (
            "HS256 keyed with the public key",
            hs_with_public_key,
            "unsupported_algorithm",
        ),
        ("tampered payload", tampered, "bad_signature"),
        (
            "right kid, another key's signature",
            right_kid_wrong_key,
            "bad_signature",
        ),
        (
            "wrong issuer",
            changed(json!({"iss": "https://login.microsoftonline.com/evil/v2.0"})),
            "wrong_issuer",
        ),
        (
            "wrong audience",
            changed(json!({"aud": "another-api"})),
            "wrong_audience",
        ),
        (
            "wrong tenant",
            changed(json!({"tid": "99999999-0000-0000-0000-000000000000"})),
            "wrong_tenant",
        ),
        (
            "missing scope",
            changed(json!({"scp": "User.Read"})),
            "missing_scope",
        ),
        (
            "role not allowed",
            changed(json!({"scp": null, "roles": ["Other.Role"]})),
            "missing_scope",
        ),
        (
            "expired",
            changed(json!({"exp": unix_now() - 600})),
            "expired",
        ),
        (
            "not yet valid",
            changed(json!({"nbf": unix_now() + 600})),
            "not_yet_valid",
        ),
        ("no exp", changed(json!({"exp": null})), "malformed"),
        ("no aud", changed(json!({"aud": null})), "malformed"),
        ("no tid", changed(json!({"tid": null})), "malformed"),
        ("no oid", changed(json!({"oid": null})), "malformed"),
        ("garbage", "not-a-token".to_string(), "malformed"),
        ("empty", String::new(), "malformed"),
        ("huge", "a".repeat(100_000), "malformed"),
        ("unknown kid", two.sign(&claims), "unknown_key"),
    ];
    for (name, token, expected) in cases {
        let result = validator.validate(&token).await;
        assert_eq!(class(result.clone()), expected, "{name}: {result:?}");
        if let Err(error) = result
            && !token.is_empty()
        {
            assert!(
                !error.message().contains(&token),
                "{name}: the message repeats the token"
            );
        }
    }
}

/// Runs `count` validations of `token` at once.
async fn concurrently(
    validator: &Arc<TokenValidator>,
    token: &str,
    count: usize,
) -> Vec<&'static str> {
    let attempts: Vec<_> = (0..count)
        .map(|_| {
            let validator = validator.clone();
            let token = token.to_string();
            tokio::spawn(async move { class(validator.validate(&token).await) })
        })
        .collect();
    let mut classes = Vec::new();
    for attempt in attempts {
        classes.push(attempt.await.unwrap());
    }
    classes
}

#[tokio::test]
async fn unknown_keys_within_the_cooldown_do_not_reach_the_provider() {
    let [one, two] = signing_keys();
    let issuer = TestIssuer::start().unwrap();
    let validator = Arc::new(validator(&issuer, Duration::from_secs(30)));
    validator.validate(&one.sign(&good(&issuer))).await.unwrap();
    let classes = concurrently(&validator, &two.sign(&good(&issuer)), 25).await;
    assert!(
        classes.iter().all(|class| *class == "unknown_key"),
        "{classes:?}"
    );
    assert_eq!(
        issuer.key_fetches(),
        1,
        "the cooldown held back every refresh"
    );
}

#[tokio::test]
async fn rotated_keys_are_picked_up_with_a_single_refresh() {
    let [one, two] = signing_keys();
    let issuer = TestIssuer::start().unwrap();
    let validator = Arc::new(validator(&issuer, Duration::ZERO));
    validator.validate(&one.sign(&good(&issuer))).await.unwrap();
    issuer.publish(two);
    let classes = concurrently(&validator, &two.sign(&good(&issuer)), 25).await;
    assert!(
        classes.iter().all(|class| *class == "accepted"),
        "{classes:?}"
    );
    assert_eq!(
        issuer.key_fetches(),
        2,
        "25 waiting requests shared one refresh"
    );
}

#[tokio::test]
async fn a_provider_that_is_down_means_unavailable_never_acceptance() {
    let [one, two] = signing_keys();
    let issuer = TestIssuer::start().unwrap();
    issuer.set_down(true);
    let validator = validator(&issuer, Duration::ZERO);
    let token = one.sign(&good(&issuer));
    let first = validator.validate(&token).await;
    assert!(
        matches!(first, Err(TokenError::Unavailable(ref why)) if why.contains("503")),
        "{first:?}"
    );

    issuer.set_down(false);
    assert_eq!(class(validator.validate(&token).await), "accepted");

    // Known keys keep working while the provider is down; a new key cannot be checked,
    // so its token is refused as unavailable, neither accepted nor called forged.
    issuer.set_down(true);
    issuer.publish(two);
    assert_eq!(class(validator.validate(&token).await), "accepted");
    let new_key = validator.validate(&two.sign(&good(&issuer))).await;
    assert_eq!(class(new_key), "provider_unavailable");
}
