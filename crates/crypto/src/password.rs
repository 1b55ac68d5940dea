//! Password hashing with argon2id (RustCrypto `argon2`), stored as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
//!
//! This module owns the hash itself: parameters at or above the OWASP floor (checklist U-04),
//! a fresh random salt per hash, verification, the "rehash at login" decision, and a dummy
//! verification that makes an unknown user cost the same time as a known one (U-05).
//!
//! It hashes the bytes it is given. Normalizing the password (NFKC, so the same password typed
//! on different keyboards verifies, U-01) is the caller's job: `gatehouse_core::user::
//! normalize_password` runs before `hash` and `verify`. The whole password is always hashed:
//! argon2 has no length limit, so nothing is truncated (U-01, unlike bcrypt's 72 bytes).
//!
//! Not yet here: verifiers for legacy hashes imported from other systems (bcrypt, scrypt,
//! PBKDF2, ...). They belong next to this module; `needs_rehash` already answers `true` for any
//! non-argon2id PHC string, so an imported hash is upgraded at its first successful login.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    self, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::CryptoError;

/// Memory cost of new hashes in KiB: the OWASP floor for argon2id (U-04).
pub const MEMORY_KIB: u32 = 19_456;
/// Iterations of new hashes: the OWASP floor for argon2id (U-04).
pub const ITERATIONS: u32 = 2;
/// Lanes of new hashes: the OWASP floor for argon2id (U-04).
pub const PARALLELISM: u32 = 1;

/// Length of the derived hash in bytes.
const OUTPUT_LEN: usize = 32;

/// Largest stored cost accepted by `verify`: a corrupt or hostile imported hash must not make
/// a login allocate gigabytes or spin for minutes.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 64;

/// Password of the dummy hash. Its value does not matter: nobody can log in with it, because
/// the dummy hash is never stored against an account.
const DUMMY_PASSWORD: &str = "gatehouse dummy password for unknown users";

/// Hashes and verifies passwords with argon2id.
pub struct PasswordHasher {
    params: Params,
    /// Hash of `DUMMY_PASSWORD` with `params`, computed at the first `verify_dummy`.
    dummy: OnceLock<Option<String>>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("memory_kib", &self.params.m_cost())
            .field("iterations", &self.params.t_cost())
            .field("parallelism", &self.params.p_cost())
            .finish()
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    /// A hasher at the OWASP floor: m=19456 KiB, t=2, p=1.
    pub fn new() -> Self {
        let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(OUTPUT_LEN))
            // The constants above are valid argon2 parameters; `Params::DEFAULT` is the same
            // OWASP floor and only guards against a future change in the crate's checks.
            .unwrap_or(Params::DEFAULT);
        Self {
            params,
            dummy: OnceLock::new(),
        }
    }

    /// A hasher with stronger parameters (for example ASVS's m=47104). Refuses anything below
    /// the OWASP floor in memory or iterations, or outside what `verify` accepts.
    pub fn with_params(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> Result<Self, CryptoError> {
        if memory_kib < MEMORY_KIB || iterations < ITERATIONS || parallelism < PARALLELISM {
            return Err(CryptoError::PasswordHash(format!(
                "argon2id parameters must be at least m={MEMORY_KIB}, t={ITERATIONS}, p={PARALLELISM}"
            )));
        }
        if memory_kib > MAX_MEMORY_KIB
            || iterations > MAX_ITERATIONS
            || parallelism > MAX_PARALLELISM
        {
            return Err(CryptoError::PasswordHash(format!(
                "argon2id parameters must be at most m={MAX_MEMORY_KIB}, t={MAX_ITERATIONS}, p={MAX_PARALLELISM}"
            )));
        }
        let params = Params::new(memory_kib, iterations, parallelism, Some(OUTPUT_LEN))
            .map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
        Ok(Self {
            params,
            dummy: OnceLock::new(),
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes `password` with a fresh 128-bit salt from the OS generator; returns a PHC string.
    pub fn hash(&self, password: &str) -> Result<String, CryptoError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| CryptoError::PasswordHash(e.to_string()))
    }

    /// Whether `password` matches the stored PHC string `phc`. A wrong password is `Ok(false)`;
    /// `Err` means the stored hash cannot be used: unparsable, not argon2, or with costs beyond
    /// what a login may spend. Verification uses the stored hash's own parameters.
    pub fn verify(&self, password: &str, phc: &str) -> Result<bool, CryptoError> {
        let hash = parse_argon2_hash(phc)?;
        match self.argon2().verify_password(password.as_bytes(), &hash) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            Err(e) => Err(CryptoError::PasswordHash(e.to_string())),
        }
    }

    /// Whether a stored hash should be rebuilt (at the next successful login) because it is
    /// weaker than what this hasher produces: another algorithm or version, less memory, fewer
    /// iterations or a shorter output. Unparsable strings also answer `true`. A hash that is
    /// stronger in every respect is kept.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return true;
        };
        if hash.algorithm != Algorithm::Argon2id.ident()
            || hash.version != Some(Version::V0x13.into())
        {
            return true;
        }
        let Ok(stored) = Params::try_from(&hash) else {
            return true;
        };
        stored.m_cost() < self.params.m_cost()
            || stored.t_cost() < self.params.t_cost()
            || stored.output_len().unwrap_or(0) < OUTPUT_LEN
    }

    /// Runs one full argon2id verification of `password` against a fixed dummy hash, and
    /// discards the result: call it when the user is unknown so that the answer takes as long
    /// as for a known user (U-05; ASVS 6.3.8). The dummy hash is computed once per hasher, with
    /// this hasher's parameters.
    pub fn verify_dummy(&self, password: &str) {
        let dummy = self.dummy.get_or_init(|| self.hash(DUMMY_PASSWORD).ok());
        let spent = match dummy {
            Some(phc) => self.verify(password, phc).unwrap_or(false),
            // Without a dummy hash, hashing costs the same as verifying.
            None => self.hash(password).is_ok(),
        };
        std::hint::black_box(spent);
    }
}

