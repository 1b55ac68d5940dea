//! JWS compact serialization (RFC 7515) for JWTs: signing with a cached ring key pair and
//! verification against a set of public JWKs. Verification is strict: exactly three segments,
//! `alg` must equal the algorithm of the key named by `kid` (never `none`, never HMAC), and
//! headers Gatehouse does not use (`crit`, `jku`, `jwk`, `x5u`, `x5c`, `b64`) are refused.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::SigningAlgorithm;
use gatehouse_types::oauth::Jwk;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::CryptoError;

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Header parameters Gatehouse never uses; a token carrying one is refused. `crit` and `b64`
/// change how the token must be processed (RFC 7515 §4.1.11, RFC 7797); `jku`, `jwk`, `x5u`
/// and `x5c` would let the token pick its own verification key.
const REFUSED_HEADERS: [&str; 6] = ["crit", "jku", "jwk", "x5u", "x5c", "b64"];

/// `typ` values whose encoded header is built once per signer.
const PREBUILT_TYPES: [&str; 3] = ["JWT", "at+jwt", "logout+jwt"];

/// Largest RSA signature ring produces (8192-bit modulus).
const MAX_RSA_SIGNATURE_LEN: usize = 1024;

/// Why a JWT was refused. Messages are safe to show.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    /// Not a well-formed compact JWS, or a header Gatehouse refuses.
    #[error("malformed token")]
    Malformed,
    /// The `kid` is unknown or the `alg` does not match the key.
    #[error("unknown key or algorithm")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The `typ` header is not the expected one.
    #[error("unexpected token type")]
    WrongType,
}

/// A private key ready to sign (parsed once, reused for every token).
pub struct Signer {
    kid: String,
    alg: SigningAlgorithm,
    key: SigningKeyPair,
    rng: SystemRandom,
    /// `(typ, base64url(header))` for the common types.
    prebuilt_headers: Vec<(&'static str, String)>,
}

enum SigningKeyPair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// The protected header, in the field order Gatehouse always writes.
#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Parses a PKCS#8 DER private key for `alg`.
    pub fn from_pkcs8(
        kid: &str,
        alg: SigningAlgorithm,
        pkcs8_der: &[u8],
    ) -> Result<Self, crate::CryptoError> {
        let rng = SystemRandom::new();
        let key =
            match alg {
                SigningAlgorithm::Es256 => {
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8_der, &rng)
                        .map(SigningKeyPair::Ec)
                        .map_err(|e| CryptoError::Key(format!("not a P-256 PKCS#8 key: {e}")))?
                }
                SigningAlgorithm::Rs256 => RsaKeyPair::from_pkcs8(pkcs8_der)
                    .map(SigningKeyPair::Rsa)
                    .map_err(|e| CryptoError::Key(format!("not an RSA PKCS#8 key: {e}")))?,
            };
        let prebuilt_headers = PREBUILT_TYPES
            .iter()
            .map(|&typ| Ok((typ, encode_header(alg, typ, kid)?)))
            .collect::<Result<_, CryptoError>>()?;
        Ok(Self {
            kid: kid.to_owned(),
            alg,
            key,
            rng,
            prebuilt_headers,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    /// Signs `claims` as a JWT with header `{"alg", "typ", "kid"}`.
    pub fn sign_jwt<C: Serialize>(
        &self,
        typ: &str,
        claims: &C,
    ) -> Result<String, crate::CryptoError> {
        let payload = serde_json::to_vec(claims)
            .map_err(|e| CryptoError::Key(format!("cannot serialize claims: {e}")))?;
        let built;
        let header = match self.prebuilt_headers.iter().find(|(t, _)| *t == typ) {
            Some((_, header)) => header.as_str(),
            None => {
                built = encode_header(self.alg, typ, &self.kid)?;
                built.as_str()
            }
        };
        let signature_len = match &self.key {
            SigningKeyPair::Ec(_) => 64,
            SigningKeyPair::Rsa(pair) => pair.public().modulus_len(),
        };
        let mut token = String::with_capacity(
            header.len() + 2 + base64_len(payload.len()) + base64_len(signature_len),
        );
        token.push_str(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);

        let failed = |_| CryptoError::Key("signing failed".to_owned());
        match &self.key {
            // RFC 7518 §3.4: the ES256 signature is R || S, 32 bytes each (ring's FIXED form).
            SigningKeyPair::Ec(pair) => {
                let signature = pair.sign(&self.rng, token.as_bytes()).map_err(failed)?;
                token.push('.');
                URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut token);
            }
            SigningKeyPair::Rsa(pair) => {
                let mut buffer = [0u8; MAX_RSA_SIGNATURE_LEN];
                let signature = buffer
                    .get_mut(..signature_len)
                    .ok_or_else(|| CryptoError::Key("RSA key too large".to_owned()))?;
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, token.as_bytes(), signature)
                    .map_err(failed)?;
                token.push('.');
                URL_SAFE_NO_PAD.encode_string(signature, &mut token);
            }
        }
        Ok(token)
    }
}

