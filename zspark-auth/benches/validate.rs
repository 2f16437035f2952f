//! Cost of validating access tokens, the per-request price `zspark serve` pays with
//! Entra ID on: a token seen for the first time (signature and claims checked, keys
//! cached), the same token again (remembered), and the very first token of a fresh
//! validator, which fetches the discovery document and key set from a local issuer.
//!
//! `cargo bench -p zspark-auth --bench validate [-- --batches 20 --per-batch 500]`
//!
//! Prints the median and spread of per-token times over the batches.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a benchmark prints its numbers"
)]

use std::time::Instant;

use codex_test_support::issuer::{TestIssuer, access_claims, signing_keys};
use zspark_auth::{KeyCacheOptions, TokenValidator, ValidatorSettings};

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const CLIENT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

fn argument(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Median, minimum and maximum.
fn spread(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    )
}

fn main() {
    let batches = argument("--batches", 20);
    let per_batch = argument("--per-batch", 500);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let issuer = TestIssuer::start().expect("the test issuer starts");
    let settings = ValidatorSettings {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        api_scope: None,
        allowed_roles: Vec::new(),
        authority: issuer.issuer(),
    };
    let sign =
        |oid: &str| signing_keys()[0].sign(&access_claims(&issuer.issuer(), TENANT, CLIENT, oid));
    let token = sign("bench-oid");
    let http = zspark_auth::http_client().expect("an HTTP client");

    let mut first = Vec::new();
    for _ in 0..10 {
        let validator = TokenValidator::new(&settings, http.clone(), KeyCacheOptions::default())
            .expect("valid settings");
        let started = Instant::now();
        runtime
            .block_on(validator.validate(&token))
            .expect("the token is valid");
        first.push(started.elapsed().as_secs_f64() * 1e6);
    }

    let validator =
        TokenValidator::new(&settings, http, KeyCacheOptions::default()).expect("valid settings");
    runtime
        .block_on(validator.validate(&token))
        .expect("the token is valid");
    let time_batch = |tokens: &[String]| {
        let started = Instant::now();
        runtime.block_on(async {
            for token in tokens {
                let principal = validator.validate(token).await.expect("the token is valid");
                std::hint::black_box(principal);
            }
        });
        let per_token = started.elapsed() / u32::try_from(tokens.len()).unwrap_or(u32::MAX);
        per_token.as_secs_f64() * 1e6
    };
    let mut new_tokens = Vec::new();
    for batch in 0..batches {
        let tokens: Vec<String> = (0..per_batch)
            .map(|n| sign(&format!("user-{batch}-{n}")))
            .collect();
        new_tokens.push(time_batch(&tokens));
    }
    let repeated = vec![token.clone(); per_batch];
    let same_token: Vec<f64> = (0..batches).map(|_| time_batch(&repeated)).collect();

    println!("token: {} bytes, RS256 with a 2048-bit key", token.len());
    let (median, low, high) = spread(new_tokens);
    println!(
        "new token, keys cached: {median:.1} µs ({low:.1}–{high:.1} over {batches} batches of {per_batch}); {:.0} tokens/s on one core",
        1e6 / median
    );
    let (median, low, high) = spread(same_token);
    println!(
        "same token again: {median:.2} µs ({low:.2}–{high:.2}); {:.0} tokens/s on one core",
        1e6 / median
    );
    let (median, low, high) = spread(first);
    println!(
        "first token of a validator (discovery + JWKS over loopback HTTP): {median:.0} µs ({low:.0}–{high:.0})"
    );
}
