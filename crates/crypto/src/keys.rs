//! Signing key generation: ES256 (P-256, via ring) by default, RS256 (2048-bit RSA via the
//! `rsa` crate, since ring cannot generate RSA keys).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::SigningAlgorithm;
use gatehouse_types::oauth::Jwk;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use rsa::pkcs8::EncodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;

use crate::CryptoError;
use crate::secret::random_token;

/// RSA modulus size for generated RS256 keys.
const RSA_BITS: usize = 2048;

/// A freshly generated key pair.
pub struct GeneratedKey {
    /// Random key id (url-safe, >= 96 bits).
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlgorithm,
    /// Private key, PKCS#8 DER. Seal it before storing.
    pub pkcs8_der: Vec<u8>,
    /// Public key as a JWK (`use: sig`, `alg`, `kid` set).
    pub public_jwk: Jwk,
}

/// Generates a signing key pair for `alg`.
pub fn generate_signing_key(alg: SigningAlgorithm) -> Result<GeneratedKey, crate::CryptoError> {
    // 12 bytes = 96 bits, 16 url-safe characters.
    let kid = random_token(12);
    let (pkcs8_der, public_jwk) = match alg {
        SigningAlgorithm::Es256 => generate_es256(&kid)?,
        SigningAlgorithm::Rs256 => generate_rs256(&kid)?,
    };
    Ok(GeneratedKey {
        kid,
        alg,
        pkcs8_der,
        public_jwk,
    })
}

fn generate_es256(kid: &str) -> Result<(Vec<u8>, Jwk), CryptoError> {
    let rng = ring::rand::SystemRandom::new();
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| CryptoError::Key("cannot generate a P-256 key".to_owned()))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, document.as_ref(), &rng)
        .map_err(|e| CryptoError::Key(format!("generated P-256 key rejected: {e}")))?;
    let jwk = ec_public_jwk(kid, pair.public_key().as_ref())?;
    Ok((document.as_ref().to_vec(), jwk))
}

/// The JWK (RFC 7518 §6.2.1) of an uncompressed SEC1 P-256 point `0x04 || x || y`.
pub(crate) fn ec_public_jwk(kid: &str, point: &[u8]) -> Result<Jwk, CryptoError> {
    let coordinates = match point.split_first() {
        Some((0x04, xy)) if xy.len() == 64 => xy,
        _ => {
            return Err(CryptoError::Key(
                "not an uncompressed P-256 point".to_owned(),
            ));
        }
    };
    let (x, y) = coordinates.split_at(32);
    Ok(Jwk {
        kty: "EC".to_owned(),
        kid: kid.to_owned(),
        use_: "sig".to_owned(),
        alg: SigningAlgorithm::Es256.as_str().to_owned(),
        crv: Some("P-256".to_owned()),
        x: Some(URL_SAFE_NO_PAD.encode(x)),
        y: Some(URL_SAFE_NO_PAD.encode(y)),
        n: None,
        e: None,
    })
}

fn generate_rs256(kid: &str) -> Result<(Vec<u8>, Jwk), CryptoError> {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)
        .map_err(|e| CryptoError::Key(format!("cannot generate an RSA key: {e}")))?;
    let document = key
        .to_pkcs8_der()
        .map_err(|e| CryptoError::Key(format!("cannot encode the RSA key: {e}")))?;
    // RFC 7518 §6.3.1: n and e are unsigned big-endian without leading zero octets.
    let jwk = Jwk {
        kty: "RSA".to_owned(),
        kid: kid.to_owned(),
        use_: "sig".to_owned(),
        alg: SigningAlgorithm::Rs256.as_str().to_owned(),
        crv: None,
        x: None,
        y: None,
        n: Some(URL_SAFE_NO_PAD.encode(key.n().to_bytes_be())),
        e: Some(URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())),
    };
    Ok((document.as_bytes().to_vec(), jwk))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn es256_key_has_ec_jwk() {
        let key = generate_signing_key(SigningAlgorithm::Es256).unwrap();
        assert_eq!(key.alg, SigningAlgorithm::Es256);
        assert_eq!(key.kid.len(), 16);
        let jwk = &key.public_jwk;
        assert_eq!(
            (jwk.kty.as_str(), jwk.use_.as_str(), jwk.alg.as_str()),
            ("EC", "sig", "ES256")
        );
        assert_eq!(jwk.kid, key.kid);
        assert_eq!(jwk.crv.as_deref(), Some("P-256"));
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(jwk.x.as_ref().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(jwk.y.as_ref().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert!(jwk.n.is_none() && jwk.e.is_none());
        let other = generate_signing_key(SigningAlgorithm::Es256).unwrap();
        assert_ne!(other.kid, key.kid);
        assert_ne!(other.pkcs8_der, key.pkcs8_der);
    }

    #[test]
    fn rs256_key_has_rsa_jwk() {
        let key = generate_signing_key(SigningAlgorithm::Rs256).unwrap();
        let jwk = &key.public_jwk;
        assert_eq!(
            (jwk.kty.as_str(), jwk.use_.as_str(), jwk.alg.as_str()),
            ("RSA", "sig", "RS256")
        );
        let n = URL_SAFE_NO_PAD.decode(jwk.n.as_ref().unwrap()).unwrap();
        assert_eq!(n.len(), 256);
        assert_ne!(n[0], 0);
        assert_eq!(jwk.e.as_deref(), Some("AQAB"));
        assert!(jwk.crv.is_none() && jwk.x.is_none() && jwk.y.is_none());
        ring::signature::RsaKeyPair::from_pkcs8(&key.pkcs8_der).unwrap();
    }

    #[test]
    fn ec_public_jwk_refuses_other_encodings() {
        assert!(ec_public_jwk("k", &[0x04; 64]).is_err());
        assert!(ec_public_jwk("k", &[0x02; 33]).is_err());
        assert!(ec_public_jwk("k", &[]).is_err());
    }
}
