//! Cryptography for Gatehouse, built on ring (signatures), RustCrypto (RSA key generation,
//! XChaCha20-Poly1305, SHA-256, argon2id) and `subtle` (constant-time comparison). No primitive is
//! implemented here: this crate only encodes JOSE (JWS compact serialization, JWK) and wires
//! the primitives together.
#![warn(missing_docs)]

pub mod envelope;
pub mod jws;
pub mod keys;
pub mod password;
pub mod secret;

pub use envelope::{MasterKey, MasterKeyError};
pub use jws::{JwsError, Signer, VerifiedJwt, Verifier};
pub use keys::{GeneratedKey, generate_signing_key};
pub use password::PasswordHasher;
pub use secret::{RedactedString, constant_time_eq, random_code, random_token, sha256};

/// Errors of key handling and sealing.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A key could not be generated, parsed or used.
    #[error("key error: {0}")]
    Key(String),
    /// Sealed data could not be opened (wrong master key or tampered data).
    #[error("cannot decrypt: wrong master key or corrupted data")]
    Decrypt,
    /// A password could not be hashed, or a stored password hash cannot be used.
    #[error("password hash error: {0}")]
    PasswordHash(String),
}