fn encode_header(alg: SigningAlgorithm, typ: &str, kid: &str) -> Result<String, CryptoError> {
    let json = serde_json::to_vec(&Header {
        alg: alg.as_str(),
        typ,
        kid,
    })
    .map_err(|e| CryptoError::Key(format!("cannot serialize header: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Length of unpadded base64 of `bytes` bytes.
fn base64_len(bytes: usize) -> usize {
    bytes / 3 * 4 + (bytes % 3 * 4).div_ceil(3)
}

/// A verified JWT: its header `typ` and the raw claims JSON (the caller deserializes them and
/// checks iss/aud/exp).
#[derive(Debug, Clone)]
pub struct VerifiedJwt {
    /// The `kid` that verified it.
    pub kid: String,
    /// The `typ` header, if any.
    pub typ: Option<String>,
    /// The decoded payload.
    pub claims: serde_json::Value,
}

/// Public keys that tokens are verified against.
pub struct Verifier {
    keys: HashMap<String, VerificationKey>,
}

struct VerificationKey {
    alg: SigningAlgorithm,
    key: PublicKey,
}

enum PublicKey {
    /// Uncompressed SEC1 point `0x04 || x || y`.
    Ec(UnparsedPublicKey<Vec<u8>>),
    /// Big-endian modulus and exponent.
    Rsa(RsaPublicKeyComponents<Vec<u8>>),
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        f.debug_struct("Verifier").field("kids", &kids).finish()
    }
}

impl Verifier {
    /// Builds a verifier from public JWKs (EC P-256 / RSA); unusable JWKs are an error.
    pub fn from_jwks(keys: &[Jwk]) -> Result<Self, crate::CryptoError> {
        let mut map = HashMap::with_capacity(keys.len());
        for jwk in keys {
            let key = parse_jwk(jwk)?;
            if map.insert(jwk.kid.clone(), key).is_some() {
                return Err(CryptoError::Key(format!("duplicate kid {:?}", jwk.kid)));
            }
        }
        Ok(Self { keys: map })
    }

    /// Verifies the signature; when `expected_typ` is given, the `typ` header must equal it
    /// (compared case-insensitively, with an optional `application/` prefix, RFC 7515 §4.1.9).
    /// Tokens over 16 KiB are refused as malformed.
    pub fn verify(&self, token: &str, expected_typ: Option<&str>) -> Result<VerifiedJwt, JwsError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(JwsError::Malformed);
        }
        let parts = parse_compact(token)?;
        let header = parse_json_object(parts.header)?;
        check_header_parameters(&header)?;
        let alg = parse_alg(&header)?;
        let kid = match header.get("kid") {
            Some(Value::String(kid)) => kid,
            _ => return Err(JwsError::UnknownKey),
        };
        let key = self.keys.get(kid).ok_or(JwsError::UnknownKey)?;
        // The key decides the algorithm; the header must agree (RFC 8725 §3.1).
        if alg != key.alg.as_str() {
            return Err(JwsError::UnknownKey);
        }
        let typ = match header.get("typ") {
            None => None,
            Some(Value::String(typ)) => Some(typ),
            Some(_) => return Err(JwsError::Malformed),
        };
        // Every segment must be valid base64url before anything is verified; the payload JSON
        // is only parsed once the signature holds.
        let payload = decode_segment(parts.payload)?;
        let signature = decode_segment(parts.signature)?;
        key.verify(parts.signing_input.as_bytes(), &signature)?;
        check_typ(typ.map(String::as_str), expected_typ)?;
        let claims = serde_json::from_slice(&payload).map_err(|_| JwsError::Malformed)?;
        Ok(VerifiedJwt {
            kid: kid.clone(),
            typ: typ.cloned(),
            claims: Value::Object(claims),
        })
    }
}

impl VerificationKey {
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        let verified = match &self.key {
            PublicKey::Ec(key) => key.verify(message, signature),
            PublicKey::Rsa(key) => key.verify(&RSA_PKCS1_2048_8192_SHA256, message, signature),
        };
        verified.map_err(|_| JwsError::BadSignature)
    }
}

