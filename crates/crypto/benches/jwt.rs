//! JWT signing and verification on the token endpoint's hot path: the JOSE layer's cost over
//! the raw ring primitive, for ES256 and RS256.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_core::SigningAlgorithm;
use gatehouse_crypto::{Signer, Verifier, generate_signing_key};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use serde::Serialize;

/// RFC 9068 access token claims, as the token endpoint issues them.
#[derive(Serialize)]
struct AccessTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    client_id: &'a str,
    scope: &'a str,
    jti: &'a str,
    iat: i64,
    exp: i64,
}

const CLAIMS: AccessTokenClaims<'static> = AccessTokenClaims {
    iss: "https://id.example.com/tenants/acme",
    sub: "0f8c6a2e-4b1d-4c7a-9a3e-5d2b8f1e7c40",
    aud: "https://api.example.com",
    client_id: "acme-web-frontend",
    scope: "openid profile email offline_access orders:read",
    jti: "Vq3xB8yZ1kL0pN5mR7tW2u",
    iat: 1_760_000_000,
    exp: 1_760_003_600,
};

fn bench_es256(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let key = generate_signing_key(SigningAlgorithm::Es256).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.pkcs8_der, &rng).unwrap();
    let signer = Signer::from_pkcs8(&key.kid, key.alg, &key.pkcs8_der).unwrap();
    let verifier = Verifier::from_jwks(std::slice::from_ref(&key.public_jwk)).unwrap();
    let token = signer.sign_jwt("at+jwt", &CLAIMS).unwrap();
    // The raw benchmarks work on the same signing input the JWT has (~300 bytes).
    let (message, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let public_key = UnparsedPublicKey::new(
        &ECDSA_P256_SHA256_FIXED,
        pair.public_key().as_ref().to_vec(),
    );

    let mut group = c.benchmark_group("es256");
    group.bench_function("ring_sign", |b| {
        b.iter(|| pair.sign(&rng, black_box(message.as_bytes())).unwrap())
    });
    group.bench_function("sign_jwt", |b| {
        b.iter(|| {
            signer
                .sign_jwt(black_box("at+jwt"), black_box(&CLAIMS))
                .unwrap()
        })
    });
    group.bench_function("ring_verify", |b| {
        b.iter(|| {
            public_key
                .verify(black_box(message.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&token), Some("at+jwt")).unwrap())
    });
    group.finish();
}

fn bench_rs256(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let key = generate_signing_key(SigningAlgorithm::Rs256).unwrap();
    let pair = RsaKeyPair::from_pkcs8(&key.pkcs8_der).unwrap();
    let signer = Signer::from_pkcs8(&key.kid, key.alg, &key.pkcs8_der).unwrap();
    let verifier = Verifier::from_jwks(std::slice::from_ref(&key.public_jwk)).unwrap();
    let token = signer.sign_jwt("at+jwt", &CLAIMS).unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let public_key = UnparsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref().to_vec(),
    );

    let mut group = c.benchmark_group("rs256");
    group.bench_function("ring_sign", |b| {
        let mut out = vec![0u8; pair.public().modulus_len()];
        b.iter(|| {
            pair.sign(
                &RSA_PKCS1_SHA256,
                &rng,
                black_box(message.as_bytes()),
                &mut out,
            )
            .unwrap()
        })
    });
    group.bench_function("sign_jwt", |b| {
        b.iter(|| {
            signer
                .sign_jwt(black_box("at+jwt"), black_box(&CLAIMS))
                .unwrap()
        })
    });
    group.bench_function("ring_verify", |b| {
        b.iter(|| {
            public_key
                .verify(black_box(message.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&token), Some("at+jwt")).unwrap())
    });
    group.finish();
}

fn config() -> Criterion {
    // Short runs: this machine is shared; the figures are for relative overhead.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_es256, bench_rs256
}
criterion_main!(benches);
