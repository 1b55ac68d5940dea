//! Client authentication (RFC 6749 §2.3, OIDC Core §9): `client_secret_basic`,
//! `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2), or a bare `client_id` for public
//! clients. A request uses exactly one method. Secrets are compared as SHA-256 digests in
//! constant time; every failure answers the same `invalid_client`.
//!
//! A `private_key_jwt` assertion is checked as a table of single-purpose steps, after the
//! signature holds against the client's registered JWK Set:
//!
//! ```text
//!  client_assertion --find client (client_id, else the unverified sub)--> check_assertion_client
//!    --verify (kid of the client's JWKS; ES256/RS256; no none, HS*, jku, jwk, x5u, x5c, crit)
//!    --> check_assertion_subject (iss == sub == client_id) -> check_assertion_audience
//!    --> check_assertion_times (exp, iat, nbf; 60 s skew; at most 1 h) -> check_assertion_jti
//!    --> record_assertion_jti (atomic, shared by replicas): false = replay -> invalid_client
//! ```

use crate::params::Params;
use crate::{Engine, OAuthError, TenantContext};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse_core::Application;
use gatehouse_crypto::{RedactedString, Verifier, constant_time_eq, sha256};
use gatehouse_types::oauth::{Jwk, Jwks};
use serde_json::{Map, Value};

/// The one `client_assertion_type` accepted (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Algorithms a client assertion may be signed with.
pub const ASSERTION_SIGNING_ALGS: [&str; 2] = ["ES256", "RS256"];

/// Clock skew tolerated on an assertion's `exp`, `iat` and `nbf` (seconds).
pub const ASSERTION_CLOCK_SKEW: i64 = 60;

/// Longest validity of an assertion (seconds): from now, and from its `iat`.
pub const MAX_ASSERTION_LIFETIME: i64 = 3600;

/// Longest `jti` accepted, in bytes.
pub const MAX_JTI_LEN: usize = 256;

/// Longest `kid` of a registered key, in bytes.
pub const MAX_KID_LEN: usize = 256;

/// Most keys in a client's JWK Set.
pub const MAX_CLIENT_JWKS_KEYS: usize = 10;

/// Largest client JWK Set, as JSON text.
pub const MAX_CLIENT_JWKS_BYTES: usize = 16 * 1024;

/// Members of private or symmetric JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4): never registered.
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// How the client presented itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with client_id and secret.
    ClientSecretBasic,
    /// client_id and client_secret in the body.
    ClientSecretPost,
    /// A JWT signed with one of the client's registered keys (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// client_id only (public clients).
    None,
}

/// Credentials as presented, not yet verified.
#[derive(Debug, Clone)]
pub struct UnverifiedClientCredentials {
    /// The claimed client_id.
    pub client_id: String,
    /// The presented secret.
    pub secret: Option<RedactedString>,
    /// The presented client assertion (`private_key_jwt`).
    pub assertion: Option<RedactedString>,
    /// The method used.
    pub method: AuthMethod,
}

/// Decodes one `application/x-www-form-urlencoded` component of Basic credentials.
fn form_decode(part: &str) -> Option<String> {
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let (scheme, encoded) = header
        .trim()
        .split_once(' ')
        .ok_or_else(OAuthError::invalid_client)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client().with_detail("authorization scheme is not Basic"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| {
            OAuthError::invalid_client().with_detail("Basic credentials are not base64")
        })?;
    let text = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(OAuthError::invalid_client)?;
    // RFC 6749 §2.3.1: client id and password are form-urlencoded before Basic encoding.
    let id = form_decode(id).ok_or_else(OAuthError::invalid_client)?;
    let secret = form_decode(secret).ok_or_else(OAuthError::invalid_client)?;
    if id.is_empty() {
        return Err(OAuthError::invalid_client());
    }
    Ok((id, secret))
}