fn parse_jwk(jwk: &Jwk) -> Result<VerificationKey, CryptoError> {
    let unusable = |why: &str| CryptoError::Key(format!("JWK {:?}: {why}", jwk.kid));
    if !jwk.use_.is_empty() && jwk.use_ != "sig" {
        return Err(unusable("use is not sig"));
    }
    let alg = SigningAlgorithm::parse(&jwk.alg).ok_or_else(|| unusable("unsupported alg"))?;
    let decode = |field: &Option<String>, name: &str| {
        let text = field
            .as_deref()
            .ok_or_else(|| unusable(&format!("{name} missing")))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| unusable(&format!("{name} is not base64url")))
    };
    let key = match (alg, jwk.kty.as_str()) {
        (SigningAlgorithm::Es256, "EC") => {
            if jwk.crv.as_deref() != Some("P-256") {
                return Err(unusable("crv is not P-256"));
            }
            let (x, y) = (decode(&jwk.x, "x")?, decode(&jwk.y, "y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(unusable("x and y must be 32 bytes"));
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            PublicKey::Ec(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point))
        }
        (SigningAlgorithm::Rs256, "RSA") => {
            let (n, e) = (decode(&jwk.n, "n")?, decode(&jwk.e, "e")?);
            // RFC 7518 §6.3.1: no leading zero octets; ring accepts 2048..=8192-bit moduli.
            if n.first() == Some(&0) || !(256..=MAX_RSA_SIGNATURE_LEN).contains(&n.len()) {
                return Err(unusable("n must be a 2048 to 8192-bit modulus"));
            }
            if e.first().is_none_or(|&b| b == 0) || e.len() > 5 {
                return Err(unusable("e is not a valid exponent"));
            }
            PublicKey::Rsa(RsaPublicKeyComponents { n, e })
        }
        _ => return Err(unusable("kty does not match alg")),
    };
    Ok(VerificationKey { alg, key })
}

/// The three segments of a compact JWS.
struct CompactParts<'a> {
    signing_input: &'a str,
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn parse_compact(token: &str) -> Result<CompactParts<'_>, JwsError> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
    let (header, payload) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
    if payload.contains('.') || [header, payload, signature].iter().any(|s| s.is_empty()) {
        return Err(JwsError::Malformed);
    }
    Ok(CompactParts {
        signing_input,
        header,
        payload,
        signature,
    })
}

/// base64url without padding (RFC 7515 §2); padding, other alphabets and non-zero trailing
/// bits are refused.
fn decode_segment(segment: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwsError::Malformed)
}

