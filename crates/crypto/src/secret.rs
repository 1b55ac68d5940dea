//! Random tokens, SHA-256, constant-time comparison and a redacting string wrapper.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

/// A string whose `Debug` and `Display` print `[redacted]`: for secrets held in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedString(pub String);

impl RedactedString {
    /// The secret itself, for the few places that must send or hash it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for RedactedString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for RedactedString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for RedactedString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Fills `buf` from the OS CSPRNG (getrandom). A failing OS generator aborts the operation
/// inside `rand`: there is no safe way to go on without randomness.
pub(crate) fn fill_random(buf: &mut [u8]) {
    rand::rngs::OsRng.fill_bytes(buf);
}

/// `bytes` random bytes from the OS CSPRNG, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    fill_random(&mut raw);
    URL_SAFE_NO_PAD.encode(&raw)
}

/// `len` characters drawn uniformly from `alphabet` (at most 256 distinct ASCII bytes) with
/// the OS CSPRNG. Rejection sampling keeps every character equally likely (no modulo bias).
pub fn random_code(alphabet: &[u8], len: usize) -> String {
    let size = alphabet.len().clamp(1, 256);
    // The largest multiple of `size` that fits in a byte: bytes at or above it are redrawn.
    let limit = 256 - (256 % size);
    let mut code = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while code.len() < len {
        fill_random(&mut buf);
        for byte in buf {
            let value = usize::from(byte);
            if value < limit
                && code.len() < len
                && let Some(c) = alphabet.get(value % size)
            {
                code.push(char::from(*c));
            }
        }
    }
    code
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

/// Compares two byte strings in constant time (length may leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn random_codes_use_only_the_alphabet_evenly_and_do_not_repeat() {
        let alphabet = b"BCDFGHJKLMNPQRSTVWXZ";
        let mut counts = [0usize; 20];
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let code = random_code(alphabet, 8);
            assert_eq!(code.len(), 8);
            for c in code.bytes() {
                let index = alphabet
                    .iter()
                    .position(|a| *a == c)
                    .expect("in the alphabet");
                counts[index] += 1;
            }
            if seen.len() < 2_000 {
                assert!(
                    seen.insert(code),
                    "34 bits: a repeat within 2,000 draws (p < 1e-4)"
                );
            }
        }
        // 80,000 characters, 4,000 expected each: a biased draw would stand out.
        for count in counts {
            assert!((3_500..=4_500).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn redacted_string_never_prints_the_secret() {
        let secret = RedactedString::from("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn random_tokens_are_distinct_and_url_safe() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let token = random_token(32);
            assert_eq!(token.len(), 43, "32 bytes are 43 base64url characters");
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert!(seen.insert(token));
        }
        assert_eq!(random_token(0), "");
        assert_eq!(random_token(12).len(), 16);
    }

    #[test]
    fn sha256_matches_known_vectors() {
        let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_semantics() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(!constant_time_eq(b"abc", b"ABC"));
    }
}