/// Reads client credentials from the Authorization header and the body.
pub fn parse_client_credentials(
    authorization: Option<&str>,
    params: &Params,
) -> Result<UnverifiedClientCredentials, OAuthError> {
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some() {
        return parse_client_assertion(authorization, params);
    }
    if let Some(header) = authorization {
        let (client_id, secret) = parse_basic(header)?;
        // RFC 6749 §2.3: the client MUST NOT use more than one authentication method.
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use only one client authentication method",
            ));
        }
        if body_id.is_some_and(|id| id != client_id) {
            return Err(OAuthError::invalid_request(
                "client_id does not match the Authorization header",
            ));
        }
        return Ok(UnverifiedClientCredentials {
            client_id,
            secret: Some(RedactedString::from(secret)),
            assertion: None,
            method: AuthMethod::ClientSecretBasic,
        });
    }
    let client_id =
        body_id.ok_or_else(|| OAuthError::invalid_client().with_detail("no client credentials"))?;
    Ok(match body_secret {
        Some(secret) => UnverifiedClientCredentials {
            client_id: client_id.to_owned(),
            secret: Some(RedactedString::from(secret.to_owned())),
            assertion: None,
            method: AuthMethod::ClientSecretPost,
        },
        None => UnverifiedClientCredentials {
            client_id: client_id.to_owned(),
            secret: None,
            assertion: None,
            method: AuthMethod::None,
        },
    })
}

/// Reads `private_key_jwt` credentials: the assertion and its type, alone (RFC 6749 §2.3: the
/// client MUST NOT use more than one authentication method). The client is the `client_id`
/// parameter when sent, else the assertion's (not yet verified) `sub` (RFC 7521 §4.2).
fn parse_client_assertion(
    authorization: Option<&str>,
    params: &Params,
) -> Result<UnverifiedClientCredentials, OAuthError> {
    if authorization.is_some() || params.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "use only one client authentication method",
        ));
    }
    let (Some(assertion), Some(assertion_type)) = (
        params.get("client_assertion"),
        params.get("client_assertion_type"),
    ) else {
        return Err(OAuthError::invalid_request(
            "client_assertion and client_assertion_type go together",
        ));
    };
    if assertion_type != CLIENT_ASSERTION_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "client_assertion_type must be {CLIENT_ASSERTION_TYPE}"
        )));
    }
    let client_id = match params.get("client_id") {
        Some(id) => id.to_owned(),
        None => unverified_assertion_subject(assertion).ok_or_else(|| {
            OAuthError::invalid_client().with_detail("client assertion without a readable sub")
        })?,
    };
    Ok(UnverifiedClientCredentials {
        client_id,
        secret: None,
        assertion: Some(RedactedString::from(assertion.to_owned())),
        method: AuthMethod::PrivateKeyJwt,
    })
}

/// The `sub` claim of a compact JWS, read without verifying anything: only to find which
/// client's keys to verify it with.
fn unverified_assertion_subject(assertion: &str) -> Option<String> {
    if assertion.len() > gatehouse_crypto::jws::MAX_TOKEN_LEN {
        return None;
    }
    let payload = assertion.split('.').nth(1)?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => Some(sub.clone()),
        _ => None,
    }
}

/// Why a JWK Set cannot be registered: where (below `jwks`; empty for the set itself) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksProblem {
    /// Path below `jwks`, such as `keys[1]`; empty for the set itself.
    pub path: String,
    /// What is wrong, safe to show.
    pub message: String,
}

impl JwksProblem {
    /// The Management API field: `jwks` or a path below it, such as `jwks.keys[1]`.
    pub fn field(&self) -> String {
        if self.path.is_empty() {
            "jwks".to_owned()
        } else {
            format!("jwks.{}", self.path)
        }
    }
}

/// The JWK Set as an application stores it: parsed and normalized ([`parse_client_jwks`]),
/// as JSON text.
pub fn normalize_client_jwks(value: &Value) -> Result<String, JwksProblem> {
    let parsed = parse_client_jwks(value)?;
    serde_json::to_string(&parsed).map_err(|error| jwks_problem("", error.to_string()))
}

fn jwks_problem(path: impl Into<String>, message: impl Into<String>) -> JwksProblem {
    JwksProblem {
        path: path.into(),
        message: message.into(),
    }
}