/// serde_json keeps the lexically last of duplicate members, as RFC 7515 §4 allows.
fn parse_json_object(segment: &str) -> Result<Map<String, Value>, JwsError> {
    serde_json::from_slice(&decode_segment(segment)?).map_err(|_| JwsError::Malformed)
}

fn check_header_parameters(header: &Map<String, Value>) -> Result<(), JwsError> {
    if REFUSED_HEADERS
        .iter()
        .any(|name| header.contains_key(*name))
    {
        return Err(JwsError::Malformed);
    }
    Ok(())
}

/// The `alg` header; `none` (in any casing) and HMAC are refused whatever the key (RFC 8725 §3.1).
fn parse_alg(header: &Map<String, Value>) -> Result<&str, JwsError> {
    let Some(Value::String(alg)) = header.get("alg") else {
        return Err(JwsError::Malformed);
    };
    let hmac = alg
        .as_bytes()
        .get(..2)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"HS"));
    if alg.eq_ignore_ascii_case("none") || hmac {
        return Err(JwsError::Malformed);
    }
    Ok(alg)
}

fn check_typ(actual: Option<&str>, expected: Option<&str>) -> Result<(), JwsError> {
    match (actual, expected) {
        (_, None) => Ok(()),
        (Some(actual), Some(expected))
            if normalize_typ(actual).eq_ignore_ascii_case(normalize_typ(expected)) =>
        {
            Ok(())
        }
        _ => Err(JwsError::WrongType),
    }
}