/// Parses a stored PHC string and refuses anything `verify` must not run: another algorithm,
/// or costs above the limits.
fn parse_argon2_hash(phc: &str) -> Result<PasswordHash<'_>, CryptoError> {
    let hash = PasswordHash::new(phc)
        .map_err(|e| CryptoError::PasswordHash(format!("not a PHC string: {e}")))?;
    if Algorithm::try_from(hash.algorithm).is_err() {
        return Err(CryptoError::PasswordHash(format!(
            "unsupported algorithm {}",
            hash.algorithm
        )));
    }
    let params = Params::try_from(&hash).map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
    if params.m_cost() > MAX_MEMORY_KIB
        || params.t_cost() > MAX_ITERATIONS
        || params.p_cost() > MAX_PARALLELISM
    {
        return Err(CryptoError::PasswordHash(
            "stored argon2 costs exceed the verification limits".into(),
        ));
    }
    if hash.hash.is_none() || hash.salt.is_none() {
        return Err(CryptoError::PasswordHash(
            "stored hash lacks salt or output".into(),
        ));
    }
    Ok(hash)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// A hash with the given (possibly weak) parameters, built with the crate directly.
    fn weak_hash(password: &str, m: u32, t: u32, algorithm: Algorithm) -> String {
        let params = Params::new(m, t, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        Argon2::new(algorithm, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn hash_then_verify_roundtrips() {
        let hasher = PasswordHasher::new();
        let phc = hasher.hash("correct horse battery staple").unwrap();
        assert!(hasher.verify("correct horse battery staple", &phc).unwrap());
        assert!(!hasher.verify("correct horse battery stapl", &phc).unwrap());
        assert!(!hasher.verify("", &phc).unwrap());
    }

    #[test]
    fn phc_string_carries_the_owasp_floor() {
        let phc = PasswordHasher::new().hash("some password").unwrap();
        assert!(
            phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "unexpected PHC prefix: {phc}"
        );
        assert!(!PasswordHasher::new().needs_rehash(&phc));
    }

    #[test]
    fn salts_are_random() {
        let hasher = PasswordHasher::new();
        let a = hasher.hash("same password").unwrap();
        let b = hasher.hash("same password").unwrap();
        assert_ne!(a, b);
        assert!(hasher.verify("same password", &a).unwrap());
        assert!(hasher.verify("same password", &b).unwrap());
    }

    #[test]
    fn long_passwords_are_not_truncated() {
        // U-01: 100-character passwords differing only in the last character.
        let base = "x".repeat(99);
        let first = format!("{base}a");
        let second = format!("{base}b");
        assert_eq!(first.chars().count(), 100);
        let hasher = PasswordHasher::new();
        let first_hash = hasher.hash(&first).unwrap();
        let second_hash = hasher.hash(&second).unwrap();
        assert!(hasher.verify(&first, &first_hash).unwrap());
        assert!(hasher.verify(&second, &second_hash).unwrap());
        assert!(!hasher.verify(&second, &first_hash).unwrap());
        assert!(!hasher.verify(&first, &second_hash).unwrap());
    }

    #[test]
    fn unicode_passwords_hash_their_exact_bytes() {
        let hasher = PasswordHasher::new();
        let phc = hasher.hash("пароль-密码-🔑").unwrap();
        assert!(hasher.verify("пароль-密码-🔑", &phc).unwrap());
        // Normalization is the caller's job: a decomposed "é" is a different byte string.
        let composed = hasher.hash("caf\u{e9} au lait").unwrap();
        assert!(!hasher.verify("cafe\u{301} au lait", &composed).unwrap());
    }

    #[test]
    fn unusable_stored_hashes_are_errors() {
        let hasher = PasswordHasher::new();
        let cases = [
            "",
            "garbage",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$bcrypt$v=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$argon2id$v=19$m=19456,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$argon2id$v=19$m=19456,t=2,p=1,x=3$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
        ];
        for phc in cases {
            assert!(hasher.verify("password", phc).is_err(), "accepted {phc:?}");
        }
    }

    #[test]
    fn needs_rehash_when_weaker_than_current() {
        let hasher = PasswordHasher::new();
        let cases: Vec<(String, bool)> = vec![
            (hasher.hash("pw").unwrap(), false),
            (weak_hash("pw", 4096, 2, Algorithm::Argon2id), true),
            (weak_hash("pw", 19456, 1, Algorithm::Argon2id), true),
            (weak_hash("pw", 19456, 2, Algorithm::Argon2i), true),
            (weak_hash("pw", 47104, 3, Algorithm::Argon2id), false),
            ("$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g".into(), true),
            ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".into(), true),
            ("garbage".into(), true),
        ];
        for (phc, expected) in cases {
            assert_eq!(hasher.needs_rehash(&phc), expected, "{phc}");
        }
    }

    #[test]
    fn older_parameters_still_verify() {
        // A hash made with weaker parameters verifies with its own parameters, so the login
        // succeeds and the caller can rebuild it.
        let phc = weak_hash("hunter2hunter2", 4096, 1, Algorithm::Argon2id);
        let hasher = PasswordHasher::new();
        assert!(hasher.verify("hunter2hunter2", &phc).unwrap());
        assert!(!hasher.verify("hunter2hunter3", &phc).unwrap());
        assert!(hasher.needs_rehash(&phc));
    }

    #[test]
    fn stronger_hasher_asks_to_rehash_floor_hashes() {
        let floor = PasswordHasher::new().hash("pw").unwrap();
        let strong = PasswordHasher::with_params(47_104, 2, 1).unwrap();
        assert!(strong.needs_rehash(&floor));
        assert!(strong.verify("pw", &floor).unwrap());
        let phc = strong.hash("pw").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=47104,t=2,p=1$"), "{phc}");
    }

    #[test]
    fn with_params_refuses_below_the_floor_or_above_the_limits() {
        let cases = [
            (19_456, 2, 1, true),
            (47_104, 3, 2, true),
            (4_096, 2, 1, false),
            (19_456, 1, 1, false),
            (19_456, 2, 0, false),
            (MAX_MEMORY_KIB + 1, 2, 1, false),
            (19_456, MAX_ITERATIONS + 1, 1, false),
        ];
        for (m, t, p, ok) in cases {
            assert_eq!(
                PasswordHasher::with_params(m, t, p).is_ok(),
                ok,
                "m={m} t={t} p={p}"
            );
        }
    }

    #[test]
    fn verify_dummy_runs_a_full_verification() {
        let hasher = PasswordHasher::new();
        hasher.verify_dummy("anything");
        let dummy = hasher.dummy.get().cloned().flatten().unwrap();
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(DUMMY_PASSWORD, &dummy).unwrap());
        // Computed once: a second call reuses it.
        hasher.verify_dummy("something else");
        assert_eq!(hasher.dummy.get().cloned().flatten().unwrap(), dummy);
    }

    #[test]
    fn debug_shows_parameters_only() {
        let text = format!("{:?}", PasswordHasher::new());
        assert_eq!(
            text,
            "PasswordHasher { memory_kib: 19456, iterations: 2, parallelism: 1 }"
        );
    }
}