/// Parses a JWK Set a client registers for `private_key_jwt`: 1 to 10 public signing keys,
/// EC P-256 (ES256) or RSA of 2048 bits or more (RS256), each with a `kid`. A missing `use`
/// means `sig`; a missing `alg` follows from the key type. Private members are refused, other
/// members dropped. Returns the normalized set, ready to verify with.
pub fn parse_client_jwks(value: &Value) -> Result<Jwks, JwksProblem> {
    let size = serde_json::to_string(value).map_or(usize::MAX, |text| text.len());
    if size > MAX_CLIENT_JWKS_BYTES {
        return Err(jwks_problem(
            "",
            format!("at most {MAX_CLIENT_JWKS_BYTES} bytes"),
        ));
    }
    let keys = value
        .as_object()
        .and_then(|set| set.get("keys"))
        .and_then(Value::as_array)
        .ok_or_else(|| jwks_problem("", "must be a JWK Set: an object with a keys array"))?;
    if keys.is_empty() || keys.len() > MAX_CLIENT_JWKS_KEYS {
        return Err(jwks_problem(
            "keys",
            format!("must hold 1 to {MAX_CLIENT_JWKS_KEYS} keys"),
        ));
    }
    let keys = keys
        .iter()
        .enumerate()
        .map(|(index, key)| {
            parse_client_jwk(key).map_err(|why| jwks_problem(format!("keys[{index}]"), why))
        })
        .collect::<Result<Vec<Jwk>, _>>()?;
    // Checks the key material itself: curve, coordinate and modulus sizes, duplicate kids.
    Verifier::from_jwks(&keys).map_err(|error| jwks_problem("keys", error.to_string()))?;
    Ok(Jwks { keys })
}

fn parse_client_jwk(key: &Value) -> Result<Jwk, String> {
    let key = key.as_object().ok_or("must be a JSON object")?;
    if let Some(member) = PRIVATE_JWK_MEMBERS
        .iter()
        .find(|member| key.contains_key(**member))
    {
        return Err(format!(
            "holds the private member {member:?}: register public keys only"
        ));
    }
    let text = |name: &str| match key.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(format!("{name} must be a string")),
    };
    let kty = text("kty")?.ok_or("kty is required")?;
    let kid = text("kid")?
        .filter(|kid| !kid.is_empty() && kid.len() <= MAX_KID_LEN)
        .ok_or("kid is required (1 to 256 bytes): assertions name their key by kid")?;
    let use_ = text("use")?.unwrap_or_else(|| "sig".to_owned());
    if use_ != "sig" {
        return Err("use must be sig".to_owned());
    }
    let crv = text("crv")?;
    let alg = match text("alg")? {
        Some(alg) => alg,
        None => match (kty.as_str(), crv.as_deref()) {
            ("EC", Some("P-256")) => "ES256".to_owned(),
            ("RSA", _) => "RS256".to_owned(),
            _ => return Err("only EC P-256 (ES256) and RSA (RS256) keys are supported".to_owned()),
        },
    };
    if !ASSERTION_SIGNING_ALGS.contains(&alg.as_str()) {
        return Err("alg must be ES256 or RS256".to_owned());
    }
    Ok(Jwk {
        kty,
        kid,
        use_,
        alg,
        crv,
        x: text("x")?,
        y: text("y")?,
        n: text("n")?,
        e: text("e")?,
    })
}

/// The `token_endpoint_auth_method` an application is registered with.
pub fn registered_auth_method(app: &Application) -> &'static str {
    if !app.app_type.is_confidential() {
        "none"
    } else if app.jwks.is_some() {
        "private_key_jwt"
    } else {
        "client_secret_basic"
    }
}

/// The claims of a verified client assertion this module reads.
struct AssertionClaims(Map<String, Value>);