/// RFC 7515 §4.1.9: a `typ` without `/` means `application/<typ>`, and media types compare
/// case-insensitively. Strips the `application/` prefix when the rest has no `/`.
fn normalize_typ(typ: &str) -> &str {
    const PREFIX: &str = "application/";
    match (typ.get(..PREFIX.len()), typ.get(PREFIX.len()..)) {
        (Some(prefix), Some(rest))
            if prefix.eq_ignore_ascii_case(PREFIX) && !rest.contains('/') =>
        {
            rest
        }
        _ => typ,
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use std::sync::OnceLock;

    use rand::{Rng as _, RngCore as _};
    use serde_json::json;

    use super::*;
    use crate::keys::{GeneratedKey, generate_signing_key};

    struct Fixture {
        key: GeneratedKey,
        signer: Signer,
        verifier: Verifier,
    }

    fn fixture(alg: SigningAlgorithm) -> &'static Fixture {
        static ES256: OnceLock<Fixture> = OnceLock::new();
        static RS256: OnceLock<Fixture> = OnceLock::new();
        let cell = match alg {
            SigningAlgorithm::Es256 => &ES256,
            SigningAlgorithm::Rs256 => &RS256,
        };
        cell.get_or_init(|| {
            let key = generate_signing_key(alg).unwrap();
            let signer = Signer::from_pkcs8(&key.kid, alg, &key.pkcs8_der).unwrap();
            // Through JSON, as a relying party would fetch it.
            let jwk: Jwk =
                serde_json::from_str(&serde_json::to_string(&key.public_jwk).unwrap()).unwrap();
            let verifier = Verifier::from_jwks(&[jwk]).unwrap();
            Fixture {
                key,
                signer,
                verifier,
            }
        })
    }

    fn es256() -> &'static Fixture {
        fixture(SigningAlgorithm::Es256)
    }

    fn claims() -> Value {
        json!({"iss": "https://id.example.com", "sub": "user-1", "aud": "api", "exp": 2_000_000_000})
    }

    /// Signs an arbitrary header and payload with the fixture's key.
    fn sign_raw(signer: &Signer, header: &Value, payload: &[u8]) -> String {
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(payload));
        let signature = match &signer.key {
            SigningKeyPair::Ec(pair) => pair
                .sign(&signer.rng, token.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
            SigningKeyPair::Rsa(pair) => {
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &signer.rng, token.as_bytes(), &mut sig)
                    .unwrap();
                sig
            }
        };
        format!("{token}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn header_with(extra: &[(&str, Value)]) -> Value {
        let f = es256();
        let mut header = json!({"alg": "ES256", "typ": "JWT", "kid": f.key.kid});
        for (name, value) in extra {
            header[*name] = value.clone();
        }
        header
    }

    #[test]
    fn sign_and_verify_roundtrip() {
        for alg in [SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
            let f = fixture(alg);
            assert_eq!(f.signer.kid(), f.key.kid);
            assert_eq!(f.signer.alg(), alg);
            for typ in ["JWT", "at+jwt", "custom+jwt", "quote\"typ"] {
                let token = f.signer.sign_jwt(typ, &claims()).unwrap();
                let verified = f.verifier.verify(&token, Some(typ)).unwrap();
                assert_eq!(verified.kid, f.key.kid);
                assert_eq!(verified.typ.as_deref(), Some(typ));
                assert_eq!(verified.claims, claims());
                let header: Value = serde_json::from_slice(
                    &URL_SAFE_NO_PAD
                        .decode(token.split('.').next().unwrap())
                        .unwrap(),
                )
                .unwrap();
                assert_eq!(
                    header,
                    json!({"alg": alg.as_str(), "typ": typ, "kid": f.key.kid})
                );
            }
        }
    }

    #[test]
    fn header_fields_are_in_order_and_capacity_is_exact() {
        let f = es256();
        let token = f.signer.sign_jwt("at+jwt", &claims()).unwrap();
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap();
        let expected = format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{}"}}"#, f.key.kid);
        assert_eq!(String::from_utf8(header).unwrap(), expected);
        assert_eq!(token.len(), token.capacity());
        for n in 0..10 {
            assert_eq!(base64_len(n), URL_SAFE_NO_PAD.encode(vec![0; n]).len());
        }
    }

    #[test]
    fn es256_signature_is_fixed_r_s() {
        let token = es256().signer.sign_jwt("JWT", &claims()).unwrap();
        let signature = URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().unwrap())
            .unwrap();
        assert_eq!(signature.len(), 64);
    }

    #[test]
    fn tampering_breaks_the_signature() {
        for alg in [SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
            let f = fixture(alg);
            let token = f.signer.sign_jwt("JWT", &claims()).unwrap();
            let parts: Vec<&str> = token.split('.').collect();

            let mut forged = claims();
            forged["sub"] = json!("admin");
            let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
            let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
            assert_eq!(
                f.verifier.verify(&tampered, None).unwrap_err(),
                JwsError::BadSignature
            );

            let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            signature[10] ^= 0x01;
            let tampered = format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                URL_SAFE_NO_PAD.encode(&signature)
            );
            assert_eq!(
                f.verifier.verify(&tampered, None).unwrap_err(),
                JwsError::BadSignature
            );

            let short = format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                URL_SAFE_NO_PAD.encode(&signature[..32])
            );
            assert_eq!(
                f.verifier.verify(&short, None).unwrap_err(),
                JwsError::BadSignature
            );
        }
    }

    #[test]
    fn refused_algorithms() {
        let f = es256();
        let payload = serde_json::to_vec(&claims()).unwrap();
        for alg in ["none", "None", "NONE", "HS256", "hs256", "HS512"] {
            let signed = sign_raw(&f.signer, &header_with(&[("alg", json!(alg))]), &payload);
            assert_eq!(
                f.verifier.verify(&signed, None).unwrap_err(),
                JwsError::Malformed,
                "{alg}"
            );
        }
        // Unsigned alg:none token with an empty (and a dummy) signature segment.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(&payload);
        for token in [format!("{header}.{body}."), format!("{header}.{body}.AAAA")] {
            assert_eq!(
                f.verifier.verify(&token, None).unwrap_err(),
                JwsError::Malformed
            );
        }
        // alg missing or not a string.
        let mut header = header_with(&[]);
        header.as_object_mut().unwrap().remove("alg");
        assert_eq!(
            f.verifier
                .verify(&sign_raw(&f.signer, &header, &payload), None)
                .unwrap_err(),
            JwsError::Malformed
        );
        let signed = sign_raw(
            &f.signer,
            &header_with(&[("alg", json!(["ES256"]))]),
            &payload,
        );
        assert_eq!(
            f.verifier.verify(&signed, None).unwrap_err(),
            JwsError::Malformed
        );
        // alg of another family, or another casing of the key's alg.
        for alg in ["RS256", "es256", "ES384"] {
            let signed = sign_raw(&f.signer, &header_with(&[("alg", json!(alg))]), &payload);
            assert_eq!(
                f.verifier.verify(&signed, None).unwrap_err(),
                JwsError::UnknownKey,
                "{alg}"
            );
        }
    }

    #[test]
    fn unknown_or_missing_kid() {
        let f = es256();
        let payload = serde_json::to_vec(&claims()).unwrap();
        let signed = sign_raw(
            &f.signer,
            &header_with(&[("kid", json!("other"))]),
            &payload,
        );
        assert_eq!(
            f.verifier.verify(&signed, None).unwrap_err(),
            JwsError::UnknownKey
        );
        let signed = sign_raw(&f.signer, &header_with(&[("kid", json!(1))]), &payload);
        assert_eq!(
            f.verifier.verify(&signed, None).unwrap_err(),
            JwsError::UnknownKey
        );
        let mut header = header_with(&[]);
        header.as_object_mut().unwrap().remove("kid");
        let signed = sign_raw(&f.signer, &header, &payload);
        assert_eq!(
            f.verifier.verify(&signed, None).unwrap_err(),
            JwsError::UnknownKey
        );
        // An RS256 token is not verified by a verifier that only knows the EC key.
        let rsa_token = fixture(SigningAlgorithm::Rs256)
            .signer
            .sign_jwt("JWT", &claims())
            .unwrap();
        assert_eq!(
            f.verifier.verify(&rsa_token, None).unwrap_err(),
            JwsError::UnknownKey
        );
    }

    #[test]
    fn refused_header_parameters() {
        let f = es256();
        let payload = serde_json::to_vec(&claims()).unwrap();
        let cases = [
            ("crit", json!(["exp"])),
            ("jku", json!("https://evil.example/jwks")),
            ("jwk", serde_json::to_value(&f.key.public_jwk).unwrap()),
            ("x5u", json!("https://evil.example/cert")),
            ("x5c", json!(["MIIB"])),
            ("b64", json!(false)),
        ];
        for (name, value) in cases {
            let signed = sign_raw(&f.signer, &header_with(&[(name, value)]), &payload);
            assert_eq!(
                f.verifier.verify(&signed, None).unwrap_err(),
                JwsError::Malformed,
                "{name}"
            );
        }
        let signed = sign_raw(&f.signer, &header_with(&[("typ", json!(5))]), &payload);
        assert_eq!(
            f.verifier.verify(&signed, None).unwrap_err(),
            JwsError::Malformed
        );
    }

    #[test]
    fn malformed_structure() {
        let f = es256();
        let token = f.signer.sign_jwt("JWT", &claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let malformed = [
            String::new(),
            parts[0].to_owned(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{token}.{}", parts[2]),
            format!("{token}."),
            format!(".{}.{}", parts[1], parts[2]),
            format!("{}..{}", parts[0], parts[2]),
            format!("{}.{}=.{}", parts[0], parts[1], parts[2]),
            format!("{}.{}.{}==", parts[0], parts[1], parts[2]),
            // Standard-alphabet base64 is not base64url: always one '+' in the signature.
            format!("{}.{}.+{}", parts[0], parts[1], &parts[2][1..]),
            format!("{} .{}.{}", parts[0], parts[1], parts[2]),
            token.replacen('.', "..", 1),
        ];
        for bad in &malformed {
            assert_eq!(
                f.verifier.verify(bad, None).unwrap_err(),
                JwsError::Malformed,
                "{bad}"
            );
        }
        // Header that is JSON but not an object.
        let header = URL_SAFE_NO_PAD.encode(b"[\"ES256\"]");
        let bad = format!("{header}.{}.{}", parts[1], parts[2]);
        assert_eq!(
            f.verifier.verify(&bad, None).unwrap_err(),
            JwsError::Malformed
        );
    }

    #[test]
    fn payload_must_be_a_json_object() {
        let f = es256();
        for payload in [
            &b"[1,2]"[..],
            b"\"text\"",
            b"42",
            b"null",
            b"not json",
            b"{\"a\":1}garbage",
        ] {
            let signed = sign_raw(&f.signer, &header_with(&[]), payload);
            assert_eq!(
                f.verifier.verify(&signed, None).unwrap_err(),
                JwsError::Malformed
            );
        }
    }

    #[test]
    fn oversized_token_is_refused() {
        let f = es256();
        let big = json!({"sub": "x", "pad": "a".repeat(20 * 1024)});
        let token = f.signer.sign_jwt("JWT", &big).unwrap();
        assert!(token.len() > MAX_TOKEN_LEN);
        assert_eq!(
            f.verifier.verify(&token, None).unwrap_err(),
            JwsError::Malformed
        );
        let fits = json!({"sub": "x", "pad": "a".repeat(10 * 1024)});
        let token = f.signer.sign_jwt("JWT", &fits).unwrap();
        assert!(f.verifier.verify(&token, None).is_ok());
    }

    #[test]
    fn typ_is_compared_per_rfc_7515() {
        let f = es256();
        let payload = serde_json::to_vec(&claims()).unwrap();
        let with_typ =
            |typ: &str| sign_raw(&f.signer, &header_with(&[("typ", json!(typ))]), &payload);
        for (actual, expected) in [
            ("at+jwt", "at+jwt"),
            ("application/at+jwt", "at+jwt"),
            ("Application/AT+JWT", "at+jwt"),
            ("at+jwt", "application/at+jwt"),
            ("JWT", "jwt"),
        ] {
            let verified = f
                .verifier
                .verify(&with_typ(actual), Some(expected))
                .unwrap();
            assert_eq!(verified.typ.as_deref(), Some(actual));
        }
        for (actual, expected) in [
            ("JWT", "at+jwt"),
            ("application/jwt", "at+jwt"),
            ("text/at+jwt", "at+jwt"),
            ("application/", "at+jwt"),
            ("at+jwt2", "at+jwt"),
        ] {
            assert_eq!(
                f.verifier
                    .verify(&with_typ(actual), Some(expected))
                    .unwrap_err(),
                JwsError::WrongType
            );
        }
        let mut header = header_with(&[]);
        header.as_object_mut().unwrap().remove("typ");
        let untyped = sign_raw(&f.signer, &header, &payload);
        assert_eq!(
            f.verifier.verify(&untyped, Some("JWT")).unwrap_err(),
            JwsError::WrongType
        );
        assert_eq!(f.verifier.verify(&untyped, None).unwrap().typ, None);
    }

    #[test]
    fn verifier_with_several_keys_picks_by_kid() {
        let es = es256();
        let rs = fixture(SigningAlgorithm::Rs256);
        let verifier =
            Verifier::from_jwks(&[es.key.public_jwk.clone(), rs.key.public_jwk.clone()]).unwrap();
        for f in [es, rs] {
            let token = f.signer.sign_jwt("at+jwt", &claims()).unwrap();
            assert_eq!(
                verifier.verify(&token, Some("at+jwt")).unwrap().kid,
                f.key.kid
            );
        }
        assert!(format!("{verifier:?}").contains(&es.key.kid));
        assert!(!format!("{:?}", es.signer).contains("Ec("));
    }

    #[test]
    fn unusable_jwks_are_refused() {
        let ec = es256().key.public_jwk.clone();
        let rsa = fixture(SigningAlgorithm::Rs256).key.public_jwk.clone();
        let mutate = |base: &Jwk, change: fn(&mut Jwk)| {
            let mut jwk = base.clone();
            change(&mut jwk);
            jwk
        };
        let bad = [
            mutate(&ec, |j| j.alg = "ES384".into()),
            mutate(&ec, |j| j.alg = "HS256".into()),
            mutate(&ec, |j| j.alg = "RS256".into()),
            mutate(&ec, |j| j.kty = "RSA".into()),
            mutate(&ec, |j| j.crv = Some("P-384".into())),
            mutate(&ec, |j| j.x = None),
            mutate(&ec, |j| j.y = Some("AAAA".into())),
            mutate(&ec, |j| j.x = Some("not base64!".into())),
            mutate(&ec, |j| j.use_ = "enc".into()),
            mutate(&rsa, |j| j.n = Some(URL_SAFE_NO_PAD.encode([0xFF; 128]))),
            mutate(&rsa, |j| j.e = None),
            mutate(&rsa, |j| j.e = Some("AA".into())),
            mutate(&rsa, |j| j.alg = "ES256".into()),
        ];
        for jwk in &bad {
            assert!(
                Verifier::from_jwks(std::slice::from_ref(jwk)).is_err(),
                "{jwk:?}"
            );
        }
        assert!(
            Verifier::from_jwks(&[ec.clone(), ec]).is_err(),
            "duplicate kid"
        );
        assert!(Verifier::from_jwks(&[]).is_ok());
    }

    #[test]
    fn signer_refuses_wrong_key_material() {
        let es = &es256().key;
        let rs = &fixture(SigningAlgorithm::Rs256).key;
        assert!(Signer::from_pkcs8("k", SigningAlgorithm::Rs256, &es.pkcs8_der).is_err());
        assert!(Signer::from_pkcs8("k", SigningAlgorithm::Es256, &rs.pkcs8_der).is_err());
        assert!(Signer::from_pkcs8("k", SigningAlgorithm::Es256, b"garbage").is_err());
    }

    /// Random input never panics and is never accepted.
    #[test]
    fn fuzz_verify_never_panics() {
        let f = es256();
        let mut rng = rand::thread_rng();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\"";
        let valid = f.signer.sign_jwt("JWT", &claims()).unwrap();
        for i in 0..5_000 {
            let candidate = match i % 4 {
                0 => {
                    let mut bytes = vec![0u8; rng.gen_range(0..300)];
                    rng.fill_bytes(&mut bytes);
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                1 => (0..rng.gen_range(0..400))
                    .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
                    .collect(),
                2 => {
                    let segment = |rng: &mut rand::rngs::ThreadRng| {
                        let mut bytes = vec![0u8; rng.gen_range(0..120)];
                        rng.fill_bytes(&mut bytes);
                        URL_SAFE_NO_PAD.encode(bytes)
                    };
                    format!(
                        "{}.{}.{}",
                        segment(&mut rng),
                        segment(&mut rng),
                        segment(&mut rng)
                    )
                }
                _ => {
                    // A valid token with a few random byte edits.
                    let mut bytes = valid.clone().into_bytes();
                    for _ in 0..rng.gen_range(1..4) {
                        let at = rng.gen_range(0..bytes.len());
                        bytes[at] = alphabet[rng.gen_range(0..alphabet.len())];
                    }
                    String::from_utf8(bytes).unwrap()
                }
            };
            if candidate != valid {
                assert!(
                    f.verifier.verify(&candidate, Some("JWT")).is_err(),
                    "{candidate}"
                );
            }
        }
    }
}
