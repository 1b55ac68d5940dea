//! JWS verification of untrusted tokens: never panics, never accepts anything (no token the
//! fuzzer builds can carry a valid signature of a freshly generated key).
#![no_main]

use gatehouse_core::SigningAlgorithm;
use gatehouse_crypto::{Verifier, generate_signing_key};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    let key = generate_signing_key(SigningAlgorithm::Es256).expect("key");
    Verifier::from_jwks(&[key.public_jwk]).expect("verifier")
});

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        assert!(VERIFIER.verify(token, Some("at+jwt")).is_err());
        assert!(VERIFIER.verify(token, None).is_err());
    }
});