impl AssertionClaims {
    fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::String(value)) => Some(value),
            _ => None,
        }
    }

    /// A NumericDate (RFC 7519 §2): seconds, fractions dropped; `Err` when not a number.
    fn time(&self, name: &str) -> Result<Option<i64>, OAuthError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .or_else(|| {
                    number
                        .as_f64()
                        .filter(|seconds| seconds.is_finite() && seconds.abs() < 1e15)
                        .map(|seconds| seconds.trunc() as i64)
                })
                .map(Some)
                .ok_or_else(|| assertion_refused(&format!("{name} is out of range"))),
            Some(_) => Err(assertion_refused(&format!("{name} is not a number"))),
        }
    }
}

fn assertion_refused(detail: &str) -> OAuthError {
    OAuthError::invalid_client().with_detail(format!("client assertion refused: {detail}"))
}

/// Only confidential clients with a registered JWK Set authenticate with assertions.
fn check_assertion_client(app: &Application) -> Result<Verifier, OAuthError> {
    if !app.app_type.is_confidential() {
        return Err(assertion_refused("a public client presented an assertion"));
    }
    let jwks = app
        .jwks
        .as_deref()
        .ok_or_else(|| assertion_refused("the client registered no JWK Set"))?;
    let jwks: Jwks = serde_json::from_str(jwks)
        .map_err(|_| assertion_refused("the stored JWK Set is unreadable"))?;
    Verifier::from_jwks(&jwks.keys).map_err(|_| assertion_refused("the stored JWK Set is unusable"))
}

/// RFC 7523 §3 items 1-2: `iss` and `sub` are both the client_id.
fn check_assertion_subject(claims: &AssertionClaims, app: &Application) -> Result<(), OAuthError> {
    if claims.text("iss") != Some(app.id.as_str()) || claims.text("sub") != Some(app.id.as_str()) {
        return Err(assertion_refused("iss and sub must both be the client_id"));
    }
    Ok(())
}

/// RFC 7523 §3 item 3: `aud` identifies this server, by its issuer or its token endpoint.
fn check_assertion_audience(
    claims: &AssertionClaims,
    tenant: &TenantContext,
) -> Result<(), OAuthError> {
    let token_endpoint = format!("{}{}", tenant.issuer, crate::discovery::paths::TOKEN);
    let names_us = |aud: &Value| {
        aud.as_str()
            .is_some_and(|aud| aud == tenant.issuer || aud == token_endpoint)
    };
    let accepted = match claims.0.get("aud") {
        Some(Value::Array(audiences)) => audiences.iter().any(names_us),
        Some(aud) => names_us(aud),
        None => false,
    };
    if !accepted {
        return Err(assertion_refused(
            "aud is neither the issuer nor the token endpoint",
        ));
    }
    Ok(())
}

/// RFC 7523 §3 items 4-6: `exp` is required and not passed; the assertion is short-lived
/// (at most an hour, from now and from `iat`); `nbf` and `iat` are not in the future. Returns
/// `exp`.
fn check_assertion_times(claims: &AssertionClaims, now: i64) -> Result<i64, OAuthError> {
    let exp = claims
        .time("exp")?
        .ok_or_else(|| assertion_refused("exp is missing"))?;
    if exp.saturating_add(ASSERTION_CLOCK_SKEW) <= now {
        return Err(assertion_refused("expired"));
    }
    if exp.saturating_sub(now) > MAX_ASSERTION_LIFETIME {
        return Err(assertion_refused("valid for more than an hour"));
    }
    if let Some(iat) = claims.time("iat")? {
        if iat > now.saturating_add(ASSERTION_CLOCK_SKEW) {
            return Err(assertion_refused("issued in the future"));
        }
        if exp.saturating_sub(iat) > MAX_ASSERTION_LIFETIME {
            return Err(assertion_refused("valid for more than an hour"));
        }
    }
    if claims
        .time("nbf")?
        .is_some_and(|nbf| nbf > now.saturating_add(ASSERTION_CLOCK_SKEW))
    {
        return Err(assertion_refused("not valid yet"));
    }
    Ok(exp)
}

/// RFC 7523 §3 item 7: a `jti` is required here, so replays can be refused.
fn check_assertion_jti(claims: &AssertionClaims) -> Result<&str, OAuthError> {
    claims
        .text("jti")
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
        .ok_or_else(|| assertion_refused("jti is missing, empty or too long"))
}

impl Engine {
    /// Authenticates a client of the tenant. Confidential clients must present an active
    /// secret or a valid assertion; public clients must present neither.
    pub async fn authenticate_client(
        &self,
        tenant: &TenantContext,
        credentials: &UnverifiedClientCredentials,
    ) -> Result<Application, OAuthError> {
        let found = self.find_client(tenant, &credentials.client_id).await?;
        let Some(record) = found else {
            return Err(OAuthError::invalid_client().with_detail("unknown client"));
        };
        let (app, secrets) = (&record.0, &record.1);
        if let Some(assertion) = &credentials.assertion {
            return self
                .authenticate_with_assertion(tenant, app.clone(), assertion.expose())
                .await;
        }
        match (&credentials.secret, app.app_type.is_confidential()) {
            (Some(secret), true) => {
                let presented = sha256(secret.expose().as_bytes());
                let now = self.now();
                // Check every active secret without stopping early, so timing says nothing.
                let matched = secrets
                    .iter()
                    .filter(|stored| stored.is_active(now))
                    .fold(false, |found, stored| {
                        constant_time_eq(&stored.secret_hash, &presented) | found
                    });
                if matched {
                    Ok(app.clone())
                } else {
                    Err(OAuthError::invalid_client().with_detail("wrong or expired secret"))
                }
            }
            (None, false) => Ok(app.clone()),
            (None, true) => {
                Err(OAuthError::invalid_client().with_detail("confidential client without secret"))
            }
            (Some(_), false) => {
                Err(OAuthError::invalid_client().with_detail("public client presented a secret"))
            }
        }
    }
}

impl Engine {
    /// `private_key_jwt` (RFC 7523 §2.2, §3): the assertion must verify against the client's
    /// JWK Set, pass every claim check, and carry a `jti` never accepted before.
    async fn authenticate_with_assertion(
        &self,
        tenant: &TenantContext,
        app: Application,
        assertion: &str,
    ) -> Result<Application, OAuthError> {
        let verifier = check_assertion_client(&app)?;
        // The verifier refuses none, HS*, any alg but the key's, and jku/jwk/x5u/x5c/crit.
        let verified = verifier
            .verify(assertion, None)
            .map_err(|error| assertion_refused(&error.to_string()))?;
        let Value::Object(claims) = verified.claims else {
            return Err(assertion_refused("claims are not an object"));
        };
        let claims = AssertionClaims(claims);
        check_assertion_subject(&claims, &app)?;
        check_assertion_audience(&claims, tenant)?;
        let now = self.now();
        let exp = check_assertion_times(&claims, now)?;
        let jti = check_assertion_jti(&claims)?;
        // Kept while the assertion could still pass the time checks.
        let first_use = self
            .store
            .record_assertion_jti(
                tenant.id(),
                &app.id,
                jti,
                exp.saturating_add(ASSERTION_CLOCK_SKEW),
                now,
            )
            .await?;
        if !first_use {
            return Err(assertion_refused("jti replayed"));
        }
        Ok(app)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn basic(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let params = Params::default();
        let creds =
            parse_client_credentials(Some(&basic("my%3Aid", "a%25b%2Bc+d")), &params).unwrap();
        assert_eq!(creds.client_id, "my:id");
        assert_eq!(creds.secret.unwrap().expose(), "a%b+c d");
        assert_eq!(creds.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn two_methods_are_refused() {
        let params = Params::from_pairs([("client_id", "x"), ("client_secret", "y")]).unwrap();
        let error = parse_client_credentials(Some(&basic("x", "y")), &params).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn client_jwks_are_checked_and_normalized() {
        use gatehouse_core::SigningAlgorithm;
        use serde_json::json;
        let ec = gatehouse_crypto::generate_signing_key(SigningAlgorithm::Es256).unwrap();
        let rsa = gatehouse_crypto::generate_signing_key(SigningAlgorithm::Rs256).unwrap();
        let ec_json = serde_json::to_value(&ec.public_jwk).unwrap();
        let rsa_json = serde_json::to_value(&rsa.public_jwk).unwrap();
        let with = |base: &Value, change: Value| {
            let mut key = base.clone();
            for (name, value) in change.as_object().unwrap() {
                if value.is_null() {
                    key.as_object_mut().unwrap().remove(name);
                } else {
                    key[name] = value.clone();
                }
            }
            key
        };
        // No alg or use: inferred; unknown members dropped.
        let bare_ec = with(
            &ec_json,
            json!({"alg": null, "use": null, "x5c": ["MIIB"], "key_ops": ["verify"]}),
        );
        let bare_rsa = with(&rsa_json, json!({"alg": null}));
        let parsed = parse_client_jwks(&json!({"keys": [bare_ec, bare_rsa]})).unwrap();
        assert_eq!(parsed.keys, [ec.public_jwk.clone(), rsa.public_jwk.clone()]);

        let eleven: Vec<Value> = (0..11)
            .map(|i| with(&ec_json, json!({"kid": format!("k{i}")})))
            .collect();
        let cases = [
            (json!([ec_json]), ""),
            (json!({"keys": ec_json}), ""),
            (json!({"keys": []}), "keys"),
            (json!({ "keys": eleven }), "keys"),
            (json!({"keys": ["text"]}), "keys[0]"),
            (
                json!({"keys": [with(&ec_json, json!({"d": "AAAA"}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [ec_json, with(&rsa_json, json!({"p": "AAAA"}))]}),
                "keys[1]",
            ),
            (
                json!({"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}),
                "keys[0]",
            ),
            (json!({"keys": [{"kty": "oct", "kid": "h"}]}), "keys[0]"),
            (
                json!({"keys": [with(&ec_json, json!({"kid": null}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"kid": ""}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"kid": 7}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"use": "enc"}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&rsa_json, json!({"alg": "PS256"}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"alg": "HS256"}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"crv": "P-384", "alg": null}))]}),
                "keys[0]",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"crv": "P-384"}))]}),
                "keys",
            ),
            (
                json!({"keys": [with(&ec_json, json!({"x": "AAAA"}))]}),
                "keys",
            ),
            (
                json!({"keys": [with(&rsa_json, json!({"alg": "ES256"}))]}),
                "keys",
            ),
            (json!({"keys": [ec_json, ec_json]}), "keys"),
            (
                json!({"keys": [with(&ec_json, json!({"pad": "a".repeat(MAX_CLIENT_JWKS_BYTES)}))]}),
                "",
            ),
        ];
        for (jwks, path) in cases {
            let problem = parse_client_jwks(&jwks).unwrap_err();
            assert_eq!(problem.path, path, "{jwks}: {}", problem.message);
            assert!(!problem.message.is_empty());
        }
    }

    #[test]
    fn unverified_subject_is_read_only_from_a_compact_jws() {
        let encode = |value: &str| URL_SAFE_NO_PAD.encode(value);
        let token = |payload: &str| format!("{}.{}.sig", encode("{}"), encode(payload));
        assert_eq!(
            unverified_assertion_subject(&token(r#"{"sub":"app-1"}"#)).as_deref(),
            Some("app-1")
        );
        for bad in [
            token(r#"{"sub":""}"#),
            token(r#"{"sub":5}"#),
            token(r#"{"iss":"app-1"}"#),
            token("[]"),
            "no-dots".to_owned(),
            format!("a.{}.b", "!".repeat(10)),
            format!("a.{}.b", encode(&"x".repeat(20_000))),
        ] {
            assert_eq!(unverified_assertion_subject(&bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_headers_are_invalid_client() {
        let params = Params::default();
        for header in ["Bearer abc", "Basic !!!", "Basic", &basic("", "x")] {
            let error = parse_client_credentials(Some(header), &params).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidClient, "{header}");
        }
        let error = parse_client_credentials(None, &params).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidClient);
    }
}
